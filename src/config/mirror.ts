// The in-memory mirror of the store namespace that each config API process keeps: every key with
// its revisions, plus the indexes the API reads (objects by type, fq_name → uuid, children,
// back-references, allocations). It loads a snapshot, then follows the store's watch, applying one
// transaction (batch) at a time, so it always reflects exactly one store revision. Reads are served
// from it; writes are planned against it and guarded by compares, so a stale mirror can only cause
// a retry, never a wrong write. It also keeps a ring of recent batches for the change feed.
import { createLogger } from '../common/log.js';
import { childKey, pairOf, parseAllocKey } from './keys.js';
import { CompactedError, type KvBatch, type KvEvent, type KvStore, type WatchHandle } from './store/types.js';

const log = createLogger('config-mirror');

export interface Entry {
  value: string;
  createRevision: number;
  modRevision: number;
}

/**
 * Objects in memory carry their type under this symbol: spreads copy it, while JSON.stringify,
 * Object.entries and for…in skip it, so it never reaches the store or the wire.
 */
export const TYPE_FIELD: unique symbol = Symbol('vnc-type');

/** An object as stored: the wire shape without hrefs, back-refs and children. */
export interface StoredObject {
  uuid: string;
  fq_name: string[];
  parent_type?: string;
  parent_uuid?: string;
  [TYPE_FIELD]?: string;
  [field: string]: unknown;
}

export const objType = (obj: StoredObject): string => obj[TYPE_FIELD]!;

export interface BackRef {
  type: string;
  relaxed: boolean;
}

export type BatchListener = (batch: KvBatch) => void;

/** Back-reference values are shared: one object per (type, relaxed), not one per reference. */
const BACK_REFS = new Map<string, BackRef>();
function backRef(type: string, relaxed: boolean): BackRef {
  const k = relaxed ? `x${type}` : `r${type}`;
  let b = BACK_REFS.get(k);
  if (!b) BACK_REFS.set(k, (b = Object.freeze({ type, relaxed })));
  return b;
}

interface Waiter {
  revision: number;
  resolve: () => void;
}

export interface MirrorOptions {
  /** batches kept for change-feed resumption (default 20,000) */
  ringSize?: number;
  /** called when an allocation key disappears (pool, value), so allocators can move their cursors */
  onFree?: (pool: string, value: string) => void;
}

export class Mirror {
  readonly #store: KvStore;
  readonly #opts: MirrorOptions;
  #revision = 0;
  readonly #entries = new Map<string, Entry>();
  readonly #objects = new Map<string, { type: string; key: string }>();
  readonly #parsed = new Map<string, StoredObject>();
  readonly #byType = new Map<string, Set<string>>();
  readonly #fq = new Map<string, string>();
  readonly #children = new Map<string, Map<string, string>>();
  readonly #backRefs = new Map<string, Map<string, BackRef>>();
  readonly #allocs = new Map<string, Map<string, string>>();
  readonly #owned = new Map<string, Set<string>>();
  readonly #ring: KvBatch[] = [];
  #ringStart = 0;
  readonly #listeners = new Set<BatchListener>();
  readonly #resetListeners = new Set<() => void>();
  #waiters: Waiter[] = [];
  #watch: WatchHandle | undefined;
  #closed = false;
  #syncRound: Promise<void> | undefined;
  #nextRound: Promise<void> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #connected = false;

  constructor(store: KvStore, opts: MirrorOptions = {}) {
    this.#store = store;
    this.#opts = opts;
  }

  get revision(): number {
    return this.#revision;
  }

  get connected(): boolean {
    return this.#connected;
  }

  get objectCount(): number {
    return this.#objects.size;
  }

  /** Oldest revision R such that every batch after R is in the ring. */
  get ringFloor(): number {
    return this.#ringStart;
  }

  async start(): Promise<void> {
    await this.#load();
    this.#follow();
  }

