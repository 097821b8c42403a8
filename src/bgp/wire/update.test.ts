import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { decodeUpdate} from './update.js';
import { UpdateScan, assembleUpdate, attributeKey, encodeEndOfRib, encodeUpdate, scanUpdate } from './update.js';
import { encodeAttributes, type PathAttributes } from './attributes.js';
import { decodeMessage } from './message.js';
import { BgpError } from './errors.js';
import type { LabeledNlri } from './nlri.js';

const attrs: PathAttributes = {
  origin: 'igp',
  asPath: [{ type: 'sequence', asns: [65001, 4200000000] }, { type: 'set', asns: [7, 8] }],
  nextHop: '192.0.2.1',
  med: 10,
  localPref: 200,
  atomicAggregate: true,
  aggregator: { asn: 65001, address: '192.0.2.9' },
  communities: ['65000:1', '65535:65281'],
  extCommunities: ['target:64512:8000001', 'encapsulation:vxlan', 'ext:8071fc0000000001'],
  originatorId: '192.0.2.7',
  clusterList: ['192.0.2.100', '192.0.2.101'],
  unknown: [{ flags: 0xe0, code: 99, value: Uint8Array.of(1, 2, 3) }],
};

function update(u: Parameters<typeof encodeUpdate>[0], as4 = true) {
  const b = encodeUpdate(u, { as4 });
  const r = decodeMessage(b, { as4 });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.equal(r.message.type, 'update');
  return r.message;
}

test('IPv4 unicast UPDATE round-trips every attribute', () => {
  const announced: LabeledNlri[] = [{ nlri: { family: 'inet', prefix: '10.0.0.0/8' }, labels: [] }, { nlri: { family: 'inet', prefix: '10.1.2.0/24' }, labels: [] }];
  const m = update({ announced, withdrawn: [{ family: 'inet', prefix: '172.16.0.0/12' }], attrs });
  assert.deepEqual(m.announced, announced);
  assert.deepEqual(m.withdrawn, [{ family: 'inet', prefix: '172.16.0.0/12' }]);
  assert.deepEqual(m.attrs, attrs);
  assert.equal(m.treatAsWithdraw, undefined);
});

test('VPNv4 UPDATE carries its next hop in MP_REACH_NLRI with a zero RD', () => {
  const announced: LabeledNlri[] = [{ nlri: { family: 'inet-vpn', rd: '192.0.2.1:3', prefix: '10.47.255.250/32' }, labels: [17] }];
  const b = encodeUpdate({ announced, attrs: { origin: 'igp', asPath: [], nextHop: '192.0.2.1', localPref: 200 } }, { as4: true });
  const s = new UpdateScan();
  scanUpdate(b, 0, b.length, s);
  assert.equal(s.reachFamily, 'inet-vpn');
  assert.equal(s.nextHopLen, 12);
  assert.deepEqual([...b.subarray(s.nextHopStart, s.nextHopStart + 12)], [0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1]);
  const m = update({ announced, attrs: { origin: 'igp', asPath: [], nextHop: '192.0.2.1', localPref: 200 } });
  assert.deepEqual(m.announced, announced);
  assert.equal(m.attrs?.nextHop, '192.0.2.1');
  const w = update({ withdrawn: announced.map((x) => x.nlri) });
  assert.deepEqual(w.withdrawn, announced.map((x) => x.nlri));
  assert.equal(w.attrs, undefined);
});

test('route-target and EVPN families round-trip', () => {
  const rtc: LabeledNlri[] = [
    { nlri: { family: 'route-target', originAs: 64512, routeTarget: 'target:64512:8000001', prefixLen: 96 }, labels: [] },
    { nlri: { family: 'route-target', originAs: 0, routeTarget: null, prefixLen: 0 }, labels: [] },
  ];
  assert.deepEqual(update({ announced: rtc, attrs: { origin: 'igp', asPath: [], nextHop: '192.0.2.1' } }).announced, rtc);
  const evpn: LabeledNlri[] = [{ nlri: { family: 'e-vpn', routeType: 5, rd: '64512:1', esi: '00000000000000000000', ethTag: 0, prefix: '10.0.0.0/24', gateway: '0.0.0.0' }, labels: [5000] }];
  assert.deepEqual(update({ announced: evpn, attrs: { origin: 'igp', asPath: [], nextHop: '192.0.2.1' } }).announced, evpn);
});

