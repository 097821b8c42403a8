// The seed's single-tenant object model (seed 004 appendix A/B) created through the API: what the
// server assigns must match the seed (addresses top-down, gateway/DNS, MACs, SG ids, default RIs).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestConfigApi, type TestConfigApi } from '../../test/support/config-api.js';
import { BadRequest, RefsExistError } from '../vnc/errors.js';
import type { VirtualNetwork } from '../vnc/schema.js';

let api: TestConfigApi;
let vn: VirtualNetwork;
const P = ['default-domain', 'kubernetes'];

before(async () => {
  api = await startTestConfigApi();
  const c = api.client;
  await c.create('project', { fq_name: P, parent_type: 'domain' });
  await c.create('network-ipam', {
    fq_name: [...P, 'pod-ipam'],
    parent_type: 'project',
    ipam_subnet_method: 'flat-subnet',
    ipam_subnets: { subnets: [{ subnet: { ip_prefix: '10.32.0.0', ip_prefix_len: 12 } }] },
  });
  await c.create('network-ipam', { fq_name: [...P, 'service-ipam'], parent_type: 'project' });
  vn = await c.create('virtual-network', {
    fq_name: [...P, 'cluster-network'],
    parent_type: 'project',
    address_allocation_mode: 'user-defined-subnet-only',
    network_ipam_refs: [
      { to: [...P, 'service-ipam'], attr: { ipam_subnets: [{ subnet: { ip_prefix: '10.167.0.0', ip_prefix_len: 16 } }] } },
      { to: [...P, 'pod-ipam'], attr: { ipam_subnets: [{ subnet: null }] } },
    ],
  });
});
after(() => api.close());

test('flat IPAM subnets get the gateway last-1 and DNS last-2', async () => {
  const ipam = await api.client.readByFqName('network-ipam', [...P, 'pod-ipam']);
  const s = ipam.ipam_subnets!.subnets![0];
  assert.equal(s.default_gateway, '10.47.255.254');
  assert.equal(s.dns_server_address, '10.47.255.253');
  const svc = vn.network_ipam_refs!.find((r) => r.to[2] === 'service-ipam')!.attr!.ipam_subnets![0];
  assert.equal(svc.default_gateway, '10.167.255.254');
  assert.equal(svc.dns_server_address, '10.167.255.253');
  assert.match(svc.subnet_uuid!, /^[0-9a-f-]{36}$/);
});

test('a VN gets a network id and its default routing instance in the same transaction', async () => {
  assert.ok(Number.isInteger(vn.virtual_network_network_id) && vn.virtual_network_network_id! >= 1 && vn.virtual_network_network_id! < 2 ** 24);
  const ri = await api.client.readByFqName('routing-instance', [...P, 'cluster-network', 'cluster-network']);
  assert.equal(ri.routing_instance_is_default, true);
  assert.equal(ri.parent_uuid, vn.uuid);
  const other = await api.client.create('virtual-network', { fq_name: [...P, 'dev-vn'], parent_type: 'project' });
  assert.notEqual(other.virtual_network_network_id, vn.virtual_network_network_id);
  await api.client.delete('virtual-network', other.uuid);
  await assert.rejects(api.client.readByFqName('routing-instance', [...P, 'dev-vn', 'dev-vn']), /not found/);
});

test('pod instance IPs come from the flat pool top-down: .252, .251, …; a deleted one is reused first', async () => {
  const podSubnet = vn.network_ipam_refs!.find((r) => r.to[2] === 'pod-ipam')!.attr!.ipam_subnets![0].subnet_uuid!;
  const vmi = await api.client.create('virtual-machine-interface', {
    fq_name: [...P, 'dev-web-k528t__5a1fc03e-f7ab-11e7-8f66-52540065dced'],
    uuid: '5a1fc03e-f7ab-11e7-8f66-52540065dced',
    parent_type: 'project',
    virtual_network_refs: [{ uuid: vn.uuid }],
  });
  assert.deepEqual(vmi.virtual_machine_interface_mac_addresses?.mac_address, ['02:5a:1f:c0:3e:f7']);
  const mk = (i: number) =>
    api.client.create('instance-ip', {
      fq_name: [`pod-${i}`],
      subnet_uuid: podSubnet,
      virtual_network_refs: [{ uuid: vn.uuid }],
      virtual_machine_interface_refs: [{ uuid: vmi.uuid }],
    });
  const a = await mk(1);
  const b = await mk(2);
  const c = await mk(3);
  assert.deepEqual([a, b, c].map((x) => x.instance_ip_address), ['10.47.255.252', '10.47.255.251', '10.47.255.250']);
  assert.equal(a.subnet_uuid, podSubnet);
  await api.client.delete('instance-ip', b.uuid);
  assert.equal((await mk(4)).instance_ip_address, '10.47.255.251');
  assert.equal((await mk(5)).instance_ip_address, '10.47.255.249');
});

