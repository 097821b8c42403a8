// Packs outgoing NLRI into UPDATE messages (RFC 4271 §4.3, RFC 4760): announcements sharing an encoded
// attribute group go into one message until it holds 4096 bytes; withdrawals go in the IPv4 withdrawn
// field or MP_UNREACH_NLRI. NLRI are copied in from the caller's scratch, so nothing is allocated per route.
import type { Family } from '../wire/constants.js';
import { MAX_MESSAGE_LEN } from '../wire/constants.js';
import { assembleUpdate, encodeEndOfRib, updateOverhead } from '../wire/update.js';

/** Encoded outgoing attributes shared by the announcements that carry them. */
export interface AttrGroup {
  /** Unique per session: what Adj-RIB-Out records. */
  readonly id: number;
  /** Path attributes without MP attributes (with NEXT_HOP for IPv4 unicast). */
  readonly attrs: Uint8Array;
  /** MP_REACH next-hop bytes (empty for IPv4 unicast). */
  readonly nextHop: Uint8Array;
}

interface Open {
  readonly buf: Uint8Array;
  len: number;
  readonly room: number;
  count: number;
}

export class UpdatePacker {
  readonly family: Family;
  readonly #mp: boolean;
  #open = new Map<AttrGroup | null, Open>();
  #spare: Uint8Array[] = [];
  /** Routes packed (announced, withdrawn) since the packer was made. */
  announced = 0;
  withdrawn = 0;

  constructor(family: Family) {
    this.family = family;
    this.#mp = family !== 'inet';
  }

  get empty(): boolean {
    return this.#open.size === 0;
  }

  /**
   * Adds one NLRI (src[off, off+len), wire form) under `group` (null: a withdrawal); a message that fills up
   * is appended to `out`.
   */
  add(group: AttrGroup | null, src: Uint8Array, off: number, len: number, out: Uint8Array[]): void {
    let o = this.#open.get(group);
    if (o && o.len + len > o.room) {
      out.push(this.#emit(group, o));
      this.#open.delete(group);
      o = undefined;
    }
    if (!o) {
      const overhead = group ? updateOverhead(group.attrs.length, group.nextHop.length, this.#mp) : updateOverhead(0, 0, this.#mp) - (this.#mp ? 2 : 0);
      o = { buf: this.#spare.pop() ?? new Uint8Array(MAX_MESSAGE_LEN), len: 0, room: MAX_MESSAGE_LEN - overhead, count: 0 };
      this.#open.set(group, o);
    }
    o.buf.set(src.subarray(off, off + len), o.len);
    o.len += len;
    o.count++;
  }

  /** Appends every partly filled message to `out`: withdrawals first. */
  finish(out: Uint8Array[]): void {
    const w = this.#open.get(null);
    if (w) out.push(this.#emit(null, w));
    for (const [g, o] of this.#open) if (g) out.push(this.#emit(g, o));
    this.#open.clear();
  }

  clear(): void {
    for (const o of this.#open.values()) this.#spare.push(o.buf);
    this.#open.clear();
  }

  endOfRib(): Uint8Array {
    return encodeEndOfRib(this.family);
  }

  #emit(group: AttrGroup | null, o: Open): Uint8Array {
    const nlri = o.buf.subarray(0, o.len);
    const f = this.family;
    let msg: Uint8Array;
    if (!group) {
      msg = this.#mp ? assembleUpdate({ mpUnreach: { family: f, nlri } }) : assembleUpdate({ withdrawn: nlri });
      this.withdrawn += o.count;
    } else {
      msg = this.#mp ? assembleUpdate({ attrs: group.attrs, mpReach: { family: f, nextHop: group.nextHop, nlri } }) : assembleUpdate({ attrs: group.attrs, nlri });
      this.announced += o.count;
    }
    if (this.#spare.length < 4) this.#spare.push(o.buf);
    return msg;
  }
}
