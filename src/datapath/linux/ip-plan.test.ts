import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isEmptyPlan, planIp, type IpPlan } from './ip-plan.js';
import { parseSnapshot } from './read.js';
import { resolveOwnership } from './ownership.js';
import type { KernelSnapshot } from './kernel-state.js';
import type { NodeState } from '../model.js';

// node-a.json is what a real kernel reported after rendering node-a.state.json (testdata/capture.mts).
const dir = new URL('./testdata/', import.meta.url);
const own = resolveOwnership();
const loadState = (): NodeState => JSON.parse(readFileSync(new URL('node-a.state.json', dir), 'utf8')) as NodeState;
const loadSnap = (): KernelSnapshot => parseSnapshot(JSON.parse(readFileSync(new URL('node-a.json', dir), 'utf8')) as Record<string, string | null>, own);
const ctx = { own, netnsExists: () => true };

function emptyKernel(snap: KernelSnapshot): KernelSnapshot {
  return {
    links: snap.links.filter((l) => l.name === 'lo' || l.name === 'ulA' || l.name === 'ulpeer'),
    routes: snap.routes.filter((r) => r.table === 'main' || r.table === 'local'),
    rules: snap.rules.filter((r) => r.priority === 0 || r.priority > 30000),
    neighbours: [],
    fdb: snap.fdb.filter((f) => f.dev === 'ulA' || f.dev === 'ulpeer'),
    nft: null,
    sysctl: new Map(),
  };
}

test('the kernel state a render produced plans to nothing (already in sync → no commands)', () => {
  const plan = planIp(loadState(), loadSnap(), ctx);
  assert.deepEqual(plan, { sysctl: [], ip: [], bridge: [], pods: [], skipped: [] });
  assert.equal(isEmptyPlan(plan), true);
});