test('a requested address is honoured, and refused with 409 when taken or reserved', async () => {
  const svc = await api.client.create('instance-ip', { fq_name: ['svc-dev-web'], instance_ip_address: '10.167.87.84', virtual_network_refs: [{ uuid: vn.uuid }] });
  assert.equal(svc.instance_ip_address, '10.167.87.84');
  await assert.rejects(
    api.client.create('instance-ip', { fq_name: ['svc-dup'], instance_ip_address: '10.167.87.84', virtual_network_refs: [{ uuid: vn.uuid }] }),
    (e: unknown) => e instanceof RefsExistError && e.code === 'IP_IN_USE' && /IP address already in use/.test(e.message),
  );
  await assert.rejects(
    api.client.create('instance-ip', { fq_name: ['svc-gw'], instance_ip_address: '10.167.255.254', virtual_network_refs: [{ uuid: vn.uuid }] }),
    (e: unknown) => e instanceof RefsExistError && e.code === 'IP_IN_USE',
  );
  await assert.rejects(
    api.client.create('instance-ip', { fq_name: ['svc-out'], instance_ip_address: '192.168.1.1', virtual_network_refs: [{ uuid: vn.uuid }] }),
    (e: unknown) => e instanceof BadRequest && e.code === 'INVALID_ADDRESS',
  );
  await assert.rejects(api.client.readByFqName('instance-ip', ['svc-dup']), /not found/, 'a refused create writes nothing');
});

test('user-defined subnets allocate top-down in their own pool; changing the address is refused', async () => {
  const svcSubnet = vn.network_ipam_refs!.find((r) => r.to[2] === 'service-ipam')!.attr!.ipam_subnets![0].subnet_uuid!;
  const x = await api.client.create('instance-ip', { fq_name: ['svc-auto'], subnet_uuid: svcSubnet, virtual_network_refs: [{ uuid: vn.uuid }] });
  assert.equal(x.instance_ip_address, '10.167.255.252');
  await assert.rejects(api.client.update('instance-ip', x.uuid, { instance_ip_address: '10.167.1.1' }), /can not be changed/);
});

test('floating IPs: from the pool VN; under an instance-ip they take its address (service VIP)', async () => {
  const c = api.client;
  await c.create('network-ipam', { fq_name: [...P, 'public-ipam'], parent_type: 'project' });
  const pub = await c.create('virtual-network', {
    fq_name: [...P, 'public'],
    parent_type: 'project',
    network_ipam_refs: [{ to: [...P, 'public-ipam'], attr: { ipam_subnets: [{ subnet: { ip_prefix: '120.136.134.64', ip_prefix_len: 28 } }] } }],
  });
  const pool = await c.create('floating-ip-pool', { fq_name: [...pub.fq_name, 'public-fip-pool'], parent_type: 'virtual-network' });
  const project = await c.readByFqName('project', P);
  const f1 = await c.create('floating-ip', { fq_name: [...pool.fq_name, 'f1'], parent_type: 'floating-ip-pool', project_refs: [{ uuid: project.uuid }] });
  assert.equal(f1.floating_ip_address, '120.136.134.76');
  const f2 = await c.create('floating-ip', { fq_name: [...pool.fq_name, 'ext'], parent_type: 'floating-ip-pool', floating_ip_address: '120.136.134.67' });
  assert.equal(f2.floating_ip_address, '120.136.134.67');
  await assert.rejects(c.create('floating-ip', { fq_name: [...pool.fq_name, 'dup'], parent_type: 'floating-ip-pool', floating_ip_address: '120.136.134.67' }), /already in use/);
  const iip = await c.readByFqName('instance-ip', ['svc-dev-web']);
  const vip = await c.create('floating-ip', {
    fq_name: ['svc-dev-web', 'vip'],
    parent_type: 'instance-ip',
    floating_ip_traffic_direction: 'ingress',
    floating_ip_port_mappings_enable: true,
    floating_ip_port_mappings: { port_mappings: [{ protocol: 'TCP', src_port: 80, dst_port: 80 }] },
  });
  assert.equal(vip.floating_ip_address, iip.instance_ip_address);
  assert.equal(vip.parent_type, 'instance-ip');
});

