// The agent's config view against a real config API with the schema transformer (the shapes the agent
// reads are the ones the API and the transformer write), through the same informer cache the agent uses.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { VncCache } from '../vnc/cache.js';
import { startTestConfigApi, type TestConfigApi } from '../../test/support/config-api.js';
import { eventually } from '../../test/support/control-env.js';
import { AGENT_TYPES, aclRuleToSgRule, findVm, nodeConfig, podVmName, type NodeConfig } from './config-view.js';

let api: TestConfigApi;
let cache: VncCache;
const project = ['default-domain', 'cv'];
const ids: Record<string, string> = {};

async function pod(name: string, vn: string[], node: string, sgs: string[][] = [], subnetUuid?: string): Promise<{ vm: string; vmi: string }> {
  const uid = randomUUID();
  const ann = { key_value_pair: [{ key: 'cluster', value: 'k8s' }, { key: 'namespace', value: 'dev' }, { key: 'name', value: name }] };
  await api.client.create('virtual-machine', { uuid: uid, fq_name: [`${name}__${uid}`], display_name: `dev__${name}`, annotations: ann });
  const vmi = await api.client.create('virtual-machine-interface', {
    fq_name: [...project, `${name}__vmi`], parent_type: 'project', virtual_network_refs: [{ to: vn }], virtual_machine_refs: [{ to: [`${name}__${uid}`] }],
    security_group_refs: sgs.map((to) => ({ to })),
  });
  await api.client.create('instance-ip', { fq_name: [`${name}__iip`], virtual_network_refs: [{ to: vn }], virtual_machine_interface_refs: [{ to: vmi.fq_name }], ...(subnetUuid ? { subnet_uuid: subnetUuid } : {}) });
  const vr = await api.client.fqNameToId('virtual-router', ['default-global-system-config', node]);
  await api.client.refUpdate('virtual-router', vr, 'virtual-machine', uid, 'ADD');
  return { vm: uid, vmi: vmi.uuid };
}

