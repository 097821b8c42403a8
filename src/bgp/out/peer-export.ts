// What a speaker sends one peer, built level-triggered and in bounded steps. A table batch only marks the
// destinations whose advertisement to this peer may change (decided once per (source, attribute set) of
// the batch, so routes the peer will not get cost a bit test); a step of the shared scheduler later reads
// each marked destination's best path from the table, compares it with Adj-RIB-Out and packs the
// difference into UPDATEs, stopping when the socket wants a pause (backpressure: nothing piles up in
// memory) or the step's budget is spent. A whole-table pass (initial dump, route-target change,
// ROUTE-REFRESH) is a cursor over destination ids, also stepped; End-of-RIB (RFC 4724 §2) follows the
// initial pass. A destination that loses its last usable path is withdrawn when the table reports it
// (its key is still readable then), so Adj-RIB-Out never names an id the table has freed.
import type { Logger } from '../../common/log.js';
import type { Family } from '../wire/constants.js';
import type { PathAttributes } from '../wire/attributes.js';
import { NO_LABEL, encodeNlri, nlriFromKey, wireFromKey } from '../wire/nlri.js';
import type { AttrPool } from '../rib/attr-pool.js';
import type { SourceInfo, SourceRegistry } from '../rib/sources.js';
import type { RouteTable } from '../rib/table.js';
import { AdjRibOut } from './adj-rib-out.js';
import { IdQueue } from './id-queue.js';
import { UpdatePacker, type AttrGroup } from './packer.js';
import type { ExportJob, ExportScheduler } from './scheduler.js';

/** A table batch grouped by the best path's (source, attribute set); `unreachable`: no best path left. */
export interface TouchedBatch {
  readonly groups: readonly { readonly source: number; readonly attrId: number; readonly ids: number[] }[];
  readonly unreachable: readonly number[];
}

/** Groups a table batch once for all peers (see RouteTable.subscribeIds). */
export function groupTouched(t: RouteTable, ids: readonly number[]): TouchedBatch {
  const bySource = new Map<number, Map<number, number[]>>();
  const groups: { source: number; attrId: number; ids: number[] }[] = [];
  const unreachable: number[] = [];
  let last: { source: number; attrId: number; ids: number[] } | undefined;
  for (const d of ids) {
    const src = t.bestSourceAt(d);
    if (src < 0) {
      unreachable.push(d);
      continue;
    }
    const attrId = t.bestAttrIdAt(d);
    // Routes of one UPDATE arrive together: most destinations join the group of the one before.
    if (last && last.source === src && last.attrId === attrId) {
      last.ids.push(d);
      continue;
    }
    let m = bySource.get(src);
    if (!m) {
      m = new Map<number, number[]>();
      bySource.set(src, m);
    }
    let list = m.get(attrId);
    if (!list) {
      list = [];
      m.set(attrId, list);
      groups.push({ source: src, attrId, ids: list });
    }
    list.push(d);
    last = { source: src, attrId, ids: list };
  }
  return { groups, unreachable };
}

/** What the export reads from its peer. */
export interface ExportHost {
  readonly tables: ReadonlyMap<Family, RouteTable>;
  readonly pool: AttrPool;
  readonly sources: SourceRegistry;
  /** The peer's own source id (its paths never go back to it). */
  readonly sourceId: number;
  readonly log: Logger;
  /** The encoded attributes a path of `src` with `attrs` goes out with, or undefined when the peer must not get it. */
  group(f: Family, src: SourceInfo, attrs: PathAttributes): AttrGroup | undefined;
  /** Writes messages (in one write when it can); false: wait for drained(). */
  send(msgs: readonly Uint8Array[]): boolean;
  /** The export hit a bug: what was sent is unknown, the session must start over. */
  fault(err: unknown): void;
}

const ORDER: readonly Family[] = ['route-target', 'inet', 'inet-vpn', 'e-vpn'];
/** Per step: at most this many routes packed, and this many destinations looked at. */
const STEP_ROUTES = 512;
const STEP_LOOKS = 8192;

class FamilyOut {
  readonly adj = new AdjRibOut();
  readonly dirty = new IdQueue();
  readonly packer: UpdatePacker;
  /** Withdrawals of destinations the table removed, packed when reported (sent before anything else). */
  readonly gone: UpdatePacker;
  /** Whole-table pass: next id, ids left to look at (0: no pass), End-of-RIB after it, resend unchanged. */
  cursor = 0;
  left = 0;
  eor = false;
  force = false;

  constructor(readonly family: Family) {
    this.packer = new UpdatePacker(family);
    this.gone = new UpdatePacker(family);
  }

  get idle(): boolean {
    return this.dirty.size === 0 && this.left === 0 && !this.eor && this.gone.empty;
  }
}

