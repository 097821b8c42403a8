import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runStoreContract } from '../contract.js';
import { StoreUnavailableError } from '../types.js';
import Database from 'better-sqlite3';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'tf-sqlite-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

runStoreContract({ name: 'sqlite', open: async () => new SqliteStore({ path: join(dir, `c${n++}.db`) }) });

test('sqlite: data and revision survive reopening', async () => {
  const path = join(dir, 'reopen.db');
  const a = new SqliteStore({ path });
  const r = await a.txn({ compares: [], puts: new Map([['o/1', 'x']]), deletes: new Set() });
  await a.close();
  const b = new SqliteStore({ path });
  assert.equal(await b.currentRevision(), r.revision);
  assert.deepEqual((await b.range('o/')).entries.map((e) => e.value), ['x']);
  await b.close();
});

test('sqlite: a second store on the same file is refused while the first holds it', async () => {
  const path = join(dir, 'locked.db');
  const a = new SqliteStore({ path });
  assert.throws(() => new SqliteStore({ path }), StoreUnavailableError);
  await a.close();
});

const put = (puts: Record<string, string>, deletes: string[] = []) => ({ compares: [], puts: new Map(Object.entries(puts)), deletes: new Set(deletes) });

test('sqlite: compaction keeps every current value, and the state and history survive reopening', async () => {
  const path = join(dir, 'compact.db');
  const a = new SqliteStore({ path });
  const r1 = await a.txn(put({ 'o/old': 'kept', 'o/x': 'x1', 'o/gone': 'g' }));
  await a.txn(put({ 'o/x': 'x2' }));
  const r3 = await a.txn(put({ 'o/x': 'x3' }, ['o/gone']));
  const r4 = await a.txn(put({ 'o/y': 'y1' }));
  await a.compact(r3.revision);
  const state = async (s: SqliteStore) => (await s.range('')).entries.map((e) => [e.key, e.value, e.createRevision, e.modRevision]);
  const want = [
    ['o/old', 'kept', r1.revision, r1.revision],
    ['o/x', 'x3', r1.revision, r3.revision],
    ['o/y', 'y1', r4.revision, r4.revision],
  ];
  assert.deepEqual(await state(a), want);
  await a.close();
  const b = new SqliteStore({ path });
  try {
    assert.deepEqual(await state(b), want);
    assert.equal(await b.currentRevision(), r4.revision);
    assert.equal(await b.compactedRevision(), r3.revision);
    // History from just before the compaction revision is whole: the delete still carries its value.
    const batches = await new Promise<{ revision: number; events: unknown[] }[]>((resolve) => {
      const got: { revision: number; events: unknown[] }[] = [];
      const h = b.watch('o/', r3.revision - 1, {
        onBatch: (x) => {
          got.push({ revision: x.revision, events: x.events.map((e) => [e.type, e.key, e.type === 'put' ? e.value : e.prevValue]).sort() });
          if (x.revision === r4.revision) {
            h.close();
            resolve(got);
          }
        },
        onError: () => undefined,
      });
    });
    assert.deepEqual(batches, [
      { revision: r3.revision, events: [['delete', 'o/gone', 'g'], ['put', 'o/x', 'x3']] },
      { revision: r4.revision, events: [['put', 'o/y', 'y1']] },
    ]);
    // A delete-only transaction moves the revision, and the revision survives reopening.
    const r5 = await b.txn(put({}, ['o/y']));
    assert.equal(r5.revision, r4.revision + 1);
  } finally {
    await b.close();
  }
  const c = new SqliteStore({ path });
  assert.equal(await c.currentRevision(), r4.revision + 1);
  assert.deepEqual((await c.range('o/')).entries.map((e) => e.key), ['o/old', 'o/x']);
  await c.close();
});

test('sqlite: a file of the first layout (kv + log tables) is migrated on open', async () => {
  const path = join(dir, 'legacy.db');
  const db = new Database(path);
  db.exec(`
    CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE log (rev INTEGER PRIMARY KEY, events TEXT NOT NULL);
    CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
    INSERT INTO kv VALUES ('o/a', 'a1', 1, 1), ('o/b', 'b2', 2, 3);
    INSERT INTO log VALUES (3, 'p2,3,2:o/bb2d0,3,2:o/cc1');
    INSERT INTO meta VALUES ('revision', 4), ('compacted', 3);
  `);
  db.close();
  const s = new SqliteStore({ path });
  try {
    assert.equal(await s.currentRevision(), 4);
    assert.deepEqual((await s.range('')).entries.map((e) => [e.key, e.value, e.createRevision, e.modRevision]), [
      ['o/a', 'a1', 1, 1],
      ['o/b', 'b2', 2, 3],
    ]);
    const got = await new Promise<unknown[]>((resolve) => {
      const h = s.watch('', 2, {
        onBatch: (b) => {
          h.close();
          resolve([b.revision, b.events.map((e) => [e.type, e.key, e.type === 'put' ? e.value : e.prevValue])]);
        },
        onError: () => undefined,
      });
    });
    assert.deepEqual(got, [3, [['put', 'o/b', 'b2'], ['delete', 'o/c', 'c1']]]);
    const r = await s.txn(put({ 'o/d': 'd' }));
    assert.equal(r.revision, 5);
  } finally {
    await s.close();
  }
});
