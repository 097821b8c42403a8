// A set of destination ids waiting to be looked at again, in arrival order, each id at most once: a bitmap
// for membership and a ring of ids. A peer keeps one per family for the destinations whose advertisement
// may have to change (the export is level-triggered: what to send is read from the table when the id is
// taken, not when it was queued). Memory: one bit per destination id plus four bytes per queued id.

import { Bitmap } from './bitmap.js';

export class IdQueue {
  readonly #bits = new Bitmap();
  #ring = new Int32Array(64);
  #head = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  has(id: number): boolean {
    return this.#bits.has(id);
  }

  /** Queues id unless it is already queued. */
  add(id: number): void {
    if (this.#bits.has(id)) return;
    this.#bits.set(id);
    if (this.#size === this.#ring.length) this.#grow();
    this.#ring[(this.#head + this.#size) & (this.#ring.length - 1)] = id;
    this.#size++;
  }

  /** The oldest queued id (removed from the queue), or -1 when empty. */
  take(): number {
    if (this.#size === 0) return -1;
    const id = this.#ring[this.#head];
    this.#head = (this.#head + 1) & (this.#ring.length - 1);
    this.#size--;
    this.#bits.clear(id);
    if (this.#size === 0 && this.#ring.length > 4096) {
      // a burst is over: give its memory back
      this.#ring = new Int32Array(64);
      this.#head = 0;
    }
    return id;
  }

  clear(): void {
    this.#bits.reset();
    this.#head = 0;
    this.#size = 0;
    if (this.#ring.length > 4096) this.#ring = new Int32Array(64);
  }

  #grow(): void {
    const n = this.#ring.length;
    const next = new Int32Array(n * 2);
    for (let i = 0; i < this.#size; i++) next[i] = this.#ring[(this.#head + i) & (n - 1)];
    this.#ring = next;
    this.#head = 0;
  }
}