before(async () => {
  api = await startTestConfigApi({ transformer: true, bookmarkMs: 50 });
  const c = api.client;
  await c.create('project', { fq_name: project, parent_type: 'domain' });
  for (const n of ['n1', 'n2']) await c.create('virtual-router', { fq_name: ['default-global-system-config', n], parent_type: 'global-system-config', virtual_router_ip_address: n === 'n1' ? '192.168.0.1' : '192.168.0.2' });
  // The seed's model: a flat-subnet pod IPAM the cluster network takes addresses from by subnet_uuid.
  const ipam = await c.create('network-ipam', { fq_name: [...project, 'pod-ipam'], parent_type: 'project', ipam_subnet_method: 'flat-subnet', ipam_subnets: { subnets: [{ subnet: { ip_prefix: '10.32.0.0', ip_prefix_len: 12 } }] } });
  const flat = await c.create('virtual-network', { fq_name: [...project, 'cluster-network'], parent_type: 'project', network_ipam_refs: [{ to: ipam.fq_name, attr: { ipam_subnets: [] } }] });
  const user = await c.create('virtual-network', { fq_name: [...project, 'user'], parent_type: 'project', network_ipam_refs: [{ to: ['default-domain', 'default-project', 'default-network-ipam'], attr: { ipam_subnets: [{ subnet: { ip_prefix: '10.5.0.0', ip_prefix_len: 24 } }] } }] });
  const pub = await c.create('virtual-network', { fq_name: [...project, 'public'], parent_type: 'project', router_external: true, network_ipam_refs: [{ to: ['default-domain', 'default-project', 'default-network-ipam'], attr: { ipam_subnets: [{ subnet: { ip_prefix: '203.0.113.0', ip_prefix_len: 24 } }] } }] });
  ids.flat = flat.uuid;
  ids.user = user.uuid;
  ids.pub = pub.uuid;
  const subnetUuid = (await c.read('network-ipam', ipam.uuid)).ipam_subnets!.subnets![0].subnet_uuid!;
  const sg = await c.create('security-group', {
    fq_name: [...project, 'web'], parent_type: 'project', security_group_entries: { policy_rule: [
      { direction: '>', protocol: 'tcp', ethertype: 'IPv4', src_addresses: [{ security_group: 'any' }], dst_addresses: [{ security_group: 'local' }], dst_ports: [{ start_port: 80, end_port: 80 }], src_ports: [{ start_port: 0, end_port: 65535 }] },
      { direction: '>', protocol: 'udp', ethertype: 'IPv4', src_addresses: [{ security_group: 'default-domain:cv:web' }], dst_addresses: [{ security_group: 'local' }], dst_ports: [{ start_port: -1, end_port: -1 }], src_ports: [{ start_port: 0, end_port: 65535 }] },
      { direction: '>', protocol: 'any', ethertype: 'IPv4', src_addresses: [{ security_group: 'local' }], dst_addresses: [{ subnet: { ip_prefix: '10.0.0.0', ip_prefix_len: 8 } }], dst_ports: [{ start_port: 0, end_port: 65535 }], src_ports: [{ start_port: 0, end_port: 65535 }] },
      { direction: '>', protocol: 'tcp', ethertype: 'IPv6', src_addresses: [{ security_group: 'any' }], dst_addresses: [{ security_group: 'local' }], dst_ports: [{ start_port: 0, end_port: 65535 }], src_ports: [{ start_port: 0, end_port: 65535 }] },
    ] },
  });
  ids.sg = sg.uuid;
  const a = await pod('web-a', flat.fq_name, 'n1', [sg.fq_name], subnetUuid);
  const b = await pod('web-b', user.fq_name, 'n1');
  const remote = await pod('web-c', flat.fq_name, 'n2', [], subnetUuid);
  Object.assign(ids, { vmA: a.vm, vmiA: a.vmi, vmB: b.vm, vmiB: b.vmi, vmiC: remote.vmi });
  // an interface without an address yet
  const uid = randomUUID();
  await c.create('virtual-machine', { uuid: uid, fq_name: [`bare__${uid}`] });
  await c.create('virtual-machine-interface', { fq_name: [...project, 'bare__vmi'], parent_type: 'project', virtual_network_refs: [{ to: user.fq_name }], virtual_machine_refs: [{ to: [`bare__${uid}`] }] });
  await c.refUpdate('virtual-router', await c.fqNameToId('virtual-router', ['default-global-system-config', 'n1']), 'virtual-machine', uid, 'ADD');
  ids.vmBare = uid;
  // a service: LB interface + VIP instance-ip + floating-ip with port mappings on web-a and web-c
  const lb = await c.create('virtual-machine-interface', { fq_name: [...project, 'svc__lb'], parent_type: 'project', virtual_network_refs: [{ to: flat.fq_name }], virtual_machine_interface_device_owner: 'K8S:LOADBALANCER' });
  const vipIip = await c.create('instance-ip', { fq_name: ['svc__vip'], virtual_network_refs: [{ to: flat.fq_name }], virtual_machine_interface_refs: [{ to: lb.fq_name }], subnet_uuid: subnetUuid });
  await c.create('floating-ip', {
    fq_name: [...vipIip.fq_name, 'svc'], parent_type: 'instance-ip', floating_ip_address: vipIip.instance_ip_address, floating_ip_port_mappings_enable: true,
    floating_ip_port_mappings: { port_mappings: [{ protocol: 'TCP', src_port: 80, dst_port: 8080 }, { protocol: 'ICMP', src_port: 1, dst_port: 1 }] },
    virtual_machine_interface_refs: [{ to: [...project, 'web-a__vmi'] }, { to: [...project, 'web-c__vmi'] }, { to: lb.fq_name }],
  });
  ids.vip = vipIip.instance_ip_address!;
  const pool = await c.create('floating-ip-pool', { fq_name: [...pub.fq_name, 'pool'], parent_type: 'virtual-network' });
  const pf = await c.create('floating-ip', { fq_name: [...pool.fq_name, 'ext'], parent_type: 'floating-ip-pool', virtual_machine_interface_refs: [{ to: [...project, 'web-a__vmi'] }], floating_ip_port_mappings: { port_mappings: [{ protocol: 'TCP', src_port: 80, dst_port: 8080 }] } });
  ids.pubFip = pf.floating_ip_address!;

  cache = new VncCache(api.client, AGENT_TYPES);
  await cache.start();
});

