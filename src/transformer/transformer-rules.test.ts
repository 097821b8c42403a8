// Each rule of the issue against a real config API: given intent → the exact derived objects and
// the exact writes that produced them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { PolicyRuleType, RoutingInstance, VirtualNetwork } from '../vnc/schema.js';
import { startTransformerEnv, type TransformerEnv } from '../../test/support/transformer.js';
import { CREATOR, OWNER_KEY } from './marks.js';
import { IMPLICIT_ALLOW_UUID } from './acl-common.js';

let env: TransformerEnv;
before(async () => {
  env = await startTransformerEnv();
});
after(async () => env.close());

const ANY = { start_port: 0, end_port: 65535 };
const PORTS = [{ start_port: -1, end_port: -1 }];
const rule = (src: string, dst: string, extra: Partial<PolicyRuleType> = {}): PolicyRuleType => ({
  direction: '<>',
  protocol: 'any',
  action_list: { simple_action: 'pass' },
  src_addresses: [src.startsWith('policy:') ? { network_policy: src.slice(7) } : { virtual_network: src }],
  dst_addresses: [{ virtual_network: dst }],
  src_ports: PORTS,
  dst_ports: PORTS,
  ...extra,
});

async function project(name: string): Promise<string[]> {
  await env.client.create('project', { fq_name: ['default-domain', name], parent_type: 'domain' });
  return ['default-domain', name];
}

async function policyOn(p: string[], name: string, rules: PolicyRuleType[]) {
  return env.client.create('network-policy', { fq_name: [...p, name], parent_type: 'project', network_policy_entries: { policy_rule: rules } });
}

const refsTo = (uuids: string[]) => uuids.map((uuid, i) => ({ uuid, attr: { sequence: { major: i, minor: 0 } } }));

async function ri(vnFq: string[]): Promise<RoutingInstance> {
  return env.client.readByFqName('routing-instance', [...vnFq, vnFq[vnFq.length - 1]]);
}

const targets = (r: RoutingInstance) => (r.route_target_refs ?? []).map((x) => `${x.to[0]} ${x.attr?.import_export ?? 'both'}`);
const connections = (r: RoutingInstance) => (r.routing_instance_refs ?? []).map((x) => x.to.join(':'));

async function mark(): Promise<number> {
  await env.t.transformer.settled();
  return env.reports.length;
}
const writesSince = (n: number) =>
  env.reports
    .slice(n)
    .flatMap((r) => r.writes.map((w) => `${w.action} ${w.type} ${w.fq_name.join(':')}`))
    .sort();

test('rule 1: every network gets a route target linked to its default instance; __link_local__ gets none', async () => {
  await env.t.transformer.settled();
  assert.deepEqual(targets(await ri(['default-domain', 'default-project', 'ip-fabric'])), ['target:64512:8000001 both']);
  assert.deepEqual(targets(await ri(['default-domain', 'default-project', '__link_local__'])), []);
  const p = await project('r1');
  const m = await mark();
  const vn = await env.client.create('virtual-network', { fq_name: [...p, 'a'], parent_type: 'project' });
  await env.t.transformer.settled();
  assert.deepEqual(writesSince(m), ['created route-target target:64512:8000002', 'updated routing-instance default-domain:r1:a:a']);
  const r = await ri([...p, 'a']);
  assert.deepEqual(r.route_target_refs?.map((x) => ({ to: x.to, attr: x.attr })), [{ to: ['target:64512:8000002'], attr: { import_export: null } }]);
  assert.equal(r.routing_instance_refs, undefined);
  const rt = await env.client.readByFqName('route-target', ['target:64512:8000002']);
  assert.equal(rt.id_perms?.creator, CREATOR);
  assert.deepEqual(rt.annotations?.key_value_pair, [{ key: OWNER_KEY, value: vn.uuid }]);
});

