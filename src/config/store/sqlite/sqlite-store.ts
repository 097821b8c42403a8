// The embedded store engine: one SQLite file (better-sqlite3, WAL), laid out like etcd's own
// backend. One append-only table, `changes`, holds every change as a row keyed by
// (revision, sequence): a put with its value and create revision, or a delete with the value it
// removed. Every write is an append at the end of the table, so a commit writes a few pages however
// random the keys (a table keyed by key dirtied about one page per key written: ~8x the WAL
// traffic and CPU). The current state is the latest row of each key; an in-memory index
// (key → create/mod revision and the row holding its value) answers compares without a query and
// is rebuilt by one scan at open. The same rows are the history that watches replay; compact()
// deletes the rows that are neither current nor after the compaction revision.
//
// Group commit: the transactions submitted while the event loop is busy are applied in one SQLite
// transaction (each still gets its own revision, and each evaluates its compares against the state
// its predecessors left), then published to watchers in order, then resolved — an acknowledged
// transaction is always in the WAL file, so it survives kill -9. The file is opened with an
// exclusive lock: one config API process owns it (use the etcd engine for several processes).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import {
  CompactedError,
  StoreUnavailableError,
  prefixEnd,
  type Compare,
  type KvBatch,
  type KvEntry,
  type KvEvent,
  type KvStore,
  type RangeResult,
  type TxnRequest,
  type TxnResult,
  type WatchCallbacks,
  type WatchHandle,
} from '../types.js';
import { hasLegacyTables, migrateLegacy } from './legacy.js';

export interface SqliteStoreOptions {
  /** file path, or ':memory:' */
  path: string;
  /** 'normal' (default) survives a process crash (kill -9); 'full' also survives power loss */
  synchronous?: 'normal' | 'full';
}

/** Row ids: revision × 2^20 + the change's index in its transaction (exact in a double up to 2^33 revisions). */
const SEQ_SPAN = 2 ** 20;
const rowId = (rev: number, seq: number): number => rev * SEQ_SPAN + seq;
const revOf = (id: number): number => Math.floor(id / SEQ_SPAN);
const PUT = 0;
const DELETE = 1;

interface ChangeRow {
  id: number;
  op: number;
  create_rev: number;
  key: string;
  value: string;
}

/** Where a key stands: create and mod revision, and the row that holds its current value. */
interface KeyState {
  c: number;
  m: number;
  id: number;
}

type Outcome = { ok: false } | { ok: true; batch?: KvBatch };

interface Pending {
  req: TxnRequest;
  resolve: (r: TxnResult) => void;
  reject: (err: Error) => void;
}

interface LiveWatcher {
  prefix: string;
  end: string | null;
  cb: WatchCallbacks;
  closed: boolean;
}

/** Index of the first element of a sorted array that is >= `lo` (or > `lo` when `strict`). */
function lowerBound(sorted: readonly string[], lo: string, strict: boolean): number {
  let a = 0;
  let b = sorted.length;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (sorted[mid] < lo || (strict && sorted[mid] === lo)) a = mid + 1;
    else b = mid;
  }
  return a;
}

/** Rows written per INSERT statement (5 parameters each). */
const CHUNK = 64;
/** rangeUnchangedSince reads the rows after the revision unless they are more than this many revisions. */
const RECENT_SCAN_REVISIONS = 10_000;

