import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './patch.js';
import { KubeApiError } from './errors.js';

const pod = () => ({
  metadata: { name: 'p', labels: { a: '1', b: '2' }, finalizers: ['x'] },
  spec: {
    containers: [
      { name: 'web', image: 'nginx:1', ports: [{ containerPort: 80, protocol: 'TCP' }], env: [{ name: 'A', value: '1' }] },
      { name: 'side', image: 'busybox' },
    ],
    tolerations: [{ key: 't' }],
  },
});

test('merge patch (RFC 7386): objects merge, null deletes, arrays replace; input untouched', () => {
  const orig = pod();
  const snapshot = JSON.stringify(orig);
  const out = applyMergePatch(orig, { metadata: { labels: { a: null, c: '3' } }, spec: { tolerations: [] } }) as ReturnType<typeof pod>;
  assert.deepEqual(out.metadata.labels, { b: '2', c: '3' });
  assert.deepEqual(out.spec.tolerations, []);
  assert.equal(JSON.stringify(orig), snapshot);
});

test('JSON patch (RFC 6902): add, remove, replace, move, copy, test', () => {
  const out = applyJsonPatch(pod(), [
    { op: 'add', path: '/metadata/labels/c', value: '3' },
    { op: 'remove', path: '/metadata/labels/a' },
    { op: 'replace', path: '/spec/containers/0/image', value: 'nginx:2' },
    { op: 'copy', from: '/spec/containers/0/image', path: '/metadata/labels/img' },
    { op: 'move', from: '/metadata/labels/img', path: '/metadata/labels/moved' },
    { op: 'add', path: '/spec/tolerations/-', value: { key: 'u' } },
    { op: 'test', path: '/metadata/labels/b', value: '2' },
  ]) as ReturnType<typeof pod>;
  assert.deepEqual(out.metadata.labels, { b: '2', c: '3', moved: 'nginx:2' });
  assert.equal(out.spec.tolerations.length, 2);
  assert.throws(() => applyJsonPatch(pod(), [{ op: 'test', path: '/metadata/name', value: 'q' }]), (e: unknown) => e instanceof KubeApiError && e.status === 422);
  assert.throws(() => applyJsonPatch(pod(), [{ op: 'remove', path: '/nope' }]), KubeApiError);
  assert.throws(() => applyJsonPatch(pod(), { op: 'add' }), (e: unknown) => e instanceof KubeApiError && e.status === 400);
});

test('strategic merge: lists merge by key, primitives by set, others replace', () => {
  const out = applyStrategicMergePatch(pod(), {
    metadata: { finalizers: ['y'] },
    spec: {
      containers: [{ name: 'web', image: 'nginx:2', ports: [{ containerPort: 443 }] }, { name: 'new', image: 'redis' }],
      tolerations: [{ key: 'only' }],
    },
  }) as ReturnType<typeof pod>;
  assert.deepEqual(out.metadata.finalizers, ['x', 'y']);
  assert.deepEqual(out.spec.containers.map((c) => c.name), ['web', 'side', 'new']);
  assert.equal(out.spec.containers[0].image, 'nginx:2');
  assert.deepEqual(out.spec.containers[0].ports, [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 443 }]);
  assert.deepEqual(out.spec.containers[0].env, [{ name: 'A', value: '1' }], 'untouched fields of a merged element stay');
  assert.deepEqual(out.spec.tolerations, [{ key: 'only' }]);
});

test('strategic merge directives: $patch delete/replace, $setElementOrder, $deleteFromPrimitiveList, $retainKeys', () => {
  const out = applyStrategicMergePatch(pod(), {
    metadata: { '$deleteFromPrimitiveList/finalizers': ['x'] },
    spec: {
      '$setElementOrder/containers': [{ name: 'side' }, { name: 'web' }],
      containers: [{ name: 'web', $patch: 'delete' }],
    },
  }) as ReturnType<typeof pod>;
  assert.deepEqual(out.metadata.finalizers, []);
  assert.deepEqual(out.spec.containers.map((c) => c.name), ['side']);
  const replaced = applyStrategicMergePatch(pod(), { spec: { $patch: 'replace', containers: [{ name: 'only', image: 'x' }] } }) as { spec: Record<string, unknown> };
  assert.deepEqual(Object.keys(replaced.spec), ['containers']);
  const listReplace = applyStrategicMergePatch(pod(), { spec: { containers: [{ $patch: 'replace' }, { name: 'solo', image: 'x' }] } }) as ReturnType<typeof pod>;
  assert.deepEqual(listReplace.spec.containers, [{ name: 'solo', image: 'x' }]);
  const ordered = applyStrategicMergePatch(pod(), { spec: { '$setElementOrder/containers': [{ name: 'side' }, { name: 'web' }] } }) as ReturnType<typeof pod>;
  assert.deepEqual(ordered.spec.containers.map((c) => c.name), ['side', 'web']);
  const retained = applyStrategicMergePatch({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } }, { strategy: { $retainKeys: ['type'], type: 'Recreate' } });
  assert.deepEqual(retained, { strategy: { type: 'Recreate' } });
  const deleted = applyStrategicMergePatch(pod(), { metadata: { labels: { $patch: 'delete' } } }) as { metadata: Record<string, unknown> };
  assert.equal('labels' in deleted.metadata, false);
});

test('strategic merge: service ports merge by port, conditions by type', () => {
  const svc = { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] }, status: { conditions: [{ type: 'Ready', status: 'False' }] } };
  const out = applyStrategicMergePatch(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] }, status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'X', status: 'True' }] } }) as typeof svc;
  assert.deepEqual(out.spec.ports, [{ port: 80, targetPort: 9090 }, { port: 443 }]);
  assert.deepEqual(out.status.conditions, [{ type: 'Ready', status: 'True' }, { type: 'X', status: 'True' }]);
});
