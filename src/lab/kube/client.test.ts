// One contract, two clients: the in-process LocalKubeClient and the HttpKubeClient must behave alike.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startKubeApi, type RunningKubeApi } from './api-server.js';
import type { KubeClient } from './client.js';
import { KubeApiError } from './errors.js';
import { HttpKubeClient } from './http-client.js';
import { Informer } from './informer.js';
import { R, findResource } from './resources.js';
import type { KubeObject, WatchEvent } from './types.js';

let api: RunningKubeApi;
let http: HttpKubeClient;
before(async () => {
  api = await startKubeApi({ port: 0, controllers: false, historySize: 30 });
  http = new HttpKubeClient({ server: api.url });
});
after(async () => {
  http.close();
  await api.close();
});

const until = async (cond: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `timed out waiting for ${what}`);
};

for (const kind of ['local', 'http'] as const) {
  describe(`KubeClient contract (${kind})`, () => {
    const c = (): KubeClient => (kind === 'local' ? api.client : http);
    const ns = `c-${kind}`;

    test('create, get, list, patch, update with conflicts, delete', async () => {
      await c().create(R.namespaces, undefined, { metadata: { name: ns } });
      const made = await c().create(R.services, ns, { metadata: { name: 's', labels: { a: '1' } }, spec: { selector: { a: '1' }, ports: [{ port: 80 }] } });
      assert.match(String((made.spec as { clusterIP: string }).clusterIP), /^10\.(9[6-9]|1[01]\d)\./);
      const got = await c().get(R.services, ns, 's');
      assert.equal(got.metadata.uid, made.metadata.uid);
      assert.deepEqual((await c().list(R.services, { namespace: ns, labelSelector: 'a=1' })).items.map((s) => s.metadata.name), ['s']);
      const patched = await c().patch(R.services, ns, 's', 'merge', { metadata: { labels: { b: '2' } } });
      assert.deepEqual(patched.metadata.labels, { a: '1', b: '2' });
      await assert.rejects(c().update(R.services, ns, { ...structuredClone(got) }), (e: unknown) => e instanceof KubeApiError && e.code === 'Conflict');
      await assert.rejects(c().get(R.services, ns, 'nope'), (e: unknown) => e instanceof KubeApiError && e.code === 'NotFound' && e.message === 'services "nope" not found');
      await c().delete(R.services, ns, 's');
      await assert.rejects(c().get(R.services, ns, 's'), KubeApiError);
    });

    test('watch delivers ordered events and ends with 410 Expired for a compacted resourceVersion', async () => {
      const events: WatchEvent[] = [];
      const w = c().watch(R.configmaps, { namespace: ns, resourceVersion: String(api.store.rv) }, (e) => events.push(e));
      await new Promise((r) => setTimeout(r, 30));
      await c().create(R.configmaps, ns, { metadata: { name: 'one' } });
      await c().patch(R.configmaps, ns, 'one', 'merge', { data: { a: 'b' } });
      await c().delete(R.configmaps, ns, 'one');
      await until(() => events.length >= 3, 'three events');
      w.stop();
      assert.deepEqual(events.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
      for (let i = 0; i < 35; i++) await c().create(R.configmaps, ns, { metadata: { name: `f${i}` } });
      const old = c().watch(R.configmaps, { namespace: ns, resourceVersion: '1' }, () => undefined);
      const err = await old.done;
      assert.ok(err instanceof KubeApiError && err.status === 410, `got ${String(err)}`);
    });

    test('binding and namespace finalize', async () => {
      await c().create(R.pods, ns, { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
      await c().bind(ns, 'p', 'node-1');
      assert.equal(((await c().get(R.pods, ns, 'p')).spec as { nodeName: string }).nodeName, 'node-1');
      await c().delete(R.pods, ns, 'p', { gracePeriodSeconds: 0 });
      await c().delete(R.namespaces, undefined, ns);
      for (const r of [R.configmaps]) for (const o of (await c().list(r, { namespace: ns })).items) await c().delete(r, ns, o.metadata.name ?? '');
      await c().finalizeNamespace(ns, []);
      await assert.rejects(c().get(R.namespaces, undefined, ns), KubeApiError);
    });
  });
}

test('Informer over HTTP: relists after 410 and reports each change once', async () => {
  await api.client.create(R.namespaces, undefined, { metadata: { name: 'inf' } });
  const inf = new Informer(http, R.configmaps, { namespace: 'inf' });
  const log: string[] = [];
  inf.on({ add: (o: KubeObject) => log.push(`add ${o.metadata.name}`), update: (o) => log.push(`update ${o.metadata.name}`), delete: (o) => log.push(`delete ${o.metadata.name}`) });
  await api.client.create(R.configmaps, 'inf', { metadata: { name: 'a' } });
  await inf.start();
  await api.client.create(R.configmaps, 'inf', { metadata: { name: 'b' } });
  await until(() => inf.size === 2, 'b in the cache');
  // cut the stream, then (synchronously, before the informer can reconnect) change things and push
  // the history past the informer's revision: it must get 410, relist, and report only the differences
  const relistsBefore = inf.relists;
  const cm = findResource('', 'v1', 'configmaps');
  assert.ok(cm);
  api.closeWatches();
  for (let i = 0; i < 40; i++) api.registry.create(cm, 'default', { metadata: { name: `noise-${i}` } });
  api.registry.delete(cm, 'inf', 'a');
  api.registry.patch(cm, 'inf', 'b', 'merge', { data: { x: 'y' } });
  api.registry.create(cm, 'inf', { metadata: { name: 'c' } });
  await until(() => inf.size === 2 && inf.get('inf', 'c') !== undefined && inf.get('inf', 'b')?.data !== undefined, 'the cache to converge');
  inf.stop();
  assert.deepEqual(log.slice(0, 2), ['add a', 'add b']);
  assert.deepEqual(log.slice(2).sort(), ['add c', 'delete a', 'update b'], 'each change once, nothing repeated');
  assert.equal(inf.relists, relistsBefore + 1);
});