after(async () => {
  cache?.close();
  await api?.close();
});

async function settled(): Promise<NodeConfig> {
  return eventually(() => {
    const c = nodeConfig(cache, 'n1');
    const done = [...c.networks.values()].every((n) => n.vrf && n.vrf.importTargets.length > 0) && [...c.securityGroups.values()].every((s) => s.complete) && c.networks.size === 3;
    return done && c;
  }, 'transformer output in the cache');
}

test('the node sees its own VMs and their interfaces with address, subnet, gateway and DNS', async () => {
  const c = await settled();
  assert.equal(c.asn, 64512);
  assert.deepEqual(c.vrouter?.ip, '192.168.0.1');
  assert.deepEqual([...c.vms.keys()].sort(), [ids.vmA, ids.vmB, ids.vmBare].sort(), 'not the VM of node n2');
  const a = c.interfaces.get(ids.vmiA)!;
  assert.deepEqual([a.ip, a.plen, a.gateway, a.dns, a.problems], ['10.47.255.252', 12, '10.47.255.254', '10.47.255.253', []], 'flat subnet by subnet_uuid');
  assert.match(a.mac!, /^02:[0-9a-f]{2}(:[0-9a-f]{2}){4}$/);
  const b = c.interfaces.get(ids.vmiB)!;
  assert.deepEqual([b.ip, b.plen, b.gateway, b.dns], ['10.5.0.252', 24, '10.5.0.254', '10.5.0.253'], 'user-defined subnet');
  assert.equal(b.index, '0/1');
  const bare = c.vms.get(ids.vmBare)!;
  assert.deepEqual(c.interfaces.get(bare.vmiUuids[0])!.problems, ['no instance-ip']);
  assert.equal(findVm(c, 'k8s__dev__web-a')?.uuid, ids.vmA);
  assert.equal(findVm(c, ids.vmB)?.uuid, ids.vmB);
  assert.equal(findVm(c, 'dev__web-b')?.uuid, ids.vmB);
  assert.equal(findVm(c, 'k8s__dev__web-c'), undefined, 'on another node');
  assert.equal(podVmName(cache.get(ids.vmA)!), 'k8s__dev__web-a');
});

test('networks carry the VRF targets the transformer wrote; security groups their ACL rules', async () => {
  const c = await settled();
  const flat = c.networks.get(ids.flat)!;
  assert.equal(flat.vrf!.name, 'default-domain:cv:cluster-network:cluster-network');
  assert.equal(flat.vni, flat.index);
  assert.deepEqual(flat.vrf!.importTargets, flat.vrf!.exportTargets);
  assert.match(flat.vrf!.importTargets[0], /^target:64512:\d+$/);
  const sg = c.securityGroups.get(ids.sg)!;
  assert.ok(sg.id! > 8000000);
  assert.deepEqual(sg.ingress.map((r) => ({ ...r, id: undefined })), [
    { id: undefined, protocol: 6, remote: { kind: 'any' }, ports: { from: 80, to: 80 } },
    { id: undefined, protocol: 17, remote: { kind: 'group', id: sg.id } },
  ], 'IPv6 rule left out');
  assert.deepEqual(sg.egress.map((r) => ({ ...r, id: undefined })), [{ id: undefined, protocol: 'any', remote: { kind: 'cidr', cidr: '10.0.0.0/8' } }]);
});

test('floating IPs: the VIP with its members (LB interface left out) and a public address from a pool', async () => {
  const c = await settled();
  const vip = c.floatingIps.find((f) => f.address === ids.vip)!;
  assert.equal(vip.kind, 'vip');
  assert.equal(vip.vnUuid, ids.flat);
  assert.deepEqual(vip.mappings, [{ protocol: 'tcp', srcPort: 80, dstPort: 8080 }]);
  assert.deepEqual(vip.members.map((m) => m.vmiUuid).sort(), [ids.vmiA, ids.vmiC].sort());
  assert.ok(c.problems.some((p) => /port mapping .*ICMP.* skipped/.test(p)));
  const pub = c.floatingIps.find((f) => f.address === ids.pubFip)!;
  assert.deepEqual([pub.kind, pub.vnUuid, pub.mappingsEnabled], ['pool', ids.pub, false]);
  assert.ok(c.networks.has(ids.pub), 'the public network is known for advertising');
});

