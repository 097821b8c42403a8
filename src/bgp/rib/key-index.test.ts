import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KeyIndex } from './key-index.js';

const k = (...b: number[]): Uint8Array => Uint8Array.from(b);

test('interns, finds and removes byte keys', () => {
  const ix = new KeyIndex(8, 4);
  const a = ix.intern(k(1, 2, 3), 0, 3);
  assert.equal(ix.added, true);
  assert.equal(ix.intern(k(1, 2, 3), 0, 3), a);
  assert.equal(ix.added, false);
  const b = ix.intern(k(9, 1, 2, 3, 9), 1, 3 + 0); // same bytes at an offset
  assert.equal(b, a);
  const c = ix.intern(k(1, 2), 0, 2);
  assert.notEqual(c, a);
  assert.deepEqual([...ix.key(c)], [1, 2]);
  assert.equal(ix.size, 2);
  ix.remove(a);
  assert.equal(ix.find(k(1, 2, 3), 0, 3), -1);
  assert.equal(ix.find(k(1, 2), 0, 2), c);
  assert.equal(ix.isLive(a), false);
  assert.equal(ix.intern(k(7), 0, 1), a, 'freed ids are reused');
  assert.throws(() => ix.intern(new Uint8Array(9), 0, 9), RangeError);
});

test('agrees with a Map under random inserts and removals (growth and backward-shift deletion)', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.uint8Array({ minLength: 1, maxLength: 3 })), { maxLength: 400 }), (ops) => {
      const ix = new KeyIndex(4, 2);
      const model = new Map<string, number>();
      for (const [add, key] of ops) {
        const s = Buffer.from(key).toString('hex');
        if (add) {
          const id = ix.intern(key, 0, key.length);
          if (model.has(s)) assert.equal(id, model.get(s));
          model.set(s, id);
        } else if (model.has(s)) {
          ix.remove(model.get(s)!);
          model.delete(s);
        }
        assert.equal(ix.size, model.size);
      }
      for (const [s, id] of model) {
        const key = Buffer.from(s, 'hex');
        assert.equal(ix.find(key, 0, key.length), id);
      }
    }),
    { numRuns: 300 },
  );
});
