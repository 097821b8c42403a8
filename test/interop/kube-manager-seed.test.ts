// Seed 000/004 single-tenant scenario against the real config API and the lab Kubernetes API: the
// cluster objects, a shared and an isolated namespace, pods on both (addresses 10.47.255.252, .251,
// .250 …), the virtual-router link, and the exact objects of appendices A.1-A.4.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { KubeManagerEnv, kv, refTos } from './kube-manager-env.js';

let env: KubeManagerEnv;
before(async () => {
  env = await KubeManagerEnv.start();
});
after(async () => {
  await env?.close();
});

const P = ['default-domain', 'kubernetes'];

test('cluster objects at start: pod-ipam, service-ipam, cluster-network (A.1, A.3)', async () => {
  const podIpam = await env.byFq('network-ipam', [...P, 'pod-ipam']);
  assert.equal(podIpam.ipam_subnet_method, 'flat-subnet');
  assert.equal(podIpam.parent_type, 'project');
  const s = (podIpam.ipam_subnets as { subnets: Record<string, unknown>[] }).subnets;
  assert.equal(s.length, 1);
  assert.deepEqual(s[0].subnet, { ip_prefix: '10.32.0.0', ip_prefix_len: 12 });
  assert.equal(s[0].default_gateway, '10.47.255.254');
  assert.equal(s[0].dns_server_address, '10.47.255.253');
  const svcIpam = await env.byFq('network-ipam', [...P, 'service-ipam']);
  assert.equal(svcIpam.display_name, 'service-ipam');
  const cn = await env.byFq('virtual-network', [...P, 'cluster-network']);
  assert.equal(cn.address_allocation_mode, 'user-defined-subnet-only');
  assert.deepEqual(cn.virtual_network_properties && (cn.virtual_network_properties as { forwarding_mode: string }).forwarding_mode, 'l3');
  const refs = cn.network_ipam_refs as { to: string[]; attr: { ipam_subnets: Record<string, unknown>[] } }[];
  const svcRef = refs.find((r) => r.to.join(':') === 'default-domain:kubernetes:service-ipam')!;
  assert.deepEqual(svcRef.attr.ipam_subnets[0].subnet, { ip_prefix: '10.96.0.0', ip_prefix_len: 12 });
  assert.equal(svcRef.attr.ipam_subnets[0].default_gateway, '10.111.255.254');
  const podRef = refs.find((r) => r.to.join(':') === 'default-domain:kubernetes:pod-ipam')!;
  assert.equal(podRef.attr.ipam_subnets[0].subnet ?? null, null);
  assert.ok(podRef.attr.ipam_subnets[0].subnet_uuid);
});

test('namespaces: two security groups each, isolated namespace gets <ns>-vn (A.2, A.3)', async () => {
  await env.namespace('dev-share');
  await env.namespace('dev', { 'opencontrail.org/isolation': 'true' });
  await env.settle();
  const def = await env.byFq('security-group', [...P, 'k8s-default-dev-share-default']);
  assert.equal(def.display_name, 'k8s-default-dev-share-default');
  assert.equal(def.id_perms?.description, 'Default security group');
  assert.ok((def.security_group_id as number) >= 8000001);
  assert.deepEqual(kv(def), { namespace: 'dev-share', cluster: 'k8s-default', kind: 'Namespace', project: 'kubernetes', name: 'k8s-default-dev-share-default', owner: 'k8s' });
  const rules = (def.security_group_entries as { policy_rule: Record<string, unknown>[] }).policy_rule;
  const brief = rules.map((r) => {
    const a = (x: unknown) => (x as { security_group?: string; subnet?: { ip_prefix: string; ip_prefix_len: number } }[]).map((y) => y.security_group ?? `${y.subnet!.ip_prefix}/${y.subnet!.ip_prefix_len}`).join(',');
    return `${String(r.direction)} ${String(r.protocol)} ${String(r.ethertype)} ${a(r.src_addresses)} -> ${a(r.dst_addresses)} ${JSON.stringify(r.dst_ports)}`;
  });
  assert.deepEqual(brief, [
    '> any IPv4 0.0.0.0/0 -> local [{"start_port":0,"end_port":65535}]',
    '> any IPv6 ::/0 -> local [{"start_port":0,"end_port":65535}]',
    '> any IPv4 local -> 0.0.0.0/0 [{"start_port":0,"end_port":65535}]',
    '> any IPv6 local -> ::/0 [{"start_port":0,"end_port":65535}]',
  ]);
  for (const r of rules) assert.match(String(r.rule_uuid), /^[0-9a-f-]{36}$/);
  const sg = await env.byFq('security-group', [...P, 'k8s-default-dev-share-sg']);
  assert.equal(sg.id_perms?.description, 'Namespace security group');
  assert.equal((sg.security_group_entries as { policy_rule?: unknown[] } | undefined)?.policy_rule?.length ?? 0, 0);
  assert.deepEqual(kv(sg), { namespace: 'dev-share', cluster: 'k8s-default', kind: 'Namespace', project: 'kubernetes', name: 'k8s-default-dev-share-sg', owner: 'k8s' });

  const vn = await env.byFq('virtual-network', [...P, 'dev-vn']);
  assert.equal(vn.address_allocation_mode, 'flat-subnet-only');
  assert.deepEqual(refTos(vn, 'network_ipam_refs'), ['default-domain:kubernetes:pod-ipam']);
  assert.deepEqual(kv(vn), { cluster: 'k8s-default', kind: 'Namespace', namespace: 'dev', isolated: 'True', project: 'kubernetes', name: 'dev', owner: 'k8s' });
  await assert.rejects(env.byFq('virtual-network', [...P, 'dev-share-vn']), /not found|Not Found|NoId|does not exist/i);
});