test('ACL rule conversion refuses what it cannot enforce', () => {
  assert.equal(aclRuleToSgRule({ match_condition: { protocol: 'frob', src_address: {}, dst_address: {} } }, 'ingress'), 'unknown protocol "frob"');
  assert.equal(aclRuleToSgRule({ action_list: { simple_action: 'deny' }, match_condition: { protocol: 'any' } }, 'ingress'), 'action deny');
  assert.equal(aclRuleToSgRule({ match_condition: { protocol: '6', src_address: { virtual_network: 'a:b:c' } } }, 'ingress'), 'virtual-network addresses are not supported in security groups');
  assert.deepEqual(aclRuleToSgRule({ match_condition: { protocol: '17', src_address: { subnet: { ip_prefix: '10.1.2.3', ip_prefix_len: 16 } }, dst_port: { start_port: 53, end_port: 53 } } }, 'ingress'), { protocol: 17, remote: { kind: 'cidr', cidr: '10.1.0.0/16' }, ports: { from: 53, to: 53 } });
});

test("a network with a policy carries the transformer's ACL as rules the agent enforces (network ids, ports, direction)", async () => {
  const c = api.client;
  const user = await c.read('virtual-network', ids.user);
  const other = await c.create('virtual-network', { fq_name: [...project, 'other'], parent_type: 'project', network_ipam_refs: [{ to: ['default-domain', 'default-project', 'default-network-ipam'], attr: { ipam_subnets: [{ subnet: { ip_prefix: '10.6.0.0', ip_prefix_len: 24 } }] } }] });
  const np = await c.create('network-policy', {
    fq_name: [...project, 'web-only'], parent_type: 'project', network_policy_entries: { policy_rule: [
      { rule_uuid: 'r-web', direction: '<>', protocol: 'tcp', ethertype: 'IPv4', action_list: { simple_action: 'pass' }, src_addresses: [{ virtual_network: user.fq_name.join(':') }], dst_addresses: [{ virtual_network: other.fq_name.join(':') }], src_ports: [{ start_port: -1, end_port: -1 }], dst_ports: [{ start_port: 80, end_port: 80 }] },
    ] },
  });
  for (const vn of [user, other]) await c.update('virtual-network', vn.uuid, { network_policy_refs: [{ to: np.fq_name, attr: { sequence: { major: 0, minor: 0 } } }] });
  const acl = await eventually(() => nodeConfig(cache, 'n1').networks.get(ids.user)?.acl, 'the ACL of the user network');
  const otherIndex = (cache.get(other.uuid) as unknown as { virtual_network_network_id: number }).virtual_network_network_id;
  const userIndex = nodeConfig(cache, 'n1').networks.get(ids.user)!.index;
  const u = { kind: 'network', fqName: user.fq_name.join(':'), index: userIndex };
  const o = { kind: 'network', fqName: other.fq_name.join(':'), index: otherIndex };
  assert.deepEqual(acl, [
    { id: 'r-web', action: 'pass', protocol: 6, src: u, dst: o, dstPorts: { from: 80, to: 80 }, bidirectional: true },
    { id: '00000000-0000-0000-0000-100000000001', action: 'pass', protocol: 'any', src: u, dst: u, bidirectional: true },
    { id: 'r-web', action: 'deny', protocol: 'any', src: u, dst: o, bidirectional: true },
    { id: '00000000-0000-0000-0000-100000000001', action: 'pass', protocol: 'any', src: { kind: 'any' }, dst: { kind: 'any' }, bidirectional: true },
  ]);
  assert.equal(nodeConfig(cache, 'n1').networks.get(ids.flat)!.acl, undefined, 'a network without policy has no ACL');
});
