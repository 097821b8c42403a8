// A growable set of small non-negative integers (destination ids), one bit each.

export class Bitmap {
  #words = new Uint32Array(0);
  #count = 0;

  get size(): number {
    return this.#count;
  }

  has(i: number): boolean {
    const w = i >>> 5;
    return w < this.#words.length && (this.#words[w] & (1 << (i & 31))) !== 0;
  }

  /** Adds i; false when it was there already. */
  set(i: number): boolean {
    const w = i >>> 5;
    if (w >= this.#words.length) {
      const next = new Uint32Array(Math.max(w + 1, this.#words.length * 2, 8));
      next.set(this.#words);
      this.#words = next;
    }
    const m = 1 << (i & 31);
    if (this.#words[w] & m) return false;
    this.#words[w] |= m;
    this.#count++;
    return true;
  }

  /** Removes i; false when it was not there. */
  clear(i: number): boolean {
    const w = i >>> 5;
    if (w >= this.#words.length) return false;
    const m = 1 << (i & 31);
    if ((this.#words[w] & m) === 0) return false;
    this.#words[w] &= ~m;
    this.#count--;
    return true;
  }

  reset(): void {
    if (this.#count === 0) return;
    this.#words = new Uint32Array(0);
    this.#count = 0;
  }

  get byteSize(): number {
    return this.#words.byteLength;
  }
}
