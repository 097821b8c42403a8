// The Linux datapath with real packets: two compute nodes as network namespaces joined by an underlay
// veth pair, pods as namespaces, rendered by LinuxRenderer. Covers cross-node ping and TCP, VRF isolation,
// a security group enforced on real connections, a ClusterIP VIP balanced over members on both nodes with
// an undeclared port dropped, a LoadBalancer floating IP DNATed at the member node, fabric SNAT, a fresh
// renderer converging without breaking an open connection, and clean-up. Needs root.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LinuxRenderer } from '../../src/datapath/linux/renderer.js';
import { createNetns, deleteNetns, execInNetns } from '../../src/datapath/linux/netns.js';
import { emptyNodeState, type LocalInterface, type NodeState, type Vrf } from '../../src/datapath/model.js';
import { holdConnection, probe, startServer, type NetnsServer } from '../support/netns-tcp.js';

const skip = process.getuid?.() !== 0 ? 'needs root: network namespaces' : false;
const ID = `dpl${process.pid}`;
const NODE_A = `${ID}-A`;
const NODE_B = `${ID}-B`;
const pod = (n: string) => `${ID}-${n}`;
const UL_A = '192.168.77.1';
const UL_B = '192.168.77.2';

const RED: Vrf = { name: 'default-domain:k8s:pod-network:pod-network', table: 1001, vni: 5001 };
const BLUE: Vrf = { name: 'default-domain:blue:blue-net:blue-net', table: 1002, vni: 5002, onMiss: 'main' };

function iface(name: string, ip: string, vrf: Vrf, mac: string, extra: Partial<LocalInterface> = {}): LocalInterface {
  const red = vrf === RED;
  return { tap: `tap${name}`, netns: pod(name), ifname: 'eth0', mac, ip, plen: red ? 12 : 16, gateway: red ? '10.47.255.254' : '10.48.0.1', vrf: vrf.name, ...extra };
}

const PA1 = iface('pa1', '10.47.255.252', RED, '02:aa:00:00:00:01');
const PA2 = iface('pa2', '10.47.255.250', RED, '02:aa:00:00:00:02', {
  policy: {
    ingress: { default: 'deny', rules: [{ protocol: 'tcp', ports: { from: 80, to: 80 } }, { protocol: 'icmp', remoteCidr: '10.32.0.0/12' }] },
    egress: { default: 'allow', rules: [] },
  },
});
const PA3 = iface('pa3', '10.48.0.3', BLUE, '02:aa:00:00:00:03');
const PB1 = iface('pb1', '10.47.255.251', RED, '02:bb:00:00:00:01');
const PB2 = iface('pb2', '10.48.0.4', BLUE, '02:bb:00:00:00:02');
const VIP = '10.96.0.10';
const FIP = '203.0.113.10';

function nodeState(node: 'A' | 'B'): NodeState {
  const local = node === 'A' ? [PA1, PA2, PA3] : [PB1, PB2];
  const remote = node === 'A' ? [PB1, PB2] : [PA1, PA2, PA3];
  const peer = node === 'A' ? UL_B : UL_A;
  const vrfOf = (f: LocalInterface) => (f.vrf === RED.name ? RED : BLUE);
  return {
    underlay: { device: node === 'A' ? 'ulA' : 'ulB', ip: node === 'A' ? UL_A : UL_B },
    vrfs: [RED, BLUE],
    interfaces: local,
    routes: [
      ...remote.map((f) => ({ vrf: f.vrf, prefix: `${f.ip}/32`, nexthops: [{ node: peer, vni: vrfOf(f).vni }] })),
      // An ECMP route (one next hop is a node that does not exist): must render and stay in sync.
      { vrf: RED.name, prefix: '10.47.0.0/24', nexthops: [{ node: peer, vni: RED.vni }, { node: '192.168.77.99', vni: RED.vni }] },
    ],
    addressGroups: [{ id: '8000001', addresses: ['10.47.255.252', '10.47.255.251', '10.47.255.250'] }],
    services: [
      {
        vip: VIP,
        ports: [{ protocol: 'tcp', port: 80, members: [{ ip: PA1.ip, port: 8080 }, { ip: PB1.ip, port: 8080 }] }],
      },
    ],
    floatingIps: node === 'A' ? [{ ip: FIP, ports: [{ protocol: 'tcp', port: 80, members: [{ ip: PA1.ip, port: 8080 }] }] }] : [],
    snat: [{ sources: ['10.48.0.0/16'] }],
  };
}

