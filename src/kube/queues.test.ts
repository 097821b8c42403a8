// KeyQueues: services yield to a backlog of pods (at most two run while pod keys wait for a
// worker), run with their full share once the backlog is gone, and never twice at once per key.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyQueues } from './queues.js';

/** A reconcile whose calls finish only when the test says so. */
function controlled() {
  const pending = new Map<string, () => void>();
  let services = 0;
  let peakServicesWhilePodsWaited = 0;
  const order: string[] = [];
  let queues!: KeyQueues;
  const reconcile = (key: string): Promise<void> => {
    order.push(key);
    if (key.startsWith('Service/')) {
      services++;
      if (queues.fast.waiting > 0) peakServicesWhilePodsWaited = Math.max(peakServicesWhilePodsWaited, services);
    }
    return new Promise<void>((resolve) =>
      pending.set(key, () => {
        if (key.startsWith('Service/')) services--;
        pending.delete(key);
        resolve();
      }),
    );
  };
  return {
    pending,
    order,
    get peak() {
      return peakServicesWhilePodsWaited;
    },
    make(workers: number): KeyQueues {
      queues = new KeyQueues({ reconcile, workers, onError: () => undefined });
      return queues;
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

test('while pod keys wait for a worker, at most two services run; then services get their share', async () => {
  const c = controlled();
  const q16 = c.make(16); // 12 pod-side workers, 4 service workers
  for (let i = 0; i < 30; i++) q16.enqueue(`Pod/ns/p${i}`);
  for (let i = 0; i < 6; i++) q16.enqueue(`Service/ns/s${i}`);
  await tick();
  const running = () => [...c.pending.keys()];
  assert.equal(running().filter((k) => k.startsWith('Pod/')).length, 12);
  assert.equal(running().filter((k) => k.startsWith('Service/')).length, 2, 'services held back while pods wait');
  // Finish pods until none waits: services then fill their share of 4 workers.
  while (q16.fast.waiting > 0) {
    const pod = running().find((k) => k.startsWith('Pod/'))!;
    c.pending.get(pod)!();
    await tick();
    assert.ok(running().filter((k) => k.startsWith('Service/')).length <= (q16.fast.waiting > 0 ? 2 : 4));
  }
  await tick();
  assert.equal(running().filter((k) => k.startsWith('Service/')).length, 4, 'full share once the pod backlog is gone');
  assert.equal(c.peak, 2);
  for (;;) {
    const k = running()[0];
    if (!k) break;
    c.pending.get(k)!();
    await tick();
  }
  await q16.idle();
  assert.deepEqual(new Set(c.order), new Set([...Array.from({ length: 30 }, (_, i) => `Pod/ns/p${i}`), ...Array.from({ length: 6 }, (_, i) => `Service/ns/s${i}`)]));
  assert.equal(c.order.length, 36, 'every key once');
});

test('stop() releases services waiting for admission', async () => {
  const c = controlled();
  const q = c.make(8);
  for (let i = 0; i < 20; i++) q.enqueue(`Pod/ns/p${i}`);
  for (let i = 0; i < 2; i++) q.enqueue(`Service/ns/s${i}`);
  q.enqueue('Ingress/ns/i');
  await tick();
  assert.equal([...c.pending.keys()].filter((k) => !k.startsWith('Pod/')).length, 2);
  q.stop();
  for (const done of [...c.pending.values()]) done();
  await q.idle();
  assert.ok(!c.order.includes('Ingress/ns/i'), 'the held-back ingress never ran');
});
