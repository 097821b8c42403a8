// A settle delay in front of the reconcile queue. A key touched by an event is handed to the queue
// only after it has been quiet for `settleMs` (never later than `maxDelayMs` after its first touch),
// so a burst of changes around one network (its create, its policies, its neighbours' attachments)
// is reconciled once with the final picture instead of once per event. Keys touched with delay 0
// go to the queue at once. Paused until released (the transformer resumes it when its cache has
// synced, so no decision is taken on a partial view).

export interface SettleOptions {
  settleMs: number;
  maxDelayMs: number;
  release(key: string): void;
  now?: () => number;
}

interface Pending {
  due: number;
  first: number;
}

export class Settler {
  readonly #opts: SettleOptions;
  readonly #pending = new Map<string, Pending>();
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #timerDue = Number.POSITIVE_INFINITY;
  #paused = true;
  #stopped = false;

  constructor(opts: SettleOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? (() => performance.now());
  }

  get size(): number {
    return this.#pending.size;
  }

  touch(key: string, immediate = false): void {
    if (this.#stopped) return;
    const now = this.#now();
    const p = this.#pending.get(key);
    if (immediate || this.#opts.settleMs <= 0) {
      if (this.#paused) this.#pending.set(key, { due: now, first: p?.first ?? now });
      else {
        this.#pending.delete(key);
        this.#opts.release(key);
      }
      return;
    }
    if (p) p.due = Math.min(Math.max(p.due, now + this.#opts.settleMs), p.first + this.#opts.maxDelayMs);
    else this.#pending.set(key, { due: now + this.#opts.settleMs, first: now });
    this.#schedule(this.#pending.get(key)!.due);
  }

  resume(): void {
    this.#paused = false;
    this.#sweep();
  }

  stop(): void {
    this.#stopped = true;
    this.#pending.clear();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(due: number): void {
    if (this.#paused || due >= this.#timerDue) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerDue = due;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerDue = Number.POSITIVE_INFINITY;
      this.#sweep();
    }, Math.max(0, due - this.#now()));
  }

  #sweep(): void {
    if (this.#paused || this.#stopped) return;
    const now = this.#now();
    let next = Number.POSITIVE_INFINITY;
    const ready: string[] = [];
    for (const [key, p] of this.#pending) {
      if (p.due <= now + 1) ready.push(key);
      else next = Math.min(next, p.due);
    }
    for (const key of ready) {
      this.#pending.delete(key);
      this.#opts.release(key);
    }
    if (next !== Number.POSITIVE_INFINITY) this.#schedule(next);
  }
}
