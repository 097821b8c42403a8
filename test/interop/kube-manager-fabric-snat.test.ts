// ip_fabric_snat: the [KUBERNETES] option turns on fabric SNAT (pods reach the fabric and beyond through
// their node's address) on the pod networks kube-manager creates; the namespace annotation
// `opencontrail.org/ip_fabric_snat` overrides it for the namespace's own (isolated) network, and the
// default namespace's annotation does so for the cluster network. ip_fabric_forwarding is refused
// with an Event, never quietly replaced by overlay addresses.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { R } from '../../src/lab/kube/resources.js';
import { KubeManagerEnv, SINGLE, kv } from './kube-manager-env.js';

let env: KubeManagerEnv;
const P = ['default-domain', 'kubernetes'];
const CLUSTER_VN = [...P, 'cluster-network'];

before(async () => {
  env = await KubeManagerEnv.start({ ini: `${SINGLE}ip_fabric_snat = True\n` });
  await env.virtualRouter('node-1');
  await env.namespace('iso-on', { 'opencontrail.org/isolation': 'true' });
  await env.namespace('iso-off', { 'opencontrail.org/isolation': 'true', 'opencontrail.org/ip_fabric_snat': 'False' });
  await env.settle();
});
after(async () => {
  await env?.close();
});

const snat = async (fq: string[]): Promise<unknown> => (await env.byFq('virtual-network', fq)).fabric_snat ?? null;
const reasons = async (ns: string, name: string): Promise<string[]> =>
  (await env.events(ns)).filter((e) => (e.involvedObject as { name: string }).name === name).map((e) => String(e.reason));

test('the option turns fabric SNAT on for the cluster network and isolated networks; a namespace annotation overrides it', async () => {
  assert.equal(await snat(CLUSTER_VN), true);
  assert.equal(await snat([...P, 'iso-on-vn']), true);
  assert.equal(await snat([...P, 'iso-off-vn']), null);
  await env.k.patch(R.namespaces, undefined, 'iso-on', 'merge', { metadata: { annotations: { 'opencontrail.org/ip_fabric_snat': 'false' } } });
  await env.k.patch(R.namespaces, undefined, 'iso-off', 'merge', { metadata: { annotations: { 'opencontrail.org/ip_fabric_snat': null } } });
  await env.settle();
  assert.equal(await snat([...P, 'iso-on-vn']), null);
  assert.equal(await snat([...P, 'iso-off-vn']), true);
});

test('the default namespace speaks for the cluster network; a restart in sync writes nothing', async () => {
  await env.k.patch(R.namespaces, undefined, 'default', 'merge', { metadata: { annotations: { 'opencontrail.org/ip_fabric_snat': 'false' } } });
  await env.settle();
  assert.equal(await snat(CLUSTER_VN), null);
  await env.stopKm();
  const km = await env.startKm();
  await env.settle();
  assert.equal(await snat(CLUSTER_VN), null, 'the option does not override the annotation at start');
  assert.equal(km.stats.total, 0, JSON.stringify([...km.stats.byType]));
  await env.k.patch(R.namespaces, undefined, 'default', 'merge', { metadata: { annotations: { 'opencontrail.org/ip_fabric_snat': null } } });
  await env.settle();
  assert.equal(await snat(CLUSTER_VN), true);
});

test('a value other than true/false: an Event on the namespace, the option applies', async () => {
  await env.namespace('iso-bad', { 'opencontrail.org/isolation': 'true', 'opencontrail.org/ip_fabric_snat': 'sometimes' });
  await env.settle();
  assert.deepEqual(await reasons('default', 'iso-bad'), ['InvalidAnnotation']);
  assert.equal(await snat([...P, 'iso-bad-vn']), true);
});

test('ip_fabric_forwarding "true": an Event on the namespace and on its pods, no pod objects', async () => {
  await env.namespace('underlay', { 'opencontrail.org/ip_fabric_forwarding': 'true' });
  await env.pod('underlay', 'u1', { node: 'node-1' });
  await env.settle();
  assert.deepEqual(await reasons('default', 'underlay'), ['UnsupportedAnnotation']);
  assert.deepEqual(await reasons('underlay', 'u1'), ['UnsupportedAnnotation']);
  for (const t of ['virtual-machine', 'virtual-machine-interface', 'instance-ip']) assert.equal((await env.owned(t)).filter((o) => kv(o).name === 'u1').length, 0, t);
  await env.k.patch(R.namespaces, undefined, 'underlay', 'merge', { metadata: { annotations: { 'opencontrail.org/ip_fabric_forwarding': 'false' } } });
  await env.settle();
  assert.equal((await env.owned('instance-ip')).filter((o) => kv(o).name === 'u1').length, 1);
});
