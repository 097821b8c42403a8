// Every BgpError code the codec can produce, produced once, with its RFC 7606 action.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BgpError } from './errors.js';
import { fromHex, parseIp } from './addr.js';
import { parseRd } from './rd.js';
import { parseExtCommunity } from './ext-community.js';
import { encodeNlri } from './nlri.js';
import { encodeAttributes } from './attributes.js';
import { assembleUpdate, encodeUpdate } from './update.js';
import { decodeMessage, encodeOpen } from './message.js';

function code(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof BgpError, `not a BgpError: ${String(err)}`);
    return err.code;
  }
  return 'no error';
}
function decodeCode(b: Uint8Array): [string, string] {
  const r = decodeMessage(b);
  if (r.ok) {
    const u = r.message.type === 'update' ? r.message : undefined;
    const e = u?.treatAsWithdraw ?? u?.discarded[0];
    return e ? [e.code, e.action] : ['no error', ''];
  }
  return [r.error.code, r.error.action];
}
const header = (len: number, type: number) => [...new Array<number>(16).fill(0xff), len >> 8, len & 255, type];

test('encoder-side codes: values that cannot go on the wire', () => {
  assert.equal(code(() => parseIp('300.1.1.1')), 'BGP_BAD_ADDRESS');
  assert.equal(code(() => fromHex('xyz')), 'BGP_BAD_HEX');
  assert.equal(code(() => parseRd('a:b')), 'BGP_BAD_RD');
  assert.equal(code(() => parseExtCommunity('color:1')), 'BGP_BAD_EXT_COMMUNITY');
  assert.equal(code(() => encodeNlri({ family: 'route-target', originAs: 1, routeTarget: 'target:1:1', prefixLen: 20 })), 'BGP_BAD_NLRI');
  assert.equal(code(() => encodeNlri({ family: 'inet-vpn', rd: '1:1', prefix: '10.0.0.0/8' }, [1 << 20])), 'BGP_BAD_LABEL');
  assert.equal(code(() => encodeAttributes({ origin: 'igp', asPath: [], med: 1.5 }, { as4: true, nextHopAttribute: false })), 'BGP_BAD_ATTRIBUTE');
  assert.equal(code(() => encodeAttributes({ origin: 'igp', asPath: [], unknown: [{ flags: 0xc0, code: 200, value: new Uint8Array(70000) }] }, { as4: true, nextHopAttribute: false })), 'BGP_ATTRIBUTE_TOO_LONG');
  assert.equal(code(() => encodeOpen({ asn: 1, holdTime: 90, routerId: '1.1.1.1', capabilities: [{ kind: 'graceful-restart', restarting: false, notification: false, restartTime: 5000, families: [] }] })), 'BGP_BAD_CAPABILITY');
  assert.equal(code(() => encodeUpdate({ announced: [{ nlri: { family: 'inet', prefix: '10.0.0.0/8' }, labels: [] }, { nlri: { family: 'inet-vpn', rd: '1:1', prefix: '10.0.0.0/8' }, labels: [1] }], attrs: { origin: 'igp', asPath: [], nextHop: '1.1.1.1' } }, { as4: true })), 'BGP_MIXED_FAMILIES');
  assert.equal(code(() => assembleUpdate({ nlri: new Uint8Array(5000) })), 'BGP_MESSAGE_TOO_LONG');
});

