import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NlriScratch, decodeNlri, encodeNlri, formatNlri, nlriFromKey, nlriKey, scanNlri, wireFromKey, type Nlri } from './nlri.js';
import { formatRd, parseRd } from './rd.js';
import { formatExtCommunity, parseExtCommunity } from './ext-community.js';
import { fromHex, toHex } from './addr.js';
import { BgpError } from './errors.js';

test('VPNv4 NLRI matches the RFC 4364 layout byte for byte', () => {
  const wire = encodeNlri({ family: 'inet-vpn', rd: '64512:1', prefix: '10.1.0.0/24' }, [100]);
  // length 112 bits = 24 label + 64 RD + 24 prefix; label 100 with bottom-of-stack; RD type 0
  assert.equal(toHex(wire), '70' + '000641' + '0000fc0000000001' + '0a0100');
  const back = decodeNlri('inet-vpn', wire, 0, wire.length);
  assert.deepEqual(back.nlri, { family: 'inet-vpn', rd: '64512:1', prefix: '10.1.0.0/24' });
  assert.deepEqual(back.labels, [100]);
  assert.equal(back.next, wire.length);
});

test('VPNv4 withdrawal carries the 0x800000 compatibility label and decodes with one label field', () => {
  const wire = encodeNlri({ family: 'inet-vpn', rd: '10.0.0.1:7', prefix: '192.168.0.0/16' }, [5], true);
  assert.equal(toHex(wire.subarray(1, 4)), '800000');
  const s = new NlriScratch();
  assert.equal(scanNlri('inet-vpn', wire, 0, wire.length, s, true), wire.length);
  assert.deepEqual(nlriFromKey('inet-vpn', s.key.slice(0, s.keyLen)), { family: 'inet-vpn', rd: '10.0.0.1:7', prefix: '192.168.0.0/16' });
});

test('VPNv4 label stacks decode to every label up to bottom-of-stack', () => {
  const wire = encodeNlri({ family: 'inet-vpn', rd: '4200000000:9', prefix: '10.0.0.0/8' }, [16, 17, 18]);
  const back = decodeNlri('inet-vpn', wire, 0, wire.length);
  assert.deepEqual(back.labels, [16, 17, 18]);
  assert.equal((back.nlri as { rd: string }).rd, '4200000000:9');
});

test('route keys ignore labels and host bits; wireFromKey rebuilds the NLRI', () => {
  const a = nlriKey({ family: 'inet-vpn', rd: '64512:1', prefix: '10.1.0.0/23' });
  const wire = fromHex('6f' + '000641' + '0000fc0000000001' + '0a0101'); // a host bit set in the last byte
  const s = new NlriScratch();
  scanNlri('inet-vpn', wire, 0, wire.length, s, false);
  assert.deepEqual(s.key.slice(0, s.keyLen), a);
  assert.equal(s.label, 100);
  const out = new Uint8Array(32);
  const n = wireFromKey('inet-vpn', a, 0, a.length, 100, false, out, 0);
  assert.equal(toHex(out.subarray(0, n)), '6f000641' + '0000fc0000000001' + '0a0100');
});

test('RD types 0, 1 and 2 round-trip through text', () => {
  for (const rd of ['64512:1', '10.0.0.1:65535', '4200000000:3', '65000L:3', '0:0']) {
    assert.equal(formatRd(parseRd(rd)), rd);
  }
  assert.equal(toHex(parseRd('10.0.0.1:2')), '00010a0000010002');
  assert.equal(toHex(parseRd('70000:2')), '0002000111700002');
  assert.throws(() => parseRd('70000:70000'), BgpError);
  assert.throws(() => parseRd('nope'), BgpError);
});

test('extended communities: route targets, encapsulation, opaque', () => {
  assert.equal(toHex(parseExtCommunity('target:64512:8000001')), '0002fc00007a1201');
  assert.equal(toHex(parseExtCommunity('target:10.1.1.1:5')), '01020a0101010005');
  assert.equal(toHex(parseExtCommunity('encapsulation:vxlan')), '030c000000000008');
  for (const x of ['target:64512:1', 'target:10.1.1.1:5', 'target:4200000000:5', 'target:100L:5', 'origin:64512:1', 'encapsulation:udp', 'encapsulation:99', 'ext:8004fc00007a1201']) {
    assert.equal(formatExtCommunity(parseExtCommunity(x)), x);
  }
  assert.throws(() => parseExtCommunity('target:x:1'), BgpError);
});

