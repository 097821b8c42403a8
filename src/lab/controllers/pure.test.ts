import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../kube/types.js';
import { podTemplateHash, resolveIntOrPercent } from './deployment.js';
import { computeSubsets, resolveTargetPort } from './endpoints.js';
import { staleNodes } from './housekeeping.js';
import { deletionOrder } from './replicas.js';
import { pickNode, tolerates } from './scheduler.js';

const node = (name: string, ready = true, extra: Record<string, unknown> = {}, labels: Record<string, string> = {}): KubeObject => ({
  metadata: { name, labels },
  spec: extra,
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

test('scheduler picks ready, matching, tolerated nodes and spreads one owner\'s replicas', () => {
  const pod: KubeObject = { metadata: { name: 'p' }, spec: { nodeSelector: { zone: 'a' } } };
  const nodes = [node('n1', true, {}, { zone: 'a' }), node('n2', true, {}, { zone: 'a' }), node('n3', true, {}, { zone: 'b' }), node('n4', false, {}, { zone: 'a' })];
  assert.deepEqual(pickNode(pod, nodes, { total: new Map([['n1', 5]]), sameOwner: new Map([['n2', 1]]) }), { node: 'n1' }, 'same-owner count decides before the total');
  assert.deepEqual(pickNode(pod, nodes, { total: new Map([['n1', 5]]), sameOwner: new Map() }), { node: 'n2' });
  const tainted = [node('t', true, { taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] })];
  assert.deepEqual(pickNode({ metadata: {}, spec: {} }, tainted, { total: new Map(), sameOwner: new Map() }), { reason: '0/1 nodes are available: 1 node(s) had untolerated taint.' });
  assert.deepEqual(pickNode({ metadata: {}, spec: { tolerations: [{ key: 'dedicated', operator: 'Exists' }] } }, tainted, { total: new Map(), sameOwner: new Map() }), { node: 't' });
  assert.deepEqual(pickNode(pod, [node('x', false), node('y', true, { unschedulable: true })], { total: new Map(), sameOwner: new Map() }), { reason: '0/2 nodes are available: 1 node(s) were not ready, 1 node(s) were unschedulable.' });
  assert.equal(tolerates([{ operator: 'Exists' }], { key: 'k', effect: 'NoExecute' }), true);
  assert.equal(tolerates([{ key: 'k', value: 'v', effect: 'NoExecute' }], { key: 'k', value: 'v', effect: 'NoSchedule' }), false);
});

test('surplus pods go unscheduled first, then pending, not ready, newest', () => {
  const p = (name: string, nodeName: string, phase: string, ready: boolean, created: string): KubeObject => ({
    metadata: { name, creationTimestamp: created },
    spec: { nodeName },
    status: { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const list = [p('old-ready', 'n', 'Running', true, '2024-01-01T00:00:00Z'), p('new-ready', 'n', 'Running', true, '2024-01-02T00:00:00Z'), p('unready', 'n', 'Running', false, '2024-01-01T00:00:00Z'), p('pending', 'n', 'Pending', false, '2024-01-01T00:00:00Z'), p('unbound', '', 'Pending', false, '2024-01-01T00:00:00Z')];
  assert.deepEqual([...list].sort(deletionOrder).map((x) => x.metadata.name), ['unbound', 'pending', 'unready', 'new-ready', 'old-ready']);
});

test('endpoints: named target ports per pod, ready and not-ready addresses, sorted', () => {
  const svc: KubeObject = { metadata: { name: 's' }, spec: { selector: { app: 'w' }, ports: [{ name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' }] } };
  const pod = (name: string, ip: string, port: number, ready: boolean): KubeObject => ({
    metadata: { name, namespace: 'd', uid: `uid-${name}`, labels: { app: 'w' } },
    spec: { nodeName: 'n1', containers: [{ name: 'c', ports: [{ name: 'web', containerPort: port }] }] },
    status: { podIP: ip, phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const subsets = computeSubsets(svc, [pod('b', '10.0.0.10', 8080, true), pod('a', '10.0.0.9', 8080, true), pod('c', '10.0.0.11', 9090, false), { ...pod('d', '10.0.0.12', 8080, true), metadata: { name: 'd', labels: { app: 'other' } } }]);
  assert.equal(subsets.length, 2);
  assert.deepEqual(subsets[0].addresses?.map((a) => a.ip), ['10.0.0.9', '10.0.0.10']);
  assert.deepEqual(subsets[0].ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  assert.deepEqual(subsets[1].notReadyAddresses?.map((a) => a.targetRef.name), ['c']);
  assert.equal(resolveTargetPort({ port: 80, targetPort: 'nope' }, pod('x', '1.1.1.1', 1, true)), undefined);
  assert.equal(resolveTargetPort({ port: 80 }, pod('x', '1.1.1.1', 1, true)), 80);
});

test('deployment helpers: stable template hash, int-or-percent', () => {
  const t = { metadata: { labels: { a: '1' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };
  assert.equal(podTemplateHash(t), podTemplateHash(structuredClone(t)));
  assert.notEqual(podTemplateHash(t), podTemplateHash({ ...t, spec: { containers: [{ name: 'c', image: 'j' }] } }));
  assert.match(podTemplateHash(t), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.equal(resolveIntOrPercent('25%', 10, true), 3);
  assert.equal(resolveIntOrPercent('25%', 10, false), 2);
  assert.equal(resolveIntOrPercent(1, 10, false), 1);
});

test('node lifecycle: stale heartbeats are found', () => {
  const n = (hb: string): KubeObject => ({ metadata: { name: hb }, status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: hb }] } });
  const now = Date.parse('2024-01-01T00:01:00Z');
  assert.deepEqual(staleNodes([n('2024-01-01T00:00:10Z'), n('2024-01-01T00:00:30Z')], now, 40_000).map((x) => x.metadata.name), ['2024-01-01T00:00:10Z']);
  const renewed = new Map([['2024-01-01T00:00:10Z', Date.parse('2024-01-01T00:00:55Z')]]);
  assert.deepEqual(staleNodes([n('2024-01-01T00:00:10Z')], now, 40_000, renewed), [], 'a renewed lease keeps the node alive');
});