test('decoder-side codes with their actions', () => {
  const bad = Uint8Array.from(header(19, 4));
  bad[0] = 0;
  assert.deepEqual(decodeCode(bad), ['BGP_BAD_MARKER', 'session-reset']);
  assert.deepEqual(decodeCode(Uint8Array.from(header(20, 4).concat([0]))), ['BGP_BAD_MESSAGE_LENGTH', 'session-reset']);
  assert.deepEqual(decodeCode(Uint8Array.from(header(19, 9))), ['BGP_BAD_MESSAGE_TYPE', 'session-reset']);
  const open = encodeOpen({ asn: 1, holdTime: 90, routerId: '1.1.1.1', capabilities: [] });
  const v = open.slice();
  v[19] = 3;
  assert.deepEqual(decodeCode(v), ['BGP_UNSUPPORTED_VERSION', 'session-reset']);
  const hold = open.slice();
  hold[23] = 1;
  assert.deepEqual(decodeCode(hold), ['BGP_UNACCEPTABLE_HOLD_TIME', 'session-reset']);
  const id = encodeOpen({ asn: 1, holdTime: 90, routerId: '0.0.0.0', capabilities: [] });
  assert.deepEqual(decodeCode(id), ['BGP_BAD_BGP_IDENTIFIER', 'session-reset']);
  const plen = open.slice();
  plen[28] = 5;
  assert.deepEqual(decodeCode(plen), ['BGP_MALFORMED_OPEN', 'session-reset']);
  const param = Uint8Array.from([...header(32, 1), 4, 0, 1, 0, 90, 1, 1, 1, 1, 3, 9, 1, 0]);
  assert.deepEqual(decodeCode(param), ['BGP_UNSUPPORTED_OPTIONAL_PARAMETER', 'session-reset']);
  const cap = Uint8Array.from([...header(35, 1), 4, 0, 1, 0, 90, 1, 1, 1, 1, 6, 2, 4, 1, 2, 0, 1]);
  assert.deepEqual(decodeCode(cap), ['BGP_MALFORMED_CAPABILITY', 'session-reset']);

  const ORIGIN = [0x40, 1, 1, 0];
  const ASPATH = [0x40, 2, 0];
  const NH = [0x40, 3, 4, 10, 0, 0, 1];
  const upd = (attrs: number[], nlri: number[] = [8, 10]) => assembleUpdate({ attrs: Uint8Array.from(attrs), nlri: Uint8Array.from(nlri) });
  assert.deepEqual(decodeCode(upd([...ORIGIN, 0x40, 2, 5, 2])), ['BGP_MALFORMED_ATTRIBUTE_LIST', 'session-reset']);
  assert.deepEqual(decodeCode(upd([...ORIGIN, ...ASPATH, ...NH, 0x40, 99, 0])), ['BGP_UNRECOGNIZED_WELL_KNOWN', 'session-reset']);
  assert.deepEqual(decodeCode(upd([...ORIGIN, ...ASPATH, ...NH], [33, 1, 2, 3, 4, 5])), ['BGP_MALFORMED_NLRI', 'session-reset']);
  assert.deepEqual(decodeCode(assembleUpdate({ attrs: Uint8Array.of(0x80, 15, 1, 0) })), ['BGP_MALFORMED_MP_ATTRIBUTE', 'session-reset']);
  assert.deepEqual(decodeCode(upd([...ORIGIN, ...ASPATH, 0x40, 3, 3, 1, 2, 3])), ['BGP_MALFORMED_ATTRIBUTE', 'treat-as-withdraw']);
  assert.deepEqual(decodeCode(upd([0x40, 1, 1, 0, 0x40, 2, 0, 0xc0, 3, 4, 10, 0, 0, 1])), ['BGP_ATTRIBUTE_FLAGS', 'treat-as-withdraw']);
  assert.deepEqual(decodeCode(upd([...ASPATH, ...NH])), ['BGP_MISSING_WELL_KNOWN', 'treat-as-withdraw']);
  assert.deepEqual(decodeCode(upd([...ORIGIN, ...ASPATH, ...NH, 0x80, 4, 4, 0, 0, 0, 1, 0x80, 4, 4, 0, 0, 0, 2])), ['BGP_DUPLICATE_ATTRIBUTE', 'attribute-discard']);
  // a VPN route with a 5-byte next hop
  const mp = [0x80, 14, 3 + 1 + 5 + 1 + 15, 0, 1, 128, 5, 1, 2, 3, 4, 5, 0, 112, 0, 0, 0x11, 0, 0, 0, 1, 0, 0, 0, 1, 10, 0, 0];
  assert.deepEqual(decodeCode(assembleUpdate({ attrs: Uint8Array.from([...ORIGIN, ...ASPATH, ...mp]) })), ['BGP_BAD_NEXT_HOP', 'treat-as-withdraw']);
});
