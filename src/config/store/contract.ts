// The one contract suite every store engine passes (STYLE.md 9): run by sqlite-store.test.ts and
// etcd-store.test.ts against a real engine each. `open` returns a fresh, empty store.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompactedError, type KvBatch, type KvStore, type TxnRequest } from './types.js';

export interface ContractTarget {
  name: string;
  open(): Promise<KvStore>;
  skip?: string | false;
}

const txn = (puts: Record<string, string> = {}, deletes: string[] = [], compares: TxnRequest['compares'] = []): TxnRequest => ({
  compares,
  puts: new Map(Object.entries(puts)),
  deletes: new Set(deletes),
});

/** Collects watch batches until `until` holds. */
function collect(store: KvStore, prefix: string, from: number) {
  const batches: KvBatch[] = [];
  let error: Error | undefined;
  let wake: (() => void) | undefined;
  const handle = store.watch(prefix, from, {
    onBatch: (b) => {
      batches.push(b);
      wake?.();
    },
    onError: (e) => {
      error = e;
      wake?.();
    },
  });
  return {
    batches,
    get error() {
      return error;
    },
    async until(pred: () => boolean): Promise<void> {
      const deadline = Date.now() + 10_000;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`watch condition not met; got ${JSON.stringify(batches)} error=${String(error)}`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
    },
    close: () => handle.close(),
  };
}