  async #load(): Promise<void> {
    const entries: { key: string; e: Entry }[] = [];
    let revision = 0;
    let after: string | undefined;
    for (;;) {
      const page = await this.#store.range('', { limit: 2000, after, ...(revision ? { revision } : {}) });
      if (!revision) revision = page.revision;
      for (const kv of page.entries) entries.push({ key: kv.key, e: { value: kv.value, createRevision: kv.createRevision, modRevision: kv.modRevision } });
      if (!page.more) break;
      after = page.entries[page.entries.length - 1].key;
    }
    this.#reset();
    for (const { key, e } of entries) {
      this.#entries.set(key, e);
      this.#index(key, e.value, true);
    }
    this.#revision = revision;
    this.#ringStart = revision;
    this.#ring.length = 0;
    this.#wake();
  }

  #reset(): void {
    this.#entries.clear();
    this.#objects.clear();
    this.#parsed.clear();
    this.#byType.clear();
    this.#fq.clear();
    this.#children.clear();
    this.#backRefs.clear();
    this.#allocs.clear();
    this.#owned.clear();
  }

  #follow(): void {
    if (this.#closed) return;
    const from = this.#revision;
    this.#watch = this.#store.watch('', from, {
      onBatch: (b) => {
        this.#connected = true;
        this.apply(b);
      },
      onError: (err) => {
        this.#connected = false;
        if (this.#closed) return;
        this.#watch = undefined;
        if (err instanceof CompactedError) {
          log.warn({ revision: this.#revision }, 'mirror fell behind a compaction; reloading');
          void this.#reload();
        } else {
          log.warn({ err: err.message }, 'store watch failed; resuming');
          this.#retryTimer = setTimeout(() => this.#follow(), 200);
        }
      },
      // The mirror holds every key's value, so apply() fills a delete's previous value itself.
    }, { prevValues: false });
    this.#connected = true;
  }

  async #reload(): Promise<void> {
    try {
      await this.#load();
      for (const l of this.#resetListeners) l();
      this.#follow();
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'mirror reload failed; retrying');
      this.#retryTimer = setTimeout(() => void this.#reload(), 500);
    }
  }

  /** Applies one transaction's changes. Batches at or below the current revision are ignored. */
  apply(batch: KvBatch): void {
    if (batch.revision <= this.#revision) return;
    const events: KvEvent[] = [];
    for (const ev of batch.events) {
      const old = this.#entries.get(ev.key);
      if (ev.type === 'put') {
        const e: Entry = { value: ev.value ?? '', createRevision: old ? old.createRevision : ev.createRevision || batch.revision, modRevision: batch.revision };
        this.#entries.set(ev.key, e);
        if (old) this.#unindex(ev.key, old.value);
        this.#index(ev.key, e.value, !old);
        // The ring keeps puts without their previous value: the feed needs it only for deletes.
        const same = ev.prevValue === undefined && ev.value !== undefined && ev.createRevision === e.createRevision;
        events.push(same ? ev : { type: 'put', key: ev.key, value: e.value, createRevision: e.createRevision });
      } else {
        if (!old) continue;
        this.#entries.delete(ev.key);
        this.#unindex(ev.key, old.value);
        events.push(ev.prevValue === undefined ? { ...ev, prevValue: old.value } : ev);
      }
    }
    this.#revision = batch.revision;
    const full: KvBatch = { revision: batch.revision, events };
    this.#ring.push(full);
    const max = this.#opts.ringSize ?? 20_000;
    // Trim in steps of an eighth, so trimming costs O(1) per batch on average.
    if (this.#ring.length > max + Math.max(1, max >> 3)) {
      const dropped = this.#ring.splice(0, this.#ring.length - max);
      this.#ringStart = dropped[dropped.length - 1].revision;
    }
    for (const l of this.#listeners) l(full);
    this.#wake();
  }

  /** `fresh`: the key did not exist before (nothing of it can be cached). */
  #index(key: string, value: string, fresh: boolean): void {
    switch (key[0]) {
      case 'o': {
        const slash = key.indexOf('/', 2);
        const type = key.slice(2, slash);
        const uuid = key.slice(slash + 1);
        this.#objects.set(uuid, { type, key });
        if (!fresh) this.#parsed.delete(uuid);
        let set = this.#byType.get(type);
        if (!set) this.#byType.set(type, (set = new Set()));
        set.add(uuid);
        return;
      }
      case 'n':
        this.#fq.set(key.slice(2), value);
        return;
      case 'c': {
        const slash = key.indexOf('/', 2);
        const parent = key.slice(2, slash);
        let m = this.#children.get(parent);
        if (!m) this.#children.set(parent, (m = new Map<string, string>()));
        m.set(key.slice(slash + 1), value);
        return;
      }
      case 'r':
      case 'x': {
        const slash = key.indexOf('/', 2);
        const to = key.slice(2, slash);
        let m = this.#backRefs.get(to);
        if (!m) this.#backRefs.set(to, (m = new Map<string, BackRef>()));
        m.set(key.slice(slash + 1), backRef(value, key[0] === 'x'));
        return;
      }
      case 'a': {
        const slash = key.lastIndexOf('/');
        const pool = key.slice(2, slash);
        let m = this.#allocs.get(pool);
        if (!m) this.#allocs.set(pool, (m = new Map<string, string>()));
        m.set(key.slice(slash + 1), value);
        let owned = this.#owned.get(value);
        if (!owned) this.#owned.set(value, (owned = new Set()));
        owned.add(key);
        return;
      }
    }
  }

  #unindex(key: string, value: string): void {
    switch (key[0]) {
      case 'o': {
        const slash = key.indexOf('/', 2);
        const type = key.slice(2, slash);
        const uuid = key.slice(slash + 1);
        this.#parsed.delete(uuid);
        if (!this.#entries.has(key)) {
          this.#objects.delete(uuid);
          this.#byType.get(type)?.delete(uuid);
        }
        return;
      }
      case 'n':
        if (!this.#entries.has(key)) this.#fq.delete(key.slice(2));
        return;
      case 'c': {
        if (this.#entries.has(key)) return;
        const [parent, child] = pairOf(key);
        const m = this.#children.get(parent);
        m?.delete(child);
        if (m?.size === 0) this.#children.delete(parent);
        return;
      }
      case 'r':
      case 'x': {
        if (this.#entries.has(key)) return;
        const [to, from] = pairOf(key);
        const m = this.#backRefs.get(to);
        const cur = m?.get(from);
        // r/ and x/ keys for one edge never coexist, but a move between them must not erase the new one.
        if (cur && cur.relaxed === (key[0] === 'x')) m!.delete(from);
        if (m?.size === 0) this.#backRefs.delete(to);
        return;
      }
      case 'a': {
        if (this.#entries.has(key)) return;
        const { pool, value: v } = parseAllocKey(key);
        this.#allocs.get(pool)?.delete(v);
        const owned = this.#owned.get(value);
        owned?.delete(key);
        if (owned?.size === 0) this.#owned.delete(value);
        this.#opts.onFree?.(pool, v);
        return;
      }
    }
  }

  #wake(): void {
    if (this.#waiters.length === 0) return;
    const ready = this.#waiters.filter((w) => w.revision <= this.#revision);
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => w.revision > this.#revision);
    for (const w of ready) w.resolve();
  }

  /** Resolves once the mirror has applied `revision`. */
  waitFor(revision: number): Promise<void> {
    if (revision <= this.#revision) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ revision, resolve }));
  }

  /**
   * Linearizable catch-up: resolves once the mirror reflects every change committed before the call.
   * Concurrent callers share store round trips (one in flight, one queued).
   */
  sync(): Promise<void> {
    if (this.#store.kind === 'sqlite') return Promise.resolve();
    if (!this.#syncRound) {
      this.#syncRound = this.#round().finally(() => {
        this.#syncRound = undefined;
      });
      return this.#syncRound;
    }
    if (!this.#nextRound) {
      const current = this.#syncRound;
      this.#nextRound = current
        .catch(() => undefined)
        .then(() => {
          this.#nextRound = undefined;
          return this.sync();
        });
    }
    return this.#nextRound;
  }

  async #round(): Promise<void> {
    const rev = await this.#store.currentRevision();
    await this.waitFor(rev);
  }

  // --- reads -------------------------------------------------------------------------------

  entry(key: string): Entry | undefined {
    return this.#entries.get(key);
  }

  typeOf(uuid: string): string | undefined {
    return this.#objects.get(uuid)?.type;
  }

  objectEntry(uuid: string): Entry | undefined {
    const o = this.#objects.get(uuid);
    return o ? this.#entries.get(o.key) : undefined;
  }

  /** The parsed object (shared, treat as read-only). */
  get(uuid: string): StoredObject | undefined {
    let p = this.#parsed.get(uuid);
    if (p) return p;
    const e = this.objectEntry(uuid);
    if (!e) return undefined;
    p = JSON.parse(e.value) as StoredObject;
    p[TYPE_FIELD] = this.#objects.get(uuid)!.type;
    this.#parsed.set(uuid, p);
    return p;
  }

  /**
   * Seeds the parsed-object cache with the object a write just committed at `revision` (saves
   * re-parsing what the writer already has). Ignored if the object changed since.
   */
  prime(obj: StoredObject, revision: number): void {
    if (this.#parsed.has(obj.uuid)) return;
    if (this.objectEntry(obj.uuid)?.modRevision === revision) this.#parsed.set(obj.uuid, obj);
  }

  uuidsOfType(type: string): ReadonlySet<string> {
    return this.#byType.get(type) ?? new Set();
  }

  uuidByFq(type: string, fq: string): string | undefined {
    return this.#fq.get(`${type}/${fq}`);
  }

  children(parent: string): ReadonlyMap<string, string> {
    return this.#children.get(parent) ?? new Map();
  }

  backRefs(to: string): ReadonlyMap<string, BackRef> {
    return this.#backRefs.get(to) ?? new Map();
  }

  allocations(pool: string): ReadonlyMap<string, string> {
    return this.#allocs.get(pool) ?? new Map();
  }

  allocationKeysOf(owner: string): ReadonlySet<string> {
    return this.#owned.get(owner) ?? new Set();
  }

  hasChild(parent: string, child: string): boolean {
    return this.#entries.has(childKey(parent, child));
  }

  // --- change feed -------------------------------------------------------------------------

  /** Batches with revision > `after` that are still in the ring, or undefined if some were dropped. */
  ringSince(after: number): KvBatch[] | undefined {
    if (after < this.#ringStart) return undefined;
    let lo = 0;
    let hi = this.#ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#ring[mid].revision <= after) lo = mid + 1;
      else hi = mid;
    }
    return this.#ring.slice(lo);
  }

  subscribe(l: BatchListener): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }

  /** Called after a reload from a fresh snapshot (the ring restarted): feeds must end. */
  onReset(l: () => void): () => void {
    this.#resetListeners.add(l);
    return () => this.#resetListeners.delete(l);
  }

  close(): void {
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#watch?.close();
    this.#listeners.clear();
    for (const w of this.#waiters) w.resolve();
    this.#waiters = [];
  }
}
