import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AdjRibOut } from './adj-rib-out.js';
import { IdQueue } from './id-queue.js';
import { Bitmap } from './bitmap.js';

test('Adj-RIB-Out behaves as a map from destination id to (group, label, special NLRI)', () => {
  type Op = { kind: 'set'; id: number; group: number; label: number; special: boolean } | { kind: 'delete'; id: number } | { kind: 'clear' };
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), id: fc.nat(3000), group: fc.nat(5), label: fc.nat(0xfffff), special: fc.boolean() }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('delete' as const), id: fc.nat(3000) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
  );
  fc.assert(fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
    const a = new AdjRibOut();
    const model = new Map<number, { group: number; label: number; special: Uint8Array | null }>();
    for (const o of ops) {
      if (o.kind === 'set') {
        const special = o.special ? Uint8Array.of(o.id & 255, o.label & 255) : null;
        a.set(o.id, o.group, o.label, special);
        model.set(o.id, { group: o.group, label: o.label, special });
      } else if (o.kind === 'delete') assert.equal(a.delete(o.id), model.delete(o.id));
      else {
        a.clear();
        model.clear();
      }
    }
    assert.equal(a.size, model.size);
    assert.deepEqual([...a.ids()].sort((x, y) => x - y), [...model.keys()].sort((x, y) => x - y));
    for (const [id, v] of model) {
      assert.ok(a.has(id));
      assert.equal(a.group(id), v.group);
      assert.equal(a.label(id), v.label);
      assert.ok(a.same(id, v.group, v.label, v.special));
      assert.equal(a.same(id, v.group + 1, v.label, v.special), false);
      assert.equal(a.same(id, v.group, v.label, v.special ? null : Uint8Array.of(1)), false);
    }
    for (let id = 0; id < 50; id++) if (!model.has(id)) assert.equal(a.group(id), -1);
  }), { numRuns: 200 });
});

test('the id queue hands out each queued id once, oldest first, across growth and wrap-around', () => {
  const q = new IdQueue();
  for (let i = 0; i < 50; i++) q.add(i);
  for (let i = 0; i < 30; i++) assert.equal(q.take(), i);
  for (let i = 100; i < 300; i++) q.add(i);
  q.add(40); // already queued
  q.add(5); // taken before: queued again
  const out: number[] = [];
  for (let d = q.take(); d >= 0; d = q.take()) out.push(d);
  assert.deepEqual(out, [...Array.from({ length: 20 }, (_, i) => 30 + i), ...Array.from({ length: 200 }, (_, i) => 100 + i), 5]);
  assert.equal(q.size, 0);
  q.add(7);
  q.clear();
  assert.equal(q.take(), -1);
  assert.equal(q.has(7), false);
});

test('the bitmap counts its members', () => {
  const b = new Bitmap();
  assert.equal(b.set(1000), true);
  assert.equal(b.set(1000), false);
  assert.equal(b.set(3), true);
  assert.equal(b.size, 2);
  assert.equal(b.clear(3), true);
  assert.equal(b.clear(3), false);
  assert.equal(b.clear(99999), false);
  assert.equal(b.has(1000), true);
  b.reset();
  assert.equal(b.size, 0);
  assert.equal(b.has(1000), false);
});
