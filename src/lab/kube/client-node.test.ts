// The official @kubernetes/client-node (what kube-manager uses) against the lab API: typed calls,
// and an informer that sees every change exactly once across a dropped watch and across a 410 relist.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, AppsV1Api, KubeConfig, makeInformer, type V1ConfigMap } from '@kubernetes/client-node';
import { startKubeApi, type RunningKubeApi } from './api-server.js';
import { findResource } from './resources.js';

let api: RunningKubeApi;
let kc: KubeConfig;
before(async () => {
  api = await startKubeApi({ port: 0, controllers: false, historySize: 30 });
  kc = new KubeConfig();
  kc.loadFromString(api.kubeconfig());
});
after(async () => {
  await api.close();
});

const until = async (cond: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `timed out waiting for ${what}`);
};

test('typed CoreV1/AppsV1 calls decode lab objects', async () => {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const ns = await core.createNamespace({ body: { metadata: { name: 'cn' } } });
  assert.equal(ns.status?.phase, 'Active');
  const svc = await core.createNamespacedService({ namespace: 'cn', body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }], type: 'LoadBalancer' } } });
  assert.ok(svc.spec?.clusterIP);
  assert.ok(svc.metadata?.creationTimestamp instanceof Date);
  const d = await apps.createNamespacedDeployment({
    namespace: 'cn',
    body: { metadata: { name: 'd' }, spec: { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } },
  });
  assert.equal(d.spec?.replicas, 1);
  const list = await core.listPodForAllNamespaces();
  assert.ok(Array.isArray(list.items));
  await assert.rejects(core.readNamespacedPod({ namespace: 'cn', name: 'missing' }), (e: unknown) => (e as { code?: number }).code === 404);
});

test('informer: every change exactly once after a disconnect and after a 410 relist', async () => {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'inf' } } });
  const cm = findResource('', 'v1', 'configmaps');
  assert.ok(cm);
  api.registry.create(cm, 'inf', { metadata: { name: 'a' } });
  const informer = makeInformer<V1ConfigMap>(kc, '/api/v1/namespaces/inf/configmaps', () => core.listNamespacedConfigMap({ namespace: 'inf' }));
  const log: string[] = [];
  informer.on('add', (o) => log.push(`add ${o.metadata?.name ?? ''}`));
  informer.on('update', (o) => log.push(`update ${o.metadata?.name ?? ''}`));
  informer.on('delete', (o) => log.push(`delete ${o.metadata?.name ?? ''}`));
  const errors: unknown[] = [];
  informer.on('error', (e) => errors.push(e));
  await informer.start();
  api.registry.create(cm, 'inf', { metadata: { name: 'b' } });
  await until(() => log.length === 2, 'add b');

  // 1. a dropped stream with changes made before the client reconnects: resumed from its revision
  await new Promise((r) => setTimeout(r, 50));
  api.closeWatches();
  api.registry.patch(cm, 'inf', 'a', 'merge', { data: { k: '1' } });
  api.registry.create(cm, 'inf', { metadata: { name: 'c' } });
  await until(() => log.length === 4, 'the resumed watch');
  assert.deepEqual(log, ['add a', 'add b', 'update a', 'add c']);

  // 2. history compacted past the client's revision while it was away: ERROR 410, relist, diff
  await new Promise((r) => setTimeout(r, 50));
  api.closeWatches();
  for (let i = 0; i < 40; i++) api.registry.create(cm, 'default', { metadata: { name: `noise-${i}` } });
  api.registry.delete(cm, 'inf', 'b');
  api.registry.patch(cm, 'inf', 'c', 'merge', { data: { k: '2' } });
  api.registry.create(cm, 'inf', { metadata: { name: 'd' } });
  await until(() => log.length === 7, 'the relist');
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(log.slice(4).sort(), ['add d', 'delete b', 'update c']);
  assert.equal(log.length, 7, 'nothing repeated');
  assert.deepEqual(informer.list('inf').map((o) => o.metadata?.name).sort(), ['a', 'c', 'd']);
  assert.deepEqual(errors, [], 'no watch errors reached the informer');
  await informer.stop();
});
