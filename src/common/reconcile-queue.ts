// A keyed work queue for level-triggered reconcilers (controller-runtime's workqueue, in small):
// event handlers only enqueue keys; keys run in parallel up to `concurrency`, a key never runs twice
// at once (an enqueue during a run marks it dirty and it runs once more afterwards), duplicate
// enqueues of a waiting key collapse into one, and a failing key is retried with per-key exponential
// backoff. `reconcile` must be idempotent.

export interface ReconcileQueueOptions<K> {
  reconcile: (key: K) => Promise<void>;
  concurrency?: number;
  /** first retry delay; doubles per consecutive failure up to maxBackoffMs */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  onError?: (key: K, err: unknown, attempt: number) => void;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export class ReconcileQueue<K> {
  readonly #opts: Required<Omit<ReconcileQueueOptions<K>, 'onError'>> & Pick<ReconcileQueueOptions<K>, 'onError'>;
  readonly #waiting = new Set<K>();
  readonly #order: K[] = [];
  readonly #running = new Set<K>();
  readonly #dirty = new Set<K>();
  readonly #failures = new Map<K, number>();
  readonly #timers = new Map<K, unknown>();
  readonly #lastError = new Map<K, string>();
  #idleWaiters: (() => void)[] = [];
  #stopped = false;
  processed = 0;
  failed = 0;

  constructor(opts: ReconcileQueueOptions<K>) {
    this.#opts = {
      concurrency: 4,
      baseBackoffMs: 100,
      maxBackoffMs: 30_000,
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
      ...opts,
    };
  }

  /** Number of keys waiting or running (introspect "queue depth"). */
  get depth(): number {
    return this.#waiting.size + this.#running.size + this.#timers.size;
  }

  /** Keys waiting for a worker (not running, not backing off). */
  get waiting(): number {
    return this.#waiting.size;
  }

  get lastErrors(): ReadonlyMap<K, string> {
    return this.#lastError;
  }

  enqueue(key: K): void {
    if (this.#stopped) return;
    if (this.#running.has(key)) {
      this.#dirty.add(key);
      return;
    }
    const t = this.#timers.get(key);
    if (t !== undefined) {
      // An explicit event supersedes a pending backoff retry.
      this.#opts.clearTimer(t);
      this.#timers.delete(key);
    }
    if (this.#waiting.has(key)) return;
    this.#waiting.add(key);
    this.#order.push(key);
    this.#pump();
  }

  /** Resolves when nothing is waiting, running or scheduled for retry. */
  idle(): Promise<void> {
    if (this.depth === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers.values()) this.#opts.clearTimer(t);
    this.#timers.clear();
    this.#waiting.clear();
    this.#order.length = 0;
    this.#checkIdle();
  }

  #pump(): void {
    while (!this.#stopped && this.#running.size < this.#opts.concurrency && this.#order.length > 0) {
      const key = this.#order.shift() as K;
      if (!this.#waiting.delete(key)) continue;
      this.#running.add(key);
      void this.#run(key);
    }
    this.#checkIdle();
  }

  async #run(key: K): Promise<void> {
    let failedNow = false;
    try {
      await this.#opts.reconcile(key);
      this.#failures.delete(key);
      this.#lastError.delete(key);
      this.processed++;
    } catch (err) {
      failedNow = true;
      this.failed++;
      const attempt = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, attempt);
      this.#lastError.set(key, err instanceof Error ? err.message : String(err));
      this.#opts.onError?.(key, err, attempt);
    } finally {
      this.#running.delete(key);
    }
    if (this.#stopped) return this.#checkIdle();
    if (this.#dirty.delete(key)) {
      this.enqueue(key);
    } else if (failedNow) {
      const attempt = this.#failures.get(key) ?? 1;
      const delay = Math.min(this.#opts.maxBackoffMs, this.#opts.baseBackoffMs * 2 ** (attempt - 1));
      const handle = this.#opts.setTimer(() => {
        this.#timers.delete(key);
        this.enqueue(key);
      }, delay);
      this.#timers.set(key, handle);
    }
    this.#pump();
  }

  #checkIdle(): void {
    if (this.depth === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
