import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PolicyRuleType } from '../vnc/schema.js';
import { memWorld, policy, vn } from '../../test/support/transformer-world.js';
import { connectivity } from './connectivity.js';
import type { World } from './world.js';

const rule = (src: PolicyRuleType['src_addresses'], dst: PolicyRuleType['dst_addresses'], action: 'pass' | 'deny' = 'pass', direction: '<>' | '>' = '<>'): PolicyRuleType => ({
  direction,
  protocol: 'any',
  action_list: { simple_action: action },
  src_addresses: src,
  dst_addresses: dst,
  src_ports: [{ start_port: -1, end_port: -1 }],
  dst_ports: [{ start_port: -1, end_port: -1 }],
});
const net = (name: string) => [{ virtual_network: name }];
const names = (w: World, uuids: Set<string>): string[] => [...uuids].map((u) => w.vn(u)!.fq_name.join(':')).sort();

test('a pass rule connects two networks only when both sides list each other', () => {
  const pa = policy('d:p:pa', [rule(net('local'), net('d:p:b'))]);
  const pb = policy('d:p:pb', [rule(net('d:p:b'), net('d:p:a'), 'pass', '>')]);
  const a = vn('d:p:a', {}, [pa]);
  const bAlone = vn('d:p:b');
  const w1 = memWorld({ vns: [a, bAlone], policies: [pa, pb] });
  assert.deepEqual(names(w1, connectivity(a, w1).connected), [], 'one side only: not connected');
  assert.deepEqual([...connectivity(a, w1).wanted.names], ['d:p:b']);
  const b = vn('d:p:b', {}, [pb]);
  const w2 = memWorld({ vns: [a, b], policies: [pa, pb] });
  assert.deepEqual(names(w2, connectivity(a, w2).connected), ['d:p:b']);
  assert.deepEqual(names(w2, connectivity(b, w2).connected), ['d:p:a'], 'a one-way (>) rule still connects');
});

test('deny rules and rules not involving the network connect nothing', () => {
  const pa = policy('d:p:pa', [rule(net('local'), net('d:p:b'), 'deny'), rule(net('d:p:x'), net('d:p:y'))]);
  const pb = policy('d:p:pb', [rule(net('local'), net('d:p:a'))]);
  const a = vn('d:p:a', {}, [pa]);
  const b = vn('d:p:b', {}, [pb]);
  const w = memWorld({ vns: [a, b, vn('d:p:x'), vn('d:p:y')], policies: [pa, pb] });
  assert.deepEqual(names(w, connectivity(a, w).connected), []);
  assert.deepEqual(names(w, connectivity(b, w).connected), []);
});

test('rules in sequence order do not change connectivity; a later rule still connects', () => {
  const pa = policy('d:p:pa', [
    { ...rule(net('local'), net('d:p:c')), rule_sequence: { major: 2, minor: 0 } },
    { ...rule(net('local'), net('d:p:b'), 'deny'), rule_sequence: { major: 1, minor: 0 } },
  ]);
  const pc = policy('d:p:pc', [rule(net('local'), net('d:p:a'))]);
  const a = vn('d:p:a', {}, [pa]);
  const c = vn('d:p:c', {}, [pc]);
  const w = memWorld({ vns: [a, c, vn('d:p:b')], policies: [pa, pc] });
  assert.deepEqual(names(w, connectivity(a, w).connected), ['d:p:c']);
});

test('`any` connects to the networks of the same project that want it back', () => {
  const pany = policy('d:p:pany', [rule(net('local'), net('any'))]);
  const pb = policy('d:p:pb', [rule(net('local'), net('d:p:a'))]);
  const a = vn('d:p:a', {}, [pany]);
  const b = vn('d:p:b', {}, [pb]);
  const c = vn('d:p:c');
  const z = vn('d:q:z');
  const w = memWorld({ vns: [a, b, c, z], policies: [pany, pb] });
  assert.deepEqual(names(w, connectivity(a, w).connected), ['d:p:b'], 'b wants a; c does not; z is in another project');
  assert.deepEqual(names(w, connectivity(b, w).connected), ['d:p:a']);
});

