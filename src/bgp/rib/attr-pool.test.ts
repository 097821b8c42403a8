import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttrPool } from './attr-pool.js';
import { UpdateScan, attributeKey, encodeUpdate, scanUpdate, updateAttributes } from '../wire/update.js';

test('the same attributes from the wire and from the API share one frozen entry', () => {
  const pool = new AttrPool();
  const attrs = { origin: 'igp' as const, asPath: [{ type: 'sequence' as const, asns: [65001] }], nextHop: '192.0.2.1', extCommunities: ['target:64512:1'] };
  const b = encodeUpdate({ announced: [{ nlri: { family: 'inet-vpn', rd: '1:1', prefix: '10.0.0.0/8' }, labels: [3] }], attrs }, { as4: true });
  const s = new UpdateScan();
  scanUpdate(b, 0, b.length, s);
  const wire = pool.internWire(attributeKey(b, s, true, true), updateAttributes(b, s, { as4: true }, true).attrs);
  const api = pool.intern(attrs);
  assert.equal(wire, api);
  const e = pool.get(api);
  assert.ok(Object.isFrozen(e.attrs) && Object.isFrozen(e.attrs.asPath[0].asns));
  assert.equal(e.neighborAs, 65001);
  assert.equal(e.asPathLen, 1);
  assert.equal(e.routeTargets.length, 1);
  assert.equal(e.localPref, 100);
  pool.ref(api);
  pool.unref(api);
  assert.equal(pool.size, 1, 'kept until collected');
  pool.collect();
  assert.equal(pool.size, 0, 'freed after the last reference');
});

test('unreferenced entries are collected', () => {
  const pool = new AttrPool();
  const id = pool.intern({ origin: 'igp', asPath: [] });
  assert.equal(pool.size, 1);
  pool.collect();
  assert.equal(pool.size, 0);
  assert.throws(() => pool.get(id), RangeError);
});
