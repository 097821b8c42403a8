// The embedded store engine: one SQLite file (better-sqlite3, WAL). A `kv` table holds the current
// keys with their create/mod revisions; a `log` table holds every change for the change feed and
// watch resumption, pruned by compact(). Group commit: the transactions submitted while the event
// loop is busy are applied in one SQLite transaction (each still gets its own revision, and each
// evaluates its compares against the state its predecessors left), then published to watchers in
// order, then resolved — an acknowledged transaction is always on disk. The revisions of every key
// are also kept in memory, so compares cost no query, and a group's writes go to SQLite as bulk
// multi-row statements. The file is opened with an exclusive lock: one config API process owns it
// (use the etcd engine for several processes).
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

export interface SqliteStoreOptions {
  /** file path, or ':memory:' */
  path: string;
  /** 'normal' (default) survives a process crash (kill -9); 'full' also survives power loss */
  synchronous?: 'normal' | 'full';
}

interface KvRow {
  key: string;
  value: string;
  create_rev: number;
  mod_rev: number;
}

interface LogRow {
  rev: number;
  events: string;
}

/**
 * A log row holds a whole transaction as length-prefixed text (no JSON escaping of the values):
 * per event `p<createRev>,<keyLen>,<valueLen>:<key><value>` for a put, `d0,<keyLen>,<prevLen>:<key><prev>`
 * for a delete (lengths in UTF-16 code units).
 */
function encodeLog(events: readonly KvEvent[]): string {
  let out = '';
  for (const e of events) {
    const v = (e.type === 'put' ? e.value : e.prevValue) ?? '';
    out += `${e.type === 'put' ? 'p' : 'd'}${e.createRevision},${e.key.length},${v.length}:${e.key}${v}`;
  }
  return out;
}

function decodeLog(text: string): KvEvent[] {
  const out: KvEvent[] = [];
  let i = 0;
  while (i < text.length) {
    const kind = text[i];
    const colon = text.indexOf(':', i);
    const [cr, kl, vl] = text.slice(i + 1, colon).split(',').map(Number);
    const key = text.slice(colon + 1, colon + 1 + kl);
    const value = text.slice(colon + 1 + kl, colon + 1 + kl + vl);
    i = colon + 1 + kl + vl;
    out.push(kind === 'p' ? { type: 'put', key, value, createRevision: cr } : { type: 'delete', key, prevValue: value, createRevision: 0 });
  }
  return out;
}

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

