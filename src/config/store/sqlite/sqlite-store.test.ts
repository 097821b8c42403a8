import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runStoreContract } from '../contract.js';
import { StoreUnavailableError } from '../types.js';
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