async function sh(netns: string | undefined, ...argv: string[]): Promise<string> {
  const r = await execInNetns(netns, argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} in ${netns}: ${r.stderr}`);
  return r.stdout;
}

/** One echo; the wait only bounds a dead path (longer when a reply is expected, the machine is shared). */
async function ping(from: string, to: string, expectReply = true): Promise<boolean> {
  const r = await execInNetns(pod(from), ['ping', '-c', '1', '-W', expectReply ? '5' : '1', to]);
  return r.code === 0;
}

describe('Linux datapath across two nodes', { skip }, () => {
  const namespaces = [NODE_A, NODE_B, ...['pa1', 'pa2', 'pa3', 'pb1', 'pb2'].map(pod)];
  const servers: NetnsServer[] = [];
  let rA: LinuxRenderer;
  let rB: LinuxRenderer;

  before(async () => {
    for (const ns of namespaces) await createNetns(ns);
    await sh(undefined, 'ip', 'link', 'add', 'ulA', 'netns', NODE_A, 'type', 'veth', 'peer', 'name', 'ulB', 'netns', NODE_B);
    await sh(NODE_A, 'ip', 'addr', 'add', `${UL_A}/24`, 'dev', 'ulA');
    await sh(NODE_A, 'ip', 'link', 'set', 'ulA', 'up');
    await sh(NODE_B, 'ip', 'addr', 'add', `${UL_B}/24`, 'dev', 'ulB');
    await sh(NODE_B, 'ip', 'link', 'set', 'ulB', 'up');
    // Node B plays the gateway for the floating IP: FIP/32 → node A.
    await sh(NODE_B, 'ip', 'route', 'add', `${FIP}/32`, 'via', UL_A);
    rA = new LinuxRenderer({ netns: NODE_A });
    rB = new LinuxRenderer({ netns: NODE_B });
    const [a, b] = await Promise.all([rA.render(nodeState('A')), rB.render(nodeState('B'))]);
    assert.equal(a.inSync, false);
    assert.equal(b.inSync, false);
    servers.push(
      await startServer(pod('pa1'), 'pa1', [8080, 7000]),
      await startServer(pod('pb1'), 'pb1', [8080, 7000]),
      await startServer(pod('pa2'), 'pa2', [80, 81]),
      await startServer(pod('pb2'), 'pb2', [7000]),
      await startServer(NODE_B, 'nodeB', [9000]),
    );
  });

  after(async () => {
    for (const s of servers) await s.stop().catch(() => undefined);
    for (const ns of namespaces) await deleteNetns(ns).catch(() => undefined);
  });

  test('a second render, and a render by a fresh renderer, change nothing', async () => {
    for (const [node, state] of [[NODE_A, nodeState('A')], [NODE_B, nodeState('B')]] as const) {
      const again = await new LinuxRenderer({ netns: node }).render(state);
      assert.deepEqual(again.plan.ip, { sysctl: [], ip: [], bridge: [], pods: [], skipped: [] }, node);
      assert.equal(again.plan.nft, null, node);
      assert.equal(again.inSync, true);
    }
  });

  test('pods on two nodes ping each other and talk TCP', async () => {
    assert.equal(await ping('pa1', PB1.ip), true);
    assert.equal(await ping('pb1', PA1.ip), true);
    const [greeting] = await probe(pod('pa1'), PB1.ip, 7000);
    assert.equal(greeting, `pb1:7000:${PA1.ip}`);
    const [back] = await probe(pod('pb2'), PA3.ip, 22, { timeoutMs: 1000 });
    assert.equal(back, null, 'nothing listens on pa3:22');
    assert.equal(await ping('pb2', PA3.ip), true, 'blue pods reach each other');
  });

  test('pods of two isolated VRFs cannot reach each other', async () => {
    assert.equal(await ping('pa3', PB1.ip, false), false);
    assert.equal(await ping('pa3', PA1.ip, false), false);
    assert.equal(await ping('pb1', PB2.ip, false), false);
    assert.deepEqual(await probe(pod('pb2'), PA1.ip, 7000, { timeoutMs: 1000 }), [null]);
    assert.deepEqual(await probe(pod('pa1'), PB2.ip, 7000, { timeoutMs: 1000 }), [null]);
  });

  test('a security group allowing tcp/80 admits port 80 and drops port 81', async () => {
    assert.deepEqual(await probe(pod('pb1'), PA2.ip, 80), [`pa2:80:${PB1.ip}`]);
    assert.deepEqual(await probe(pod('pb1'), PA2.ip, 81, { timeoutMs: 1000 }), [null]);
    assert.deepEqual(await probe(pod('pa1'), PA2.ip, 81, { timeoutMs: 1000 }), [null], 'also from the same node');
    assert.equal(await ping('pb1', PA2.ip), true, 'icmp from the pod subnet is allowed');
    // Egress is allow-all and replies of admitted connections pass: pa2 reaches pb1.
    assert.deepEqual(await probe(pod('pa2'), PB1.ip, 7000), [`pb1:7000:${PA2.ip}`]);
  });

  test('a ClusterIP VIP spreads connections over members on both nodes and drops an undeclared port', async () => {
    const fromA = await probe(pod('pa2'), VIP, 80, { count: 40 });
    assert.ok(fromA.every((a) => a !== null), `all 40 connections answered: ${JSON.stringify(fromA)}`);
    assert.deepEqual([...new Set(fromA.map((a) => a.split(':')[0]))].sort(), ['pa1', 'pb1']);
    assert.ok(fromA.every((a) => a.split(':')[1] === '8080'), 'DNAT to the target port');
    const fromB = await probe(pod('pb1'), VIP, 80, { count: 40 });
    assert.deepEqual([...new Set(fromB.map((a) => a?.split(':')[0]))].sort(), ['pa1', 'pb1']);
    assert.deepEqual(await probe(pod('pa1'), VIP, 7000, { count: 2, timeoutMs: 1000 }), [null, null]);
  });

  test('a LoadBalancer floating IP is DNATed at the member node and replies return through the underlay', async () => {
    const answers = await probe(NODE_B, FIP, 80, { count: 4 });
    assert.deepEqual(answers, Array(4).fill(`pa1:8080:${UL_B}`));
    assert.deepEqual(await probe(NODE_B, FIP, 81, { timeoutMs: 1000 }), [null], 'undeclared floating-IP port');
  });

  test('fabric SNAT masquerades pods of an onMiss=main VRF behind the node address', async () => {
    assert.deepEqual(await probe(pod('pa3'), UL_B, 9000), [`nodeB:9000:${UL_A}`]);
    assert.deepEqual(await probe(pod('pb2'), UL_A, 9000, { timeoutMs: 1000 }), [null], 'nothing listens on node A');
    // The red VRF (onMiss=drop) does not leak to the fabric.
    assert.deepEqual(await probe(pod('pa1'), UL_B, 9000, { timeoutMs: 1000 }), [null]);
  });

  test('a fresh renderer converges drifted state without breaking an open TCP connection', async () => {
    const conn = await holdConnection(pod('pa1'), PB1.ip, 7000);
    try {
      assert.equal(conn.greeting, `pb1:7000:${PA1.ip}`);
      assert.equal(await conn.roundTrip('before'), 'before');
      // "Agent restart": new renderer objects, same state → nothing to do.
      const same = await new LinuxRenderer({ netns: NODE_A }).render(nodeState('A'));
      assert.equal(same.inSync, true);
      assert.equal(await conn.roundTrip('after-restart'), 'after-restart');
      // Drift: someone flushed our forward chain, removed an FDB entry and added a stray rule and route.
      await sh(NODE_A, 'nft', 'flush', 'chain', 'ip', 'tf', 'tf_forward');
      await sh(NODE_A, 'bridge', 'fdb', 'del', '02:89:c0:a8:4d:02', 'dev', `vx${RED.vni}`, 'dst', UL_B, 'self');
      await sh(NODE_A, 'ip', 'rule', 'add', 'priority', '1150', 'iif', 'tapstray', 'lookup', '1003');
      await sh(NODE_A, 'ip', 'route', 'add', '10.1.2.0/24', 'dev', 'ulA', 'table', String(RED.table));
      await sh(NODE_A, 'ip', 'route', 'add', '10.1.3.0/24', 'dev', 'ulA', 'table', '999');
      const fix = await new LinuxRenderer({ netns: NODE_A }).render(nodeState('A'));
      assert.equal(fix.inSync, false);
      assert.deepEqual(fix.plan.ip.bridge, [`fdb append 02:89:c0:a8:4d:02 dev vx${RED.vni} dst ${UL_B} self permanent`]);
      assert.deepEqual(fix.plan.ip.ip.sort(), [`route del 10.1.2.0/24 table ${RED.table}`, 'rule del priority 1150 iif tapstray lookup 1003'].sort());
      assert.notEqual(fix.plan.nft, null);
      assert.equal(await conn.roundTrip('after-converge'), 'after-converge');
      assert.equal((await new LinuxRenderer({ netns: NODE_A }).render(nodeState('A'))).inSync, true);
      const t999 = await sh(NODE_A, 'ip', '-4', 'route', 'show', 'table', '999');
      assert.match(t999, /10\.1\.3\.0\/24/, 'a table outside the owned range is left alone');
    } finally {
      await conn.close();
    }
  });

  test('a pod whose namespace is gone is skipped, and comes back when the namespace does', async () => {
    const ghost = iface('pgh', '10.47.255.240', RED, '02:aa:00:00:00:09');
    const state = nodeState('A');
    state.interfaces.push(ghost);
    const r = await rA.render(state);
    assert.deepEqual(r.skipped, [{ tap: 'tappgh', reason: `pod network namespace /run/netns/${pod('pgh')} does not exist` }]);
    await createNetns(pod('pgh'));
    try {
      const r2 = await rA.render(state);
      assert.equal(r2.plan.ip.pods.length, 1);
      assert.equal(await ping('pgh', PA1.ip), true);
      assert.equal((await rA.render(state)).inSync, true);
      await rA.render(nodeState('A'));
      const links = await sh(NODE_A, 'ip', '-j', 'link', 'show');
      assert.doesNotMatch(links, /tappgh/);
    } finally {
      await deleteNetns(pod('pgh'));
    }
  });

  test('bad input throws a typed error and writes nothing', async () => {
    const before = await rA.snapshot();
    const bad = nodeState('A');
    bad.interfaces[0] = { ...bad.interfaces[0], vrf: 'nope' };
    await assert.rejects(() => rA.render(bad), { code: 'DATAPATH_INVALID_MODEL' });
    const afterSnap = await rA.snapshot();
    assert.deepEqual(afterSnap.links.map((l) => l.name).sort(), before.links.map((l) => l.name).sort());
    assert.equal(afterSnap.routes.length, before.routes.length);
  });

  test('clean-up removes everything the renderer owns and nothing else', async () => {
    await rA.cleanup();
    await rB.cleanup();
    for (const node of [NODE_A, NODE_B]) {
      const snap = await new LinuxRenderer({ netns: node }).snapshot();
      assert.deepEqual(snap.links.map((l) => l.name).filter((n) => n.startsWith('tap') || n.startsWith('vx')), [], node);
      assert.deepEqual(snap.rules.filter((r) => r.priority >= 1000 && r.priority < 1300), [], node);
      assert.deepEqual(snap.routes.filter((r) => Number(r.table) >= 1000 && Number(r.table) <= 99_999), [], node);
      assert.equal(snap.nft, null, node);
      const ul = snap.links.find((l) => l.name === (node === NODE_A ? 'ulA' : 'ulB'));
      assert.ok(ul?.up, 'the underlay is untouched');
    }
    assert.match(await sh(NODE_A, 'ip', '-4', 'route', 'show', 'table', '999'), /10\.1\.3\.0\/24/);
    const podLinks = await sh(pod('pa1'), 'ip', '-j', 'link', 'show');
    assert.doesNotMatch(podLinks, /eth0/, "the pod's end went with the tap");
    assert.equal((await rA.render(emptyNodeState({ device: 'ulA', ip: UL_A }))).inSync, false, 'an empty state still wants its nft table');
    await rA.cleanup();
  });
});
