// How much of one event-loop turn received messages may take. A speaker with many peers can receive a
// burst of UPDATEs on every connection at once; handled as they arrive, the poll phase runs them all
// back to back — seconds of table work — while keepalive and hold timers wait. Sessions share a budget
// per turn: once a turn has spent `budgetMs` on input (counted from the first input of the turn, so the
// table and export work the input triggers is included), further chunks are queued and handled in later
// turns; a connection with a long queue stops reading (TCP flow control slows the sender). One budget
// serves every session of the process.

export interface TurnBudgetOptions {
  /** Milliseconds of input handling per event-loop turn (default 20). */
  readonly budgetMs?: number;
  readonly now?: () => number;
  /** How work is deferred to a later turn (default setImmediate). */
  readonly defer?: (fn: () => void) => void;
}

export class TurnBudget {
  readonly #budgetMs: number;
  readonly #now: () => number;
  readonly #defer: (fn: () => void) => void;
  #turnStart = -1;
  #waiters: (() => void)[] = [];
  #turnScheduled = false;

  constructor(o: TurnBudgetOptions = {}) {
    this.#budgetMs = o.budgetMs ?? 20;
    this.#now = o.now ?? (() => performance.now());
    this.#defer = o.defer ?? ((fn) => setImmediate(fn));
  }

  /** Has this turn used up its input budget? */
  get spent(): boolean {
    return this.#turnStart >= 0 && this.#now() - this.#turnStart >= this.#budgetMs;
  }

  /** Records that input is being handled in this turn (starts the turn's clock). */
  use(): void {
    if (this.#turnStart < 0) {
      this.#turnStart = this.#now();
      this.#schedule();
    }
  }

  /** Calls fn in a later turn (fn checks `spent` itself and calls later() again when it must). */
  later(fn: () => void): void {
    this.#waiters.push(fn);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#turnScheduled) return;
    this.#turnScheduled = true;
    this.#defer(() => this.#nextTurn());
  }

  #nextTurn(): void {
    this.#turnScheduled = false;
    this.#turnStart = -1;
    const ws = this.#waiters;
    this.#waiters = [];
    for (const w of ws) w();
  }
}

/** The process's input budget, shared by every session that is not given its own. */
export const defaultTurnBudget = new TurnBudget();
