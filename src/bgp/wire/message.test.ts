import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KEEPALIVE, decodeMessage, describeNotification, encodeCease, encodeMessage, encodeNotification, encodeOpen, encodeRouteRefresh, frameLength } from './message.js';
import type { OpenMessage } from './open.js';
import { toHex } from './addr.js';

const open: OpenMessage = {
  type: 'open',
  version: 4,
  asn: 4200000000,
  holdTime: 90,
  routerId: '192.0.2.1',
  capabilities: [
    { kind: 'multiprotocol', afi: 1, safi: 128 },
    { kind: 'multiprotocol', afi: 1, safi: 132 },
    { kind: 'route-refresh' },
    { kind: 'four-octet-as', asn: 4200000000 },
    { kind: 'graceful-restart', restarting: true, notification: false, restartTime: 120, families: [{ afi: 1, safi: 128, forwarding: true }] },
    { kind: 'add-path', families: [{ afi: 1, safi: 1, receive: false, send: true }, { afi: 1, safi: 128, receive: true, send: true }] },
    { kind: 'unknown', code: 73, value: Uint8Array.of(1, 2) },
  ],
};

test('OPEN round-trips with capabilities; a 4-octet AS travels as AS_TRANS plus the capability', () => {
  const b = encodeOpen(open);
  assert.equal((b[20] << 8) | b[21], 23456);
  const r = decodeMessage(b);
  assert.ok(r.ok);
  assert.deepEqual(r.message, open);
});

test('ADD-PATH capability (RFC 7911 §4): code 69, AFI/SAFI and a Send/Receive of 1..3; other values are malformed', () => {
  const one = encodeOpen({ ...open, capabilities: [{ kind: 'add-path', families: [{ afi: 1, safi: 1, receive: false, send: true }] }] });
  // optional parameters: type 2, length 6, capability 69, length 4, AFI 1, SAFI 1, send (2)
  assert.equal(toHex(one.subarray(29)), '02064504' + '00010102');
  const bad = one.slice();
  bad[one.length - 1] = 4;
  const r = decodeMessage(bad);
  assert.ok(!r.ok && r.error.code === 'BGP_MALFORMED_CAPABILITY');
  assert.throws(() => encodeOpen({ ...open, capabilities: [{ kind: 'add-path', families: [{ afi: 1, safi: 1, receive: false, send: false }] }] }), /neither receives nor sends/);
});

test('OPEN errors carry the RFC 4271 §6.2 subcodes', () => {
  const b = encodeOpen({ ...open, capabilities: [] });
  const v3 = b.slice();
  v3[19] = 3;
  const r1 = decodeMessage(v3);
  assert.ok(!r1.ok && r1.error.notifyCode === 2 && r1.error.notifySubcode === 1 && toHex(r1.error.data) === '0004');
  const hold = encodeOpen({ ...open, holdTime: 2, capabilities: [] });
  const r2 = decodeMessage(hold);
  assert.ok(!r2.ok && r2.error.notifySubcode === 6);
  const id0 = encodeOpen({ ...open, routerId: '0.0.0.0', capabilities: [] });
  const r3 = decodeMessage(id0);
  assert.ok(!r3.ok && r3.error.notifySubcode === 3);
  const param = b.slice();
  const withParam = new Uint8Array(param.length + 3);
  withParam.set(param);
  withParam[17] = withParam.length;
  withParam[28] = 3;
  withParam.set([1, 1, 0], param.length);
  const r4 = decodeMessage(withParam);
  assert.ok(!r4.ok && r4.error.notifySubcode === 4);
});

test('KEEPALIVE, NOTIFICATION and ROUTE-REFRESH round-trip', () => {
  assert.equal(toHex(KEEPALIVE), 'ff'.repeat(16) + '001304');
  assert.deepEqual(decodeMessage(KEEPALIVE), { ok: true, message: { type: 'keepalive' } });
  const n = decodeMessage(encodeNotification(6, 2, Uint8Array.of(3, 0x61, 0x62, 0x63)));
  assert.ok(n.ok && n.message.type === 'notification');
  if (n.ok && n.message.type === 'notification') assert.equal(describeNotification(n.message.code, n.message.subcode, n.message.data), 'Cease/Administrative Shutdown: abc');
  assert.deepEqual(decodeMessage(encodeRouteRefresh(1, 128)), { ok: true, message: { type: 'route-refresh', afi: 1, safi: 128, subtype: 0 } });
  assert.deepEqual(decodeMessage(encodeMessage({ type: 'keepalive' })), { ok: true, message: { type: 'keepalive' } });
  assert.equal(describeNotification(4, 0), 'Hold Timer Expired');
  assert.match(describeNotification(6, 7), /Collision/);
  assert.ok(encodeCease(2, 'maintenance').length > 21);
});

test('header faults: marker, length and type', () => {
  const bad = KEEPALIVE.slice();
  bad[3] = 0;
  assert.throws(() => frameLength(bad, 0, bad.length), (e: { notifyCode: number; notifySubcode: number }) => e.notifyCode === 1 && e.notifySubcode === 1);
  const len = KEEPALIVE.slice();
  len[17] = 20;
  assert.throws(() => frameLength(len, 0, len.length), (e: { notifySubcode: number }) => e.notifySubcode === 2);
  const type = KEEPALIVE.slice();
  type[18] = 9;
  assert.throws(() => frameLength(type, 0, type.length), (e: { notifySubcode: number; data: Uint8Array }) => e.notifySubcode === 3 && e.data[0] === 9);
  assert.equal(frameLength(KEEPALIVE, 0, 10), 0);
  const r = decodeMessage(KEEPALIVE.subarray(0, 12));
  assert.ok(!r.ok && r.error.notifyCode === 1);
});
