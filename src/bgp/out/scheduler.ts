// Cooperative scheduling of outgoing work. Building UPDATEs for many peers is the most expensive thing a
// route reflector does; done in one go after a big table change it holds the event loop for seconds, and
// keepalives and hold timers — which run on the same loop — miss their 1-second beat. Each job (a peer's
// export) does a bounded step per call; the scheduler runs steps round-robin for at most `sliceMs`, then
// yields with setImmediate, so timers and socket reads run between slices. One scheduler serves every
// speaker of the process (a process hosting many speakers still yields every slice).

export interface ExportJob {
  /** Does a bounded amount of work: 'more' when it has work left, 'idle' when done or waiting (blocked). */
  step(): 'more' | 'idle';
}

export interface SchedulerOptions {
  /** Longest run of steps before yielding to the event loop (ms, default 10). */
  readonly sliceMs?: number;
  readonly now?: () => number;
  /** How a slice is deferred to a later event-loop turn (default setImmediate). */
  readonly defer?: (fn: () => void) => void;
}

export class ExportScheduler {
  readonly #sliceMs: number;
  readonly #now: () => number;
  readonly #defer: (fn: () => void) => void;
  #queue: ExportJob[] = [];
  #queued = new Set<ExportJob>();
  #scheduled = false;
  /** Slices run so far (introspect, tests). */
  slices = 0;

  constructor(o: SchedulerOptions = {}) {
    this.#sliceMs = o.sliceMs ?? 10;
    this.#now = o.now ?? (() => performance.now());
    this.#defer = o.defer ?? ((fn) => setImmediate(fn));
  }

  /** Jobs waiting for a step. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Queues a job for steps until it reports 'idle' (waking a queued job again does nothing). */
  wake(job: ExportJob): void {
    if (this.#queued.has(job)) return;
    this.#queued.add(job);
    this.#queue.push(job);
    this.#schedule();
  }

  /** Forgets a job (its peer went away). */
  cancel(job: ExportJob): void {
    if (!this.#queued.delete(job)) return;
    const i = this.#queue.indexOf(job);
    if (i >= 0) this.#queue.splice(i, 1);
  }

  #schedule(): void {
    if (this.#scheduled || this.#queue.length === 0) return;
    this.#scheduled = true;
    this.#defer(() => this.#slice());
  }

  #slice(): void {
    this.#scheduled = false;
    this.slices++;
    const end = this.#now() + this.#sliceMs;
    // at least one step per slice, then round-robin until the slice is used up
    do {
      const job = this.#queue.shift();
      if (!job) break;
      let r: 'more' | 'idle';
      try {
        r = job.step();
      } catch (err) {
        this.#queued.delete(job);
        this.#schedule();
        throw err;
      }
      if (r === 'more' && this.#queued.has(job)) this.#queue.push(job);
      else this.#queued.delete(job);
    } while (this.#queue.length && this.#now() < end);
    this.#schedule();
  }
}

/** The process's scheduler, shared by every speaker that is not given its own. */
export const defaultScheduler = new ExportScheduler();
