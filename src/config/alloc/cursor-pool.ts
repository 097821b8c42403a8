// Allocation over an integer range with a cursor: lowest-free going up (VN ids, SG ids) or
// highest-free going down (addresses, top-down as the original's IPAM). Every value on the far
// side of the cursor is known to be taken, so allocation is O(1) amortised; freeing a value
// behind the cursor moves the cursor back to it.

export class CursorPool {
  #cursor: number;

  constructor(
    readonly lo: number,
    readonly hi: number,
    readonly dir: 'up' | 'down',
  ) {
    this.#cursor = dir === 'up' ? lo : hi;
  }

  /** The first value not `taken` in allocation order, or undefined when the range is full. */
  next(taken: (v: number) => boolean): number | undefined {
    if (this.dir === 'up') {
      let c = this.#cursor;
      while (c <= this.hi && taken(c)) c++;
      this.#cursor = c;
      return c <= this.hi ? c : undefined;
    }
    let c = this.#cursor;
    while (c >= this.lo && taken(c)) c--;
    this.#cursor = c;
    return c >= this.lo ? c : undefined;
  }

  freed(v: number): void {
    if (v < this.lo || v > this.hi) return;
    if (this.dir === 'up' ? v < this.#cursor : v > this.#cursor) this.#cursor = v;
  }
}
