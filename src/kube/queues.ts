// Two keyed work queues behind one face: pods, namespaces, nodes and policies (what a pod waiting
// for its address depends on) get most workers; services and ingresses get a smaller share, so a
// burst of services cannot starve pod start-up of config API capacity. While pod-side keys are
// waiting for a worker, at most SLOW_WHILE_BUSY services run at once (the rest of their share waits
// for admission): a service's writes compete with the backlog of pods for the config API and only
// gain members as those pods get their interfaces. Nothing on the pod side waits for a service, so
// services still progress, just behind the burst. Each key lives in exactly one queue, so a key is
// still never reconciled twice at once.
import { ReconcileQueue } from '../common/reconcile-queue.js';

const SLOW_KINDS = new Set(['Service', 'Ingress']);
/** Service/ingress reconciles admitted at once while pod-side keys wait for a worker. */
const SLOW_WHILE_BUSY = 2;

export interface QueueOptions {
  reconcile: (key: string) => Promise<void>;
  workers: number;
  onError: (key: string, err: unknown, attempt: number) => void;
}

export class KeyQueues {
  readonly fast: ReconcileQueue<string>;
  readonly slow: ReconcileQueue<string>;

  /** slow-queue reconciles admitted and running */
  #slowActive = 0;
  readonly #admissions: { admit: () => void; cancel: (err: Error) => void }[] = [];

  constructor(o: QueueOptions) {
    const base = { onError: o.onError, baseBackoffMs: 50, maxBackoffMs: 10_000 };
    const slow = Math.max(2, Math.floor(o.workers / 4));
    this.fast = new ReconcileQueue<string>({
      ...base,
      concurrency: Math.max(1, o.workers - slow),
      reconcile: async (key) => {
        try {
          await o.reconcile(key);
        } finally {
          // After the queue has started its next key: the backlog may be gone by then.
          if (this.#admissions.length > 0) setImmediate(() => this.#admit());
        }
      },
    });
    this.slow = new ReconcileQueue<string>({
      ...base,
      concurrency: slow,
      reconcile: async (key) => {
        if (this.#mayRunSlow()) this.#slowActive++;
        else await new Promise<void>((admit, cancel) => this.#admissions.push({ admit, cancel })); // #admit counts it in
        try {
          await o.reconcile(key);
        } finally {
          this.#slowActive--;
          this.#admit();
        }
      },
    });
  }

  #mayRunSlow(): boolean {
    return this.fast.waiting === 0 || this.#slowActive < SLOW_WHILE_BUSY;
  }

  /** Lets waiting service/ingress reconciles run as far as the pod side allows. */
  #admit(): void {
    while (this.#admissions.length > 0 && this.#mayRunSlow()) {
      this.#slowActive++;
      this.#admissions.shift()!.admit();
    }
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
    for (const a of this.#admissions.splice(0)) a.cancel(new Error('kube-manager is stopping'));
  }
}
