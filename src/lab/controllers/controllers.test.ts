import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirNetns, fakeCni, SLEEPING_RESPONDER } from '../../../test/support/lab-fakes.js';
import { startKubeApi, type RunningKubeApi } from '../kube/api-server.js';
import { R } from '../kube/resources.js';
import type { KubeObject } from '../kube/types.js';
import { Kubelet } from '../kubelet/kubelet.js';
import { controllerRef, podReady } from './util.js';

let api: RunningKubeApi;
let dir: string;
const kubelets: Kubelet[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lab-ctrl-'));
  api = await startKubeApi({ port: 0 });
  const cni = fakeCni(join(dir, 'cni'));
  for (const [i, node] of ['node-a', 'node-b'].entries()) {
    const k = new Kubelet({ client: api.client, node, ip: `192.0.2.${11 + i}`, cniConfDir: cni.confDir, cniBinDirs: [cni.binDir], netns: new DirNetns(join(dir, `netns-${node}`)), stateDir: join(dir, `state-${node}`), responder: SLEEPING_RESPONDER, heartbeatMs: 60_000 });
    await k.start();
    kubelets.push(k);
  }
});
after(async () => {
  for (const k of kubelets) await k.close({ teardownPods: true });
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

const until = async (cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
};

const pods = async (ns: string, selector: string): Promise<KubeObject[]> => (await api.client.list(R.pods, { namespace: ns, labelSelector: selector })).items.filter((p) => !p.metadata.deletionTimestamp);

test('replication controller converges 2 → 5 → 1, spread over both nodes, pods Running with IPs', async () => {
  await api.client.create(R.namespaces, undefined, { metadata: { name: 'rc' } });
  await api.client.create(R.replicationcontrollers, 'rc', {
    metadata: { name: 'web-qa' },
    spec: { replicas: 2, selector: { app: 'web-qa' }, template: { metadata: { labels: { app: 'web-qa' } }, spec: { containers: [{ name: 'web', image: 'docker.io/nginx' }] } } },
  });
  await until(async () => (await pods('rc', 'app=web-qa')).filter(podReady).length === 2, '2 ready replicas');
  const two = await pods('rc', 'app=web-qa');
  assert.deepEqual(new Set(two.map((p) => (p.spec as { nodeName: string }).nodeName)), new Set(['node-a', 'node-b']), 'spread over the nodes');
  assert.ok(two.every((p) => /^10\.99\.0\.\d+$/.test(String((p.status as { podIP: string }).podIP))));
  await api.client.patch(R.replicationcontrollers, 'rc', 'web-qa', 'merge', { spec: { replicas: 5 } }, { subresource: 'scale' });
  await until(async () => (await pods('rc', 'app=web-qa')).filter(podReady).length === 5, '5 ready replicas');
  await until(async () => ((await api.client.get(R.replicationcontrollers, 'rc', 'web-qa')).status as { readyReplicas?: number }).readyReplicas === 5, 'rc status 5 ready');
  await api.client.patch(R.replicationcontrollers, 'rc', 'web-qa', 'merge', { spec: { replicas: 1 } });
  await until(async () => (await api.client.list(R.pods, { namespace: 'rc' })).items.length === 1, 'one pod left (the others confirmed deleted by their kubelets)');
  const rc = await api.client.get(R.replicationcontrollers, 'rc', 'web-qa');
  await until(async () => ((await api.client.get(R.replicationcontrollers, 'rc', 'web-qa')).status as { replicas: number }).replicas === 1, 'status replicas 1');
  assert.equal(rc.metadata.generation, 3);
});

test('in sync: a full resync of every controller makes no writes', async () => {
  const c = api.controllers;
  assert.ok(c);
  await c.idle();
  await new Promise((r) => setTimeout(r, 300));
  await c.idle();
  const rv = api.store.rv;
  const key = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
  for (const o of c.informers.for(R.replicationcontrollers).list()) c.replicationControllers?.queue.enqueue(key(o));
  for (const o of c.informers.for(R.replicasets).list()) c.replicaSets?.queue.enqueue(key(o));
  for (const o of c.informers.for(R.deployments).list()) c.deployments?.queue.enqueue(key(o));
  for (const o of c.informers.for(R.services).list()) c.endpoints?.queue.enqueue(key(o));
  for (const o of c.informers.for(R.pods).list()) {
    c.scheduler?.queue.enqueue(key(o));
    c.gc?.queue.enqueue(`/pods|${o.metadata.namespace ?? ''}|${o.metadata.name ?? ''}`);
  }
  for (const k of kubelets) for (const o of k.pods.list()) k.queue.enqueue(key(o));
  await c.idle();
  await Promise.all(kubelets.map((k) => k.queue.idle()));
  assert.equal(api.store.rv, rv, 'no object changed');
});

test('deployment (apps/v1beta1 manifest): replica set with pod-template-hash, rollout to a new template, history', async () => {
  await api.client.create(R.namespaces, undefined, { metadata: { name: 'dep' } });
  await api.client.create({ group: 'apps', version: 'v1beta1', resource: 'deployments' }, 'dep', {
    apiVersion: 'apps/v1beta1',
    kind: 'Deployment',
    metadata: { name: 'cirros-deployment', labels: { app: 'cirros-deployment' } },
    spec: { replicas: 2, selector: { matchLabels: { app: 'cirros-deployment' } }, template: { metadata: { labels: { app: 'cirros-deployment' } }, spec: { containers: [{ name: 'cirros', image: 'cirros', ports: [{ containerPort: 22 }] }] } } },
  });
  const available = async (n: number): Promise<boolean> => {
    const d = await api.client.get(R.deployments, 'dep', 'cirros-deployment');
    const s = (d.status ?? {}) as { availableReplicas?: number; updatedReplicas?: number; replicas?: number; observedGeneration?: number };
    return s.availableReplicas === n && s.updatedReplicas === n && s.replicas === n && s.observedGeneration === d.metadata.generation;
  };
  await until(() => available(2), 'deployment available 2/2');
  const rs1 = (await api.client.list(R.replicasets, { namespace: 'dep' })).items;
  assert.equal(rs1.length, 1);
  assert.match(rs1[0].metadata.name ?? '', /^cirros-deployment-[a-z0-9]{6,10}$/);
  assert.equal(rs1[0].metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
  await api.client.patch(R.deployments, 'dep', 'cirros-deployment', 'strategic', { spec: { template: { spec: { containers: [{ name: 'cirros', image: 'cirros:0.6' }] } } } });
  await until(() => available(2), 'rolled out');
  await until(async () => (await pods('dep', 'app=cirros-deployment')).length === 2 && (await api.client.list(R.pods, { namespace: 'dep' })).items.length === 2, 'old pods gone');
  const sets = (await api.client.list(R.replicasets, { namespace: 'dep' })).items;
  assert.equal(sets.length, 2);
  const byRev: Record<string, number> = {};
  for (const rs of sets) byRev[rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '?'] = (rs.spec as { replicas: number }).replicas;
  assert.deepEqual(byRev, { '1': 0, '2': 2 });
  const d = await api.client.get(R.deployments, 'dep', 'cirros-deployment');
  assert.equal(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
  const conds = (d.status as { conditions: { type: string; reason: string }[] }).conditions;
  assert.equal(conds.find((c) => c.type === 'Progressing')?.reason, 'NewReplicaSetAvailable');
  for (const p of await pods('dep', 'app=cirros-deployment')) assert.equal(controllerRef(p)?.kind, 'ReplicaSet');
  // deleting the deployment removes its replica sets and pods (garbage collection)
  await api.client.delete(R.deployments, 'dep', 'cirros-deployment', { propagationPolicy: 'Background' });
  await until(async () => (await api.client.list(R.replicasets, { namespace: 'dep' })).items.length === 0 && (await api.client.list(R.pods, { namespace: 'dep' })).items.length === 0, 'cascade');
});

test('endpoints follow ready pods and named target ports; services without selector are left alone', async () => {
  await api.client.create(R.namespaces, undefined, { metadata: { name: 'ep' } });
  await api.client.create(R.services, 'ep', { metadata: { name: 'web', labels: { tier: 'fe' } }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
  await api.client.create(R.services, 'ep', { metadata: { name: 'manual' }, spec: { ports: [{ port: 5 }] } });
  await api.client.create(R.pods, 'ep', { metadata: { name: 'w1', labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }] } });
  await until(async () => {
    const ep = await api.client.get(R.endpoints, 'ep', 'web').catch(() => undefined);
    const subsets = (ep?.subsets ?? []) as { addresses?: { ip: string; nodeName: string; targetRef: { name: string } }[]; ports?: { port: number; name: string }[] }[];
    return subsets.length === 1 && subsets[0].addresses?.length === 1 && subsets[0].ports?.[0].port === 8080;
  }, 'endpoints with the ready pod on port 8080');
  const ep = await api.client.get(R.endpoints, 'ep', 'web');
  assert.deepEqual(ep.metadata.labels, { tier: 'fe' });
  await assert.rejects(api.client.get(R.endpoints, 'ep', 'manual'));
  await api.client.delete(R.pods, 'ep', 'w1');
  await until(async () => (await api.client.get(R.endpoints, 'ep', 'web')).subsets === undefined, 'endpoints emptied');
  await api.client.delete(R.services, 'ep', 'web');
  await until(async () => !(await api.client.get(R.endpoints, 'ep', 'web').catch(() => undefined)), 'endpoints deleted with the service');
});

test('namespace deletion cascades through pods (via the kubelet) and finalizes', async () => {
  await api.client.create(R.namespaces, undefined, { metadata: { name: 'gone' } });
  await api.client.create(R.pods, 'gone', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  await api.client.create(R.services, 'gone', { metadata: { name: 's' }, spec: { selector: { a: 'b' }, ports: [{ port: 1 }] } });
  await until(async () => podReady(await api.client.get(R.pods, 'gone', 'p')), 'pod running');
  await api.client.delete(R.namespaces, undefined, 'gone');
  await until(async () => !(await api.client.get(R.namespaces, undefined, 'gone').catch(() => undefined)), 'namespace removed', 15_000);
  assert.equal((await api.client.list(R.pods, { namespace: 'gone' })).items.length, 0);
});

test('garbage collection: orphan keeps dependents, foreground waits for them', async () => {
  await api.client.create(R.namespaces, undefined, { metadata: { name: 'gc' } });
  const mk = async (name: string) =>
    api.client.create(R.replicasets, 'gc', { metadata: { name }, spec: { replicas: 1, selector: { matchLabels: { rs: name } }, template: { metadata: { labels: { rs: name } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } });
  await mk('orphaner');
  await until(async () => (await pods('gc', 'rs=orphaner')).length === 1, 'a pod');
  await api.client.delete(R.replicasets, 'gc', 'orphaner', { propagationPolicy: 'Orphan' });
  await until(async () => !(await api.client.get(R.replicasets, 'gc', 'orphaner').catch(() => undefined)), 'rs gone');
  const left = await pods('gc', 'rs=orphaner');
  assert.equal(left.length, 1);
  assert.equal(left[0].metadata.ownerReferences, undefined, 'the pod lost its owner reference');
  await mk('fg');
  await until(async () => (await pods('gc', 'rs=fg')).length === 1, 'a pod');
  await api.client.delete(R.replicasets, 'gc', 'fg', { propagationPolicy: 'Foreground' });
  const during = await api.client.get(R.replicasets, 'gc', 'fg').catch(() => undefined);
  assert.ok(during?.metadata.finalizers?.includes('foregroundDeletion'));
  await until(async () => !(await api.client.get(R.replicasets, 'gc', 'fg').catch(() => undefined)), 'rs gone after its pods');
  assert.equal((await api.client.list(R.pods, { namespace: 'gc', labelSelector: 'rs=fg' })).items.length, 0);
});
