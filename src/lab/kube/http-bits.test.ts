import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeApiError } from './errors.js';
import { negotiateDiscovery, negotiateObject, parseAccept, patchFormat, requestBodyFormat } from './negotiate.js';
import { parseApiPath } from './request-path.js';
import { humanDuration, podStatusReason, toTable } from './table.js';
import { findResource } from './resources.js';
import { aggregatedDiscovery, apiResourceList } from './discovery.js';
import { openApiV3ForPath, openApiV3Index } from './openapi.js';

test('Accept negotiation: what kubectl 1.32 sends', () => {
  assert.deepEqual(negotiateObject('application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json'), { kind: 'table', version: 'v1' });
  assert.deepEqual(negotiateObject('application/json, */*'), { kind: 'json' });
  assert.deepEqual(negotiateObject(undefined), { kind: 'json' });
  assert.deepEqual(negotiateObject('application/yaml'), { kind: 'yaml' });
  assert.deepEqual(negotiateObject('application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io'), { kind: 'metadata', version: 'v1' });
  assert.throws(() => negotiateObject('application/vnd.kubernetes.protobuf'), (e: unknown) => e instanceof KubeApiError && e.status === 406);
  assert.deepEqual(negotiateDiscovery('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json'), { kind: 'aggregated', version: 'v2' });
  assert.deepEqual(negotiateDiscovery('application/json'), { kind: 'legacy' });
  assert.deepEqual(parseAccept('a/b;q=0.1, c/d').map((m) => m.type), ['c', 'a']);
  assert.equal(patchFormat('application/strategic-merge-patch+json'), 'strategic');
  assert.equal(patchFormat('application/apply-patch+yaml; charset=utf-8'), 'apply');
  assert.throws(() => patchFormat('application/json'), (e: unknown) => e instanceof KubeApiError && e.status === 415);
  assert.equal(requestBodyFormat('application/yaml'), 'yaml');
});

test('URL paths: namespaced, cluster-scoped, subresources, the /watch/ prefix', () => {
  const p = parseApiPath('/api/v1/namespaces/default/pods/web/status');
  assert.ok(p.kind === 'resource' && p.info.resource === 'pods' && p.namespace === 'default' && p.name === 'web' && p.subresource === 'status');
  const ns = parseApiPath('/api/v1/namespaces/dev/finalize');
  assert.ok(ns.kind === 'resource' && ns.info.resource === 'namespaces' && ns.name === 'dev' && ns.subresource === 'finalize');
  const all = parseApiPath('/apis/apps/v1/deployments');
  assert.ok(all.kind === 'resource' && all.namespace === undefined && all.name === undefined);
  const w = parseApiPath('/api/v1/watch/namespaces/default/pods');
  assert.ok(w.kind === 'resource' && w.watchPrefix);
  assert.equal(parseApiPath('/apis/apps').kind, 'group');
  assert.equal(parseApiPath('/apis/apps/v1').kind, 'groupVersion');
  assert.equal(parseApiPath('/apis/batch/v1').kind, 'unknown');
  assert.equal(parseApiPath('/api/v1/pods/x').kind, 'unknown', 'a namespaced object needs its namespace');
});

test('discovery lists resources, subresources and the scale group; aggregated discovery has every group', () => {
  const rl = apiResourceList('apps', 'v1') as { resources: { name: string; group?: string; kind: string }[] };
  const scale = rl.resources.find((r) => r.name === 'deployments/scale');
  assert.deepEqual([scale?.group, scale?.kind], ['autoscaling', 'Scale']);
  const agg = aggregatedDiscovery(false, 'v2') as { items: { metadata: { name: string }; versions: { version: string }[] }[] };
  assert.deepEqual(agg.items.map((g) => g.metadata.name), ['apps', 'networking.k8s.io', 'coordination.k8s.io']);
  assert.deepEqual(agg.items[0].versions.map((v) => v.version), ['v1', 'v1beta1']);
  const idx = openApiV3Index() as { paths: Record<string, { serverRelativeURL: string }> };
  assert.ok(idx.paths['apis/apps/v1beta1'].serverRelativeURL.startsWith('/openapi/v3/apis/apps/v1beta1?hash='));
  const doc = openApiV3ForPath('api/v1') as { paths: Record<string, { patch?: { parameters: { name: string }[]; 'x-kubernetes-group-version-kind': { kind: string } } }> };
  const patch = doc.paths['/api/v1/namespaces/{namespace}/pods/{name}'].patch;
  assert.equal(patch?.['x-kubernetes-group-version-kind'].kind, 'Pod');
  assert.ok(patch?.parameters.some((p) => p.name === 'fieldValidation'));
});

test('tables: kubectl columns, -o wide priorities, ages, pod status', () => {
  assert.deepEqual([humanDuration(5_000), humanDuration(150_000), humanDuration(3_600_000 * 5 + 60_000 * 7), humanDuration(86_400_000 * 3)], ['5s', '2m30s', '5h7m', '3d']);
  const info = findResource('', 'v1', 'pods');
  assert.ok(info);
  const pod = {
    metadata: { name: 'web-1', creationTimestamp: new Date(Date.now() - 65_000).toISOString() },
    spec: { nodeName: 'node-a', containers: [{ name: 'c' }] },
    status: { phase: 'Pending', podIP: '10.47.255.252', containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] },
  };
  const t = toTable(info, [pod], { includeObject: 'Metadata', version: 'v1' }) as { columnDefinitions: { name: string; priority: number }[]; rows: { cells: unknown[]; object: { kind: string } }[] };
  assert.deepEqual(t.columnDefinitions.map((c) => c.name), ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates']);
  assert.deepEqual(t.columnDefinitions.filter((c) => c.priority === 1).map((c) => c.name), ['IP', 'Node', 'Nominated Node', 'Readiness Gates']);
  assert.deepEqual(t.rows[0].cells.slice(0, 3), ['web-1', '0/1', 'ContainerCreating']);
  assert.deepEqual(t.rows[0].cells.slice(5, 7), ['10.47.255.252', 'node-a']);
  assert.equal(t.rows[0].object.kind, 'PartialObjectMetadata');
  assert.equal(podStatusReason({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: 'x' } }), 'Terminating');
});