test('a 2-octet session carries 4-octet ASes in AS4_PATH and merges them back (RFC 6793)', () => {
  const a: PathAttributes = { origin: 'igp', asPath: [{ type: 'sequence', asns: [65001, 4200000000, 65002] }], nextHop: '192.0.2.1', aggregator: { asn: 4200000001, address: '192.0.2.3' } };
  const m = update({ announced: [{ nlri: { family: 'inet', prefix: '10.0.0.0/8' }, labels: [] }], attrs: a }, false);
  assert.deepEqual(m.attrs?.asPath, a.asPath);
  assert.deepEqual(m.attrs?.aggregator, a.aggregator);
});

test('End-of-RIB markers are recognised for every family', () => {
  for (const f of ['inet', 'inet-vpn', 'route-target', 'e-vpn'] as const) {
    const r = decodeMessage(encodeEndOfRib(f));
    assert.ok(r.ok && r.message.type === 'update');
    assert.equal((r.message).endOfRib, f);
  }
});

test('equal attributes give equal attribute keys whatever the NLRI', () => {
  const a = { origin: 'igp', asPath: [], nextHop: '192.0.2.1', extCommunities: ['target:1:1'] } as const;
  const keys = ['64512:1', '64512:2'].map((rd) => {
    const b = encodeUpdate({ announced: [{ nlri: { family: 'inet-vpn', rd, prefix: '10.0.0.0/24' }, labels: [rd.length] }], attrs: a }, { as4: true });
    const s = new UpdateScan();
    scanUpdate(b, 0, b.length, s);
    return attributeKey(b, s, true, true);
  });
  assert.equal(keys[0], keys[1]);
  const other = encodeUpdate({ announced: [{ nlri: { family: 'inet-vpn', rd: '1:1', prefix: '10.0.0.0/24' }, labels: [1] }], attrs: { ...a, nextHop: '192.0.2.2' } }, { as4: true });
  const s = new UpdateScan();
  scanUpdate(other, 0, other.length, s);
  assert.notEqual(attributeKey(other, s, true, true), keys[0]);
});

// Builds an UPDATE with hand-written attribute bytes and one IPv4 NLRI (10.0.0.0/8).
function raw(attrBytes: number[], nlri: number[] = [8, 10]): Uint8Array {
  return assembleUpdate({ attrs: Uint8Array.from(attrBytes), nlri: Uint8Array.from(nlri) });
}
const ORIGIN = [0x40, 1, 1, 0];
const ASPATH = [0x40, 2, 0];
const NH = [0x40, 3, 4, 192, 0, 2, 1];

function decoded(b: Uint8Array) {
  const r = decodeMessage(b);
  if (!r.ok) throw r.error;
  return r.message as ReturnType<typeof decodeUpdate>;
}

test('RFC 7606: a bad ORIGIN value withdraws the UPDATE\'s routes', () => {
  const m = decoded(raw([0x40, 1, 1, 7, ...ASPATH, ...NH]));
  assert.equal(m.treatAsWithdraw?.code, 'BGP_MALFORMED_ATTRIBUTE');
  assert.equal(m.treatAsWithdraw?.action, 'treat-as-withdraw');
  assert.deepEqual(m.announced, []);
  assert.deepEqual(m.withdrawn, [{ family: 'inet', prefix: '10.0.0.0/8' }]);
});

test('RFC 7606: a missing mandatory attribute withdraws; a malformed ATOMIC_AGGREGATE is discarded', () => {
  const missing = decoded(raw([...ORIGIN, ...NH]));
  assert.equal(missing.treatAsWithdraw?.code, 'BGP_MISSING_WELL_KNOWN');
  const discard = decoded(raw([...ORIGIN, ...ASPATH, ...NH, 0x40, 6, 1, 0]));
  assert.equal(discard.treatAsWithdraw, undefined);
  assert.equal(discard.discarded[0].action, 'attribute-discard');
  assert.equal(discard.announced.length, 1);
  assert.equal(discard.attrs?.atomicAggregate, undefined);
});