test('pods: VM, VMI, instance IP from the top of pod-ipam, virtual-router link (A.4)', async () => {
  await env.virtualRouter('node-1');
  const web = await env.pod('dev-share', 'dev-web-k528t', { labels: { app: 'web' }, node: 'node-1' });
  await env.settle();
  const client = await env.pod('dev', 'dev-client', { node: 'node-1' });
  await env.settle();
  const uid = web.metadata.uid!;

  const vm = await env.client.read('virtual-machine', uid);
  assert.deepEqual(vm.fq_name, [`dev-web-k528t__${uid}`]);
  assert.equal(vm.display_name, 'dev-share__dev-web-k528t');
  assert.equal(vm.server_type, 'container');
  assert.equal(kv(vm).k8s_uuid, uid);
  assert.equal(kv(vm).labels, JSON.stringify({ app: 'web' }));

  const vmis = (await env.owned('virtual-machine-interface')).filter((v) => kv(v).name === 'dev-web-k528t');
  assert.equal(vmis.length, 1);
  const vmi = vmis[0];
  assert.deepEqual(vmi.fq_name, [...P, `dev-web-k528t__${vmi.uuid}`]);
  assert.equal(vmi.parent_type, 'project');
  assert.equal(vmi.display_name, 'dev-share__dev-web-k528t');
  const hex = vmi.uuid.replace(/-/g, '');
  assert.deepEqual((vmi.virtual_machine_interface_mac_addresses as { mac_address: string[] }).mac_address, [`02:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}:${hex.slice(8, 10)}`]);
  assert.deepEqual(refTos(vmi, 'security_group_refs'), ['default-domain:kubernetes:k8s-default-dev-share-default', 'default-domain:kubernetes:k8s-default-dev-share-sg']);
  assert.deepEqual(refTos(vmi, 'virtual_network_refs'), ['default-domain:kubernetes:cluster-network']);
  assert.deepEqual(refTos(vmi, 'virtual_machine_refs'), [`dev-web-k528t__${uid}`]);
  assert.equal(vmi.port_security_enabled, true);
  assert.deepEqual(kv(vmi), { cluster: 'k8s-default', kind: 'Pod', namespace: 'dev-share', project: 'kubernetes', name: 'dev-web-k528t', owner: 'k8s' });

  const iips = (await env.owned('instance-ip')).filter((v) => kv(v).name === 'dev-web-k528t');
  assert.equal(iips.length, 1);
  const iip = iips[0];
  assert.deepEqual(iip.fq_name, [`dev-web-k528t__${iip.uuid}`]);
  assert.equal(iip.display_name, 'dev-share__dev-web-k528t');
  assert.equal(iip.instance_ip_address, '10.47.255.252');
  const cn = await env.byFq('virtual-network', [...P, 'cluster-network']);
  const podSubnet = (cn.network_ipam_refs as { to: string[]; attr: { ipam_subnets: { subnet_uuid: string }[] } }[]).find((r) => r.to[2] === 'pod-ipam')!.attr.ipam_subnets[0].subnet_uuid;
  assert.equal(iip.subnet_uuid, podSubnet);
  assert.deepEqual(refTos(iip, 'virtual_machine_interface_refs'), [vmi.fq_name.join(':')]);
  assert.deepEqual(refTos(iip, 'virtual_network_refs'), ['default-domain:kubernetes:cluster-network']);

  const vr = await env.byFq('virtual-router', ['default-global-system-config', 'node-1']);
  assert.deepEqual(refTos(vr, 'virtual_machine_refs').sort(), [`dev-client__${client.metadata.uid}`, `dev-web-k528t__${uid}`].sort());

  // The isolated pod: on dev-vn, the same flat pool (next address down), dev-vn's pod-ipam subnet.
  const ciip = (await env.owned('instance-ip')).find((v) => kv(v).name === 'dev-client')!;
  assert.equal(ciip.instance_ip_address, '10.47.255.251');
  assert.deepEqual(refTos(ciip, 'virtual_network_refs'), ['default-domain:kubernetes:dev-vn']);
  const devVn = await env.byFq('virtual-network', [...P, 'dev-vn']);
  assert.equal(ciip.subnet_uuid, (devVn.network_ipam_refs as { attr: { ipam_subnets: { subnet_uuid: string }[] } }[])[0].attr.ipam_subnets[0].subnet_uuid);
  const cvmi = (await env.owned('virtual-machine-interface')).find((v) => kv(v).name === 'dev-client')!;
  assert.equal(cvmi.display_name, 'dev__dev-client');
  assert.deepEqual(refTos(cvmi, 'security_group_refs'), ['default-domain:kubernetes:k8s-default-dev-default', 'default-domain:kubernetes:k8s-default-dev-sg']);
});

