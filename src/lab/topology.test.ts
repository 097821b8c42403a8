import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LabOptionError } from './errors.js';
import { addressLines, fabricLines, isLabNetns, otherLinkLines, planTopology } from './topology.js';

test('default topology: fabric, gateway, external, two controls, two nodes with the documented addresses', () => {
  const t = planTopology();
  assert.deepEqual(t.namespaces.map((n) => n.name), ['tfl-fabric', 'tfl-gw', 'tfl-ext', 'tfl-ctl1', 'tfl-ctl2', 'tfl-node1', 'tfl-node2']);
  assert.deepEqual(t.controls.map((c) => [c.host, c.underlayIp]), [['control1', '10.0.0.11'], ['control2', '10.0.0.12']]);
  assert.deepEqual(t.nodes.map((c) => [c.host, c.underlayIp, c.defaultVia]), [['node1', '10.0.0.101', '10.0.0.1'], ['node2', '10.0.0.102', '10.0.0.1']]);
  assert.equal(t.gateway.underlayIp, '10.0.0.1');
  assert.equal(t.external.defaultVia, '203.0.113.1');
  assert.equal(t.publicSubnet, '198.51.100.0/24');
  assert.equal(t.podNetnsPrefix(2), 'tfl-p2-');
  assert.ok(t.gateway.sysctls.includes('net.ipv4.ip_forward=1'));
});

test('fabric batch: one bridge, a veth per attached namespace enslaved to it; the external link starts in the gateway', () => {
  const t = planTopology({ nodes: 1, controls: 1, prefix: 'x-' });
  assert.deepEqual(fabricLines(t), [
    'link add br0 type bridge stp_state 0 forward_delay 0',
    'link set dev br0 up',
    'link add gw type veth peer name eth0 netns x-gw',
    'link set dev gw master br0',
    'link set dev gw up',
    'link add ctl1 type veth peer name eth0 netns x-ctl1',
    'link set dev ctl1 master br0',
    'link set dev ctl1 up',
    'link add node1 type veth peer name eth0 netns x-node1',
    'link set dev node1 master br0',
    'link set dev node1 up',
  ]);
  assert.deepEqual(otherLinkLines(t, t.gateway), ['link add eth1 type veth peer name eth0 netns x-ext']);
  assert.deepEqual(otherLinkLines(t, t.nodes[0]), []);
  assert.deepEqual(addressLines(t, t.gateway), [
    'address add 10.0.0.1/24 dev eth0', 'link set dev eth0 up', 'address add 203.0.113.1/24 dev eth1', 'link set dev eth1 up',
  ]);
  assert.deepEqual(addressLines(t, t.nodes[0]), ['address add 10.0.0.101/24 dev eth0', 'link set dev eth0 up', 'route replace default via 10.0.0.1']);
  assert.deepEqual(addressLines(t, t.external), ['address add 203.0.113.2/24 dev eth0', 'link set dev eth0 up', 'route replace default via 203.0.113.1']);
});

test('bad options are LabOptionErrors naming the option', () => {
  const bad: [Parameters<typeof planTopology>[0], string][] = [
    [{ nodes: 0 }, 'nodes'],
    [{ nodes: 1.5 }, 'nodes'],
    [{ controls: 5 }, 'controls'],
    [{ prefix: 'Bad_Prefix' }, 'prefix'],
    [{ prefix: 'much-too-long-prefix-' }, 'prefix'],
    [{ underlay: '10.0.0.0/25' }, 'underlay'],
    [{ underlay: '10.0.0.1/24' }, 'underlay'],
    [{ external: '10.0.0.0/28' }, 'underlay'],
    [{ publicSubnet: 'nope' }, 'publicSubnet'],
  ];
  for (const [o, option] of bad) {
    assert.throws(() => planTopology(o), (e: unknown) => e instanceof LabOptionError && e.code === 'LAB_BAD_OPTION' && e.option === option, JSON.stringify(o));
  }
});

test('isLabNetns: only the lab\'s own namespaces of that prefix', () => {
  for (const n of ['tfl-fabric', 'tfl-gw', 'tfl-ext', 'tfl-ctl2', 'tfl-node12', 'tfl-p1-0b7c5f5e-2d4b-4bd0-9a59-0c1b7d6a1e33']) assert.ok(isLabNetns('tfl-', n), n);
  for (const n of ['tfl-other', 'tfl-node', 'tfx-node1', 'lab-0b7c5f5e', 'tfl-p1-', 'tfl-nodeX', 'xtfl-gw']) assert.ok(!isLabNetns('tfl-', n), n);
});
