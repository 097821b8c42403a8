import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agentControls, cniConfig, hostRelay, namespaceRelay, processSpecs, serviceEndpoints, type LabLayout } from './components.js';
import { defaultPorts } from './ports.js';
import { planTopology } from './topology.js';

const topo = planTopology({ nodes: 2, controls: 2 });
const layout = (agents: boolean): LabLayout => ({
  dir: '/lab', runDir: '/lab/run', topo, ports: defaultPorts(2, 2), tfctl: ['node', 'tfctl.js'], agents, asn: 64512,
  logLevel: 'info', cniBinDir: '/lab/cni/bin', clusterName: 'k8s-default',
});

test('the default port plan: ctr and vr defaults reach control1 and node1', () => {
  const p = defaultPorts(3, 3);
  assert.deepEqual(p.controlIntrospect, [8083, 8093, 8103]);
  assert.deepEqual(p.agentIntrospect, [8085, 8095, 8105]);
  assert.deepEqual(p.agentPortApi, [9091, 9101, 9111]);
  assert.equal(new Set([p.configApi, p.configIntrospect, p.kubeApi, p.kubeManager, p.lab, ...p.controlIntrospect, ...p.agentIntrospect, ...p.agentPortApi]).size, 14);
});

test('every unix socket one relay connects to is listened on by exactly one other relay', () => {
  const l = layout(true);
  const all = [hostRelay(l), ...[...topo.controls, ...topo.nodes].map((n) => namespaceRelay(l, n))].flat();
  const listens = all.filter((m) => m.listen.kind === 'unix').map((m) => (m.listen as { path: string }).path);
  const connects = all.filter((m) => m.connect.kind === 'unix').map((m) => (m.connect as { path: string }).path);
  assert.equal(new Set(listens).size, listens.length, 'no path listened twice');
  for (const c of connects) assert.ok(listens.includes(c), `${c} has a listener`);
  // the host relay exposes both control introspects and both agents' introspect and port API
  assert.deepEqual(hostRelay(l).filter((m) => m.listen.kind === 'tcp').map((m) => (m.listen as { port: number }).port), [8083, 8093, 8085, 9091, 8095, 9101]);
  // inside every namespace the config API is at its default port
  for (const n of [...topo.controls, ...topo.nodes]) assert.deepEqual(namespaceRelay(l, n)[0].listen, { kind: 'tcp', host: '127.0.0.1', port: 8082 });
});

test('process command lines follow the contract of each command', () => {
  const { first, rest } = processSpecs(layout(true));
  assert.deepEqual(first.map((p) => p.name), ['config-api']);
  assert.deepEqual(first[0].argv.slice(2, 4), ['serve', 'config']);
  assert.ok(first[0].argv.includes('sqlite:///lab/data/config.db'));
  const byName = new Map(rest.map((p) => [p.name, p]));
  assert.deepEqual([...byName.keys()], ['relay-ctl1', 'relay-ctl2', 'relay-node1', 'relay-node2', 'control1', 'control2', 'gateway', 'kube-manager', 'agent-node1', 'agent-node2']);
  const c2 = byName.get('control2')!;
  assert.equal(c2.netns, 'tfl-ctl2');
  assert.deepEqual(c2.argv.slice(2), ['serve', 'control', '--config-api', 'http://127.0.0.1:8082', '--name', 'control2', '--router-id', '10.0.0.12', '--bgp-address', '10.0.0.12', '--bgp-port', '1179', '--introspect-port', '8083']);
  const a1 = byName.get('agent-node1')!;
  assert.equal(a1.netns, 'tfl-node1');
  assert.deepEqual(a1.argv.slice(2, 12), ['serve', 'agent', '--config-api', 'http://127.0.0.1:8082', '--node', 'node1', '--ip', '10.0.0.101', '--control', '10.0.0.11:1179,10.0.0.12:1179']);
  assert.ok(a1.argv.includes('/lab/run/node1-cni.sock'));
  assert.equal(byName.get('gateway')!.argv[0], 'bird');
  assert.equal(byName.get('gateway')!.netns, 'tfl-gw');
  assert.equal(byName.get('kube-manager')!.netns, undefined);
  assert.deepEqual(processSpecs(layout(false)).rest.filter((p) => p.name.startsWith('agent')), [], 'no agents when not in the build');
});

test('agents peer with all control nodes up to two, else with two of them round-robin', () => {
  const t4 = planTopology({ nodes: 3, controls: 4 });
  assert.deepEqual([0, 1, 2].map((i) => agentControls(t4, i).map((c) => c.host)), [['control1', 'control2'], ['control2', 'control3'], ['control3', 'control4']]);
  assert.deepEqual(agentControls(planTopology({ nodes: 1, controls: 1 }), 0).map((c) => c.host), ['control1']);
});

test('the CNI configuration names tf-cni, the cluster and the node\'s agent socket', () => {
  assert.deepEqual(cniConfig(layout(true), 2), {
    cniVersion: '1.0.0', name: 'tungsten', type: 'tf-cni',
    contrail: { 'cluster-name': 'k8s-default', mode: 'k8s', 'vif-type': 'veth', 'agent-socket': '/lab/run/node2-cni.sock', 'poll-timeout': 3, 'poll-retries': 20 },
  });
});

test('endpoints: contrail-status groups and the introspect ports of each instance', () => {
  const eps = serviceEndpoints(layout(true), new Map([['control1', 100], ['agent-node2', 200]]), 42);
  const key = (g: string, s: string, i: string) => eps.find((e) => e.group === g && e.service === s && e.instance === i);
  assert.equal(key('control', 'control', 'control1')?.introspect, 'http://127.0.0.1:8083');
  assert.equal(key('control', 'control', 'control1')?.pid, 100);
  assert.equal(key('control', 'control', 'control2')?.introspect, 'http://127.0.0.1:8093');
  assert.equal(key('control', 'control', 'control2')?.pid, undefined);
  assert.equal(key('vrouter', 'agent', 'node2')?.portApi, 'http://127.0.0.1:9101');
  assert.equal(key('kubernetes', 'kubelet', 'node1')?.pid, 42, 'in-process components carry the supervisor PID');
  assert.equal(key('gateway', 'bird', 'gateway')?.health, 'http://127.0.0.1:8090/health/gateway');
  assert.equal(serviceEndpoints(layout(false), new Map(), 1).filter((e) => e.group === 'vrouter').length, 0);
});