export class SqliteStore implements KvStore {
  readonly kind = 'sqlite' as const;
  readonly description: string;
  readonly #db: Db;
  readonly #watchers = new Set<LiveWatcher>();
  #revision = 0;
  #compacted: number;
  #closed = false;
  #queue: Pending[] = [];
  #scheduled = false;
  /** the current state of every key (the source of truth for compares and ranges) */
  readonly #keys = new Map<string, KeyState>();
  /** all keys in order, while no key was added or removed */
  #sorted: string[] | undefined;
  /** rows that are no longer any key's current value (overwritten puts, deletes): compact() may drop them */
  #garbage: number[] = [];
  /** rows of the current group not yet sent to SQLite, 5 parameters each */
  #rows: (string | number)[] = [];
  readonly #bulk = new Map<number, Statement>();
  /** Applies a group inside one SQLite transaction (prepared once). */
  readonly #applyGroup: (group: Pending[], start: number) => Outcome[];
  readonly #st: {
    value: Statement<[number], { value: string }>;
    recentKeys: Statement<[number, string, string], { key: string }>;
    setMeta: Statement<[string, number]>;
    deleteRow: Statement<[number]>;
  };

  constructor(opts: SqliteStoreOptions) {
    if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
    this.description = `sqlite:${opts.path}`;
    try {
      this.#db = new Database(opts.path, { timeout: 200 });
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('locking_mode = EXCLUSIVE');
      this.#db.pragma(`synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      this.#db.pragma('cache_size = -65536');
      this.#db.pragma('wal_autocheckpoint = 8000');
      // A write takes the exclusive lock now, so a second process fails here rather than later.
      this.#db.transaction(() => {
        this.#db.exec(`
          CREATE TABLE IF NOT EXISTS changes (id INTEGER PRIMARY KEY, op INTEGER NOT NULL, create_rev INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL);
          CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        `);
        if (hasLegacyTables(this.#db)) migrateLegacy(this.#db, rowId);
      }).immediate();
    } catch (err) {
      throw new StoreUnavailableError(`cannot open SQLite store ${opts.path}: ${(err as Error).message}`, err);
    }
    this.#st = {
      value: this.#db.prepare('SELECT value FROM changes WHERE id = ?'),
      recentKeys: this.#db.prepare(`SELECT key FROM changes WHERE id >= ? AND op = ${PUT} AND key >= ? AND key < ?`),
      setMeta: this.#db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value'),
      deleteRow: this.#db.prepare('DELETE FROM changes WHERE id = ?'),
    };
    this.#compacted = this.#meta('compacted');
    this.#applyGroup = this.#db.transaction((group: Pending[], start: number): Outcome[] => {
      const outcomes: Outcome[] = [];
      let rev = start;
      for (const p of group) {
        const events = this.#applyOne(p.req, rev + 1);
        if (!events) outcomes.push({ ok: false });
        else if (events.length === 0) outcomes.push({ ok: true });
        else {
          rev++;
          outcomes.push({ ok: true, batch: { revision: rev, events } });
        }
      }
      this.#flushWrites();
      return outcomes;
    });
    this.#loadKeys();
  }

  #meta(name: string): number {
    return (this.#db.prepare('SELECT value FROM meta WHERE name = ?').get(name) as { value: number } | undefined)?.value ?? 0;
  }

  /** Rebuilds the key index, the garbage list and the revision from the table. */
  #loadKeys(): void {
    this.#keys.clear();
    this.#sorted = undefined;
    this.#garbage = [];
    let last = 0;
    const rows = this.#db.prepare('SELECT id, op, create_rev, key FROM changes ORDER BY id').iterate() as IterableIterator<Omit<ChangeRow, 'value'>>;
    for (const r of rows) {
      const old = this.#keys.get(r.key);
      if (old) this.#garbage.push(old.id);
      if (r.op === PUT) {
        this.#keys.set(r.key, { c: r.create_rev, m: revOf(r.id), id: r.id });
      } else {
        this.#keys.delete(r.key);
        this.#garbage.push(r.id);
      }
      last = r.id;
    }
    // The first layout kept the revision in meta; a transaction that wrote nothing never moves it.
    this.#revision = Math.max(revOf(last), this.#meta('revision'));
  }

  /** Sends the group's pending rows to SQLite (inside the open transaction), as multi-row INSERTs. */
  #flushWrites(): void {
    const rows = this.#rows;
    if (rows.length === 0) return;
    this.#rows = [];
    for (let i = 0; i < rows.length; i += CHUNK * 5) {
      const part = i === 0 && rows.length <= CHUNK * 5 ? rows : rows.slice(i, i + CHUNK * 5);
      const n = part.length / 5;
      let st = this.#bulk.get(n);
      if (!st) {
        st = this.#db.prepare(`INSERT INTO changes (id, op, create_rev, key, value) VALUES ${Array(n).fill('(?, ?, ?, ?, ?)').join(', ')}`);
        this.#bulk.set(n, st);
      }
      st.run(...part);
    }
  }

  #check(): void {
    if (this.#closed) throw new StoreUnavailableError('SQLite store is closed');
  }

  #sortedKeys(): string[] {
    this.#sorted ??= [...this.#keys.keys()].sort();
    return this.#sorted;
  }

  async range(prefix: string, opts: { revision?: number; limit?: number; after?: string } = {}): Promise<RangeResult> {
    this.#check();
    // Only the current revision is readable; callers paginate within one synchronous burst or restart.
    if (opts.revision !== undefined && opts.revision < this.#revision) throw new CompactedError(this.#revision);
    const limit = opts.limit ?? 0;
    const sorted = this.#sortedKeys();
    const end = prefix === '' ? null : prefixEnd(prefix);
    const strict = opts.after !== undefined && opts.after >= prefix;
    const entries: KvEntry[] = [];
    let more = false;
    for (let i = lowerBound(sorted, strict ? opts.after! : prefix, strict); i < sorted.length; i++) {
      const key = sorted[i];
      if (end !== null && key >= end) break;
      if (limit > 0 && entries.length === limit) {
        more = true;
        break;
      }
      const s = this.#keys.get(key)!;
      entries.push({ key, value: this.#st.value.get(s.id)!.value, createRevision: s.c, modRevision: s.m });
    }
    return { revision: this.#revision, entries, more };
  }

  /** `rev` is the revision the transaction being checked would get. */
  #holds(c: Compare, rev: number): boolean {
    switch (c.kind) {
      case 'absent':
        return !this.#keys.has(c.key);
      case 'created':
        return this.#keys.get(c.key)?.c === c.revision;
      case 'modified':
        return this.#keys.get(c.key)?.m === c.revision;
      case 'rangeUnchangedSince':
        return this.#rangeUnchangedSince(c.prefix, c.revision, rev);
    }
  }

  /** No live key with `prefix` has a mod revision after `since` (deleted keys do not count, as in etcd). */
  #rangeUnchangedSince(prefix: string, since: number, rev: number): boolean {
    if (since >= rev - 1) return true;
    const end = prefix === '' ? null : prefixEnd(prefix);
    const written = (key: string): boolean => (this.#keys.get(key)?.m ?? 0) > since;
    if (end !== null && rev - 1 - since <= RECENT_SCAN_REVISIONS) {
      // The rows after `since` hold every key written since; the index says which are still current.
      this.#flushWrites();
      for (const r of this.#st.recentKeys.iterate(rowId(since + 1, 0), prefix, end)) if (written(r.key)) return false;
      return true;
    }
    for (const key of this.#keys.keys()) if (key >= prefix && (end === null || key < end) && written(key)) return false;
    return true;
  }

  txn(req: TxnRequest): Promise<TxnResult> {
    return new Promise((resolve, reject) => {
      if (this.#closed) {
        reject(new StoreUnavailableError('SQLite store is closed'));
        return;
      }
      if (req.puts.size + req.deletes.size >= SEQ_SPAN) {
        reject(new StoreUnavailableError(`a transaction may write at most ${SEQ_SPAN - 1} keys`));
        return;
      }
      this.#queue.push({ req, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Applies one queued transaction inside the open SQLite transaction; returns its events, or undefined when a compare failed. */
  #applyOne(req: TxnRequest, rev: number): KvEvent[] | undefined {
    for (const c of req.compares) if (!this.#holds(c, rev)) return undefined;
    const events: KvEvent[] = [];
    let seq = 0;
    for (const [key, value] of req.puts) {
      const id = rowId(rev, seq++);
      let s = this.#keys.get(key);
      if (s) {
        this.#garbage.push(s.id);
        s.m = rev;
        s.id = id;
      } else {
        this.#keys.set(key, (s = { c: rev, m: rev, id }));
        this.#sorted = undefined;
      }
      this.#rows.push(id, PUT, s.c, key, value);
      events.push({ type: 'put', key, value, createRevision: s.c });
    }
    for (const key of req.deletes) {
      const s = this.#keys.get(key);
      if (req.puts.has(key) || !s) continue;
      const prev = this.#pendingValue(s.id) ?? this.#st.value.get(s.id)?.value ?? '';
      const id = rowId(rev, seq++);
      this.#rows.push(id, DELETE, 0, key, prev);
      this.#garbage.push(s.id, id);
      this.#keys.delete(key);
      this.#sorted = undefined;
      events.push({ type: 'delete', key, prevValue: prev, createRevision: 0 });
    }
    return events;
  }

  /** The value of a row of the current group not yet sent to SQLite (a delete after a put in one group). */
  #pendingValue(id: number): string | undefined {
    for (let i = this.#rows.length - 5; i >= 0; i -= 5) if (this.#rows[i] === id) return this.#rows[i + 4] as string;
    return undefined;
  }

  #flush(): void {
    this.#scheduled = false;
    const group = this.#queue;
    this.#queue = [];
    if (group.length === 0) return;
    if (this.#closed) {
      for (const p of group) p.reject(new StoreUnavailableError('SQLite store is closed'));
      return;
    }
    const start = this.#revision;
    let outcomes: Outcome[];
    try {
      outcomes = this.#applyGroup(group, start);
    } catch (err) {
      // The SQLite transaction rolled back: drop the group's pending rows and re-read the index.
      this.#rows = [];
      this.#loadKeys();
      const e = new StoreUnavailableError(`SQLite transaction failed: ${(err as Error).message}`, err);
      for (const p of group) p.reject(e);
      return;
    }
    const rev = outcomes.reduce((r, o) => (o.ok && o.batch ? o.batch.revision : r), start);
    this.#revision = rev;
    let seen = start;
    for (const o of outcomes) if (o.ok && o.batch) this.#publish(o.batch);
    group.forEach((p, i) => {
      const o = outcomes[i];
      if (o.ok && o.batch) seen = o.batch.revision;
      p.resolve(o.ok ? { succeeded: true, revision: o.batch?.revision ?? seen } : { succeeded: false, revision: rev });
    });
  }

  #publish(batch: KvBatch): void {
    for (const w of this.#watchers) {
      if (w.closed) continue;
      const events = w.prefix === '' ? batch.events : batch.events.filter((e) => e.key >= w.prefix && (w.end === null || e.key < w.end));
      if (events.length > 0) w.cb.onBatch(events === batch.events ? batch : { revision: batch.revision, events });
    }
  }

  async currentRevision(): Promise<number> {
    this.#check();
    return this.#revision;
  }

  async compactedRevision(): Promise<number> {
    this.#check();
    return this.#compacted;
  }

  /** The history (fromRevision, current] under a prefix, one batch per revision. */
  #history(prefix: string, fromRevision: number): KvBatch[] {
    const rows = this.#db.prepare('SELECT id, op, create_rev, key, value FROM changes WHERE id >= ? ORDER BY id').iterate(rowId(fromRevision + 1, 0)) as IterableIterator<ChangeRow>;
    const end = prefix === '' ? null : prefixEnd(prefix);
    const out: { revision: number; events: KvEvent[] }[] = [];
    for (const r of rows) {
      if (r.key < prefix || (end !== null && r.key >= end)) continue;
      const revision = revOf(r.id);
      let last = out[out.length - 1];
      if (last?.revision !== revision) out.push((last = { revision, events: [] }));
      last.events.push(r.op === PUT ? { type: 'put', key: r.key, value: r.value, createRevision: r.create_rev } : { type: 'delete', key: r.key, prevValue: r.value, createRevision: 0 });
    }
    return out;
  }

  watch(prefix: string, fromRevision: number, cb: WatchCallbacks): WatchHandle {
    const w: LiveWatcher = { prefix, end: prefix === '' ? null : prefixEnd(prefix), cb, closed: false };
    if (this.#closed) {
      queueMicrotask(() => cb.onError(new StoreUnavailableError('SQLite store is closed')));
      return { close: () => undefined };
    }
    if (fromRevision + 1 < this.#compacted) {
      const compacted = this.#compacted;
      queueMicrotask(() => cb.onError(new CompactedError(compacted)));
      return { close: () => undefined };
    }
    // History and registration happen in one synchronous step: no change can fall between them.
    const backlog = fromRevision < this.#revision ? this.#history(prefix, fromRevision) : [];
    const queue: KvBatch[] = [];
    let draining = backlog.length > 0;
    const live: WatchCallbacks = {
      onBatch: (b) => (draining ? queue.push(b) : cb.onBatch(b)),
      onError: (e) => cb.onError(e),
    };
    w.cb = live;
    this.#watchers.add(w);
    if (draining) {
      queueMicrotask(() => {
        for (const b of backlog) if (!w.closed) cb.onBatch(b);
        draining = false;
        for (const b of queue.splice(0)) if (!w.closed) cb.onBatch(b);
      });
    }
    return {
      close: () => {
        w.closed = true;
        this.#watchers.delete(w);
      },
    };
  }

  /** Drops the rows before `revision` that hold no key's current value. */
  async compact(revision: number): Promise<void> {
    this.#check();
    const upto = Math.min(revision, this.#revision);
    if (upto <= this.#compacted) return;
    const bound = rowId(upto, 0);
    const dead = this.#garbage.filter((id) => id < bound);
    this.#db.transaction(() => {
      for (const id of dead) this.#st.deleteRow.run(id);
      this.#st.setMeta.run('compacted', upto);
    })();
    this.#garbage = this.#garbage.filter((id) => id >= bound);
    this.#compacted = upto;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#queue.length > 0) this.#flush();
    this.#closed = true;
    for (const w of this.#watchers) w.closed = true;
    this.#watchers.clear();
    this.#db.close();
  }
}
