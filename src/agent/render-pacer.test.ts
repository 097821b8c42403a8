import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderDelay } from './render-pacer.js';

const o = { quietMs: 150, maxDelayMs: 3000 };

test('nothing dirty: no render; no CNI activity: render now', () => {
  assert.equal(renderDelay(1000, { cniInFlight: 0, lastCniAt: undefined, dirtySince: undefined }, o), undefined);
  assert.equal(renderDelay(1000, { cniInFlight: 0, lastCniAt: undefined, dirtySince: 990 }, o), 0);
  assert.equal(renderDelay(1000, { cniInFlight: 0, lastCniAt: 800, dirtySince: 990 }, o), 0, 'CNI quiet for 200 ms');
});

test('CNI busy or recent: wait for quiet, bounded by the deadline of the oldest change', () => {
  assert.equal(renderDelay(1000, { cniInFlight: 0, lastCniAt: 950, dirtySince: 990 }, o), 100);
  assert.equal(renderDelay(1000, { cniInFlight: 1, lastCniAt: 950, dirtySince: 990 }, o), 150);
  assert.equal(renderDelay(3900, { cniInFlight: 1, lastCniAt: 3890, dirtySince: 1000 }, o), 100, 'deadline at 4000');
  assert.equal(renderDelay(4000, { cniInFlight: 1, lastCniAt: 3999, dirtySince: 1000 }, o), 0, 'overdue: render even during a burst');
});

test('changes CNI already applied wait for quiet, bounded by the relaxed deadline; an urgent one brings it forward', () => {
  const r = { ...o, relaxedMaxDelayMs: 30_000 };
  assert.equal(renderDelay(1000, { cniInFlight: 0, lastCniAt: 800, dirtySince: undefined, relaxedSince: 990 }, r), 0, 'quiet: now');
  assert.equal(renderDelay(5000, { cniInFlight: 1, lastCniAt: 4990, dirtySince: undefined, relaxedSince: 1000 }, r), 150, 'a burst past 3 s: still waiting');
  assert.equal(renderDelay(31_000, { cniInFlight: 1, lastCniAt: 30_990, dirtySince: undefined, relaxedSince: 1000 }, r), 0, 'relaxed deadline');
  assert.equal(renderDelay(5000, { cniInFlight: 1, lastCniAt: 4990, dirtySince: 2000, relaxedSince: 1000 }, r), 0, 'an urgent change 3 s old');
});
