import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeApiError } from './errors.js';
import { Registry, type RegistryWatchEvent } from './registry.js';
import { findResource, type ResourceInfo } from './resources.js';
import { ObjectStore } from './store.js';
import type { KubeObject } from './types.js';

const info = (group: string, version: string, resource: string): ResourceInfo => {
  const r = findResource(group, version, resource);
  assert.ok(r);
  return r;
};
const PODS = info('', 'v1', 'pods');
const SVC = info('', 'v1', 'services');
const NS = info('', 'v1', 'namespaces');
const RC = info('', 'v1', 'replicationcontrollers');
const DEPLOY = info('apps', 'v1', 'deployments');
const DEPLOY_B1 = info('apps', 'v1beta1', 'deployments');
const CM = info('', 'v1', 'configmaps');

function setup(historySize?: number): Registry {
  const r = new Registry({ store: new ObjectStore({ historySize }) });
  r.create(NS, undefined, { metadata: { name: 'default' } });
  return r;
}

const pod = (name: string, extra: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] }, ...extra });

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof KubeApiError, `not a KubeApiError: ${String(e)}`);
    return `${e.status} ${e.code}`;
  }
  return 'ok';
}

test('create fills metadata and defaults; duplicate is 409 AlreadyExists; bad input 422/400/404 and writes nothing', () => {
  const r = setup();
  const created = r.create(PODS, 'default', pod('a')).object;
  assert.match(created.metadata.uid ?? '', /^[0-9a-f-]{36}$/);
  assert.ok(created.metadata.creationTimestamp);
  assert.equal(created.metadata.namespace, 'default');
  assert.deepEqual((created.status as { phase: string }).phase, 'Pending');
  assert.equal((created.spec as { restartPolicy: string }).restartPolicy, 'Always');
  const rv = r.store.rv;
  assert.equal(code(() => r.create(PODS, 'default', pod('a'))), '409 AlreadyExists');
  assert.equal(code(() => r.create(PODS, 'default', { metadata: { name: 'b' }, spec: { containers: [] } })), '422 Invalid');
  assert.equal(code(() => r.create(PODS, 'default', { metadata: { name: 'Bad_Name' }, spec: { containers: [{ name: 'c', image: 'x' }] } })), '422 Invalid');
  assert.equal(code(() => r.create(PODS, 'nope', pod('c'))), '404 NotFound');
  assert.equal(code(() => r.create(PODS, 'default', { ...pod('d'), kind: 'Service' })), '400 BadRequest');
  assert.equal(code(() => r.create(PODS, 'default', { ...pod('e'), metadata: { name: 'e', namespace: 'other' } })), '400 BadRequest');
  assert.equal(code(() => r.create(PODS, 'default', { ...pod('f'), metadata: { name: 'f', resourceVersion: '3' } })), '400 BadRequest');
  assert.equal(r.store.rv, rv, 'failed creates wrote nothing');
  const g = r.create(PODS, 'default', { ...pod(''), metadata: { generateName: 'web-' } }).object;
  assert.match(g.metadata.name ?? '', /^web-[a-z0-9]{5}$/);
});

test('Invalid carries causes like Kubernetes', () => {
  const r = setup();
  try {
    r.create(SVC, 'default', { metadata: { name: 's' }, spec: { ports: [{ port: 70000 }] } });
    assert.fail('expected Invalid');
  } catch (e) {
    assert.ok(e instanceof KubeApiError);
    const s = e.toStatus();
    assert.equal(s.code, 422);
    assert.equal(s.reason, 'Invalid');
    assert.equal(s.details?.kind, 'Service');
    assert.ok(s.details?.causes?.some((c) => c.field === 'spec.ports[0].port'));
    assert.match(s.message ?? '', /^Service "s" is invalid: spec.ports\[0\].port: Invalid value: 70000/);
  }
});

