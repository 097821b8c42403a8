// SQLite persistence for the lab API's store: one row per object, written through on every change,
// plus the last revision, so a restarted API server resumes its resourceVersion sequence. Watch
// history is not persisted: after a restart, resuming from an older revision gets 410 Expired and
// clients relist, as after an etcd compaction.
import Database from 'better-sqlite3';
import type { Persistence, StoredRecord } from './store.js';
import type { KubeObject } from './types.js';

export function sqlitePersistence(path: string): Persistence {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE IF NOT EXISTS objects (storage TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (storage, key));
           CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);`);
  const put = db.prepare('INSERT INTO objects (storage, key, body) VALUES (?, ?, ?) ON CONFLICT (storage, key) DO UPDATE SET body = excluded.body');
  const del = db.prepare('DELETE FROM objects WHERE storage = ? AND key = ?');
  const setRv = db.prepare("INSERT INTO meta (name, value) VALUES ('rv', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value");
  const putTx = db.transaction((storage: string, key: string, body: string, rv: number) => {
    put.run(storage, key, body);
    setRv.run(rv);
  });
  const delTx = db.transaction((storage: string, key: string, rv: number) => {
    del.run(storage, key);
    setRv.run(rv);
  });
  return {
    load() {
      const rvRow = db.prepare("SELECT value FROM meta WHERE name = 'rv'").get() as { value: number } | undefined;
      const rows = db.prepare('SELECT storage, body FROM objects').all() as { storage: string; body: string }[];
      const records: StoredRecord[] = rows.map((r) => ({ storage: r.storage, object: JSON.parse(r.body) as KubeObject }));
      return { rv: rvRow?.value ?? 0, records };
    },
    put(storage, key, object, rv) {
      putTx(storage, key, JSON.stringify(object), rv);
    },
    remove(storage, key, rv) {
      delTx(storage, key, rv);
    },
    close() {
      db.close();
    },
  };
}
