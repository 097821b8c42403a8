import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TurnBudget } from './turn-budget.js';

test('input past the turn budget waits for a later turn', () => {
  let now = 0;
  const deferred: (() => void)[] = [];
  const b = new TurnBudget({ budgetMs: 20, now: () => now, defer: (fn) => deferred.push(fn) });
  assert.equal(b.spent, false);
  b.use();
  now += 19;
  assert.equal(b.spent, false);
  now += 1;
  assert.equal(b.spent, true);
  const ran: number[] = [];
  b.later(() => ran.push(1));
  assert.deepEqual(ran, []);
  assert.equal(deferred.length, 1, 'one turn boundary scheduled');
  deferred.shift()!();
  assert.deepEqual(ran, [1]);
  assert.equal(b.spent, false, 'a new turn has its own budget');
});