test('a pod whose node has no virtual-router yet is linked the moment it appears', async () => {
  const p = await env.pod('dev-share', 'late-node-pod', { node: 'node-2' });
  await env.settle();
  const vm = await env.client.read('virtual-machine', p.metadata.uid!);
  assert.ok(vm);
  const before = env.km!.stats.total;
  await env.virtualRouter('node-2', '192.168.0.2');
  await env.settle();
  const vr = await env.byFq('virtual-router', ['default-global-system-config', 'node-2']);
  assert.deepEqual(refTos(vr, 'virtual_machine_refs'), [`late-node-pod__${p.metadata.uid}`]);
  assert.equal(env.km!.stats.total - before, 1, 'exactly one write: the virtual-router → VM reference');
});

test('already in sync: a restart makes zero writes', async () => {
  await env.stopKm();
  const km = await env.startKm();
  await env.settle();
  assert.equal(km.stats.total, 0, JSON.stringify([...km.stats.byType]));
});

test('host-network and finished pods get nothing; deleting a pod removes its objects', async () => {
  await env.pod('dev-share', 'hostnet', { hostNetwork: true, node: 'node-1' });
  await env.settle();
  assert.equal((await env.owned('virtual-machine')).filter((v) => kv(v).name === 'hostnet').length, 0);
  await env.deletePod('dev-share', 'dev-web-k528t');
  await env.settle();
  for (const t of ['virtual-machine', 'virtual-machine-interface', 'instance-ip']) {
    assert.equal((await env.owned(t)).filter((v) => kv(v).name === 'dev-web-k528t').length, 0, t);
  }
  const vr = await env.byFq('virtual-router', ['default-global-system-config', 'node-1']);
  assert.ok(!refTos(vr, 'virtual_machine_refs').some((t) => t.startsWith('dev-web-k528t__')));
  // its address is free again: the next pod gets .252 back (top-down, lowest-free-from-the-top)
  await env.pod('dev-share', 'next', { node: 'node-1' });
  await env.settle();
  assert.equal((await env.owned('instance-ip')).find((v) => kv(v).name === 'next')?.instance_ip_address, '10.47.255.252');
});
