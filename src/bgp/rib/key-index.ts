// An open-addressing hash index from byte-string route keys to dense integer ids. Keys live in one byte
// arena with a fixed slot size per table (the family's longest key), so a million VPN routes cost about
// 26 bytes each here instead of a Map entry plus a string per route. Linear probing with backward-shift
// deletion: no tombstones, lookups stay short. Each key's hash is kept (4 bytes) so that probes reject
// other keys without comparing bytes (VPN keys share their leading RD bytes) and growth does not rehash.

import { grow } from './growable.js';

const EMPTY = 0;

function hashBytes(k: Uint8Array, off: number, len: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < len; i++) h = Math.imul(h ^ k[off + i], 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

export class KeyIndex {
  readonly stride: number;
  #slots: Int32Array; // id + 1, or EMPTY
  #mask: number;
  #keys = new Uint8Array(0);
  #lens = new Uint8Array(0); // 0 marks a free id (keys are never empty)
  #hashes = new Uint32Array(0);
  #cap = 0; // ids allocated in the arrays
  #top = 0; // ids ever handed out
  #free: number[] = [];
  #size = 0;

  constructor(stride: number, initial = 256) {
    this.stride = stride;
    const cap = Math.max(16, initial);
    this.#alloc(cap);
    this.#slots = new Int32Array(cap * 2);
    this.#mask = cap * 2 - 1;
  }

  #alloc(cap: number): void {
    this.#keys = grow(this.#keys, cap * this.stride, (n) => new Uint8Array(n));
    this.#lens = grow(this.#lens, cap, (n) => new Uint8Array(n));
    this.#hashes = grow(this.#hashes, cap, (n) => new Uint32Array(n));
    this.#cap = cap;
  }

  get size(): number {
    return this.#size;
  }

  /** One past the largest id ever used: iterate ids below it and test isLive. */
  get idLimit(): number {
    return this.#top;
  }

  isLive(id: number): boolean {
    return id < this.#top && this.#lens[id] !== 0;
  }

  /** The bytes of a live key (a view into the arena: copy it to keep it). */
  key(id: number): Uint8Array {
    const o = id * this.stride;
    return this.#keys.subarray(o, o + this.#lens[id]);
  }

  keyLength(id: number): number {
    return this.#lens[id];
  }

  /** The arena; with keyOffset(id) and keyLength(id), reads a key without creating a view. */
  get arena(): Uint8Array {
    return this.#keys;
  }

  keyOffset(id: number): number {
    return id * this.stride;
  }

  #hashOf(id: number): number {
    return this.#hashes[id];
  }

  #equals(id: number, k: Uint8Array, off: number, len: number): boolean {
    if (this.#lens[id] !== len) return false;
    const a = this.#keys;
    const o = id * this.stride;
    for (let i = 0; i < len; i++) if (a[o + i] !== k[off + i]) return false;
    return true;
  }

  find(k: Uint8Array, off: number, len: number): number {
    const h = hashBytes(k, off, len);
    const slots = this.#slots;
    const mask = this.#mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const s = slots[i];
      if (s === EMPTY) return -1;
      const id = s - 1;
      if (this.#hashes[id] === h && this.#equals(id, k, off, len)) return id;
    }
  }

  /** The id of the key, added when absent. `added` tells which happened. */
  intern(k: Uint8Array, off: number, len: number): number {
    if (len === 0 || len > this.stride) throw new RangeError(`route key of ${len} bytes does not fit slots of ${this.stride}`);
    const h = hashBytes(k, off, len);
    let slots = this.#slots;
    let mask = this.#mask;
    let i = h & mask;
    for (; ; i = (i + 1) & mask) {
      const s = slots[i];
      if (s === EMPTY) break;
      const id = s - 1;
      if (this.#hashes[id] === h && this.#equals(id, k, off, len)) {
        this.added = false;
        return id;
      }
    }
    this.added = true;
    let id: number;
    if (this.#free.length) id = this.#free.pop()!;
    else {
      if (this.#top === this.#cap) this.#alloc(this.#cap * 2);
      id = this.#top++;
    }
    const o = id * this.stride;
    for (let j = 0; j < len; j++) this.#keys[o + j] = k[off + j];
    this.#lens[id] = len;
    this.#hashes[id] = h;
    this.#size++;
    if (this.#size * 2 > slots.length) {
      this.#rehash(slots.length * 2);
      slots = this.#slots;
      mask = this.#mask;
      for (i = h & mask; slots[i] !== EMPTY; i = (i + 1) & mask);
    }
    slots[i] = id + 1;
    return id;
  }

  /** Set by intern(): whether the last call added the key. */
  added = false;

  remove(id: number): void {
    if (!this.isLive(id)) return;
    const slots = this.#slots;
    const mask = this.#mask;
    let i = this.#hashOf(id) & mask;
    while (slots[i] !== id + 1) i = (i + 1) & mask;
    // backward-shift deletion
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const s = slots[j];
      if (s === EMPTY) break;
      const home = this.#hashOf(s - 1) & mask;
      // move s back to i when its home position is not cyclically within (i, j]
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        slots[i] = s;
        i = j;
      }
    }
    slots[i] = EMPTY;
    this.#lens[id] = 0;
    this.#free.push(id);
    this.#size--;
  }

  #rehash(n: number): void {
    const slots = new Int32Array(n);
    const mask = n - 1;
    for (let id = 0; id < this.#top; id++) {
      if (this.#lens[id] === 0) continue;
      let i = this.#hashOf(id) & mask;
      while (slots[i] !== EMPTY) i = (i + 1) & mask;
      slots[i] = id + 1;
    }
    this.#slots = slots;
    this.#mask = mask;
  }

  /** Bytes held by the index's arrays (for introspect and the benchmark). */
  get byteSize(): number {
    return this.#slots.byteLength + this.#keys.byteLength + this.#lens.byteLength + this.#hashes.byteLength;
  }
}
