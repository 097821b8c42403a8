// A route table for one address family: destinations indexed by compact route keys, paths in parallel
// typed arrays (no object per path until someone reads one), the decision process run per destination on
// change, and batched diffs of the best path / ECMP set published to subscribers. One class serves every
// table a speaker or a control node keeps (inet.0, bgp.l3vpn.0, bgp.rtarget.0, bgp.evpn.0, <vrf>.inet.0);
// Adj-RIB-In is the set of paths of one source, held in the shared table as BIRD does.
import { Buffer } from 'node:buffer';
import type { Family } from '../wire/constants.js';
import { MAX_KEY_LEN, NO_LABEL, decodeNlri, encodeNlri, nlriFromKey, nlriKey, type Nlri } from '../wire/nlri.js';
import type { PathAttributes } from '../wire/attributes.js';
import { KeyIndex } from './key-index.js';
import { grow } from './growable.js';
import type { AttrPool } from './attr-pool.js';
import type { SourceRegistry } from './sources.js';
import { DECISION_STEPS, decide, type Candidate, type DecisionStep } from './decision.js';

/** A destination's route key as a binary (latin1) string: usable as a Map key, see keyBytes/keyString. */
export type RouteKey = string;

export function keyString(b: Uint8Array): RouteKey {
  // Keys are short (≤ 48 bytes): building the string directly beats a Buffer view and a latin1 decode.
  return String.fromCharCode.apply(null, b as unknown as number[]);
}
export function keyBytes(k: RouteKey): Uint8Array {
  return Buffer.from(k, 'latin1');
}

/** Opaque per-path data owned by the table's user (e.g. primary/secondary, primary table). */
export type PathMeta = Readonly<Record<string, unknown>>;

export interface PathExtra {
  /** The whole label stack when it has more than one label. */
  readonly labels?: readonly number[];
  /** The full wire NLRI when the key does not rebuild it (EVPN: ESI, gateway, second label). */
  readonly nlri?: Uint8Array;
  readonly meta?: PathMeta;
}

export type UpsertResult = 'added' | 'replaced' | 'unchanged';

const F_STALE = 1;
const F_INFEASIBLE = 2;

/** A path as read from a table: a snapshot, it does not change when the table does. */
export class Path {
  constructor(
    readonly family: Family,
    readonly source: number,
    readonly pathId: number,
    readonly attrs: PathAttributes,
    /** inet-vpn: MPLS label; e-vpn: raw 24-bit label field; NO_LABEL (-1) otherwise. */
    readonly label: number,
    readonly stale: boolean,
    readonly feasible: boolean,
    readonly lastModified: number,
    readonly extra: PathExtra | undefined,
  ) {}

  get labels(): readonly number[] {
    return this.extra?.labels ?? (this.label === NO_LABEL ? [] : [this.label]);
  }

  get meta(): PathMeta | undefined {
    return this.extra?.meta;
  }

  /** The full NLRI when the path carries one (EVPN), else undefined: use the route's nlri. */
  get fullNlri(): Nlri | undefined {
    const w = this.extra?.nlri;
    return w ? decodeNlri(this.family, w, 0, w.length).nlri : undefined;
  }

  /** Same path identity and content (stale flag and time aside). */
  sameAs(o: Path): boolean {
    return (
      this.source === o.source && this.pathId === o.pathId && this.attrs === o.attrs && this.label === o.label &&
      sameExtra(this.extra, o.extra)
    );
  }
}