test('a network naming another project network with `any` on its side is connected through the lister rule', () => {
  const pz = policy('d:q:pz', [rule(net('local'), net('d:p:a'))]);
  const pany = policy('d:p:pany', [rule(net('local'), net('any'))]);
  const a = vn('d:p:a', {}, [pany]);
  const z = vn('d:q:z', {}, [pz]);
  const w = memWorld({ vns: [a, z], policies: [pany, pz] });
  assert.deepEqual(names(w, connectivity(a, w).connected), ['d:q:z']);
  assert.deepEqual(names(w, connectivity(z, w).connected), ['d:p:a']);
});

test('policy addresses stand for the networks attached to that policy', () => {
  // rule: <networks attached to pol> <> c; attached to a and b; c lists a only.
  const pol = policy('d:p:pol', [rule([{ network_policy: 'd:p:pol' }], net('d:p:c'))]);
  const pc = policy('d:p:pc', [rule(net('local'), net('d:p:a'))]);
  const a = vn('d:p:a', {}, [pol]);
  const b = vn('d:p:b', {}, [pol]);
  const c = vn('d:p:c', {}, [pc]);
  const w = memWorld({ vns: [a, b, c], policies: [pol, pc] });
  assert.deepEqual(names(w, connectivity(a, w).connected), ['d:p:c']);
  assert.deepEqual(names(w, connectivity(b, w).connected), [], 'c does not list b');
  assert.deepEqual(names(w, connectivity(c, w).connected), ['d:p:a']);
  assert.deepEqual([...connectivity(a, w).wanted.usedPolicies], ['d:p:pol']);
});

test('a logical router connects the networks of its interfaces', () => {
  const a = vn('d:p:a');
  const b = vn('d:p:b');
  const c = vn('d:p:c');
  const vmis = [a, b].map((n, i) => ({ uuid: `vmi-${i}`, fq_name: ['d', 'p', `vmi-${i}`], virtual_network_refs: [{ to: n.fq_name, uuid: n.uuid }] }));
  const lr = { uuid: 'lr', fq_name: ['d', 'p', 'lr'], virtual_machine_interface_refs: vmis.map((v) => ({ to: v.fq_name, uuid: v.uuid })) };
  const w = memWorld({ vns: [a, b, c], vmis, routers: [lr] });
  assert.deepEqual(names(w, connectivity(a, w).connected), ['d:p:b']);
  assert.deepEqual(names(w, connectivity(b, w).connected), ['d:p:a']);
  assert.deepEqual(names(w, connectivity(c, w).connected), []);
});

test('the Kubernetes leaking policies connect pod↔service, pod↔ip-fabric and service↔ip-fabric, nothing else', () => {
  // As kube-manager creates them (tf-config-control.md §2): <c>-default-ip-fabric-np = {attached
  // networks} <> ip-fabric, <c>-default-service-np = {attached} <> service, <c>-default-pod-service-np
  // = pod <> service; attached with sequence 0.0 to ip-fabric / pod / service as the original does.
  const IPF = 'default-domain:default-project:ip-fabric';
  const POD = 'default-domain:k8s-default:k8s-default-pod-network';
  const SVC = 'default-domain:k8s-default:k8s-default-service-network';
  const ipfNp = policy('default-domain:k8s-default:k8s-default-ip-fabric-np', [rule([{ network_policy: 'default-domain:k8s-default:k8s-default-ip-fabric-np' }], net(IPF))]);
  const svcNp = policy('default-domain:k8s-default:k8s-default-service-np', [rule([{ network_policy: 'default-domain:k8s-default:k8s-default-service-np' }], net(SVC))]);
  const podSvcNp = policy('default-domain:k8s-default:k8s-default-pod-service-np', [rule(net(POD), net(SVC))]);
  const ipf = vn(IPF, {}, [ipfNp]);
  const pod = vn(POD, {}, [ipfNp, podSvcNp]);
  const svc = vn(SVC, {}, [ipfNp, svcNp, podSvcNp]);
  const isolated = vn('default-domain:k8s-default:k8s-dev-pod-network');
  const w = memWorld({ vns: [ipf, pod, svc, isolated], policies: [ipfNp, svcNp, podSvcNp] });
  assert.deepEqual(names(w, connectivity(ipf, w).connected), [SVC, POD].sort());
  assert.deepEqual(names(w, connectivity(pod, w).connected), [IPF, SVC].sort());
  assert.deepEqual(names(w, connectivity(svc, w).connected), [IPF, POD].sort());
  assert.deepEqual(names(w, connectivity(isolated, w).connected), []);
});