test('rule 1: route_target_list / import / export lists are applied as both / import / export', async () => {
  const p = await project('r1b');
  const user = await env.client.create('route-target', { fq_name: ['target:64512:400'] });
  const vn = await env.client.create('virtual-network', {
    fq_name: [...p, 'b'],
    parent_type: 'project',
    route_target_list: { route_target: ['target:64512:100', 'target:64512:400'] },
    import_route_target_list: { route_target: ['target:64512:200'] },
    export_route_target_list: { route_target: ['target:64512:300'] },
  });
  await env.t.transformer.settled();
  const own = (await env.client.list('route-target', { detail: true })).find((t) => t.annotations?.key_value_pair?.[0]?.value === vn.uuid)!.fq_name[0];
  assert.deepEqual(targets(await ri([...p, 'b'])), ['target:64512:100 both', 'target:64512:200 import', 'target:64512:300 export', 'target:64512:400 both', `${own} both`]);
  const shared = await env.client.readByFqName('route-target', ['target:64512:200']);
  assert.equal(shared.id_perms?.creator, CREATOR, 'a listed target that did not exist is created (marked, shared)');
  assert.ok(!shared.annotations?.key_value_pair?.length, 'shared: no owner');
  const m = await mark();
  await env.client.update('virtual-network', vn.uuid, { route_target_list: { route_target: ['target:64512:100'] }, import_route_target_list: null });
  await env.t.transformer.settled();
  assert.deepEqual(targets(await ri([...p, 'b'])), ['target:64512:100 both', 'target:64512:300 export', `${own} both`]);
  assert.deepEqual(writesSince(m), ['deleted route-target target:64512:200', 'updated routing-instance default-domain:r1b:b:b'], 'the derived target is deleted, the user one is not');
  assert.equal((await env.client.read('route-target', user.uuid)).fq_name[0], 'target:64512:400');
});

test('rule 2: a policy connects two networks only when both list each other; the instances import each other\'s exports', async () => {
  const p = await project('r2');
  const fq = (n: string) => [...p, n].join(':');
  const pa = await policyOn(p, 'pa', [rule('local', fq('b')), rule('local', fq('c'))]);
  const pb = await policyOn(p, 'pb', [rule(fq('b'), fq('a'), { direction: '>' })]);
  const pc = await policyOn(p, 'pc', [rule('local', fq('a'), { action_list: { simple_action: 'deny' } })]);
  const a = await env.client.create('virtual-network', { fq_name: [...p, 'a'], parent_type: 'project', network_policy_refs: refsTo([pa.uuid]) });
  const b = await env.client.create('virtual-network', { fq_name: [...p, 'b'], parent_type: 'project', network_policy_refs: refsTo([pb.uuid]), export_route_target_list: { route_target: ['target:64512:500'] } });
  await env.client.create('virtual-network', { fq_name: [...p, 'c'], parent_type: 'project', network_policy_refs: refsTo([pc.uuid]) });
  await env.t.transformer.settled();
  const rts = await env.client.list('route-target', { detail: true });
  const own = (u: string) => rts.find((t) => t.annotations?.key_value_pair?.[0]?.value === u)!.fq_name[0];
  assert.deepEqual(targets(await ri([...p, 'a'])), [`${own(a.uuid)} both`, `${own(b.uuid)} import`, 'target:64512:500 import'].sort());
  assert.deepEqual(connections(await ri([...p, 'a'])), [`${fq('b')}:b`]);
  assert.deepEqual(targets(await ri([...p, 'b'])), [`${own(a.uuid)} import`, `${own(b.uuid)} both`, 'target:64512:500 export'].sort());
  assert.deepEqual(connections(await ri([...p, 'b'])), [`${fq('a')}:a`]);
  const c = await ri([...p, 'c']);
  assert.equal(targets(c).length, 1, 'c lists a only with a deny rule: no connection');
  assert.deepEqual(connections(c), []);
  // Detaching b's policy breaks the connection on both sides.
  const m = await mark();
  await env.client.update('virtual-network', b.uuid, { network_policy_refs: [] });
  await env.t.transformer.settled();
  assert.deepEqual(targets(await ri([...p, 'a'])), [`${own(a.uuid)} both`]);
  assert.deepEqual(targets(await ri([...p, 'b'])), [`${own(b.uuid)} both`, 'target:64512:500 export'].sort());
  assert.deepEqual(writesSince(m), ['deleted access-control-list default-domain:r2:b:b', 'updated routing-instance default-domain:r2:a:a', 'updated routing-instance default-domain:r2:b:b']);
});

test('rule 2: a logical router connects the networks of its interfaces', async () => {
  const p = await project('r2lr');
  const vns: VirtualNetwork[] = [];
  for (const n of ['x', 'y', 'z']) vns.push(await env.client.create('virtual-network', { fq_name: [...p, n], parent_type: 'project' }));
  const vmis = [];
  for (const v of vns.slice(0, 2)) vmis.push(await env.client.create('virtual-machine-interface', { fq_name: [...p, `if-${v.fq_name[2]}`], parent_type: 'project', virtual_network_refs: [{ uuid: v.uuid }] }));
  await env.client.create('logical-router', { fq_name: [...p, 'lr'], parent_type: 'project', virtual_machine_interface_refs: vmis.map((v) => ({ uuid: v.uuid })) });
  await env.t.transformer.settled();
  assert.deepEqual(connections(await ri([...p, 'x'])), ['default-domain:r2lr:y:y']);
  assert.deepEqual(connections(await ri([...p, 'y'])), ['default-domain:r2lr:x:x']);
  assert.deepEqual(connections(await ri([...p, 'z'])), []);
  assert.equal(targets(await ri([...p, 'x'])).length, 2);
});

