// Outgoing routes of one peer, packed into UPDATE messages (≤ 4096 bytes): pending changes are coalesced
// per destination (the last one wins), announcements are grouped by their encoded attributes, withdrawals
// go in the IPv4 withdrawn field or MP_UNREACH_NLRI, and an End-of-RIB marker follows a family's backlog.
import type { Family } from './wire/constants.js';
import { MAX_MESSAGE_LEN } from './wire/constants.js';
import { assembleUpdate, encodeEndOfRib, updateOverhead } from './wire/update.js';

/** Encoded outgoing attributes shared by the announcements that carry them. */
export interface AttrGroup {
  /** Path attributes without MP attributes (with NEXT_HOP for IPv4 unicast). */
  readonly attrs: Uint8Array;
  /** MP_REACH next-hop bytes (empty for IPv4 unicast). */
  readonly nextHop: Uint8Array;
}

interface Pending {
  readonly group: AttrGroup | null; // null: withdraw
  readonly nlri: Uint8Array;
}

class FamilyQueue {
  pending = new Map<string, Pending>();
  eor = false;
}

export class OutQueue {
  #q = new Map<Family, FamilyQueue>();
  #order: Family[] = [];

  #fam(f: Family): FamilyQueue {
    let q = this.#q.get(f);
    if (!q) {
      q = new FamilyQueue();
      this.#q.set(f, q);
      this.#order.push(f);
    }
    return q;
  }

  /** Queues an announcement; nlri is the NLRI's wire form with its label. */
  announce(f: Family, key: string, nlri: Uint8Array, group: AttrGroup): void {
    const q = this.#fam(f);
    q.pending.delete(key); // re-insert: the newest change goes last
    q.pending.set(key, { group, nlri });
  }

  /** Queues a withdrawal; nlri is the wire form used in a withdrawal. */
  withdraw(f: Family, key: string, nlri: Uint8Array): void {
    const q = this.#fam(f);
    q.pending.delete(key);
    q.pending.set(key, { group: null, nlri });
  }

  /** Sends End-of-RIB for the family after what is queued for it now. */
  endOfRib(f: Family): void {
    this.#fam(f).eor = true;
  }

  get empty(): boolean {
    for (const q of this.#q.values()) if (q.pending.size || q.eor) return false;
    return true;
  }

  get size(): number {
    let n = 0;
    for (const q of this.#q.values()) n += q.pending.size;
    return n;
  }

  clear(): void {
    this.#q.clear();
    this.#order = [];
  }

  /**
   * Builds messages and hands them to `write` until everything is sent or write returns false (then call
   * again after drain). Returns true when the queue is empty. Counts: announced/withdrawn per family.
   */
  drain(write: (msg: Uint8Array) => boolean, sent?: (f: Family, announced: number, withdrawn: number) => void): boolean {
    for (const f of this.#order) {
      const q = this.#q.get(f)!;
      while (q.pending.size) {
        const batch = this.#next(f, q);
        sent?.(f, batch.announced, batch.withdrawn);
        if (!write(batch.msg)) return false;
      }
      if (q.eor) {
        q.eor = false;
        if (!write(encodeEndOfRib(f))) return false;
      }
    }
    return true;
  }

  /** Takes the first pending change and as many more of its kind (same attribute group) as fit. */
  #next(f: Family, q: FamilyQueue): { msg: Uint8Array; announced: number; withdrawn: number } {
    const first = q.pending.values().next().value!;
    const group = first.group;
    const mp = f !== 'inet';
    const overhead = group ? updateOverhead(group.attrs.length, group.nextHop.length, mp) : updateOverhead(0, 0, mp) - (mp ? 2 : 0);
    let room = MAX_MESSAGE_LEN - overhead;
    const parts: Uint8Array[] = [];
    for (const [k, p] of q.pending) {
      if (p.group !== group) continue;
      if (p.nlri.length > room) break;
      parts.push(p.nlri);
      room -= p.nlri.length;
      q.pending.delete(k);
    }
    let len = 0;
    for (const x of parts) len += x.length;
    const nlri = new Uint8Array(len);
    let o = 0;
    for (const x of parts) {
      nlri.set(x, o);
      o += x.length;
    }
    if (!group) {
      const msg = mp ? assembleUpdate({ mpUnreach: { family: f, nlri } }) : assembleUpdate({ withdrawn: nlri });
      return { msg, announced: 0, withdrawn: parts.length };
    }
    const msg = mp
      ? assembleUpdate({ attrs: group.attrs, mpReach: { family: f, nextHop: group.nextHop, nlri } })
      : assembleUpdate({ attrs: group.attrs, nlri });
    return { msg, announced: parts.length, withdrawn: 0 };
  }
}
