// The lab's provisioning against a real config API: the objects it makes, and a second run writes nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestConfigApi, type TestConfigApi } from '../../test/support/config-api.js';
import { inWantedState, provision, provisionObjects, PUBLIC_NETWORK, PUBLIC_POOL, MASTER_RI, type ProvisionSpec } from './provision.js';

const spec: ProvisionSpec = {
  asn: 64512,
  controls: [{ name: 'control1', address: '10.0.0.11', port: 1179 }, { name: 'control2', address: '10.0.0.12', port: 1179 }],
  gateway: { name: 'gateway', address: '10.0.0.1', port: 179 },
  publicSubnet: '198.51.100.0/24',
  gracefulRestartTime: 120,
};

let api: TestConfigApi;
before(async () => {
  api = await startTestConfigApi({ transformer: false });
});
after(() => api.close());

test('inWantedState compares wanted fields only, refs by target name', () => {
  const want = { fq_name: ['a'], p: { x: 1, y: [1, 2] }, r_refs: [{ to: ['a', 'b'] }] };
  assert.ok(inWantedState({ p: { x: 1, y: [1, 2], extra: true }, r_refs: [{ to: ['a', 'b'], uuid: 'u', attr: {} }], other: 1 }, want));
  assert.ok(!inWantedState({ p: { x: 2, y: [1, 2] }, r_refs: [{ to: ['a', 'b'] }] }, want));
  assert.ok(!inWantedState({ p: { x: 1, y: [1] }, r_refs: [{ to: ['a', 'b'] }] }, want));
  assert.ok(!inWantedState({ p: { x: 1, y: [1, 2] }, r_refs: [] }, want));
});

test('first run creates the bgp-routers, the gateway sessions, the public network and its pool; the second writes nothing', async () => {
  const first = await provision(api.client, spec);
  assert.deepEqual(first.map((w) => `${w.action} ${w.type} ${w.fq_name}`), [
    'updated global-system-config default-global-system-config',
    `created bgp-router ${[...MASTER_RI, 'control1'].join(':')}`,
    `created bgp-router ${[...MASTER_RI, 'control2'].join(':')}`,
    `created bgp-router ${[...MASTER_RI, 'gateway'].join(':')}`,
    'created project default-domain:default',
    `created virtual-network ${PUBLIC_NETWORK.join(':')}`,
    `created floating-ip-pool ${PUBLIC_POOL.join(':')}`,
  ]);
  const gw = await api.client.readByFqName('bgp-router', [...MASTER_RI, 'gateway']);
  assert.deepEqual((gw.bgp_router_refs as { to: string[] }[]).map((r) => r.to.at(-1)).sort(), ['control1', 'control2']);
  assert.equal((gw.bgp_router_parameters as { router_type: string }).router_type, 'router');
  assert.ok((gw.bgp_router_parameters as { address_families: { family: string[] } }).address_families.family.includes('inet'));
  const gsc = await api.client.readByFqName('global-system-config', ['default-global-system-config']);
  assert.equal((gsc.graceful_restart_parameters as { enable: boolean }).enable, true);
  assert.equal(gsc.autonomous_system, 64512, 'fields not provisioned are kept');
  const vn = await api.client.readByFqName('virtual-network', PUBLIC_NETWORK);
  assert.equal(vn.router_external, true);
  assert.deepEqual(await provision(api.client, spec), [], 'in sync → no writes');
});

test('a drifted object is put back with one update', async () => {
  const c2 = await api.client.readByFqName('bgp-router', [...MASTER_RI, 'control2']);
  await api.client.update('bgp-router', c2.uuid, { bgp_router_parameters: { ...(c2.bgp_router_parameters as object), address: '10.0.0.99' } });
  const writes = await provision(api.client, spec);
  assert.deepEqual(writes.map((w) => w.action), ['updated']);
  const again = await api.client.readByFqName('bgp-router', [...MASTER_RI, 'control2']);
  assert.equal((again.bgp_router_parameters as { address: string }).address, '10.0.0.12');
});

test('provisionObjects: the public subnet goes on the public network\'s IPAM reference', () => {
  const vn = provisionObjects(spec).find((o) => o.type === 'virtual-network')!;
  assert.deepEqual((vn.body.network_ipam_refs as { attr: unknown }[])[0].attr, { ipam_subnets: [{ subnet: { ip_prefix: '198.51.100.0', ip_prefix_len: 24 } }] });
});
