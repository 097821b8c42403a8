// Adj-RIB-Out of one peer and family (RFC 4271 §3.2): for each destination advertised to the peer, which
// encoded attribute group and label went out, so that a later look at the destination sends only a
// difference. Keyed by the table's destination id, which stays the same while the destination has paths
// (the peer withdraws a destination before the table frees its id). Compact: a membership bitmap for the
// fast "was it sent?" test and an open-addressing table of (id, group, label), filled up to 80% — 15 to
// 30 bytes per route advertised, no object per route. The NLRI as sent is kept only when the key alone does not rebuild it
// (EVPN, label stacks).

import { Bitmap } from './bitmap.js';

const EMPTY = 0;

function slotOf(id: number, mask: number): number {
  return Math.imul(id + 1, 0x9e3779b1) >>> 0 & mask;
}

export class AdjRibOut {
  readonly #bits = new Bitmap();
  #ids = new Int32Array(16); // id + 1, or EMPTY
  #groups = new Int32Array(16);
  #labels = new Int32Array(16);
  #mask = 15;
  #special = new Map<number, Uint8Array>();

  get size(): number {
    return this.#bits.size;
  }

  has(id: number): boolean {
    return this.#bits.has(id);
  }

  #find(id: number): number {
    const ids = this.#ids;
    const mask = this.#mask;
    for (let i = slotOf(id, mask); ; i = (i + 1) & mask) {
      const v = ids[i];
      if (v === EMPTY) return -1;
      if (v === id + 1) return i;
    }
  }

  /** The attribute group id sent for id, or -1. */
  group(id: number): number {
    if (!this.#bits.has(id)) return -1;
    return this.#groups[this.#find(id)];
  }

  label(id: number): number {
    if (!this.#bits.has(id)) return -1;
    return this.#labels[this.#find(id)];
  }

  /** The NLRI as sent, when it was recorded (EVPN, label stacks). */
  special(id: number): Uint8Array | undefined {
    return this.#special.get(id);
  }

  /** Is (group, label, special) what was sent for id? */
  same(id: number, group: number, label: number, special: Uint8Array | null): boolean {
    if (!this.#bits.has(id)) return false;
    const i = this.#find(id);
    if (this.#groups[i] !== group || this.#labels[i] !== label) return false;
    const s = this.#special.get(id);
    if (!special) return s === undefined;
    if (!s || s.length !== special.length) return false;
    for (let k = 0; k < s.length; k++) if (s[k] !== special[k]) return false;
    return true;
  }

  set(id: number, group: number, label: number, special: Uint8Array | null): void {
    if (special) this.#special.set(id, special);
    else this.#special.delete(id);
    if (this.#bits.has(id)) {
      const i = this.#find(id);
      this.#groups[i] = group;
      this.#labels[i] = label;
      return;
    }
    this.#bits.set(id);
    if (this.#bits.size * 5 > this.#ids.length * 4) this.#rehash(this.#ids.length * 2);
    const mask = this.#mask;
    let i = slotOf(id, mask);
    while (this.#ids[i] !== EMPTY) i = (i + 1) & mask;
    this.#ids[i] = id + 1;
    this.#groups[i] = group;
    this.#labels[i] = label;
  }

  delete(id: number): boolean {
    if (!this.#bits.clear(id)) return false;
    this.#special.delete(id);
    const ids = this.#ids;
    const mask = this.#mask;
    let i = this.#find(id);
    // backward-shift deletion: no tombstones
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const v = ids[j];
      if (v === EMPTY) break;
      const home = slotOf(v - 1, mask);
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        ids[i] = v;
        this.#groups[i] = this.#groups[j];
        this.#labels[i] = this.#labels[j];
        i = j;
      }
    }
    ids[i] = EMPTY;
    return true;
  }

  clear(): void {
    this.#bits.reset();
    this.#ids = new Int32Array(16);
    this.#groups = new Int32Array(16);
    this.#labels = new Int32Array(16);
    this.#mask = 15;
    this.#special.clear();
  }

  /** Ids held (any order). */
  *ids(): IterableIterator<number> {
    for (let i = 0; i < this.#ids.length; i++) if (this.#ids[i] !== EMPTY) yield this.#ids[i] - 1;
  }

  /** Bytes held by the arrays (for the benchmark's accounting). */
  get byteSize(): number {
    return this.#bits.byteSize + this.#ids.byteLength + this.#groups.byteLength + this.#labels.byteLength;
  }

  #rehash(n: number): void {
    const { length } = this.#ids;
    const [ids, groups, labels] = [this.#ids, this.#groups, this.#labels];
    this.#ids = new Int32Array(n);
    this.#groups = new Int32Array(n);
    this.#labels = new Int32Array(n);
    this.#mask = n - 1;
    for (let k = 0; k < length; k++) {
      const v = ids[k];
      if (v === EMPTY) continue;
      let i = slotOf(v - 1, this.#mask);
      while (this.#ids[i] !== EMPTY) i = (i + 1) & this.#mask;
      this.#ids[i] = v;
      this.#groups[i] = groups[k];
      this.#labels[i] = labels[k];
    }
  }
}
