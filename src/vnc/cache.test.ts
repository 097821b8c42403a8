// VncCache against a real config API: initial sync, handlers in order, indexes, resume across an
// API restart without missing or repeating a change, and relist with exact differences after 410.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startConfigApi, type RunningConfigApi } from '../config/server.js';
import { VncCache } from './cache.js';
import { VncClient } from './client.js';

const dir = mkdtempSync(join(tmpdir(), 'tf-cache-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const P = ['default-domain', 'cache'];

async function until(pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('syncs, indexes back-refs and children, and reports changes in order', async () => {
  const api = await startConfigApi({ store: `sqlite://${join(dir, 'a.db')}`, port: 0, bookmarkMs: 100 });
  const client = new VncClient({ url: api.url, retryBaseMs: 20 });
  try {
    await client.create('project', { fq_name: P, parent_type: 'domain' });
    const vn = await client.create('virtual-network', { fq_name: [...P, 'vn'], parent_type: 'project' });
    const cache = new VncCache(client, ['virtual-network', 'routing-instance', 'virtual-machine-interface']);
    const log: string[] = [];
    cache.on({
      add: (o, t) => log.push(`add ${t} ${o.fq_name.join(':')}`),
      update: (o, old, t) => log.push(`update ${t} ${o.fq_name.join(':')} ${String(old.display_name)}→${String(o.display_name)}`),
      delete: (o, t) => log.push(`delete ${t} ${o.fq_name.join(':')}`),
    });
    await cache.start();
    assert.ok(log.includes(`add virtual-network ${P.join(':')}:vn`));
    assert.ok(log.includes(`add routing-instance ${P.join(':')}:vn:vn`));
    assert.equal(cache.getByFqName('virtual-network', [...P, 'vn'])?.uuid, vn.uuid);
    assert.deepEqual(cache.children(vn.uuid, 'routing-instance').map((r) => r.name), ['vn']);
    log.length = 0;
    const vmi = await client.create('virtual-machine-interface', { fq_name: [...P, 'vmi'], parent_type: 'project', virtual_network_refs: [{ uuid: vn.uuid }] });
    await client.update('virtual-network', vn.uuid, { display_name: 'renamed' });
    await client.delete('virtual-machine-interface', vmi.uuid);
    await until(() => log.length >= 3, 'three events');
    assert.deepEqual(log, [`add virtual-machine-interface ${P.join(':')}:vmi`, `update virtual-network ${P.join(':')}:vn vn→renamed`, `delete virtual-machine-interface ${P.join(':')}:vmi`]);
    assert.deepEqual(cache.backRefs(vn.uuid, 'virtual-machine-interface'), []);
    assert.equal(cache.get(vmi.uuid), undefined);
    assert.equal(cache.get(vn.uuid)?.href, undefined, 'objects are kept in stored shape');
    cache.close();
  } finally {
    client.close();
    await api.close();
  }
});

test('resumes after the API restarts without missing or repeating a change', async () => {
  const path = join(dir, 'b.db');
  let api: RunningConfigApi = await startConfigApi({ store: `sqlite://${path}`, port: 0 });
  const port = api.port;
  const client = new VncClient({ url: api.url, retryBaseMs: 20, retries: 20 });
  const cache = new VncCache(client, ['network-policy'], { idleTimeoutMs: 2000 });
  const seen: string[] = [];
  cache.on({ add: (o) => seen.push(o.fq_name[2]) });
  try {
    await client.create('project', { fq_name: P, parent_type: 'domain' });
    await cache.start();
    await client.create('network-policy', { fq_name: [...P, 'before'], parent_type: 'project' });
    await until(() => seen.includes('before'), 'before');
    await api.close();
    api = await startConfigApi({ store: `sqlite://${path}`, port });
    const writer = new VncClient({ url: api.url });
    for (const n of ['after-1', 'after-2', 'after-3']) await writer.create('network-policy', { fq_name: [...P, n], parent_type: 'project' });
    writer.close();
    await until(() => seen.length === 4, 'four adds');
    assert.deepEqual(seen, ['before', 'after-1', 'after-2', 'after-3']);
  } finally {
    cache.close();
    client.close();
    await api.close();
  }
});

test('after 410 it relists and emits exactly the differences', async () => {
  const path = join(dir, 'c.db');
  let api = await startConfigApi({ store: `sqlite://${path}`, port: 0, ringSize: 2 });
  const port = api.port;
  const client = new VncClient({ url: api.url, retryBaseMs: 20, retries: 20 });
  const cache = new VncCache(client, ['network-policy'], { idleTimeoutMs: 2000 });
  const log: string[] = [];
  cache.on({ add: (o) => log.push(`add ${o.name}`), update: (o) => log.push(`update ${o.name}`), delete: (o) => log.push(`delete ${o.name}`) });
  try {
    await client.create('project', { fq_name: P, parent_type: 'domain' });
    const keep = await client.create('network-policy', { fq_name: [...P, 'keep'], parent_type: 'project' });
    const gone = await client.create('network-policy', { fq_name: [...P, 'gone'], parent_type: 'project' });
    const same = await client.create('network-policy', { fq_name: [...P, 'same'], parent_type: 'project' });
    await cache.start();
    log.length = 0;
    await api.close();
    // While the cache is disconnected: changes happen and the history is compacted away.
    api = await startConfigApi({ store: `sqlite://${path}`, port: 0, ringSize: 2 });
    const w = new VncClient({ url: api.url });
    await w.update('network-policy', keep.uuid, { display_name: 'changed' });
    await w.delete('network-policy', gone.uuid);
    await w.create('network-policy', { fq_name: [...P, 'new'], parent_type: 'project' });
    w.close();
    await api.store.compact(api.service.mirror.revision);
    await api.close();
    api = await startConfigApi({ store: `sqlite://${path}`, port, ringSize: 2 });
    await until(() => log.length >= 3, 'relist differences');
    assert.deepEqual(log.sort(), ['add new', 'delete gone', 'update keep']);
    assert.equal(cache.get(same.uuid)?.name, 'same');
  } finally {
    cache.close();
    client.close();
    await api.close();
  }
});

test('a projection reduces objects as they enter, from the list and from the feed', async () => {
  const api = await startConfigApi({ store: `sqlite://${join(dir, 'd.db')}`, port: 0, bookmarkMs: 100 });
  const client = new VncClient({ url: api.url, retryBaseMs: 20 });
  try {
    await client.create('project', { fq_name: P, parent_type: 'domain' });
    const a = await client.create('virtual-network', { fq_name: [...P, 'a'], parent_type: 'project', display_name: 'A' });
    const seen: string[] = [];
    const cache = new VncCache(client, ['virtual-network'], {
      project: (o, t) => {
        seen.push(t);
        return { uuid: o.uuid, fq_name: o.fq_name, ...(o.parent_uuid ? { parent_uuid: o.parent_uuid } : {}), id_perms: { last_modified: o.id_perms?.last_modified } };
      },
    });
    await cache.start();
    assert.deepEqual(Object.keys(cache.get(a.uuid)!).sort(), ['fq_name', 'id_perms', 'parent_uuid', 'uuid']);
    const b = await client.create('virtual-network', { fq_name: [...P, 'b'], parent_type: 'project', display_name: 'B' });
    await until(() => cache.get(b.uuid) !== undefined, 'the new network');
    assert.equal(cache.get(b.uuid)!.display_name, undefined);
    assert.ok(seen.length >= 2 && seen.every((t) => t === 'virtual-network'));
    cache.close();
  } finally {
    client.close();
    await api.close();
  }
});
