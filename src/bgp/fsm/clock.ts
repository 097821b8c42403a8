// Time for the session layer, injected so that tests drive timers without real waits.

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds (monotonic for the system clock). */
  now(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  /** Runs fn after pending input has been read (the system clock: setImmediate); absent: at once. */
  defer?(fn: () => void): void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  defer: (fn) => void setImmediate(fn),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};

/** A clock that moves only when told to: advance(ms) fires every timer due, in order. */
export class FakeClock implements Clock {
  #now = 0;
  #seq = 0;
  #timers = new Map<number, { at: number; seq: number; fn: () => void }>();
  #deferred: (() => void)[] = [];
  readonly defer: ((fn: () => void) => void) | undefined;

  /** manualDefer: defer() queues until runDeferred() (to model input read after a timer fired). */
  constructor(o: { manualDefer?: boolean } = {}) {
    this.defer = o.manualDefer ? (fn) => void this.#deferred.push(fn) : undefined;
  }

  /** Runs what defer() queued. */
  runDeferred(): void {
    for (const fn of this.#deferred.splice(0)) fn();
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), seq: id, fn });
    return { cancel: () => this.#timers.delete(id) };
  }

  /** Moves time forward, firing timers (including ones they set) whose time comes within the step. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let next: { id: number; at: number; seq: number } | undefined;
      for (const [id, t] of this.#timers) if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = { id, at: t.at, seq: t.seq };
      if (!next) break;
      const t = this.#timers.get(next.id)!;
      this.#timers.delete(next.id);
      this.#now = Math.max(this.#now, t.at);
      t.fn();
    }
    this.#now = end;
  }

  get pending(): number {
    return this.#timers.size;
  }
}