test('update: optimistic concurrency, immutable metadata, no-op writes nothing, status kept', () => {
  const r = setup();
  const a = r.create(RC, 'default', { metadata: { name: 'rc' }, spec: { replicas: 1, selector: { app: 'x' }, template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } }).object;
  assert.equal(a.metadata.generation, 1);
  const rv = r.store.rv;
  const same = r.update(RC, 'default', 'rc', structuredClone(a)).object;
  assert.equal(same.metadata.resourceVersion, a.metadata.resourceVersion, 'no-op update keeps the resourceVersion');
  assert.equal(r.store.rv, rv, 'and writes nothing');
  const next = structuredClone(a) as KubeObject & { spec: { replicas: number }; status: unknown };
  next.spec.replicas = 3;
  next.status = { replicas: 99 };
  const b = r.update(RC, 'default', 'rc', next).object;
  assert.equal(b.metadata.generation, 2);
  assert.deepEqual(b.status, { replicas: 0 }, 'main resource update keeps status');
  assert.equal(b.metadata.uid, a.metadata.uid);
  assert.equal(code(() => r.update(RC, 'default', 'rc', next)), '409 Conflict', 'stale resourceVersion');
  assert.equal(code(() => r.update(RC, 'default', 'other', { ...b, metadata: { ...b.metadata } })), '400 BadRequest');
  const labelsOnly = structuredClone(b);
  labelsOnly.metadata.labels = { x: 'y' };
  assert.equal(r.update(RC, 'default', 'rc', labelsOnly).object.metadata.generation, 2, 'metadata changes do not bump generation');
  const st = r.update(RC, 'default', 'rc', { ...structuredClone(r.get(RC, 'default', 'rc')), spec: { replicas: 7 }, status: { replicas: 3 } }, { subresource: 'status' }).object;
  assert.deepEqual(st.status, { replicas: 3 });
  assert.equal((st.spec as { replicas: number }).replicas, 3, 'status update ignores spec');
});