test('RFC 7606: wrong flags on a well-known attribute are that attribute\'s error', () => {
  const m = decoded(raw([0xc0, 1, 1, 0, ...ASPATH, ...NH]));
  assert.equal(m.treatAsWithdraw?.code, 'BGP_ATTRIBUTE_FLAGS');
});

test('unknown attributes: optional transitive passes with the Partial bit, non-transitive is dropped, well-known resets', () => {
  const m = decoded(raw([...ORIGIN, ...ASPATH, ...NH, 0xc0, 200, 2, 9, 9, 0x80, 201, 1, 5]));
  assert.deepEqual(m.attrs?.unknown, [{ flags: 0xe0, code: 200, value: Uint8Array.of(9, 9) }]);
  const r = decodeMessage(raw([...ORIGIN, ...ASPATH, ...NH, 0x40, 202, 0]));
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'BGP_UNRECOGNIZED_WELL_KNOWN');
  assert.equal(r.error.action, 'session-reset');
});

test('a duplicate attribute keeps the first instance', () => {
  const m = decoded(raw([...ORIGIN, ...ASPATH, ...NH, 0x80, 4, 4, 0, 0, 0, 1, 0x80, 4, 4, 0, 0, 0, 2]));
  assert.equal(m.attrs?.med, 1);
  assert.equal(m.discarded[0].code, 'BGP_DUPLICATE_ATTRIBUTE');
});

test('framing faults reset the session with the RFC 4271 §6.3 codes', () => {
  const overrun = decodeMessage(raw([...ORIGIN, 0x40, 2, 9, 2]));
  assert.ok(!overrun.ok);
  assert.equal(overrun.error.notifyCode, 3);
  assert.equal(overrun.error.notifySubcode, 1);
  const b = raw([...ORIGIN, ...ASPATH, ...NH]);
  b[20] = 0xff; // withdrawn routes length far past the end
  const w = decodeMessage(b);
  assert.ok(!w.ok && w.error.action === 'session-reset');
  const nlri = decodeMessage(raw([...ORIGIN, ...ASPATH, ...NH], [40, 1, 2, 3, 4, 5]));
  assert.ok(!nlri.ok && nlri.error.code === 'BGP_MALFORMED_NLRI');
  const mp = decodeMessage(assembleUpdate({ attrs: Uint8Array.of(0x80, 14, 2, 0, 1) }));
  assert.ok(!mp.ok && mp.error.code === 'BGP_MALFORMED_MP_ATTRIBUTE');
});

test('a malformed AS_PATH withdraws, a malformed AS4_PATH is discarded', () => {
  const m = decoded(raw([...ORIGIN, 0x40, 2, 2, 2, 0, ...NH]));
  assert.equal(m.treatAsWithdraw?.notifySubcode, 11);
  const two = decodeMessage(raw([...ORIGIN, 0x40, 2, 4, 2, 1, 0x5b, 0xa0, ...NH, 0xc0, 17, 3, 2, 1, 0]), { as4: false });
  assert.ok(two.ok);
  const u = two.message as ReturnType<typeof decodeUpdate>;
  assert.equal(u.discarded[0].action, 'attribute-discard');
  assert.deepEqual(u.attrs?.asPath, [{ type: 'sequence', asns: [23456] }]);
});

test('encoders reject values that cannot go on the wire', () => {
  assert.throws(() => encodeAttributes({ origin: 'igp', asPath: [], med: -1 }, { as4: true, nextHopAttribute: false }), BgpError);
  assert.throws(() => encodeAttributes({ origin: 'igp', asPath: [], communities: ['x'] }, { as4: true, nextHopAttribute: false }), BgpError);
  assert.throws(() => encodeUpdate({ announced: [{ nlri: { family: 'inet', prefix: '10.0.0.0/8' }, labels: [] }] }, { as4: true }), BgpError);
  const many = Array.from({ length: 1100 }, (_, i) => ({ nlri: { family: 'inet' as const, prefix: `10.${i >> 8}.${i & 255}.0/24` }, labels: [] }));
  assert.throws(() => encodeUpdate({ announced: many, attrs }, { as4: true }), (e: BgpError) => e.code === 'BGP_MESSAGE_TOO_LONG');
});