test('rule 3: a network ACL from its policies; security-group ingress/egress ACLs with ids, ports and protocols resolved', async () => {
  const p = await project('r3');
  const web = await policyOn(p, 'web', [rule('local', 'default-domain:r3:db', { protocol: 'tcp', dst_ports: [{ start_port: 5432, end_port: 5432 }], rule_uuid: 'r-db' })]);
  await env.client.create('virtual-network', { fq_name: [...p, 'app'], parent_type: 'project', network_policy_refs: refsTo([web.uuid]) });
  const sg = await env.client.create('security-group', {
    fq_name: [...p, 'default'],
    parent_type: 'project',
    security_group_entries: {
      policy_rule: [
        { rule_uuid: 'i4', direction: '>', protocol: 'any', ethertype: 'IPv4', src_addresses: [{ security_group: 'any' }], dst_addresses: [{ security_group: 'local' }] },
        { rule_uuid: 'e4', direction: '>', protocol: 'any', ethertype: 'IPv4', src_addresses: [{ security_group: 'local' }], dst_addresses: [{ subnet: { ip_prefix: '0.0.0.0', ip_prefix_len: 0 } }] },
      ],
    },
  });
  await env.t.transformer.settled();
  const acl = await env.client.readByFqName('access-control-list', [...p, 'app', 'app']);
  assert.equal(acl.id_perms?.creator, CREATOR);
  const app = 'default-domain:r3:app';
  assert.deepEqual(acl.access_control_list_entries, {
    dynamic: false,
    acl_rule: [
      { match_condition: { protocol: '6', src_address: { virtual_network: app }, src_port: ANY, dst_address: { virtual_network: 'default-domain:r3:db' }, dst_port: { start_port: 5432, end_port: 5432 } }, action_list: { simple_action: 'pass' }, rule_uuid: 'r-db', direction: '<>' },
      { match_condition: { protocol: 'any', src_address: { virtual_network: app }, src_port: ANY, dst_address: { virtual_network: app }, dst_port: ANY }, action_list: { simple_action: 'pass' }, rule_uuid: IMPLICIT_ALLOW_UUID, direction: '<>' },
      { match_condition: { protocol: 'any', src_address: { virtual_network: app }, src_port: ANY, dst_address: { virtual_network: 'default-domain:r3:db' }, dst_port: ANY }, action_list: { simple_action: 'deny' }, rule_uuid: 'r-db', direction: '<>' },
      { match_condition: { protocol: 'any', src_address: { virtual_network: 'any' }, src_port: ANY, dst_address: { virtual_network: 'any' }, dst_port: ANY }, action_list: { simple_action: 'pass' }, rule_uuid: IMPLICIT_ALLOW_UUID, direction: '<>' },
    ],
  });
  const id = String(sg.security_group_id);
  const ingress = await env.client.readByFqName('access-control-list', [...p, 'default', 'ingress-access-control-list']);
  const egress = await env.client.readByFqName('access-control-list', [...p, 'default', 'egress-access-control-list']);
  assert.deepEqual(ingress.access_control_list_entries, {
    dynamic: false,
    acl_rule: [{ match_condition: { protocol: 'any', src_address: { security_group: '-1' }, src_port: ANY, dst_address: { security_group: id }, dst_port: ANY, ethertype: 'IPv4' }, action_list: { simple_action: 'pass' }, rule_uuid: 'i4', direction: '>' }],
  });
  assert.deepEqual(egress.access_control_list_entries, {
    dynamic: false,
    acl_rule: [{ match_condition: { protocol: 'any', src_address: { security_group: id }, src_port: ANY, dst_address: { subnet: { ip_prefix: '0.0.0.0', ip_prefix_len: 0 } }, dst_port: ANY, ethertype: 'IPv4' }, action_list: { simple_action: 'pass' }, rule_uuid: 'e4', direction: '>' }],
  });
});

test('rule 3: a security group rule naming another group waits for that group and follows its id', async () => {
  const p = await project('r3b');
  await env.client.create('security-group', {
    fq_name: [...p, 'db'],
    parent_type: 'project',
    security_group_entries: { policy_rule: [{ rule_uuid: 'from-web', direction: '>', protocol: 'tcp', src_addresses: [{ security_group: 'default-domain:r3b:web' }], dst_addresses: [{ security_group: 'local' }] }] },
  });
  await env.t.transformer.settled();
  const ingress = () => env.client.readByFqName('access-control-list', [...p, 'db', 'ingress-access-control-list']);
  assert.deepEqual((await ingress()).access_control_list_entries?.acl_rule, []);
  const web = await env.client.create('security-group', { fq_name: [...p, 'web'], parent_type: 'project' });
  await env.t.transformer.settled();
  assert.deepEqual((await ingress()).access_control_list_entries?.acl_rule?.map((r) => r.match_condition?.src_address), [{ security_group: String(web.security_group_id) }]);
});