test('an empty namespace gets every object, links before neighbours before routes before rules', () => {
  const plan = planIp(loadState(), emptyKernel(loadSnap()), ctx);
  assert.deepEqual(plan.sysctl, ['net.ipv4.ip_forward=1', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0', 'net.ipv4.fib_multipath_hash_policy=1']);
  assert.deepEqual(plan.ip, [
    'link add tapa1 address 00:00:5e:00:01:00 mtu 1450 type veth peer name eth0 address 02:aa:00:00:00:01 mtu 1450 netns /run/netns/capturepod1',
    'link set dev tapa1 up',
    'link add tapa2 address 00:00:5e:00:01:00 mtu 1450 type veth peer name eth0 address 02:aa:00:00:00:02 mtu 1450 netns /run/netns/capturepod2',
    'link set dev tapa2 up',
    'link add tapa3 address 00:00:5e:00:01:00 mtu 1400 type veth peer name eth0 address 02:aa:00:00:00:03 mtu 1400 netns /run/netns/capturepod3',
    'link set dev tapa3 up',
    'link add vx5001 address 02:89:c0:a8:4d:01 mtu 1450 type vxlan id 5001 dstport 4789 local 192.168.77.1 dev ulA nolearning',
    'link set dev vx5001 up',
    'link add vx5002 address 02:8a:c0:a8:4d:01 mtu 1450 type vxlan id 5002 dstport 4789 local 192.168.77.1 dev ulA nolearning',
    'link set dev vx5002 up',
    'neigh replace 10.47.255.252 lladdr 02:aa:00:00:00:01 dev tapa1 nud permanent',
    'neigh replace 10.47.255.250 lladdr 02:aa:00:00:00:02 dev tapa2 nud permanent',
    'neigh replace 10.48.0.3 lladdr 02:aa:00:00:00:03 dev tapa3 nud permanent',
    'neigh replace 192.168.77.2 lladdr 02:89:c0:a8:4d:02 dev vx5001 nud permanent',
    'neigh replace 192.168.77.2 lladdr 02:8a:c0:a8:4d:02 dev vx5002 nud permanent',
    'neigh replace 192.168.77.3 lladdr 02:89:c0:a8:4d:03 dev vx5001 nud permanent',
    'route replace 10.47.255.251/32 via 192.168.77.2 dev vx5001 onlink table 1001',
    'route replace 10.48.0.4/32 via 192.168.77.2 dev vx5002 onlink table 1002',
    'route replace 10.47.0.0/24 table 1001 nexthop via 192.168.77.2 dev vx5001 onlink weight 1 nexthop via 192.168.77.3 dev vx5001 onlink weight 2',
    'route replace 10.96.5.0/24 table 1001 nexthop dev tapa1 weight 1 nexthop via 192.168.77.2 dev vx5001 onlink weight 1',
    'route replace 10.47.255.252/32 dev tapa1 table 1001',
    'route replace 10.47.255.250/32 dev tapa2 table 1001',
    'route replace 10.48.0.3/32 dev tapa3 table 1002',
    'route replace unreachable default table 1001',
    'rule add priority 1100 iif vx5001 lookup 1001',
    'rule add priority 1100 iif vx5002 lookup 1002',
    'rule add priority 1100 iif tapa1 lookup 1001',
    'rule add priority 1200 iif lo to 10.47.255.252/32 lookup 1001',
    'rule add priority 1100 iif tapa2 lookup 1001',
    'rule add priority 1200 iif lo to 10.47.255.250/32 lookup 1001',
    'rule add priority 1100 iif tapa3 lookup 1002',
    'rule add priority 1200 iif lo to 10.48.0.3/32 lookup 1002',
    'rule add priority 1200 iif ulA to 10.47.255.252/32 lookup 1001',
    'rule add priority 1200 iif ulA to 10.48.0.3/32 fwmark 0x200000/0x200000 lookup 1002',
    'rule add priority 1000 fwmark 0x100000/0x100000 lookup main',
  ]);
  assert.deepEqual(plan.bridge, [
    'fdb append 02:89:c0:a8:4d:02 dev vx5001 dst 192.168.77.2 self permanent',
    'fdb append 02:8a:c0:a8:4d:02 dev vx5002 dst 192.168.77.2 self permanent',
    'fdb append 02:89:c0:a8:4d:03 dev vx5001 dst 192.168.77.3 self permanent',
  ]);
  assert.deepEqual(plan.pods.map((p) => [p.tap, p.netns]), [
    ['tapa1', '/run/netns/capturepod1'],
    ['tapa2', '/run/netns/capturepod2'],
    ['tapa3', '/run/netns/capturepod3'],
  ]);
  assert.deepEqual(plan.pods[2].lines, [
    'link set dev lo up',
    'addr add 10.48.0.3/16 dev eth0 noprefixroute',
    'link set dev eth0 up',
    'route add 10.48.0.1/32 dev eth0 scope link',
    'route add default via 10.48.0.1 dev eth0',
    'neigh replace 10.48.0.1 lladdr 00:00:5e:00:01:00 dev eth0 nud permanent',
  ]);
});

test('an empty state removes every owned object and nothing else', () => {
  const snap = loadSnap();
  const empty: NodeState = { ...loadState(), vrfs: [], interfaces: [], routes: [], services: [], floatingIps: [], snat: [], addressGroups: [] };
  const plan = planIp(empty, snap, ctx);
  assert.deepEqual(plan.ip, [
    'rule del priority 1000 fwmark 0x100000/0x100000 lookup main',
    'rule del priority 1100 iif vx5001 lookup 1001',
    'rule del priority 1100 iif vx5002 lookup 1002',
    'rule del priority 1100 iif tapa1 lookup 1001',
    'rule del priority 1100 iif tapa2 lookup 1001',
    'rule del priority 1100 iif tapa3 lookup 1002',
    'rule del priority 1200 iif lo to 10.47.255.252/32 lookup 1001',
    'rule del priority 1200 iif lo to 10.47.255.250/32 lookup 1001',
    'rule del priority 1200 iif lo to 10.48.0.3/32 lookup 1002',
    'rule del priority 1200 iif ulA to 10.47.255.252/32 lookup 1001',
    'rule del priority 1200 iif ulA to 10.48.0.3/32 fwmark 0x200000/0x200000 lookup 1002',
    'link del dev tapa1',
    'link del dev tapa2',
    'link del dev tapa3',
    'link del dev vx5001',
    'link del dev vx5002',
    // Routes through deleted links go with them; the unreachable default has no link.
    'route del unreachable 0.0.0.0/0 table 1001',
  ]);
  assert.deepEqual(plan.bridge, [], 'FDB entries of deleted VXLAN devices go with them');
  assert.deepEqual(plan.sysctl, []);
});

function lines(p: IpPlan): string[] {
  return [...p.sysctl, ...p.ip, ...p.bridge];
}

test('drift is repaired with exactly the commands needed', () => {
  const state = loadState();
  const snap = loadSnap();
  // A tap with the wrong MTU and down, a VXLAN device bound to the wrong address, a stray neighbour, a
  // missing FDB entry plus a stray one, a changed ECMP route, a stray route, a duplicate rule, an rp_filter.
  const tapa1 = snap.links.find((l) => l.name === 'tapa1')!;
  tapa1.mtu = 1500;
  tapa1.up = false;
  snap.links.find((l) => l.name === 'vx5002')!.vxlan!.local = '192.168.77.9';
  snap.neighbours.push({ dst: '10.47.255.200', dev: 'tapa2', lladdr: '02:00:00:00:00:99', state: ['PERMANENT'] });
  snap.neighbours.push({ dst: '10.47.255.201', dev: 'tapa2', lladdr: '02:00:00:00:00:98', state: ['STALE'] });
  snap.fdb = snap.fdb.filter((f) => !(f.dev === 'vx5001' && f.dst === '192.168.77.3'));
  snap.fdb.push({ mac: '02:89:c0:a8:4d:07', dev: 'vx5001', dst: '192.168.77.7', state: 'permanent' });
  snap.routes.find((r) => r.dst === '10.47.0.0/24')!.nexthops[1].weight = 1;
  snap.routes.push({ table: '1001', dst: '10.9.0.0/16', type: 'unicast', metric: 0, nexthops: [{ dev: 'tapa1', weight: 1, onlink: false }] });
  snap.routes.push({ table: '1001', dst: '10.47.255.251/32', type: 'unicast', metric: 100, nexthops: [{ dev: 'tapa1', weight: 1, onlink: false }] });
  snap.rules.push({ ...snap.rules.find((r) => r.iif === 'tapa2')! });
  snap.sysctl.set('net.ipv4.conf.tapa2.rp_filter', '2');
  assert.deepEqual(lines(planIp(state, snap, ctx)), [
    'net.ipv4.conf.tapa2.rp_filter=0',
    'rule del priority 1100 iif tapa2 lookup 1001',
    'link del dev vx5002',
    'link set dev tapa1 mtu 1450 up',
    'link add vx5002 address 02:8a:c0:a8:4d:01 mtu 1450 type vxlan id 5002 dstport 4789 local 192.168.77.1 dev ulA nolearning',
    'link set dev vx5002 up',
    'neigh del 10.47.255.200 dev tapa2',
    'neigh replace 192.168.77.2 lladdr 02:8a:c0:a8:4d:02 dev vx5002 nud permanent',
    'route del 10.9.0.0/16 table 1001',
    'route del 10.47.255.251/32 table 1001 metric 100',
    'route replace 10.48.0.4/32 via 192.168.77.2 dev vx5002 onlink table 1002',
    'route replace 10.47.0.0/24 table 1001 nexthop via 192.168.77.2 dev vx5001 onlink weight 1 nexthop via 192.168.77.3 dev vx5001 onlink weight 2',
    'fdb del 02:89:c0:a8:4d:07 dev vx5001 dst 192.168.77.7 self',
    'fdb append 02:8a:c0:a8:4d:02 dev vx5002 dst 192.168.77.2 self permanent',
    'fdb append 02:89:c0:a8:4d:03 dev vx5001 dst 192.168.77.3 self permanent',
  ]);
});

test('objects the renderer does not own are never touched', () => {
  const state = loadState();
  const snap = loadSnap();
  snap.links.push({ name: 'tapvm1', kind: 'tun', mtu: 1500, up: true }); // a qemu tap: not a veth
  snap.links.push({ name: 'vxother', kind: 'veth', mtu: 1500, up: true, netnsid: 1 }); // vx prefix but a veth
  snap.links.push({ name: 'eth9', kind: 'veth', mtu: 1500, up: true, netnsid: 1 });
  snap.routes.push({ table: '999', dst: '10.0.0.0/8', type: 'unicast', metric: 0, nexthops: [{ dev: 'eth9', weight: 1, onlink: false }] });
  snap.routes.push({ table: '100000', dst: '10.0.0.0/8', type: 'unicast', metric: 0, nexthops: [{ dev: 'eth9', weight: 1, onlink: false }] });
  snap.rules.push({ priority: 999, iif: 'tapa1', table: '5' }, { priority: 1300, table: '1001' });
  snap.neighbours.push({ dst: '10.0.0.9', dev: 'eth9', lladdr: '02:00:00:00:00:01', state: ['PERMANENT'] });
  snap.fdb.push({ mac: '02:00:00:00:00:01', dev: 'eth9', dst: '10.0.0.1', state: 'permanent' });
  assert.deepEqual(planIp(state, snap, ctx), { sysctl: [], ip: [], bridge: [], pods: [], skipped: [] });
});

test('an interface whose namespace is gone is skipped with everything that hangs off it', () => {
  const state = loadState();
  const snap = emptyKernel(loadSnap());
  const plan = planIp(state, snap, { own, netnsExists: (p) => p !== '/run/netns/capturepod1' });
  assert.deepEqual(plan.skipped, [{ tap: 'tapa1', reason: 'pod network namespace /run/netns/capturepod1 does not exist' }]);
  const all = lines(plan).join('\n');
  assert.doesNotMatch(all, /tapa1/);
  assert.doesNotMatch(all, /10\.47\.255\.252\b/);
  // The mixed ECMP route keeps only its remote next hop.
  assert.ok(plan.ip.includes('route replace 10.96.5.0/24 via 192.168.77.2 dev vx5001 onlink table 1001'));
  assert.deepEqual(plan.pods.map((p) => p.tap), ['tapa2', 'tapa3']);
});

test('a tap that lost its peer is recreated, and a missing underlay is a typed error', () => {
  const state = loadState();
  const snap = loadSnap();
  delete snap.links.find((l) => l.name === 'tapa3')!.netnsid;
  const plan = planIp(state, snap, ctx);
  assert.deepEqual(plan.ip.slice(0, 3), [
    'link del dev tapa3',
    'link add tapa3 address 00:00:5e:00:01:00 mtu 1400 type veth peer name eth0 address 02:aa:00:00:00:03 mtu 1400 netns /run/netns/capturepod3',
    'link set dev tapa3 up',
  ]);
  assert.ok(plan.ip.includes('neigh replace 10.48.0.3 lladdr 02:aa:00:00:00:03 dev tapa3 nud permanent'));
  assert.ok(plan.ip.includes('route replace 10.48.0.3/32 dev tapa3 table 1002'));
  assert.deepEqual(plan.pods.map((p) => p.tap), ['tapa3']);

  const noUl = loadSnap();
  noUl.links = noUl.links.filter((l) => l.name !== 'ulA');
  assert.throws(() => planIp(state, noUl, ctx), { code: 'DATAPATH_UNDERLAY_MISSING' });
});

test('underlay MTU from the state wins over the kernel, and VXLAN/pod MTUs follow it', () => {
  const state = loadState();
  state.underlay.mtu = 9000;
  const plan = planIp(state, loadSnap(), ctx);
  assert.deepEqual(plan.ip, ['link set dev tapa1 mtu 8950 up', 'link set dev tapa2 mtu 8950 up', 'link set dev vx5001 mtu 8950 up', 'link set dev vx5002 mtu 8950 up']);
});

test('a VRF with onMiss=main has no unreachable default; an explicit default route replaces it', () => {
  const state = loadState();
  state.routes.push({ vrf: 'red', prefix: '0.0.0.0/0', nexthops: [{ node: '192.168.77.2', vni: 5001 }] });
  const plan = planIp(state, loadSnap(), ctx);
  assert.deepEqual(plan.ip, ['route replace 0.0.0.0/0 via 192.168.77.2 dev vx5001 onlink table 1001']);
});