export class PeerExport implements ExportJob {
  readonly #host: ExportHost;
  readonly #scheduler: ExportScheduler;
  #fams = new Map<Family, FamilyOut>();
  /** Messages built outside a step (withdrawals of removed destinations), written first. */
  #held: Uint8Array[] = [];
  #active = false;
  #blocked = false;
  readonly #scratch = new Uint8Array(64);
  // Decisions per attribute set id, valid for one family within one synchronous call (a generation):
  // attribute ids may be reused between event-loop turns, and the encoding depends on the family.
  #memoGen = 1; // stamps start at 0: never a valid generation
  #memoStamp = new Int32Array(64);
  #memoSrc = new Int32Array(64);
  #memoGroup: (AttrGroup | null)[] = [];

  constructor(host: ExportHost, scheduler: ExportScheduler) {
    this.#host = host;
    this.#scheduler = scheduler;
  }

  /** The session is up: start from nothing sent. */
  open(): void {
    this.close();
    this.#active = true;
  }

  /** The session is down or the peer removed: forget everything sent and queued. */
  close(): void {
    this.#active = false;
    this.#blocked = false;
    this.#fams.clear();
    this.#held = [];
    this.#scheduler.cancel(this);
  }

  /** Routes advertised to the peer in a family (Adj-RIB-Out size). */
  sent(f: Family): number {
    return this.#fams.get(f)?.adj.size ?? 0;
  }