test('patch types and the resourceVersion precondition inside a patch', () => {
  const r = setup();
  r.create(PODS, 'default', pod('p'));
  const m = r.patch(PODS, 'default', 'p', 'merge', { metadata: { labels: { extra: '1' } } }).object;
  assert.deepEqual(m.metadata.labels, { app: 'web', extra: '1' });
  const j = r.patch(PODS, 'default', 'p', 'json', Buffer.from(JSON.stringify([{ op: 'remove', path: '/metadata/labels/extra' }]))).object;
  assert.deepEqual(j.metadata.labels, { app: 'web' });
  const s = r.patch(PODS, 'default', 'p', 'strategic', { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } }).object;
  assert.equal((s.spec as { containers: { image: string }[] }).containers[0].image, 'nginx:2');
  assert.equal(code(() => r.patch(PODS, 'default', 'p', 'merge', { metadata: { resourceVersion: '1', labels: { a: 'b' } } })), '409 Conflict');
  assert.equal(code(() => r.patch(PODS, 'default', 'p', 'strategic', { spec: { containers: [{ name: 'c', command: ['x'] }] } })), '422 Invalid', 'pod spec is immutable');
  assert.equal(code(() => r.patch(PODS, 'default', 'missing', 'merge', {})), '404 NotFound');
  assert.equal(code(() => r.patch(PODS, 'default', 'p', 'merge', Buffer.from('{nope'))), '400 BadRequest');
  const applied = r.patch(CM, 'default', 'cfg', 'apply', Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: "1"\n')).object;
  assert.deepEqual(applied.data, { a: '1' }, 'apply creates a missing object');
  const again = r.patch(CM, 'default', 'cfg', 'apply', Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  b: "2"\n')).object;
  assert.deepEqual(again.data, { a: '1', b: '2' });
});

test('services: clusterIP from the range, requested IP, immutability, nodePorts, release on delete, dry run', () => {
  const r = setup();
  const spec = { selector: { app: 'web' }, ports: [{ port: 80 }] };
  const a = r.create(SVC, 'default', { metadata: { name: 'a' }, spec }).object as KubeObject & { spec: { clusterIP: string; ports: { targetPort: number; protocol: string }[] } };
  assert.equal(a.spec.clusterIP, '10.96.0.2');
  assert.equal(a.spec.ports[0].targetPort, 80);
  assert.equal(a.spec.ports[0].protocol, 'TCP');
  const dry = r.create(SVC, 'default', { metadata: { name: 'dry' }, spec }, { dryRun: true }).object as typeof a;
  assert.equal(dry.spec.clusterIP, '10.96.0.3');
  assert.equal(code(() => r.get(SVC, 'default', 'dry')), '404 NotFound');
  const b = r.create(SVC, 'default', { metadata: { name: 'b' }, spec }).object as typeof a;
  assert.equal(b.spec.clusterIP, '10.96.0.3', 'a dry run allocates nothing');
  assert.equal(code(() => r.create(SVC, 'default', { metadata: { name: 'c' }, spec: { ...spec, clusterIP: '10.96.0.3' } })), '422 Invalid');
  assert.equal(code(() => r.create(SVC, 'default', { metadata: { name: 'c' }, spec: { ...spec, clusterIP: '192.168.0.1' } })), '422 Invalid');
  const c = r.create(SVC, 'default', { metadata: { name: 'c' }, spec: { ...spec, clusterIP: '10.96.7.7', type: 'LoadBalancer' } }).object as KubeObject & { spec: { clusterIP: string; ports: { nodePort: number }[] } };
  assert.equal(c.spec.clusterIP, '10.96.7.7');
  assert.ok(c.spec.ports[0].nodePort >= 30000 && c.spec.ports[0].nodePort <= 32767);
  const upd: KubeObject = structuredClone(c);
  const updSpec = upd.spec as Record<string, unknown>;
  delete updSpec.clusterIP;
  delete updSpec.clusterIPs;
  const kept = r.update(SVC, 'default', 'c', upd).object as typeof c;
  assert.equal(kept.spec.clusterIP, '10.96.7.7', 'an update without clusterIP keeps it');
  assert.equal(kept.spec.ports[0].nodePort, c.spec.ports[0].nodePort);
  assert.equal(code(() => r.patch(SVC, 'default', 'c', 'merge', { spec: { clusterIP: '10.96.8.8' } })), '422 Invalid');
  r.delete(SVC, 'default', 'c');
  const again = r.create(SVC, 'default', { metadata: { name: 'c2' }, spec: { ...spec, clusterIP: '10.96.7.7' } }).object as typeof a;
  assert.equal(again.spec.clusterIP, '10.96.7.7', 'released on delete');
});

test('pods: graceful delete marks deletionTimestamp until a grace-0 delete; unscheduled pods go at once', () => {
  const r = setup();
  r.create(PODS, 'default', pod('unbound'));
  assert.equal(r.delete(PODS, 'default', 'unbound').code, 200);
  assert.equal(code(() => r.get(PODS, 'default', 'unbound')), '404 NotFound');
  const p = r.create(PODS, 'default', pod('bound')).object;
  r.bind(PODS, 'default', 'bound', { target: { name: 'n1' } });
  assert.equal(code(() => r.bind(PODS, 'default', 'bound', { target: { name: 'n2' } })), '409 Conflict');
  const marked = r.delete(PODS, 'default', 'bound');
  assert.equal(marked.code, 202);
  assert.ok(marked.object.metadata.deletionTimestamp);
  assert.equal(marked.object.metadata.deletionGracePeriodSeconds, 30);
  const rv = r.store.rv;
  r.delete(PODS, 'default', 'bound');
  assert.equal(r.store.rv, rv, 'a repeated delete changes nothing');
  assert.equal(code(() => r.delete(PODS, 'default', 'bound', { gracePeriodSeconds: 0, preconditions: { uid: 'other' } })), '409 Conflict');
  r.delete(PODS, 'default', 'bound', { gracePeriodSeconds: 0, preconditions: { uid: p.metadata.uid } });
  assert.equal(code(() => r.get(PODS, 'default', 'bound')), '404 NotFound');
});

test('finalizers hold a deletion; removing the last one completes it; no new finalizers while deleting', () => {
  const r = setup();
  r.create(CM, 'default', { metadata: { name: 'f', finalizers: ['example.com/x'] } });
  r.delete(CM, 'default', 'f');
  const held = r.get(CM, 'default', 'f');
  assert.ok(held.metadata.deletionTimestamp);
  assert.equal(code(() => r.patch(CM, 'default', 'f', 'merge', { metadata: { finalizers: ['example.com/x', 'y'] } })), '422 Invalid');
  r.patch(CM, 'default', 'f', 'merge', { metadata: { finalizers: null } });
  assert.equal(code(() => r.get(CM, 'default', 'f')), '404 NotFound');
});

test('namespaces: delete sets Terminating; new content is Forbidden; finalize removes it', () => {
  const r = setup();
  r.create(NS, undefined, { metadata: { name: 'dev' } });
  const ns = r.get(NS, undefined, 'dev');
  assert.deepEqual((ns.spec as { finalizers: string[] }).finalizers, ['kubernetes']);
  assert.equal(ns.metadata.labels?.['kubernetes.io/metadata.name'], 'dev');
  r.delete(NS, undefined, 'dev');
  assert.equal((r.get(NS, undefined, 'dev').status as { phase: string }).phase, 'Terminating');
  assert.equal(code(() => r.create(PODS, 'dev', pod('x'))), '403 Forbidden');
  r.finalizeNamespace(NS, 'dev', { spec: { finalizers: [] } });
  assert.equal(code(() => r.get(NS, undefined, 'dev')), '404 NotFound');
});

test('apps/v1beta1 deployments: selector defaulted from the template, stored as apps/v1, served in both', () => {
  const r = setup();
  const d = r.create(DEPLOY_B1, 'default', {
    apiVersion: 'apps/v1beta1',
    kind: 'Deployment',
    metadata: { name: 'd' },
    spec: { replicas: 2, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'cirros' }] } } },
  }).object;
  assert.equal(d.apiVersion, 'apps/v1beta1');
  assert.deepEqual((d.spec as { selector: unknown }).selector, { matchLabels: { app: 'd' } });
  assert.equal(r.get(DEPLOY, 'default', 'd').apiVersion, 'apps/v1');
  assert.equal(code(() => r.create(DEPLOY, 'default', { metadata: { name: 'e' }, spec: { template: { metadata: { labels: { app: 'e' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } })), '422 Invalid', 'apps/v1 requires a selector');
  const scale = r.getScale(DEPLOY, 'default', 'd');
  assert.deepEqual(scale.spec, { replicas: 2 });
  assert.equal((scale.status as { selector: string }).selector, 'app=d');
  r.patchScale(DEPLOY, 'default', 'd', 'merge', { spec: { replicas: 5 } });
  assert.equal((r.get(DEPLOY, 'default', 'd').spec as { replicas: number }).replicas, 5);
});

test('list: selectors, pagination with continue, list items without kind', () => {
  const r = setup();
  for (let i = 0; i < 5; i++) r.create(PODS, 'default', pod(`p${i}`, { metadata: { name: `p${i}`, labels: { i: String(i % 2) } } }));
  assert.equal(r.list(PODS, 'default', { labelSelector: 'i=1' }).items.length, 2);
  assert.deepEqual(r.list(PODS, 'default', { fieldSelector: 'metadata.name=p3' }).items.map((p) => p.metadata.name), ['p3']);
  const page1 = r.list(PODS, 'default', { limit: 2 });
  assert.deepEqual(page1.items.map((p) => p.metadata.name), ['p0', 'p1']);
  assert.equal(page1.metadata.remainingItemCount, 3);
  assert.equal(page1.items[0].kind, undefined);
  const page2 = r.list(PODS, 'default', { limit: 2, continue: page1.metadata.continue });
  assert.deepEqual(page2.items.map((p) => p.metadata.name), ['p2', 'p3']);
  const page3 = r.list(PODS, 'default', { limit: 2, continue: page2.metadata.continue });
  assert.deepEqual(page3.items.map((p) => p.metadata.name), ['p4']);
  assert.equal(page3.metadata.continue, undefined);
  assert.equal(code(() => r.list(PODS, 'default', { continue: 'garbage!' })), '400 BadRequest');
});

test('watch: initial state, resume after a revision, filter transitions, 410 after compaction', () => {
  const r = setup(4);
  const p = r.create(PODS, 'default', pod('a')).object;
  const seen: RegistryWatchEvent[] = [];
  const stop = r.watch(PODS, 'default', { fieldSelector: 'spec.nodeName=n1' }, (e) => seen.push(e));
  r.bind(PODS, 'default', 'a', { target: { name: 'n1' } });
  r.patch(PODS, 'default', 'a', 'merge', { metadata: { labels: { x: '1' } } });
  stop();
  assert.deepEqual(seen.map((e) => e.type), ['ADDED', 'MODIFIED'], 'binding makes the pod enter the node\'s selection');
  const all: RegistryWatchEvent[] = [];
  const stop2 = r.watch(PODS, 'default', { resourceVersion: p.metadata.resourceVersion }, (e) => all.push(e));
  stop2();
  assert.deepEqual(all.map((e) => e.type), ['MODIFIED', 'MODIFIED']);
  const lbl: RegistryWatchEvent[] = [];
  const stop3 = r.watch(PODS, undefined, { labelSelector: 'x=1', resourceVersion: String(r.store.rv) }, (e) => lbl.push(e));
  r.patch(PODS, 'default', 'a', 'merge', { metadata: { labels: { x: '2' } } });
  stop3();
  assert.equal(lbl[0].type, 'DELETED', 'leaving the selection is a DELETED event');
  assert.equal(lbl[0].object.metadata.resourceVersion, String(r.store.rv));
  for (let i = 0; i < 6; i++) r.create(CM, 'default', { metadata: { name: `c${i}` } });
  assert.equal(code(() => r.watch(PODS, 'default', { resourceVersion: p.metadata.resourceVersion }, () => undefined)), '410 Expired');
});
