import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CursorPool } from './cursor-pool.js';

test('up: lowest free first; a freed value is reused first', () => {
  const used = new Set<number>();
  const p = new CursorPool(1, 5, 'up');
  const take = () => {
    const v = p.next((x) => used.has(x));
    if (v !== undefined) used.add(v);
    return v;
  };
  assert.deepEqual([take(), take(), take()], [1, 2, 3]);
  used.delete(2);
  p.freed(2);
  assert.deepEqual([take(), take(), take(), take()], [2, 4, 5, undefined]);
});

test('down: highest free first (top-down addresses)', () => {
  const used = new Set<number>([10]);
  const p = new CursorPool(1, 10, 'down');
  assert.equal(p.next((x) => used.has(x)), 9);
});

test('property: the pool always returns the extreme free value of the model', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 40 })), { maxLength: 200 }), fc.boolean(), (ops, up) => {
      const used = new Set<number>();
      const p = new CursorPool(0, 40, up ? 'up' : 'down');
      for (const [alloc, v] of ops) {
        if (alloc) {
          const got = p.next((x) => used.has(x));
          const free = [...Array(41).keys()].filter((x) => !used.has(x));
          const want = free.length === 0 ? undefined : up ? free[0] : free[free.length - 1];
          assert.equal(got, want);
          if (got !== undefined) used.add(got);
        } else if (used.delete(v)) {
          p.freed(v);
        }
      }
    }),
  );
});