test('rule 5: the Kubernetes leaking policies produce exactly the leaks of tf-config-control.md §2', async () => {
  const p = await project('k8s-default');
  const cluster = 'k8s-default';
  const IPF = ['default-domain', 'default-project', 'ip-fabric'];
  const pod = await env.client.create('virtual-network', { fq_name: [...p, `${cluster}-pod-network`], parent_type: 'project' });
  const svc = await env.client.create('virtual-network', { fq_name: [...p, `${cluster}-service-network`], parent_type: 'project' });
  const iso = await env.client.create('virtual-network', { fq_name: [...p, `${cluster}-dev-pod-network`], parent_type: 'project' });
  const npName = (n: string) => [...p, `${cluster}-${n}`].join(':');
  // As kube-manager's _create_attach_policy: each rule '<>', pass, any, ports -1.
  const ipfNp = await policyOn(p, `${cluster}-default-ip-fabric-np`, [rule(`policy:${npName('default-ip-fabric-np')}`, IPF.join(':'))]);
  const svcNp = await policyOn(p, `${cluster}-default-service-np`, [rule(`policy:${npName('default-service-np')}`, svc.fq_name.join(':'))]);
  const podSvcNp = await policyOn(p, `${cluster}-default-pod-service-np`, [rule(pod.fq_name.join(':'), svc.fq_name.join(':'))]);
  const ipf = await env.client.readByFqName('virtual-network', IPF);
  const seq0 = (uuids: string[]) => uuids.map((uuid) => ({ uuid, attr: { sequence: { major: 0, minor: 0 } } }));
  await env.client.update('virtual-network', ipf.uuid, { network_policy_refs: seq0([ipfNp.uuid]) });
  await env.client.update('virtual-network', pod.uuid, { network_policy_refs: seq0([ipfNp.uuid, podSvcNp.uuid]) });
  await env.client.update('virtual-network', svc.uuid, { network_policy_refs: seq0([ipfNp.uuid, svcNp.uuid, podSvcNp.uuid]) });
  await env.t.transformer.settled();
  const riName = (vn: { fq_name: string[] }) => [...vn.fq_name, vn.fq_name[vn.fq_name.length - 1]].join(':');
  assert.deepEqual(connections(await ri(IPF)), [riName(pod), riName(svc)].sort());
  assert.deepEqual(connections(await ri(pod.fq_name)), [riName(ipf), riName(svc)].sort());
  assert.deepEqual(connections(await ri(svc.fq_name)), [riName(ipf), riName(pod)].sort());
  assert.deepEqual(connections(await ri(iso.fq_name)), []);
  const rts = await env.client.list('route-target', { detail: true });
  const own = (u: string) => rts.find((t) => t.annotations?.key_value_pair?.[0]?.value === u)!.fq_name[0];
  assert.deepEqual(targets(await ri(pod.fq_name)), [`${own(pod.uuid)} both`, `${own(svc.uuid)} import`, `${own(ipf.uuid)} import`].sort());
  assert.deepEqual(targets(await ri(IPF)), [`${own(ipf.uuid)} both`, `${own(pod.uuid)} import`, `${own(svc.uuid)} import`].sort());
  assert.deepEqual(targets(await ri(iso.fq_name)), [`${own(iso.uuid)} both`]);
});

test('bad intent: an unknown protocol is reported and the rule left out; nothing crashes', async () => {
  const p = await project('bad');
  const pol = await policyOn(p, 'bad', [rule('local', 'any', { protocol: 'nonsense', rule_uuid: 'bad-rule' })]);
  await env.client.create('virtual-network', { fq_name: [...p, 'n'], parent_type: 'project', network_policy_refs: refsTo([pol.uuid]) });
  await env.t.transformer.settled();
  const problems = Object.values(env.t.transformer.stats().problems).flat();
  assert.ok(problems.some((x) => /bad-rule: unknown protocol "nonsense"/.test(x)), JSON.stringify(problems));
  const acl = await env.client.readByFqName('access-control-list', [...p, 'n', 'n']);
  assert.ok(!acl.access_control_list_entries?.acl_rule?.some((r) => r.rule_uuid === 'bad-rule'));
  assert.equal(env.t.transformer.stats().failures, 0);
});