export class SqliteStore implements KvStore {
  readonly kind = 'sqlite' as const;
  readonly description: string;
  readonly #db: Db;
  readonly #watchers = new Set<LiveWatcher>();
  #revision: number;
  #compacted: number;
  #closed = false;
  #queue: Pending[] = [];
  #scheduled = false;
  /** create/mod revision of every key (the source of truth for compares) */
  readonly #keys = new Map<string, { c: number; m: number }>();
  /** writes of the current group not yet sent to SQLite */
  #inserts: (string | number)[] = [];
  #updates: [string, number, string][] = [];
  #logs: (string | number)[] = [];
  /** values written in the current group (prevValue of a later delete in the same group) */
  readonly #groupValues = new Map<string, string>();
  readonly #bulk = new Map<string, Statement>();
  readonly #st: {
    get: Statement<[string], KvRow>;
    update: Statement<[string, number, string]>;
    del: Statement<[string]>;
    maxMod: Statement<[string, string], { m: number | null }>;
    setMeta: Statement<[string, number]>;
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
      this.#db.exec(`
        CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS log (rev INTEGER PRIMARY KEY, events TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
      `);
      // A write takes the exclusive lock now, so a second process fails here rather than later.
      this.#db.exec('BEGIN IMMEDIATE; COMMIT;');
    } catch (err) {
      throw new StoreUnavailableError(`cannot open SQLite store ${opts.path}: ${(err as Error).message}`, err);
    }
    const meta = (name: string): number =>
      (this.#db.prepare('SELECT value FROM meta WHERE name = ?').get(name) as { value: number } | undefined)?.value ?? 0;
    this.#revision = meta('revision');
    this.#compacted = meta('compacted');
    this.#st = {
      get: this.#db.prepare('SELECT key, value, create_rev, mod_rev FROM kv WHERE key = ?'),
      update: this.#db.prepare('UPDATE kv SET value = ?, mod_rev = ? WHERE key = ?'),
      del: this.#db.prepare('DELETE FROM kv WHERE key = ?'),
      maxMod: this.#db.prepare('SELECT max(mod_rev) AS m FROM kv WHERE key >= ? AND key < ?'),
      setMeta: this.#db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value'),
    };
    this.#loadKeys();
  }

  #loadKeys(): void {
    this.#keys.clear();
    for (const r of this.#db.prepare('SELECT key, create_rev, mod_rev FROM kv').iterate() as IterableIterator<{ key: string; create_rev: number; mod_rev: number }>) {
      this.#keys.set(r.key, { c: r.create_rev, m: r.mod_rev });
    }
  }

  /** A prepared multi-row INSERT for `rows` rows of `cols` columns. */
  #bulkInsert(table: 'kv' | 'log', rows: number): Statement {
    const id = `${table}:${rows}`;
    let st = this.#bulk.get(id);
    if (!st) {
      const row = table === 'kv' ? '(?, ?, ?, ?)' : '(?, ?)';
      const cols = table === 'kv' ? 'kv (key, value, create_rev, mod_rev)' : 'log (rev, events)';
      st = this.#db.prepare(`INSERT INTO ${cols} VALUES ${Array(rows).fill(row).join(', ')}`);
      this.#bulk.set(id, st);
    }
    return st;
  }

  /** Sends the group's pending writes to SQLite (inside the open transaction). */
  #flushWrites(): void {
    const CHUNK = 64;
    const send = (table: 'kv' | 'log', params: (string | number)[], width: number): void => {
      for (let i = 0; i < params.length; i += CHUNK * width) {
        const part = params.slice(i, i + CHUNK * width);
        this.#bulkInsert(table, part.length / width).run(...part);
      }
    };
    send('kv', this.#inserts, 4);
    for (const [value, rev, key] of this.#updates) this.#st.update.run(value, rev, key);
    send('log', this.#logs, 2);
    this.#inserts = [];
    this.#updates = [];
    this.#logs = [];
  }

  #check(): void {
    if (this.#closed) throw new StoreUnavailableError('SQLite store is closed');
  }

  async range(prefix: string, opts: { revision?: number; limit?: number; after?: string } = {}): Promise<RangeResult> {
    this.#check();
    if (opts.revision !== undefined && opts.revision !== this.#revision) {
      // Only the current revision is readable; callers paginate within one synchronous burst or restart.
      if (opts.revision < this.#revision) throw new CompactedError(this.#revision);
    }
    const limit = opts.limit ?? 0;
    const lo = opts.after !== undefined && opts.after >= prefix ? `${opts.after}\u0000` : prefix;
    const rows = (
      prefix === ''
        ? this.#db.prepare(`SELECT key, value, create_rev, mod_rev FROM kv WHERE key >= ? ORDER BY key${limit ? ' LIMIT ?' : ''}`)
        : this.#db.prepare(`SELECT key, value, create_rev, mod_rev FROM kv WHERE key >= ? AND key < ? ORDER BY key${limit ? ' LIMIT ?' : ''}`)
    ).all(...(prefix === '' ? [lo] : [lo, prefixEnd(prefix)]), ...(limit ? [limit + 1] : [])) as KvRow[];
    const more = limit > 0 && rows.length > limit;
    if (more) rows.pop();
    return {
      revision: this.#revision,
      entries: rows.map((r): KvEntry => ({ key: r.key, value: r.value, createRevision: r.create_rev, modRevision: r.mod_rev })),
      more,
    };
  }

  #holds(c: Compare): boolean {
    switch (c.kind) {
      case 'absent':
        return !this.#keys.has(c.key);
      case 'created':
        return this.#keys.get(c.key)?.c === c.revision;
      case 'modified':
        return this.#keys.get(c.key)?.m === c.revision;
      case 'rangeUnchangedSince':
        this.#flushWrites();
        return (this.#st.maxMod.get(c.prefix, prefixEnd(c.prefix))?.m ?? 0) <= c.revision;
    }
  }

  txn(req: TxnRequest): Promise<TxnResult> {
    return new Promise((resolve, reject) => {
      if (this.#closed) {
        reject(new StoreUnavailableError('SQLite store is closed'));
        return;
      }
      this.#queue.push({ req, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Applies one queued transaction inside the open SQLite transaction; returns its batch or undefined. */
  #applyOne(req: TxnRequest, rev: number): KvEvent[] | undefined {
    for (const c of req.compares) if (!this.#holds(c)) return undefined;
    const events: KvEvent[] = [];
    for (const [key, value] of req.puts) {
      const old = this.#keys.get(key);
      if (old) {
        this.#updates.push([value, rev, key]);
        old.m = rev;
      } else {
        this.#inserts.push(key, value, rev, rev);
        this.#keys.set(key, { c: rev, m: rev });
      }
      this.#groupValues.set(key, value);
      events.push({ type: 'put', key, value, createRevision: old ? old.c : rev });
    }
    for (const key of req.deletes) {
      if (req.puts.has(key) || !this.#keys.has(key)) continue;
      this.#flushWrites();
      const prev = this.#groupValues.get(key) ?? this.#st.get.get(key)?.value ?? '';
      this.#st.del.run(key);
      this.#keys.delete(key);
      this.#groupValues.delete(key);
      events.push({ type: 'delete', key, prevValue: prev, createRevision: 0 });
    }
    if (events.length > 0) this.#logs.push(rev, encodeLog(events));
    return events;
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
    const outcomes: ({ ok: false } | { ok: true; batch?: KvBatch })[] = [];
    let rev = start;
    try {
      this.#db.transaction(() => {
        for (const p of group) {
          const noWrites = p.req.puts.size === 0 && p.req.deletes.size === 0;
          const events = this.#applyOne(p.req, rev + 1);
          if (!events) outcomes.push({ ok: false });
          else if (noWrites || events.length === 0) outcomes.push({ ok: true });
          else {
            rev++;
            outcomes.push({ ok: true, batch: { revision: rev, events } });
          }
        }
        this.#flushWrites();
        if (rev !== start) this.#st.setMeta.run('revision', rev);
      })();
    } catch (err) {
      // The SQLite transaction rolled back: drop the group's pending state and re-read the key index.
      this.#inserts = [];
      this.#updates = [];
      this.#logs = [];
      this.#loadKeys();
      const e = new StoreUnavailableError(`SQLite transaction failed: ${(err as Error).message}`, err);
      for (const p of group) p.reject(e);
      return;
    } finally {
      this.#groupValues.clear();
    }
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
      const events = batch.events.filter((e) => e.key >= w.prefix && (w.end === null || e.key < w.end));
      if (events.length > 0) w.cb.onBatch({ revision: batch.revision, events });
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

  /** Reads the history (fromRevision, current] for a prefix from the log, one batch per revision. */
  #history(prefix: string, fromRevision: number): KvBatch[] {
    const rows = this.#db.prepare('SELECT rev, events FROM log WHERE rev > ? ORDER BY rev').all(fromRevision) as LogRow[];
    const end = prefix === '' ? null : prefixEnd(prefix);
    const out: KvBatch[] = [];
    for (const r of rows) {
      const events = decodeLog(r.events).filter((e) => e.key >= prefix && (end === null || e.key < end));
      if (events.length > 0) out.push({ revision: r.rev, events });
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

  async compact(revision: number): Promise<void> {
    this.#check();
    const upto = Math.min(revision, this.#revision);
    if (upto <= this.#compacted) return;
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM log WHERE rev < ?').run(upto);
      this.#st.setMeta.run('compacted', upto);
    })();
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
