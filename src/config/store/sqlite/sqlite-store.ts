// The embedded store engine: one SQLite file (better-sqlite3, WAL). A `kv` table holds the current
// keys with their create/mod revisions; a `log` table holds every change for the change feed and
// watch resumption, pruned by compact(). Transactions are synchronous: a txn() call evaluates its
// compares and applies its writes before it returns, and live watchers see the batch before the
// returned promise resolves. The file is opened with an exclusive lock: one config API process
// owns it (use the etcd engine for several processes).
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
  key: string;
  value: string | null;
  prev: string | null;
  create_rev: number;
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
  readonly #st: {
    get: Statement<[string], KvRow>;
    insert: Statement<[string, string, number, number]>;
    update: Statement<[string, number, string]>;
    del: Statement<[string]>;
    log: Statement<[number, number, string, string | null, string | null, number]>;
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
      this.#db.exec(`
        CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS log (rev INTEGER NOT NULL, seq INTEGER NOT NULL, key TEXT NOT NULL, value TEXT, prev TEXT, create_rev INTEGER NOT NULL, PRIMARY KEY (rev, seq)) WITHOUT ROWID;
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
      insert: this.#db.prepare('INSERT INTO kv (key, value, create_rev, mod_rev) VALUES (?, ?, ?, ?)'),
      update: this.#db.prepare('UPDATE kv SET value = ?, mod_rev = ? WHERE key = ?'),
      del: this.#db.prepare('DELETE FROM kv WHERE key = ?'),
      log: this.#db.prepare('INSERT INTO log (rev, seq, key, value, prev, create_rev) VALUES (?, ?, ?, ?, ?, ?)'),
      maxMod: this.#db.prepare('SELECT max(mod_rev) AS m FROM kv WHERE key >= ? AND key < ?'),
      setMeta: this.#db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value'),
    };
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
        return this.#st.get.get(c.key) === undefined;
      case 'created':
        return this.#st.get.get(c.key)?.create_rev === c.revision;
      case 'modified':
        return this.#st.get.get(c.key)?.mod_rev === c.revision;
      case 'rangeUnchangedSince':
        return (this.#st.maxMod.get(c.prefix, prefixEnd(c.prefix))?.m ?? 0) <= c.revision;
    }
  }

  async txn(req: TxnRequest): Promise<TxnResult> {
    this.#check();
    const events: KvEvent[] = [];
    let rev = 0;
    const apply = this.#db.transaction((): boolean => {
      for (const c of req.compares) if (!this.#holds(c)) return false;
      if (req.puts.size === 0 && req.deletes.size === 0) return true;
      rev = this.#revision + 1;
      let seq = 0;
      for (const [key, value] of req.puts) {
        const old = this.#st.get.get(key);
        if (old) this.#st.update.run(value, rev, key);
        else this.#st.insert.run(key, value, rev, rev);
        const createRevision = old ? old.create_rev : rev;
        this.#st.log.run(rev, seq++, key, value, old ? old.value : null, createRevision);
        events.push({ type: 'put', key, value, prevValue: old?.value, createRevision });
      }
      for (const key of req.deletes) {
        if (req.puts.has(key)) continue;
        const old = this.#st.get.get(key);
        if (!old) continue;
        this.#st.del.run(key);
        this.#st.log.run(rev, seq++, key, null, old.value, 0);
        events.push({ type: 'delete', key, prevValue: old.value, createRevision: 0 });
      }
      this.#st.setMeta.run('revision', rev);
      return true;
    });
    let ok: boolean;
    try {
      ok = apply();
    } catch (err) {
      throw new StoreUnavailableError(`SQLite transaction failed: ${(err as Error).message}`, err);
    }
    if (!ok) return { succeeded: false, revision: this.#revision };
    if (rev === 0) return { succeeded: true, revision: this.#revision };
    this.#revision = rev;
    this.#publish({ revision: rev, events });
    return { succeeded: true, revision: rev };
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

  /** Reads the history (fromRevision, current] for a prefix from the log, grouped by revision. */
  #history(prefix: string, fromRevision: number): KvBatch[] {
    const rows = (
      prefix === ''
        ? this.#db.prepare('SELECT rev, key, value, prev, create_rev FROM log WHERE rev > ? ORDER BY rev, seq').all(fromRevision)
        : this.#db
            .prepare('SELECT rev, key, value, prev, create_rev FROM log WHERE rev > ? AND key >= ? AND key < ? ORDER BY rev, seq')
            .all(fromRevision, prefix, prefixEnd(prefix))
    ) as LogRow[];
    const out: KvBatch[] = [];
    let cur: { revision: number; events: KvEvent[] } | undefined;
    for (const r of rows) {
      if (!cur || cur.revision !== r.rev) {
        cur = { revision: r.rev, events: [] };
        out.push(cur);
      }
      cur.events.push(
        r.value === null
          ? { type: 'delete', key: r.key, prevValue: r.prev ?? undefined, createRevision: 0 }
          : { type: 'put', key: r.key, value: r.value, prevValue: r.prev ?? undefined, createRevision: r.create_rev },
      );
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
    this.#closed = true;
    for (const w of this.#watchers) w.closed = true;
    this.#watchers.clear();
    this.#db.close();
  }
}
