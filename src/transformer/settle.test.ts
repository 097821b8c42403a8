import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Settler } from './settle.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a key touched repeatedly is released once; immediate keys go at once; nothing is released while paused', async () => {
  const released: string[] = [];
  const s = new Settler({ settleMs: 30, maxDelayMs: 10_000, release: (k) => released.push(k) });
  s.touch('vn:a');
  s.touch('alloc:a', true);
  await sleep(50);
  assert.deepEqual(released, [], 'paused');
  s.resume();
  assert.deepEqual(released.sort(), ['alloc:a', 'vn:a'], 'keys that came due while paused are released on resume');
  for (let i = 0; i < 5; i++) s.touch('vn:b');
  s.touch('rt:x', true);
  assert.deepEqual(released.slice(2), ['rt:x'], 'immediate key at once, settling key not yet');
  while (s.size > 0) await sleep(10);
  assert.deepEqual(released.slice(3), ['vn:b'], 'five touches, one release');
  s.stop();
});

test('a key that keeps being touched is released by its maximum delay', async () => {
  const released: string[] = [];
  const s = new Settler({ settleMs: 40, maxDelayMs: 60, release: (k) => released.push(k) });
  s.resume();
  const t0 = performance.now();
  while (released.length === 0) {
    s.touch('vn:busy');
    await sleep(5);
    if (performance.now() - t0 > 5000) break;
  }
  assert.deepEqual(released, ['vn:busy'], 'released although touched every 5 ms, less than the settle time');
  s.stop();
});
