import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReconcileQueue } from './reconcile-queue.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('collapses duplicate enqueues of a waiting key', async () => {
  const seen: string[] = [];
  const q = new ReconcileQueue<string>({ concurrency: 1, reconcile: async (k) => void seen.push(k) });
  q.enqueue('x'); // starts at once and occupies the only worker
  q.enqueue('a');
  q.enqueue('b');
  q.enqueue('a');
  await q.idle();
  assert.deepEqual(seen, ['x', 'a', 'b']);
});

test('never runs one key twice at once, and reruns a key dirtied during its run', async () => {
  let active = 0;
  let maxActive = 0;
  let runs = 0;
  const gate = deferred();
  const q = new ReconcileQueue<string>({
    concurrency: 4,
    reconcile: async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs++;
      if (runs === 1) await gate.promise;
      active--;
    },
  });
  q.enqueue('k');
  await new Promise((r) => setImmediate(r));
  q.enqueue('k');
  q.enqueue('k');
  gate.resolve();
  await q.idle();
  assert.equal(maxActive, 1);
  assert.equal(runs, 2);
});

test('runs different keys in parallel up to the concurrency', async () => {
  let active = 0;
  let maxActive = 0;
  const q = new ReconcileQueue<number>({
    concurrency: 3,
    reconcile: async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setImmediate(r));
      active--;
    },
  });
  for (let i = 0; i < 10; i++) q.enqueue(i);
  await q.idle();
  assert.equal(maxActive, 3);
  assert.equal(q.processed, 10);
});

test('retries a failing key with exponential backoff and records the last error', async () => {
  const delays: number[] = [];
  const timers: (() => void)[] = [];
  let attempts = 0;
  const q = new ReconcileQueue<string>({
    baseBackoffMs: 10,
    reconcile: async () => {
      attempts++;
      if (attempts < 3) throw new Error(`boom ${attempts}`);
    },
    setTimer: (fn, ms) => {
      delays.push(ms);
      timers.push(fn);
      return timers.length;
    },
    clearTimer: () => {},
  });
  q.enqueue('x');
  await new Promise((r) => setImmediate(r));
  assert.equal(q.lastErrors.get('x'), 'boom 1');
  timers.shift()!();
  await new Promise((r) => setImmediate(r));
  timers.shift()!();
  await q.idle();
  assert.deepEqual(delays, [10, 20]);
  assert.equal(attempts, 3);
  assert.equal(q.lastErrors.has('x'), false);
});