test('security groups get ids from 8000001 up (freed ids are reused) and rule uuids', async () => {
  const c = api.client;
  const rule = {
    direction: '>',
    protocol: 'any',
    ethertype: 'IPv4',
    src_addresses: [{ security_group: 'local' }],
    dst_addresses: [{ subnet: { ip_prefix: '0.0.0.0', ip_prefix_len: 0 } }],
    src_ports: [{ start_port: 0, end_port: 65535 }],
    dst_ports: [{ start_port: 0, end_port: 65535 }],
  };
  const a = await c.create('security-group', { fq_name: [...P, 'k8s-default-dev-share-default'], parent_type: 'project', security_group_entries: { policy_rule: [rule] } });
  const b = await c.create('security-group', { fq_name: [...P, 'k8s-default-dev-share-sg'], parent_type: 'project' });
  assert.deepEqual([a.security_group_id, b.security_group_id], [8000001, 8000002]);
  assert.match(a.security_group_entries!.policy_rule![0].rule_uuid!, /^[0-9a-f-]{36}$/);
  await c.delete('security-group', a.uuid);
  const d = await c.create('security-group', { fq_name: [...P, 'again'], parent_type: 'project' });
  assert.equal(d.security_group_id, 8000001);
  const cfg = await c.create('security-group', { fq_name: [...P, 'configured'], parent_type: 'project', configured_security_group_id: 42 });
  assert.equal(cfg.security_group_id, 42);
  await assert.rejects(c.create('security-group', { fq_name: [...P, 'forced'], parent_type: 'project', security_group_id: 8000099 }), /Cannot set the security group ID/);
});

test('subnets with addresses in use cannot be removed; the VN id cannot be set', async () => {
  const c = api.client;
  await assert.rejects(c.update('virtual-network', vn.uuid, { network_ipam_refs: [{ to: [...P, 'pod-ipam'], attr: { ipam_subnets: [{ subnet: null }] } }] }), (e: unknown) => e instanceof RefsExistError && e.code === 'SUBNET_IN_USE');
  await assert.rejects(c.create('virtual-network', { fq_name: [...P, 'vn-id'], parent_type: 'project', virtual_network_network_id: 77 }), /Cannot set the virtual network ID/);
  await assert.rejects(c.update('virtual-network', vn.uuid, { virtual_network_network_id: 99 }), /Cannot update the virtual network ID/);
});

test('exhausting a subnet answers SUBNET_EXHAUSTED and writes nothing', async () => {
  const c = api.client;
  await c.create('network-ipam', { fq_name: [...P, 'tiny-ipam'], parent_type: 'project' });
  const tiny = await c.create('virtual-network', {
    fq_name: [...P, 'tiny'],
    parent_type: 'project',
    network_ipam_refs: [{ to: [...P, 'tiny-ipam'], attr: { ipam_subnets: [{ subnet: { ip_prefix: '192.168.9.0', ip_prefix_len: 29 } }] } }],
  });
  const got: string[] = [];
  for (let i = 0; i < 4; i++) got.push((await c.create('instance-ip', { fq_name: [`tiny-${i}`], virtual_network_refs: [{ uuid: tiny.uuid }] })).instance_ip_address!);
  assert.deepEqual(got, ['192.168.9.4', '192.168.9.3', '192.168.9.2', '192.168.9.1']);
  await assert.rejects(c.create('instance-ip', { fq_name: ['tiny-x'], virtual_network_refs: [{ uuid: tiny.uuid }] }), (e: unknown) => e instanceof BadRequest && e.code === 'SUBNET_EXHAUSTED');
  await assert.rejects(c.readByFqName('instance-ip', ['tiny-x']), /not found/);
});