export function runStoreContract(target: ContractTarget): void {
  const t = (name: string, fn: (s: KvStore) => Promise<void>): void => {
    void test(`${target.name}: ${name}`, { skip: target.skip ?? false }, async () => {
      const s = await target.open();
      try {
        await fn(s);
      } finally {
        await s.close();
      }
    });
  };

  t('a transaction gets one new revision for all its writes', async (s) => {
    const r0 = await s.currentRevision();
    const a = await s.txn(txn({ 'o/a': '1', 'o/b': '2' }));
    assert.equal(a.succeeded, true);
    assert.ok(a.revision > r0);
    assert.equal(await s.currentRevision(), a.revision);
    const b = await s.txn(txn({ 'o/a': '3' }, ['o/b']));
    assert.ok(b.revision > a.revision);
    const got = await s.range('o/');
    assert.deepEqual(
      got.entries.map((e) => [e.key, e.value, e.createRevision, e.modRevision]),
      [['o/a', '3', a.revision, b.revision]],
    );
    assert.ok(got.revision >= b.revision);
  });

  t('compares guard the whole transaction; a failed one writes nothing', async (s) => {
    const a = await s.txn(txn({ 'n/x': 'u1' }, [], [{ kind: 'absent', key: 'n/x' }]));
    assert.equal(a.succeeded, true);
    const again = await s.txn(txn({ 'n/x': 'u2', 'o/other': 'z' }, [], [{ kind: 'absent', key: 'n/x' }]));
    assert.equal(again.succeeded, false);
    assert.equal(again.revision, await s.currentRevision());
    assert.deepEqual((await s.range('')).entries.filter((e) => !e.key.startsWith('~')).map((e) => [e.key, e.value]), [['n/x', 'u1']]);
    assert.equal((await s.txn(txn({ 'n/y': '1' }, [], [{ kind: 'created', key: 'n/x', revision: a.revision }]))).succeeded, true);
    assert.equal((await s.txn(txn({ 'n/y': '2' }, [], [{ kind: 'created', key: 'n/x', revision: a.revision + 100 }]))).succeeded, false);
    const y = (await s.range('n/y')).entries[0];
    assert.equal((await s.txn(txn({ 'n/y': '3' }, [], [{ kind: 'modified', key: 'n/y', revision: y.modRevision }]))).succeeded, true);
    assert.equal((await s.txn(txn({ 'n/y': '4' }, [], [{ kind: 'modified', key: 'n/y', revision: y.modRevision }]))).succeeded, false);
    assert.equal((await s.txn(txn({ 'n/z': '1' }, [], [{ kind: 'created', key: 'n/missing', revision: 1 }]))).succeeded, false);
  });

  t('rangeUnchangedSince fails only when a key in the range was written after the revision', async (s) => {
    const base = await s.txn(txn({ 'c/p/1': 'a' }));
    const ok = await s.txn(txn({ 'o/p': 'del' }, [], [{ kind: 'rangeUnchangedSince', prefix: 'c/p/', revision: base.revision }]));
    assert.equal(ok.succeeded, true);
    assert.equal((await s.txn(txn({ 'o/q': '1' }, [], [{ kind: 'rangeUnchangedSince', prefix: 'c/empty/', revision: 0 }]))).succeeded, true);
    const added = await s.txn(txn({ 'c/p/2': 'b' }));
    const stale = await s.txn(txn({ 'o/p': 'x' }, [], [{ kind: 'rangeUnchangedSince', prefix: 'c/p/', revision: base.revision }]));
    assert.equal(stale.succeeded, false);
    const del = await s.txn(txn({}, ['c/p/1']));
    assert.ok(del.revision > added.revision);
    const afterDelete = await s.txn(txn({ 'o/p': 'y' }, [], [{ kind: 'rangeUnchangedSince', prefix: 'c/p/', revision: added.revision }]));
    assert.equal(afterDelete.succeeded, true, 'a deletion in the range does not count as a change');
    // The prefix boundary is exact: 'c/p0' and 'c/pp/' are outside 'c/p/'.
    await s.txn(txn({ 'c/p0': 'outside', 'c/pp/1': 'outside' }));
    assert.equal((await s.txn(txn({ 'o/r': '1' }, [], [{ kind: 'rangeUnchangedSince', prefix: 'c/p/', revision: afterDelete.revision }]))).succeeded, true);
  });

  t('concurrent transactions are serialised: exactly one of two racing creates wins', async (s) => {
    const from = await s.currentRevision();
    const [a, b] = await Promise.all([
      s.txn(txn({ 'n/race': 'a' }, [], [{ kind: 'absent', key: 'n/race' }])),
      s.txn(txn({ 'n/race': 'b' }, [], [{ kind: 'absent', key: 'n/race' }])),
    ]);
    assert.equal([a, b].filter((r) => r.succeeded).length, 1);
    const winner = a.succeeded ? 'a' : 'b';
    assert.deepEqual((await s.range('n/')).entries.map((e) => e.value), [winner]);
    // A burst that writes a key and then deletes it: the delete reports the value just written.
    const [put, del] = await Promise.all([s.txn(txn({ 'n/burst': 'v1' })), s.txn(txn({}, ['n/burst']))]);
    assert.equal(put.succeeded && del.succeeded, true);
    const w = collect(s, 'n/', from);
    await w.until(() => w.batches.some((x) => x.events.some((e) => e.key === 'n/burst')));
    await new Promise((r) => setTimeout(r, 50));
    w.close();
    const events = w.batches.flatMap((x) => x.events).filter((e) => e.key === 'n/burst');
    const left = (await s.range('n/burst')).entries;
    if (left.length === 0) {
      assert.deepEqual(events.map((e) => [e.type, e.type === 'put' ? e.value : e.prevValue]), [['put', 'v1'], ['delete', 'v1']]);
    } else {
      // etcd may order the two differently (the delete found nothing, then the put).
      assert.deepEqual(events.map((e) => e.type), ['put']);
    }
  });

  t('range reads a prefix in key order and paginates', async (s) => {
    const puts: Record<string, string> = {};
    for (let i = 0; i < 25; i++) puts[`a/${String(i).padStart(3, '0')}`] = `v${i}`;
    await s.txn(txn(puts));
    await s.txn(txn({ 'b/1': 'x', 'a0': 'outside' }));
    const keys: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await s.range('a/', { limit: 10, after });
      keys.push(...page.entries.map((e) => e.key));
      if (!page.more) break;
      after = page.entries[page.entries.length - 1].key;
    }
    assert.deepEqual(keys, Object.keys(puts).sort());
  });

  t('watch replays history after a revision, then follows live changes, one batch per transaction', async (s) => {
    const r1 = await s.txn(txn({ 'o/1': 'a' }));
    const r2 = await s.txn(txn({ 'o/2': 'b', 'o/3': 'c', 'x/ignored': '1' }));
    const w = collect(s, 'o/', r1.revision);
    const r3 = await s.txn(txn({ 'o/1': 'a2' }, ['o/2']));
    await w.until(() => w.batches.length >= 2);
    w.close();
    assert.equal(w.error, undefined);
    assert.deepEqual(
      w.batches.map((b) => ({ r: b.revision, e: b.events.map((e) => [e.type, e.key, e.value ?? null]).sort() })),
      [
        { r: r2.revision, e: [['put', 'o/2', 'b'], ['put', 'o/3', 'c']] },
        { r: r3.revision, e: [['delete', 'o/2', null], ['put', 'o/1', 'a2']] },
      ],
    );
    const del = w.batches[1].events.find((e) => e.type === 'delete');
    assert.equal(del?.prevValue, 'b', 'deletes carry the previous value');
    const put = w.batches[1].events.find((e) => e.type === 'put');
    assert.equal(put?.createRevision, r1.revision);
  });

  t('a closed watch delivers nothing more', async (s) => {
    const r = await s.currentRevision();
    const w = collect(s, 'o/', r);
    await s.txn(txn({ 'o/1': 'a' }));
    await w.until(() => w.batches.length === 1);
    w.close();
    await s.txn(txn({ 'o/2': 'b' }));
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(w.batches.length, 1);
  });

  t('watching from before a compaction fails with CompactedError; from just before it works', async (s) => {
    const r0 = await s.txn(txn({ 'o/0': 'z' }));
    const r1 = await s.txn(txn({ 'o/1': 'a' }));
    const r2 = await s.txn(txn({ 'o/1': 'b' }));
    const r3 = await s.txn(txn({ 'o/1': 'c' }));
    await s.compact(r2.revision);
    assert.equal(await s.compactedRevision(), r2.revision);
    const w = collect(s, 'o/', r0.revision);
    await w.until(() => w.error !== undefined);
    w.close();
    assert.ok(w.error instanceof CompactedError, String(w.error));
    assert.equal(w.error.compactRevision, r2.revision);
    const ok = collect(s, 'o/', r1.revision);
    await ok.until(() => ok.batches.length === 2);
    ok.close();
    assert.equal(ok.error, undefined);
    assert.deepEqual(ok.batches.map((b) => [b.revision, b.events[0].value]), [[r2.revision, 'b'], [r3.revision, 'c']]);
  });
}