function sameLabels(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
function sameExtra(a: PathExtra | undefined, b: PathExtra | undefined): boolean {
  if (a === b) return true;
  return sameLabels(a?.labels, b?.labels) && sameBytes(a?.nlri, b?.nlri) && a?.meta === b?.meta;
}

/** A destination with all its paths: best first, then the rest of the ECMP set, then the others. */
export interface Route {
  readonly key: RouteKey;
  readonly nlri: Nlri;
  readonly paths: readonly Path[];
  readonly ecmpCount: number;
  readonly reason: DecisionStep | undefined;
}

const EMPTY: readonly Path[] = Object.freeze([]);

/** One destination whose best path or ECMP set changed within a batch. */
export class RouteChange {
  #nlri: Nlri | undefined;
  constructor(
    readonly table: RouteTable,
    readonly key: RouteKey,
    /** The ECMP set now (best first); empty when the destination has no usable path. */
    readonly ecmp: readonly Path[],
    /** The ECMP set before the batch. */
    readonly previous: readonly Path[],
    readonly reason: DecisionStep | undefined,
  ) {}
  get best(): Path | undefined {
    return this.ecmp[0];
  }
  get family(): Family {
    return this.table.family;
  }
  get nlri(): Nlri {
    return (this.#nlri ??= nlriFromKey(this.table.family, keyBytes(this.key)));
  }
}

export type ChangeListener = (changes: readonly RouteChange[]) => void;

export interface PathInput {
  readonly source: number;
  readonly pathId?: number;
  /** Attributes, or an id already interned in the table's pool. */
  readonly attrs: PathAttributes | number;
  readonly labels?: readonly number[];
  readonly meta?: PathMeta;
  /** EVPN: the full wire NLRI (set by upsert from the Nlri object when not given). */
  readonly nlri?: Uint8Array;
}

export interface RouteTableOptions {
  readonly name: string;
  readonly family: Family;
  readonly pool: AttrPool;
  readonly sources: SourceRegistry;
  /** Largest ECMP set; 1 (the default) turns multipath off. */
  readonly maxPaths?: number;
  readonly alwaysCompareMed?: boolean;
  /** Cost to reach a next hop, undefined when unreachable (the path is then infeasible). */
  readonly igpCost?: (nextHop: string | undefined) => number | undefined;
  /** Clock for lastModified (ms). */
  readonly now?: () => number;
  /** Publish diffs in a microtask after the first change (default); false: call flush() yourself. */
  readonly autoFlush?: boolean;
  /** Called when a subscriber throws; default rethrows after every subscriber ran. */
  readonly onListenerError?: (err: unknown) => void;
}

/** Receives the ids of the destinations touched in a batch; read them through the table during the call. */
export type IdListener = (ids: readonly number[]) => void;

export class RouteTable {
  readonly name: string;
  readonly family: Family;
  readonly pool: AttrPool;
  readonly sources: SourceRegistry;
  readonly #index: KeyIndex;
  readonly #maxPaths: number;
  readonly #alwaysMed: boolean;
  readonly #igp: RouteTableOptions['igpCost'];
  readonly #now: () => number;
  readonly #auto: boolean;
  readonly #onErr: ((err: unknown) => void) | undefined;

  // Per destination (indexed by key id). Arrays hold index + 1 so that 0 means none: freshly grown
  // capacity stays untouched zero pages until used.
  #head = new Int32Array(0); // first path + 1
  #ecmp = new Uint8Array(0);
  #reason = new Uint8Array(0);
  #dirty = new Uint8Array(0);
  #dirtyList: number[] = [];
  #prev = new Map<number, readonly Path[]>();
  #destCount = 0;

  // per path
  #pDest = new Int32Array(0); // destination + 1, 0 for a free slot
  #pNext = new Int32Array(0); // next path of the destination, -1 at the end
  #pSource = new Uint32Array(0);
  #pPathId: Uint32Array | null = null; // allocated when the first non-zero path id arrives
  #pAttr = new Int32Array(0);
  #pLabel = new Int32Array(0);
  #pFlags = new Uint8Array(0);
  #pTime = new Uint32Array(0); // seconds since the epoch
  #pExtra = new Map<number, PathExtra>();
  #pTop = 0;
  #pFree: number[] = [];
  #pathCount = 0;
  #bySource = new Map<number, number>();

  #listeners = new Set<ChangeListener>();
  #idListeners = new Set<IdListener>();
  #flushScheduled = false;

  constructor(o: RouteTableOptions) {
    this.name = o.name;
    this.family = o.family;
    this.pool = o.pool;
    this.sources = o.sources;
    this.#index = new KeyIndex(MAX_KEY_LEN[o.family]);
    this.#maxPaths = Math.max(1, Math.min(255, o.maxPaths ?? 1));
    this.#alwaysMed = o.alwaysCompareMed ?? false;
    this.#igp = o.igpCost;
    this.#now = o.now ?? Date.now;
    this.#auto = o.autoFlush ?? true;
    this.#onErr = o.onListenerError;
    this.#growDest(256);
    this.#growPaths(256);
  }

  /** Destinations with at least one path. */
  get size(): number {
    return this.#destCount;
  }
  get pathCount(): number {
    return this.#pathCount;
  }
  countBySource(source: number): number {
    return this.#bySource.get(source) ?? 0;
  }
  /** Bytes held in the table's arrays (not counting attribute sets or extras). */
  get byteSize(): number {
    const per = (a: { byteLength: number } | null) => a?.byteLength ?? 0;
    return this.#index.byteSize + per(this.#head) + per(this.#ecmp) + per(this.#reason) + per(this.#dirty) +
      per(this.#pDest) + per(this.#pNext) + per(this.#pSource) + per(this.#pPathId) + per(this.#pAttr) +
      per(this.#pLabel) + per(this.#pFlags) + per(this.#pTime);
  }

  #growDest(n: number): void {
    this.#head = grow(this.#head, n, (k) => new Int32Array(k));
    this.#ecmp = grow(this.#ecmp, n, (k) => new Uint8Array(k));
    this.#reason = grow(this.#reason, n, (k) => new Uint8Array(k));
    this.#dirty = grow(this.#dirty, n, (k) => new Uint8Array(k));
  }

  #growPaths(n: number): void {
    this.#pDest = grow(this.#pDest, n, (k) => new Int32Array(k));
    this.#pNext = grow(this.#pNext, n, (k) => new Int32Array(k));
    this.#pSource = grow(this.#pSource, n, (k) => new Uint32Array(k));
    if (this.#pPathId) this.#pPathId = grow(this.#pPathId, n, (k) => new Uint32Array(k));
    this.#pAttr = grow(this.#pAttr, n, (k) => new Int32Array(k));
    this.#pLabel = grow(this.#pLabel, n, (k) => new Int32Array(k));
    this.#pFlags = grow(this.#pFlags, n, (k) => new Uint8Array(k));
    this.#pTime = grow(this.#pTime, n, (k) => new Uint32Array(k));
  }

  #pathIdOf(p: number): number {
    return this.#pPathId === null ? 0 : this.#pPathId[p];
  }

  #setPathId(p: number, id: number): void {
    if (this.#pPathId === null) {
      if (id === 0) return;
      this.#pPathId = new Uint32Array(this.#pDest.length);
    }
    this.#pPathId[p] = id;
  }

  // The clock is read once per batch: on some machines a clock read is a system call, and paths keep
  // seconds anyway.
  #secondsCache = -1;

  #seconds(): number {
    if (this.#secondsCache < 0) this.#secondsCache = Math.floor(this.#now() / 1000);
    return this.#secondsCache;
  }

  // ---- mutation ---------------------------------------------------------------------------------

  #keyOf(nlri: Nlri | RouteKey): Uint8Array {
    if (typeof nlri === 'string') return keyBytes(nlri);
    if (nlri.family !== this.family) throw new RangeError(`${nlri.family} route given to ${this.family} table ${this.name}`);
    return nlriKey(nlri);
  }

  /** Adds or replaces the path (source, pathId) of a destination. Throws BgpError for unencodable attributes. */
  upsert(nlri: Nlri | RouteKey, input: PathInput): UpsertResult {
    const key = this.#keyOf(nlri);
    const attrId = typeof input.attrs === 'number' ? input.attrs : this.pool.intern(input.attrs);
    const labels = input.labels ?? [];
    let wire = input.nlri;
    if (!wire && this.family === 'e-vpn' && typeof nlri !== 'string') {
      wire = encodeNlri(nlri, labels, false);
    }
    const extra: PathExtra | undefined =
      labels.length > 1 || wire || input.meta
        ? { ...(labels.length > 1 ? { labels: [...labels] } : {}), ...(wire ? { nlri: wire } : {}), ...(input.meta ? { meta: input.meta } : {}) }
        : undefined;
    return this.upsertKey(key, key.length, input.source, input.pathId ?? 0, attrId, labels.length ? labels[0] : NO_LABEL, extra);
  }

  withdraw(nlri: Nlri | RouteKey, source: number, pathId = 0): boolean {
    const key = this.#keyOf(nlri);
    return this.withdrawKey(key, key.length, source, pathId);
  }

  #findPath(d: number, source: number, pathId: number): number {
    let p = this.#head[d] - 1;
    const ids = this.#pPathId;
    if (ids === null) {
      if (pathId !== 0) return -1;
      while (p >= 0 && this.#pSource[p] !== source) p = this.#pNext[p];
    } else {
      while (p >= 0 && (this.#pSource[p] !== source || ids[p] !== pathId)) p = this.#pNext[p];
    }
    return p;
  }

  /** The receive path's upsert: key bytes at key[0, keyLen), an interned attribute id. */
  upsertKey(key: Uint8Array, keyLen: number, source: number, pathId: number, attrId: number, label: number, extra: PathExtra | undefined): UpsertResult {
    const d = this.#index.intern(key, 0, keyLen);
    if (this.#index.added && d >= this.#head.length) this.#growDest(this.#head.length * 2);
    let p = this.#findPath(d, source, pathId);
    if (p >= 0) {
      const flags = this.#pFlags[p];
      if (this.#pAttr[p] === attrId && this.#pLabel[p] === label && sameExtra(this.#pExtra.get(p), extra)) {
        if (flags & F_STALE) this.#pFlags[p] = flags & ~F_STALE; // refreshed after a restart
        return 'unchanged';
      }
      this.#touch(d);
      this.pool.ref(attrId);
      this.pool.unref(this.#pAttr[p]);
      this.#pAttr[p] = attrId;
      this.#pLabel[p] = label;
      this.#pFlags[p] = 0;
      this.#pTime[p] = this.#seconds();
      if (extra) this.#pExtra.set(p, extra);
      else this.#pExtra.delete(p);
      this.#select(d);
      return 'replaced';
    }
    this.#touch(d);
    if (this.#pFree.length) p = this.#pFree.pop()!;
    else {
      if (this.#pTop === this.#pDest.length) this.#growPaths(this.#pDest.length * 2);
      p = this.#pTop++;
    }
    this.pool.ref(attrId);
    this.#pDest[p] = d + 1;
    this.#pSource[p] = source;
    this.#setPathId(p, pathId);
    this.#pAttr[p] = attrId;
    this.#pLabel[p] = label;
    this.#pFlags[p] = 0;
    this.#pTime[p] = this.#seconds();
    if (extra) this.#pExtra.set(p, extra);
    const head = this.#head[d] - 1;
    this.#pNext[p] = head;
    this.#head[d] = p + 1;
    if (head < 0) this.#destCount++;
    this.#pathCount++;
    this.#bySource.set(source, (this.#bySource.get(source) ?? 0) + 1);
    if (head < 0 && !this.#igp) {
      this.#ecmp[d] = 1;
      this.#reason[d] = 0;
    } else this.#select(d);
    return 'added';
  }

  withdrawKey(key: Uint8Array, keyLen: number, source: number, pathId: number): boolean {
    const d = this.#index.find(key, 0, keyLen);
    if (d < 0) return false;
    const p = this.#findPath(d, source, pathId);
    if (p < 0) return false;
    this.#removePath(p);
    return true;
  }

  #removePath(p: number): void {
    const d = this.#pDest[p] - 1;
    this.#touch(d);
    let q = this.#head[d] - 1;
    if (q === p) this.#head[d] = this.#pNext[p] + 1;
    else {
      while (this.#pNext[q] !== p) q = this.#pNext[q];
      this.#pNext[q] = this.#pNext[p];
    }
    const src = this.#pSource[p];
    const left = (this.#bySource.get(src) ?? 1) - 1;
    if (left) this.#bySource.set(src, left);
    else this.#bySource.delete(src);
    this.pool.unref(this.#pAttr[p]);
    this.#pDest[p] = 0;
    if (this.#pPathId) this.#pPathId[p] = 0;
    this.#pExtra.delete(p);
    this.#pFree.push(p);
    this.#pathCount--;
    if (this.#head[d] === 0) {
      this.#destCount--;
      this.#ecmp[d] = 0;
    } else this.#select(d);
  }

  /** Marks every path of a source stale (graceful restart helper, RFC 4724 §4.2). Returns the count. */
  markStale(source: number, pathFilter?: (pathId: number) => boolean): number {
    let n = 0;
    for (let p = 0; p < this.#pTop; p++) {
      if (this.#pDest[p] !== 0 && this.#pSource[p] === source && (!pathFilter || pathFilter(this.#pathIdOf(p)))) {
        this.#pFlags[p] |= F_STALE;
        n++;
      }
    }
    return n;
  }

  /** Removes the paths of a source still stale (after End-of-RIB or the restart timer). */
  sweepStale(source: number): number {
    return this.#removeWhere(source, true);
  }

  /** Removes every path of a source (session down without graceful restart, peer removed). */
  removeSource(source: number): number {
    return this.#removeWhere(source, false);
  }

  #removeWhere(source: number, staleOnly: boolean): number {
    let n = 0;
    for (let p = 0; p < this.#pTop; p++) {
      if (this.#pDest[p] !== 0 && this.#pSource[p] === source && (!staleOnly || this.#pFlags[p] & F_STALE)) {
        this.#removePath(p);
        n++;
      }
    }
    return n;
  }

  /** Re-runs the decision for every destination (after the IGP hook's view changed). */
  reselectAll(): void {
    for (let d = 0; d < this.#index.idLimit; d++) {
      if (this.#index.isLive(d) && this.#head[d] !== 0) {
        this.#touch(d);
        this.#select(d);
      }
    }
  }

  // ---- decision ---------------------------------------------------------------------------------

  #select(d: number): void {
    const first = this.#head[d] - 1;
    if (first < 0) {
      this.#ecmp[d] = 0;
      return;
    }
    const pool = this.pool;
    const cands: Candidate[] = [];
    const infeasible: number[] = [];
    for (let p = first; p >= 0; p = this.#pNext[p]) {
      const entry = pool.get(this.#pAttr[p]);
      let cost = 0;
      if (this.#igp) {
        const c = this.#igp(entry.attrs.nextHop);
        if (c === undefined) {
          this.#pFlags[p] |= F_INFEASIBLE;
          infeasible.push(p);
          continue;
        }
        cost = c;
      }
      this.#pFlags[p] &= ~F_INFEASIBLE;
      cands.push({ ref: p, entry, source: this.sources.get(this.#pSource[p]), pathId: this.#pathIdOf(p), igpCost: cost });
    }
    const r = decide(cands, { maxPaths: this.#maxPaths, alwaysCompareMed: this.#alwaysMed });
    const order = [...r.order.map((c) => c.ref), ...infeasible];
    this.#head[d] = order[0] + 1;
    for (let i = 0; i < order.length; i++) this.#pNext[order[i]] = i + 1 < order.length ? order[i + 1] : -1;
    this.#ecmp[d] = r.ecmpCount;
    this.#reason[d] = DECISION_STEPS.indexOf(r.step);
  }

  // ---- diffs ------------------------------------------------------------------------------------

  #touch(d: number): void {
    if (this.#dirty[d]) return;
    if (this.#dirtyList.length === 0) this.#secondsCache = -1; // a new batch reads the clock again
    this.#dirty[d] = 1;
    this.#dirtyList.push(d);
    if (this.#listeners.size && this.#ecmp[d] > 0) this.#prev.set(d, this.#ecmpOf(d));
    if (this.#auto && !this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  #path(p: number): Path {
    const f = this.#pFlags[p];
    return new Path(
      this.family, this.#pSource[p], this.#pathIdOf(p), this.pool.get(this.#pAttr[p]).attrs, this.#pLabel[p],
      (f & F_STALE) !== 0, (f & F_INFEASIBLE) === 0, this.#pTime[p] * 1000, this.#pExtra.get(p),
    );
  }

  #ecmpOf(d: number): readonly Path[] {
    const n = this.#ecmp[d];
    if (n === 0) return EMPTY;
    let p = this.#head[d] - 1;
    if (n === 1) return [this.#path(p)];
    const out: Path[] = [];
    for (let i = 0; i < n && p >= 0; i++, p = this.#pNext[p]) out.push(this.#path(p));
    return out;
  }

  /** Diffs as RouteChange objects (best path / ECMP set before and after), once per batch. */
  subscribe(fn: ChangeListener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /**
   * The allocation-free form: the ids of the destinations touched in a batch (some may end unchanged or
   * empty), readable with the *At accessors during the call. The speaker's export path uses it.
   */
  subscribeIds(fn: IdListener): () => void {
    this.#idListeners.add(fn);
    return () => this.#idListeners.delete(fn);
  }

  /** Publishes the changes made since the last flush and drops destinations left without paths. */
  flush(): void {
    this.#flushScheduled = false;
    this.#secondsCache = -1;
    if (this.#dirtyList.length === 0) return;
    const list = this.#dirtyList;
    this.#dirtyList = [];
    const prev = this.#prev;
    this.#prev = new Map();
    const changes: RouteChange[] = [];
    const publish = this.#listeners.size > 0;
    for (const d of list) {
      this.#dirty[d] = 0;
      if (publish) {
        const before = prev.get(d) ?? EMPTY;
        const now = this.#ecmpOf(d);
        if (!sameSet(before, now)) {
          changes.push(new RouteChange(this, keyString(this.#index.key(d)), now, before, now.length ? DECISION_STEPS[this.#reason[d]] : undefined));
        }
      }
    }
    let failure: unknown;
    const call = (f: () => void): void => {
      try {
        f();
      } catch (err) {
        if (this.#onErr) this.#onErr(err);
        else failure ??= err;
      }
    };
    for (const fn of [...this.#idListeners]) call(() => fn(list));
    for (const d of list) if (this.#head[d] === 0 && this.#dirty[d] === 0) this.#index.remove(d);
    this.pool.collect();
    if (changes.length) for (const fn of [...this.#listeners]) call(() => fn(changes));
    if (failure !== undefined) throw failure instanceof Error ? failure : new Error('route change listener failed', { cause: failure });
  }

  // ---- reading ----------------------------------------------------------------------------------

  get(nlri: Nlri | RouteKey): Route | undefined {
    const key = this.#keyOf(nlri);
    const d = this.#index.find(key, 0, key.length);
    return d < 0 || this.#head[d] === 0 ? undefined : this.#route(d);
  }

  #route(d: number): Route {
    const paths: Path[] = [];
    for (let p = this.#head[d] - 1; p >= 0; p = this.#pNext[p]) paths.push(this.#path(p));
    const key = this.#index.key(d);
    return {
      key: keyString(key),
      nlri: nlriFromKey(this.family, key.slice()),
      paths,
      ecmpCount: this.#ecmp[d],
      reason: this.#ecmp[d] ? DECISION_STEPS[this.#reason[d]] : undefined,
    };
  }

  /** The paths of one source (its Adj-RIB-In in this table), with their destinations' keys. */
  *pathsOf(source: number): IterableIterator<{ readonly key: RouteKey; readonly path: Path }> {
    for (let p = 0; p < this.#pTop; p++) {
      if (this.#pDest[p] !== 0 && this.#pSource[p] === source) yield { key: keyString(this.#index.key(this.#pDest[p] - 1)), path: this.#path(p) };
    }
  }

  /** Every destination with its paths. */
  *routes(): IterableIterator<Route> {
    for (let d = 0; d < this.#index.idLimit; d++) if (this.#index.isLive(d) && this.#head[d] !== 0) yield this.#route(d);
  }

  /** Destination ids run below idLimit; with the *At accessors a caller walks the table in slices. */
  get idLimit(): number {
    return this.#index.idLimit;
  }
  /** ECMP set of a destination (best first); empty when none. */
  ecmpAt(d: number): readonly Path[] {
    return this.#index.isLive(d) ? this.#ecmpOf(d) : EMPTY;
  }
  /** Size of the ECMP set, 0 when the destination has no usable path (or is not live). */
  ecmpCountAt(d: number): number {
    return this.#index.isLive(d) ? this.#ecmp[d] : 0;
  }
  /** The best path of a destination, or undefined. */
  bestAt(d: number): Path | undefined {
    return this.ecmpCountAt(d) ? this.#path(this.#head[d] - 1) : undefined;
  }
  /** The first usable path of a destination, in decision order, whose source is not `exclude`. */
  bestExcludingAt(d: number, exclude: number): Path | undefined {
    if (!this.#index.isLive(d)) return undefined;
    for (let p = this.#head[d] - 1; p >= 0; p = this.#pNext[p]) {
      if (this.#pSource[p] !== exclude && (this.#pFlags[p] & F_INFEASIBLE) === 0) return this.#path(p);
    }
    return undefined;
  }
  /** Is d the id of a destination with at least one path? */
  liveAt(d: number): boolean {
    return this.#index.isLive(d) && this.#head[d] !== 0;
  }
  /** Label of the best path (NO_LABEL when none). */
  bestLabelAt(d: number): number {
    return this.ecmpCountAt(d) ? this.#pLabel[this.#head[d] - 1] : NO_LABEL;
  }
  /** Extra data of the best path (label stack, full NLRI, meta), or undefined. */
  bestExtraAt(d: number): PathExtra | undefined {
    return this.ecmpCountAt(d) ? this.#pExtra.get(this.#head[d] - 1) : undefined;
  }
  /** Source id of the best path, or -1. */
  bestSourceAt(d: number): number {
    return this.ecmpCountAt(d) ? this.#pSource[this.#head[d] - 1] : -1;
  }
  /** Attribute-set id of the best path, or -1. */
  bestAttrIdAt(d: number): number {
    return this.ecmpCountAt(d) ? this.#pAttr[this.#head[d] - 1] : -1;
  }
  keyAt(d: number): RouteKey {
    return keyString(this.#index.key(d));
  }
  /** Key bytes of a live destination without copying (valid until the next change). */
  keyView(d: number): Uint8Array {
    return this.#index.key(d);
  }
}

function sameSet(a: readonly Path[], b: readonly Path[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!a[i].sameAs(b[i])) return false;
  return true;
}
