// One-time migration of a store file written by the first SQLite layout (a `kv` table of current
// keys plus a `log` table with one row per transaction) into the append-only `changes` table: the
// log's events become rows at their revisions, and current keys whose revision the log no longer
// holds (compacted) become rows at their mod revision. Runs inside the caller's transaction.
import type { Database as Db } from 'better-sqlite3';

/** Events of a legacy log row: per event `p<createRev>,<keyLen>,<valueLen>:<key><value>` or `d0,…` (lengths in UTF-16 units). */
function decodeLegacyLog(text: string): { op: 0 | 1; createRev: number; key: string; value: string }[] {
  const out: { op: 0 | 1; createRev: number; key: string; value: string }[] = [];
  let i = 0;
  while (i < text.length) {
    const kind = text[i];
    const colon = text.indexOf(':', i);
    const [cr, kl, vl] = text.slice(i + 1, colon).split(',').map(Number);
    const key = text.slice(colon + 1, colon + 1 + kl);
    const value = text.slice(colon + 1 + kl, colon + 1 + kl + vl);
    i = colon + 1 + kl + vl;
    out.push({ op: kind === 'p' ? 0 : 1, createRev: kind === 'p' ? cr : 0, key, value });
  }
  return out;
}

export function hasLegacyTables(db: Db): boolean {
  return db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'kv'").get() !== undefined;
}

/** Copies kv + log into `changes`, then drops them (reads each table whole: a statement cannot write while another iterates). */
export function migrateLegacy(db: Db, rowId: (rev: number, seq: number) => number): void {
  const insert = db.prepare('INSERT INTO changes (id, op, create_rev, key, value) VALUES (?, ?, ?, ?, ?)');
  const logged = new Set<number>();
  const hasLog = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'log'").get() !== undefined;
  if (hasLog) {
    for (const r of db.prepare('SELECT rev, events FROM log ORDER BY rev').all() as { rev: number; events: string }[]) {
      logged.add(r.rev);
      decodeLegacyLog(r.events).forEach((e, seq) => insert.run(rowId(r.rev, seq), e.op, e.createRev, e.key, e.value));
    }
  }
  const seqs = new Map<number, number>();
  for (const r of db.prepare('SELECT key, value, create_rev, mod_rev FROM kv').all() as { key: string; value: string; create_rev: number; mod_rev: number }[]) {
    if (logged.has(r.mod_rev)) continue;
    const seq = seqs.get(r.mod_rev) ?? 0;
    seqs.set(r.mod_rev, seq + 1);
    insert.run(rowId(r.mod_rev, seq), 0, r.create_rev, r.key, r.value);
  }
  db.exec(`DROP TABLE kv;${hasLog ? ' DROP TABLE log;' : ''}`);
}
