// The change feed over HTTP: event shapes, resume exactly after `since`, type filters, bookmarks,
// history beyond the in-memory ring (store history), and 410 after compaction.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestConfigApi, type TestConfigApi } from '../../test/support/config-api.js';
import type { WatchEvent } from '../vnc/watch.js';

let api: TestConfigApi;
const P = ['default-domain', 'feed'];

before(async () => {
  api = await startTestConfigApi({ bookmarkMs: 200, ringSize: 5 });
  await api.client.create('project', { fq_name: P, parent_type: 'domain' });
});
after(() => api.close());

/** Reads the feed until `n` non-bookmark events (or a bookmark at `until`) arrived. */
async function readFeed(query: string, stop: (evs: WatchEvent[]) => boolean): Promise<{ status: number; events: WatchEvent[]; body?: unknown }> {
  const ctl = new AbortController();
  const res = await fetch(`${api.url}/watch?${query}`, { signal: ctl.signal });
  if (res.status !== 200) return { status: res.status, events: [], body: await res.json() };
  const events: WatchEvent[] = [];
  let buf = '';
  const reader = res.body!.getReader();
  const deadline = setTimeout(() => ctl.abort(), 10_000);
  try {
    while (!stop(events)) {
      const { value, done } = (await reader.read()) as { value: Uint8Array | undefined; done: boolean };
      if (done) break;
      buf += Buffer.from(value!).toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buf.slice(0, i)) as WatchEvent);
        buf = buf.slice(i + 1);
      }
    }
  } finally {
    clearTimeout(deadline);
    ctl.abort();
  }
  return { status: 200, events };
}

test('events are ADDED/MODIFIED/DELETED with the object and revision, resuming exactly after since', async () => {
  const start = api.service.mirror.revision;
  const sg = await api.client.create('security-group', { fq_name: [...P, 'sg'], parent_type: 'project' });
  const up = await api.client.update('security-group', sg.uuid, { display_name: 'x' });
  await api.client.delete('security-group', sg.uuid);
  const got = await readFeed(`since=${start}&types=security-group`, (e) => e.filter((x) => x.type !== 'BOOKMARK').length >= 3);
  const evs = got.events.filter((e) => e.type !== 'BOOKMARK');
  assert.deepEqual(evs.map((e) => [e.type, e.object_type, e.object?.uuid]), [
    ['ADDED', 'security-group', sg.uuid],
    ['MODIFIED', 'security-group', sg.uuid],
    ['DELETED', 'security-group', sg.uuid],
  ]);
  assert.ok(evs[0].revision < evs[1].revision && evs[1].revision < evs[2].revision);
  assert.equal(evs[1].object?.display_name, 'x');
  assert.equal(evs[2].object?.display_name, 'x', 'DELETED carries the last state');
  assert.equal(evs[1].object?.id_perms?.last_modified, up.id_perms?.last_modified);
  const resumed = await readFeed(`since=${evs[0].revision}&types=security-group`, (e) => e.filter((x) => x.type !== 'BOOKMARK').length >= 2);
  assert.deepEqual(resumed.events.filter((e) => e.type !== 'BOOKMARK').map((e) => e.type), ['MODIFIED', 'DELETED']);
});

test('a VN create shows the VN and its default RI in one revision; type filters apply', async () => {
  const start = api.service.mirror.revision;
  const vn = await api.client.create('virtual-network', { fq_name: [...P, 'vn'], parent_type: 'project' });
  const got = await readFeed(`since=${start}`, (e) => e.filter((x) => x.type === 'ADDED').length >= 2);
  const added = got.events.filter((e) => e.type === 'ADDED');
  assert.deepEqual(added.map((e) => e.object_type).sort(), ['routing-instance', 'virtual-network']);
  assert.equal(added[0].revision, added[1].revision);
  assert.equal(added.find((e) => e.object_type === 'virtual-network')?.object?.uuid, vn.uuid);
  const onlyRi = await readFeed(`since=${start}&types=routing-instance`, (e) => e.some((x) => x.type === 'BOOKMARK'));
  assert.deepEqual(onlyRi.events.filter((e) => e.type !== 'BOOKMARK').map((e) => e.object_type), ['routing-instance']);
});

test('live events follow the catch-up, and idle streams get bookmarks at the head revision', async () => {
  const ctl = readFeed('types=network-policy', (e) => e.some((x) => x.type === 'ADDED') && e.filter((x) => x.type === 'BOOKMARK').length >= 2);
  await new Promise((r) => setTimeout(r, 100));
  const np = await api.client.create('network-policy', { fq_name: [...P, 'np-live'], parent_type: 'project' });
  const got = await ctl;
  const added = got.events.find((e) => e.type === 'ADDED');
  assert.equal(added?.object?.uuid, np.uuid);
  const lastBookmark = got.events.filter((e) => e.type === 'BOOKMARK').pop();
  assert.ok(lastBookmark!.revision >= added.revision);
});

test('history older than the in-memory ring comes from the store; compacted history answers 410', async () => {
  const start = api.service.mirror.revision;
  const made = [];
  for (let i = 0; i < 8; i++) made.push(await api.client.create('network-policy', { fq_name: [...P, `np-${i}`], parent_type: 'project' }));
  assert.ok(api.service.mirror.ringFloor > start, 'the ring (5 batches) no longer reaches back to start');
  const got = await readFeed(`since=${start}&types=network-policy`, (e) => e.filter((x) => x.type === 'ADDED').length >= 8);
  assert.deepEqual(got.events.filter((e) => e.type === 'ADDED').map((e) => e.object?.uuid), made.map((m) => m.uuid));
  await api.store.compact(api.service.mirror.revision - 2);
  const gone = await readFeed(`since=${start}`, () => true);
  assert.equal(gone.status, 410);
  const body = gone.body as { error: { code: string; details: { oldest_revision: number } } };
  assert.equal(body.error.code, 'REVISION_COMPACTED');
  assert.equal(body.error.details.oldest_revision, api.service.mirror.revision - 2);
});

test('bad since or types are 400/404', async () => {
  assert.equal((await readFeed('since=abc', () => true)).status, 400);
  assert.equal((await readFeed('types=nope', () => true)).status, 400);
});
