import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpdatePacker, type AttrGroup } from './packer.js';
import { decodeMessage, encodeAttributes, encodeMpNextHop, encodeNlri, formatNlri, type Nlri } from '../wire/index.js';

const group = (id: number, nextHop: string): AttrGroup => ({
  id,
  attrs: encodeAttributes({ origin: 'igp', asPath: [], localPref: 100, extCommunities: [`target:64512:${id}`] }, { as4: true, nextHopAttribute: false }),
  nextHop: encodeMpNextHop('inet-vpn', nextHop),
});

function decoded(msgs: Uint8Array[]): { announced: string[]; withdrawn: string[]; nextHops: string[]; eor: boolean }[] {
  return msgs.map((m) => {
    assert.ok(m.length <= 4096);
    const r = decodeMessage(m, { as4: true });
    assert.ok(r.ok && r.message.type === 'update');
    const u = r.message;
    return {
      announced: u.announced.map((a) => `${formatNlri(a.nlri)}/${a.labels.join('.')}`),
      withdrawn: u.withdrawn.map((w) => formatNlri(w)),
      nextHops: u.announced.length ? [u.attrs?.nextHop ?? ''] : [],
      eor: u.endOfRib !== undefined,
    };
  });
}

test('announcements are packed per attribute group up to 4096 bytes, withdrawals first on finish', () => {
  const p = new UpdatePacker('inet-vpn');
  const g1 = group(1, '10.0.0.1');
  const g2 = group(2, '10.0.0.2');
  const out: Uint8Array[] = [];
  const vpn = (i: number): Nlri => ({ family: 'inet-vpn', rd: '64512:1', prefix: `10.${i >> 8}.${i & 255}.0/24` });
  for (let i = 0; i < 600; i++) {
    const b = encodeNlri(vpn(i), [i + 16]);
    p.add(i % 2 ? g2 : g1, b, 0, b.length, out);
  }
  const w = encodeNlri(vpn(9999 & 0xfff), [], true);
  p.add(null, w, 0, w.length, out);
  assert.ok(out.length >= 2, 'full messages went out as they filled');
  p.finish(out);
  assert.ok(p.empty);
  const d = decoded(out);
  const announced = d.flatMap((x) => x.announced);
  assert.equal(announced.length, 600);
  assert.deepEqual(new Set(announced).size, 600);
  assert.ok(announced.includes('64512:1:10.0.5.0/24/21'));
  const firstPartial = d.findIndex((x, i) => i >= d.length - 3 && x.withdrawn.length);
  assert.ok(firstPartial >= 0, 'the withdrawal is in the finished messages');
  assert.ok(d.slice(firstPartial + 1).every((x) => x.withdrawn.length === 0), 'withdrawals come before the partial announcements');
  assert.deepEqual(new Set(d.flatMap((x) => x.nextHops)), new Set(['10.0.0.1', '10.0.0.2']));
  assert.equal(p.announced, 600);
  assert.equal(p.withdrawn, 1);
  assert.deepEqual(decoded([p.endOfRib()]), [{ announced: [], withdrawn: [], nextHops: [], eor: true }]);
});

test('IPv4 unicast withdrawals use the withdrawn-routes field', () => {
  const p = new UpdatePacker('inet');
  const out: Uint8Array[] = [];
  const b = encodeNlri({ family: 'inet', prefix: '192.0.2.0/24' }, [], true);
  p.add(null, b, 0, b.length, out);
  p.finish(out);
  const r = decodeMessage(out[0], { as4: true });
  assert.ok(r.ok && r.message.type === 'update');
  assert.deepEqual(r.message.withdrawn.map((x) => formatNlri(x)), ['192.0.2.0/24']);
  p.clear();
  assert.ok(p.empty);
});