  /** Everything decided has been handed to the socket (the original's send_state 'in sync'). */
  get inSync(): boolean {
    if (!this.#active) return true;
    if (this.#blocked || this.#held.length) return false;
    for (const st of this.#fams.values()) if (!st.idle) return false;
    return true;
  }

  /** Writes may go on. */
  drained(): void {
    if (!this.#blocked) return;
    this.#blocked = false;
    if (this.#active) this.#scheduler.wake(this);
  }

  #fam(f: Family): FamilyOut {
    let st = this.#fams.get(f);
    if (!st) {
      st = new FamilyOut(f);
      this.#fams.set(f, st);
    }
    return st;
  }

  /**
   * Looks at every destination of the family's table again: `eor` sends End-of-RIB after the pass (initial
   * dump), `force` re-sends what is unchanged (ROUTE-REFRESH). A pass requested while one runs extends it.
   */
  scan(f: Family, o: { eor?: boolean; force?: boolean } = {}): void {
    if (!this.#active) return;
    const st = this.#fam(f);
    const t = this.#host.tables.get(f);
    if (!t) return;
    if (st.left === 0) st.cursor = 0;
    st.left = Math.max(1, t.idLimit); // a full cycle from the cursor, so that also an empty table ends the pass
    st.eor ||= o.eor ?? false;
    st.force ||= o.force ?? false;
    this.#scheduler.wake(this);
  }

  /** A table batch: mark what may change for this peer. Call only for families the peer may get now. */
  touched(f: Family, t: RouteTable, batch: TouchedBatch): void {
    if (!this.#active) return;
    const st = this.#fam(f);
    const me = this.#host.sourceId;
    if (f === 'route-target') {
      // membership routes are few and follow RFC 4684 §3.2 (see #look): look at each one
      for (const g of batch.groups) for (const d of g.ids) st.dirty.add(d);
    } else {
      this.#nextGen();
      for (const g of batch.groups) {
        const wanted = g.source !== me && this.#decide(f, g.source, g.attrId) !== null;
        if (wanted) for (const d of g.ids) st.dirty.add(d);
        else if (st.adj.size) for (const d of g.ids) if (st.adj.has(d)) st.dirty.add(d);
      }
      this.#nextGen();
    }
    for (const d of batch.unreachable) if (st.adj.has(d)) this.#withdraw(t, st, d, st.gone, this.#held);
    if (!st.idle) this.#scheduler.wake(this);
  }

  #nextGen(): void {
    this.#memoGen = (this.#memoGen + 1) | 0 || 1;
  }

  /** The group a best path of (source, attribute set) goes out with, memoized within one generation. */
  #decide(f: Family, src: number, attrId: number): AttrGroup | null {
    if (attrId < this.#memoStamp.length && this.#memoStamp[attrId] === this.#memoGen && this.#memoSrc[attrId] === src) return this.#memoGroup[attrId];
    const g = this.#host.group(f, this.#host.sources.get(src), this.#host.pool.get(attrId).attrs) ?? null;
    if (attrId >= this.#memoStamp.length) {
      const n = Math.max(attrId + 1, this.#memoStamp.length * 2);
      const stamp = new Int32Array(n);
      stamp.set(this.#memoStamp);
      const srcs = new Int32Array(n);
      srcs.set(this.#memoSrc);
      this.#memoStamp = stamp;
      this.#memoSrc = srcs;
    }
    this.#memoStamp[attrId] = this.#memoGen;
    this.#memoSrc[attrId] = src;
    this.#memoGroup[attrId] = g;
    return g;
  }

  step(): 'more' | 'idle' {
    try {
      return this.#step();
    } catch (err) {
      // a bug, not a protocol event: Adj-RIB-Out may not match what went out, so start the session over
      this.close();
      this.#host.log.error({ err }, 'export failed; resetting the session');
      this.#host.fault(err);
      return 'idle';
    }
  }

  #step(): 'more' | 'idle' {
    if (!this.#active || this.#blocked) return 'idle';
    if (!this.#write(this.#held.splice(0))) return 'idle';
    let routes = STEP_ROUTES;
    let looks = STEP_LOOKS;
    for (const f of ORDER) {
      const st = this.#fams.get(f);
      if (!st || st.idle) continue;
      this.#nextGen();
      const t = this.#host.tables.get(f)!;
      const out: Uint8Array[] = [];
      st.gone.finish(out);
      while (routes > 0 && looks > 0) {
        const d = st.dirty.take();
        if (d < 0) break;
        looks--;
        if (this.#look(t, st, d, false, out)) routes--;
      }
      while (st.left > 0 && routes > 0 && looks > 0) {
        if (st.cursor >= t.idLimit) st.cursor = 0;
        const d = st.cursor++;
        st.left--;
        looks--;
        if (this.#look(t, st, d, st.force, out)) routes--;
      }
      st.packer.finish(out);
      if (st.left === 0) {
        st.force = false;
        if (st.eor) {
          st.eor = false;
          out.push(st.packer.endOfRib());
        }
      }
      if (!this.#write(out)) return 'idle';
      if (routes <= 0 || looks <= 0) return 'more';
    }
    this.#nextGen();
    for (const st of this.#fams.values()) if (!st.idle) return 'more';
    return 'idle';
  }

  /** Writes every message (the socket buffers what it cannot take); false when it asked for a pause. */
  #write(msgs: readonly Uint8Array[]): boolean {
    if (msgs.length === 0) return true;
    const ok = this.#host.send(msgs);
    if (!ok) this.#blocked = true;
    return ok;
  }

  /** Brings destination d of the peer up to date; true when something was packed. */
  #look(t: RouteTable, st: FamilyOut, d: number, force: boolean, out: Uint8Array[]): boolean {
    if (!t.liveAt(d)) {
      // (the table reports a destination's removal before freeing its id, and that withdrew it)
      if (st.adj.has(d) && t.keyView(d).length) {
        this.#withdraw(t, st, d, st.packer, out);
        return true;
      }
      return false;
    }
    const f = st.family;
    const me = this.#host.sourceId;
    const src = t.bestSourceAt(d);
    let g: AttrGroup | null = null;
    let label = NO_LABEL;
    let special: Uint8Array | null = null;
    if (f === 'route-target') {
      // RFC 4684 §3.2: membership must reach every peer, so a peer whose own path is best (or whose best
      // path it may not get) gets the best path from anyone else.
      let p = src >= 0 && src !== me ? t.bestAt(d) : undefined;
      g = p ? this.#host.group(f, this.#host.sources.get(p.source), p.attrs) ?? null : null;
      if (!g && src >= 0) {
        p = t.bestExcludingAt(d, me);
        g = p ? this.#host.group(f, this.#host.sources.get(p.source), p.attrs) ?? null : null;
      }
    } else if (src >= 0 && src !== me) {
      g = this.#decide(f, src, t.bestAttrIdAt(d));
      if (g) {
        label = t.bestLabelAt(d);
        const extra = t.bestExtraAt(d);
        if (extra?.nlri) special = extra.nlri;
        else if (extra?.labels && extra.labels.length > 1) special = encodeNlri(nlriFromKey(f, t.keyView(d).slice()), extra.labels);
      }
    }
    if (g) {
      if (!force && st.adj.same(d, g.id, label, special)) return false;
      if (special) st.packer.add(g, special, 0, special.length, out);
      else {
        const k = t.keyView(d);
        const n = wireFromKey(f, k, 0, k.length, label, false, this.#scratch, 0);
        st.packer.add(g, this.#scratch, 0, n, out);
      }
      st.adj.set(d, g.id, label, special);
      return true;
    }
    if (!st.adj.has(d)) return false;
    this.#withdraw(t, st, d, st.packer, out);
    return true;
  }

  #withdraw(t: RouteTable, st: FamilyOut, d: number, packer: UpdatePacker, out: Uint8Array[]): void {
    const s = st.adj.special(d);
    if (st.family === 'e-vpn' && s) packer.add(null, s, 0, s.length, out);
    else {
      const k = t.keyView(d);
      const n = wireFromKey(st.family, k, 0, k.length, NO_LABEL, true, this.#scratch, 0);
      packer.add(null, this.#scratch, 0, n, out);
    }
    st.adj.delete(d);
  }
}
