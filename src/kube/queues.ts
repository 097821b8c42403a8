// Two keyed work queues behind one face: pods, namespaces, nodes and policies (what a pod waiting
// for its address depends on) get most workers; services and ingresses get a smaller share, so a
// burst of services cannot starve pod start-up of config API capacity. Each key lives in exactly
// one queue, so a key is still never reconciled twice at once.
import { ReconcileQueue } from '../common/reconcile-queue.js';

const SLOW_KINDS = new Set(['Service', 'Ingress']);

export interface QueueOptions {
  reconcile: (key: string) => Promise<void>;
  workers: number;
  onError: (key: string, err: unknown, attempt: number) => void;
}

export class KeyQueues {
  readonly fast: ReconcileQueue<string>;
  readonly slow: ReconcileQueue<string>;

  constructor(o: QueueOptions) {
    const base = { reconcile: o.reconcile, onError: o.onError, baseBackoffMs: 50, maxBackoffMs: 10_000 };
    const slow = Math.max(2, Math.floor(o.workers / 4));
    this.fast = new ReconcileQueue<string>({ ...base, concurrency: Math.max(1, o.workers - slow) });
    this.slow = new ReconcileQueue<string>({ ...base, concurrency: slow });
  }

  #of(key: string): ReconcileQueue<string> {
    return SLOW_KINDS.has(key.slice(0, key.indexOf('/'))) ? this.slow : this.fast;
  }

  enqueue(key: string): void {
    this.#of(key).enqueue(key);
  }

  get depth(): number {
    return this.fast.depth + this.slow.depth;
  }

  get processed(): number {
    return this.fast.processed + this.slow.processed;
  }

  get failed(): number {
    return this.fast.failed + this.slow.failed;
  }

  get lastErrors(): ReadonlyMap<string, string> {
    return new Map([...this.fast.lastErrors, ...this.slow.lastErrors]);
  }

  /** Resolves when both queues are empty at the same time. */
  async idle(): Promise<void> {
    for (;;) {
      await Promise.all([this.fast.idle(), this.slow.idle()]);
      if (this.depth === 0) return;
    }
  }

  stop(): void {
    this.fast.stop();
    this.slow.stop();
  }
}
