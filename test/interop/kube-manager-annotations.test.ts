// Custom networks (namespace and pod annotation `opencontrail.org/network`, the pod's winning) and
// bad annotations: invalid JSON, an unknown network, a network out of addresses → a Kubernetes
// Event and a log line, nothing half-created; and each recovers by itself once fixed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { R } from '../../src/lab/kube/resources.js';
import { KubeManagerEnv, kv, refTos } from './kube-manager-env.js';

let env: KubeManagerEnv;
before(async () => {
  env = await KubeManagerEnv.start();
  const c = env.client;
  await c.create('project', { fq_name: ['default-domain', 'demo'], parent_type: 'domain' });
  const ipam = await c.create('network-ipam', { fq_name: ['default-domain', 'demo', 'demo-ipam'], parent_type: 'project' });
  for (const [name, prefix, len] of [['red', '192.168.10.0', 24], ['tiny', '192.168.20.0', 29]] as const) {
    await c.create('virtual-network', { fq_name: ['default-domain', 'demo', name], parent_type: 'project', network_ipam_refs: [{ to: ipam.fq_name, attr: { ipam_subnets: [{ subnet: { ip_prefix: prefix, ip_prefix_len: len } }] } }] });
  }
  await env.virtualRouter('node-1');
  await env.namespace('dev-customized', { 'opencontrail.org/network': '{"domain": "default-domain", "project": "demo", "name": "red"}' });
  await env.namespace('plain');
  await env.settle();
});
after(async () => {
  await env?.close();
});

const objectsOf = async (name: string): Promise<Record<string, number>> => {
  const out: Record<string, number> = {};
  for (const t of ['virtual-machine', 'virtual-machine-interface', 'instance-ip']) out[t] = (await env.owned(t)).filter((o) => kv(o).name === name).length;
  return out;
};
const NONE = { 'virtual-machine': 0, 'virtual-machine-interface': 0, 'instance-ip': 0 };
const reasons = async (ns: string, name: string): Promise<string[]> =>
  (await env.events(ns)).filter((e) => (e.involvedObject as { name: string }).name === name).map((e) => String(e.reason));

test('namespace annotation: pods on that network, addresses from its IPAM; pod annotation wins', async () => {
  await env.pod('dev-customized', 'c1', { node: 'node-1' });
  await env.pod('dev-customized', 'c2', { node: 'node-1', annotations: { 'opencontrail.org/network': '{"domain": "default-domain", "project": "demo", "name": "tiny"}' } });
  await env.pod('plain', 'p1', { node: 'node-1', annotations: { 'opencontrail.org/network': "{'domain': 'default-domain', 'project': 'demo', 'name': 'red'}" } });
  await env.settle();
  const iip = async (n: string) => (await env.owned('instance-ip')).find((o) => kv(o).name === n)!;
  const c1 = await iip('c1');
  assert.deepEqual(refTos(c1, 'virtual_network_refs'), ['default-domain:demo:red']);
  assert.equal(c1.instance_ip_address, '192.168.10.252');
  assert.deepEqual(refTos(await iip('c2'), 'virtual_network_refs'), ['default-domain:demo:tiny']);
  assert.equal((await iip('c2')).instance_ip_address, '192.168.20.4');
  assert.deepEqual(refTos(await iip('p1'), 'virtual_network_refs'), ['default-domain:demo:red']);
  const vmi = (await env.owned('virtual-machine-interface')).find((o) => kv(o).name === 'p1')!;
  assert.deepEqual(vmi.fq_name.slice(0, 2), ['default-domain', 'kubernetes'], 'the interface stays in the namespace’s project');
  assert.deepEqual(refTos(vmi, 'security_group_refs'), ['default-domain:kubernetes:k8s-default-plain-default', 'default-domain:kubernetes:k8s-default-plain-sg']);
});

test('invalid JSON: an Event, nothing created; fixing the annotation creates the pod’s objects', async () => {
  await env.pod('plain', 'badjson', { node: 'node-1', annotations: { 'opencontrail.org/network': '{"domain": "default-domain", "project": ' } });
  await env.settle();
  assert.deepEqual(await objectsOf('badjson'), NONE);
  assert.deepEqual(await reasons('plain', 'badjson'), ['InvalidAnnotation']);
  await env.k.patch(R.pods, 'plain', 'badjson', 'merge', { metadata: { annotations: { 'opencontrail.org/network': null } } });
  await env.settle();
  assert.deepEqual(await objectsOf('badjson'), { 'virtual-machine': 1, 'virtual-machine-interface': 1, 'instance-ip': 1 });
});

test('unknown network: an Event, nothing created; the network appearing links the pod (no timer)', async () => {
  await env.pod('plain', 'wants-blue', { node: 'node-1', annotations: { 'opencontrail.org/network': '{"domain": "default-domain", "project": "demo", "name": "blue"}' } });
  await env.settle();
  assert.deepEqual(await objectsOf('wants-blue'), NONE);
  assert.deepEqual(await reasons('plain', 'wants-blue'), ['NetworkNotFound']);
  const ipam = await env.byFq('network-ipam', ['default-domain', 'demo', 'demo-ipam']);
  await env.client.create('virtual-network', { fq_name: ['default-domain', 'demo', 'blue'], parent_type: 'project', network_ipam_refs: [{ to: ipam.fq_name, attr: { ipam_subnets: [{ subnet: { ip_prefix: '192.168.30.0', ip_prefix_len: 24 } }] } }] });
  await env.settle();
  assert.deepEqual(await objectsOf('wants-blue'), { 'virtual-machine': 1, 'virtual-machine-interface': 1, 'instance-ip': 1 });
});

test('network out of addresses: an Event, nothing half-created; a freed address is taken up', async () => {
  // tiny = /29: 8 addresses minus network, broadcast, gateway and DNS = 4; c2 holds one
  const tiny = { 'opencontrail.org/network': '{"domain": "default-domain", "project": "demo", "name": "tiny"}' };
  for (const n of ['t1', 't2', 't3', 't4']) await env.pod('plain', n, { node: 'node-1', annotations: tiny });
  await env.settle();
  const got = await Promise.all(['t1', 't2', 't3', 't4'].map(objectsOf));
  const full = got.filter((g) => g['instance-ip'] === 1).length;
  assert.equal(full, 3);
  const starved = ['t1', 't2', 't3', 't4'][got.findIndex((g) => g['instance-ip'] === 0)];
  assert.deepEqual(await objectsOf(starved), NONE, 'no VM or interface left behind');
  assert.deepEqual(await reasons('plain', starved), ['AddressAllocationFailed']);
  await env.deletePod('dev-customized', 'c2');
  await env.settle();
  assert.deepEqual(await objectsOf(starved), { 'virtual-machine': 1, 'virtual-machine-interface': 1, 'instance-ip': 1 });
});