test('route-target membership NLRI: full, partial and default', () => {
  const full: Nlri = { family: 'route-target', originAs: 64512, routeTarget: 'target:64512:1', prefixLen: 96 };
  const w = encodeNlri(full);
  assert.equal(toHex(w), '60' + '0000fc00' + '0002fc0000000001');
  assert.deepEqual(decodeNlri('route-target', w, 0, w.length).nlri, full);
  const def: Nlri = { family: 'route-target', originAs: 0, routeTarget: null, prefixLen: 0 };
  assert.equal(toHex(encodeNlri(def)), '00');
  assert.deepEqual(decodeNlri('route-target', Uint8Array.of(0), 0, 1).nlri, def);
  const partial = encodeNlri({ family: 'route-target', originAs: 64512, routeTarget: 'target:64512:1', prefixLen: 64 });
  assert.equal(partial[0], 64);
  assert.equal(partial.length, 9);
  assert.equal(formatNlri(full), '64512:target:64512:1');
});

test('EVPN type 2 and type 5 round-trip with their labels', () => {
  const t2: Nlri = { family: 'e-vpn', routeType: 2, rd: '10.0.0.1:3', esi: '00000000000000000000', ethTag: 0, mac: '02:00:00:00:00:01', ip: '10.1.1.5' };
  const w2 = encodeNlri(t2, [5001]);
  assert.equal(w2[0], 2);
  assert.equal(w2[1], 37);
  const d2 = decodeNlri('e-vpn', w2, 0, w2.length);
  assert.deepEqual(d2.nlri, t2);
  assert.deepEqual(d2.labels, [5001]);
  const t2v6: Nlri = { ...t2, ip: 'fd00::5' };
  const w2v6 = encodeNlri(t2v6, [1, 2]);
  assert.equal(w2v6.length, 2 + 33 + 16 + 3);
  assert.deepEqual(decodeNlri('e-vpn', w2v6, 0, w2v6.length), { nlri: t2v6, labels: [1, 2], next: w2v6.length, skip: false });
  const t5: Nlri = { family: 'e-vpn', routeType: 5, rd: '64512:9', esi: '00000000000000000000', ethTag: 0, prefix: '10.2.0.0/16', gateway: '0.0.0.0' };
  const w5 = encodeNlri(t5, [9]);
  assert.equal(w5[1], 34);
  assert.deepEqual(decodeNlri('e-vpn', w5, 0, w5.length).nlri, t5);
  // keys leave out the labels: the same MAC/IP with another label is the same route
  assert.deepEqual(nlriKey(t2), (() => { const s = new NlriScratch(); scanNlri('e-vpn', encodeNlri(t2, [7]), 0, 39, s, false); return s.key.slice(0, s.keyLen); })());
  assert.deepEqual(nlriFromKey('e-vpn', nlriKey(t5)), t5);
});

test('unframeable NLRI throws a session-reset BgpError', () => {
  const s = new NlriScratch();
  assert.throws(() => scanNlri('inet', Uint8Array.of(33, 1, 2, 3, 4, 5), 0, 6, s, false), (e: BgpError) => e.action === 'session-reset' && e.notifySubcode === 10);
  assert.throws(() => scanNlri('inet', Uint8Array.of(24, 1, 2), 0, 3, s, false), BgpError);
  assert.throws(() => scanNlri('inet-vpn', Uint8Array.of(80, 0, 0, 1), 0, 4, s, false), BgpError);
  assert.throws(() => scanNlri('route-target', Uint8Array.of(97), 0, 1, s, false), BgpError);
  assert.throws(() => scanNlri('e-vpn', Uint8Array.of(2, 40, 0), 0, 3, s, false), BgpError);
});

test('IPv4 unicast keys are the wire form with host bits cleared', () => {
  const s = new NlriScratch();
  scanNlri('inet', Uint8Array.of(20, 10, 1, 0xff), 0, 4, s, false);
  assert.equal(toHex(s.key.subarray(0, s.keyLen)), '140a01f0');
  assert.deepEqual(nlriFromKey('inet', s.key.slice(0, s.keyLen)), { family: 'inet', prefix: '10.1.240.0/20' });
  assert.deepEqual(decodeNlri('inet', Uint8Array.of(0), 0, 1).nlri, { family: 'inet', prefix: '0.0.0.0/0' });
});

test('RTC prefix lengths 1..31 are framed but marked unusable (RFC 4684 §4)', () => {
  const s = new NlriScratch();
  const b = Uint8Array.of(17, 0, 0, 1);
  assert.equal(scanNlri('route-target', b, 0, b.length, s, false), 4);
  assert.equal(s.skip, true);
  assert.equal(decodeNlri('route-target', b, 0, b.length).skip, true);
});
