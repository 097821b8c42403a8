// Route-target membership of one peer (RFC 4684 §4-§5): the RTC routes it advertised, and whether a VPN
// route with a given set of route targets is wanted by it. The default RTC route (length 0) wants every
// route; a route with length 32..96 wants route targets whose leading (length - 32) bits match. Origin AS
// is not part of the match (as gobgpd and the original control node do).
import { Buffer } from 'node:buffer';

export class RtMembership {
  #exact = new Map<string, number>();
  #partial = new Map<string, { bits: number; bytes: Uint8Array; count: number }>();
  #defaults = 0;
  #size = 0;

  /** Adds one RTC route key (wire form: [length, origin AS(4), route target prefix]). */
  add(key: Uint8Array): void {
    this.#size++;
    const len = key[0];
    if (len <= 32) {
      this.#defaults++;
      return;
    }
    if (len === 96) {
      const rt = Buffer.from(key.subarray(5, 13)).toString('latin1');
      this.#exact.set(rt, (this.#exact.get(rt) ?? 0) + 1);
      return;
    }
    const k = Buffer.from(key).toString('latin1');
    const cur = this.#partial.get(k);
    if (cur) cur.count++;
    else this.#partial.set(k, { bits: len - 32, bytes: key.slice(5), count: 1 });
  }

  remove(key: Uint8Array): void {
    const len = key[0];
    if (len <= 32) {
      if (this.#defaults > 0) {
        this.#defaults--;
        this.#size--;
      }
      return;
    }
    if (len === 96) {
      const rt = Buffer.from(key.subarray(5, 13)).toString('latin1');
      const n = this.#exact.get(rt);
      if (n === undefined) return;
      if (n > 1) this.#exact.set(rt, n - 1);
      else this.#exact.delete(rt);
      this.#size--;
      return;
    }
    const k = Buffer.from(key).toString('latin1');
    const cur = this.#partial.get(k);
    if (!cur) return;
    if (--cur.count === 0) this.#partial.delete(k);
    this.#size--;
  }

  /** Number of RTC routes held. */
  get size(): number {
    return this.#size;
  }

  get wantsAll(): boolean {
    return this.#defaults > 0;
  }

  /** Does the peer want a route carrying these route targets (8-byte binary strings)? */
  wants(routeTargets: readonly string[]): boolean {
    if (this.#defaults > 0) return true;
    for (const rt of routeTargets) {
      if (this.#exact.has(rt)) return true;
      for (const p of this.#partial.values()) if (prefixMatch(rt, p.bytes, p.bits)) return true;
    }
    return false;
  }

  clone(): RtMembership {
    const c = new RtMembership();
    c.#exact = new Map(this.#exact);
    c.#partial = new Map([...this.#partial].map(([k, v]) => [k, { ...v }]));
    c.#defaults = this.#defaults;
    c.#size = this.#size;
    return c;
  }
}

function prefixMatch(rt: string, prefix: Uint8Array, bits: number): boolean {
  for (let i = 0; i < bits; i += 8) {
    const n = Math.min(8, bits - i);
    const mask = (0xff << (8 - n)) & 0xff;
    if ((rt.charCodeAt(i >> 3) & mask) !== (prefix[i >> 3] & mask)) return false;
  }
  return true;
}
