import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { validateNodeState } from './validate.js';
import { DatapathModelError } from './errors.js';
import type { NodeState } from './model.js';

const load = (): NodeState => JSON.parse(readFileSync(new URL('./linux/testdata/node-a.state.json', import.meta.url), 'utf8')) as NodeState;

function problems(mutate: (s: NodeState) => void): string[] {
  const s = load();
  mutate(s);
  try {
    validateNodeState(s);
    return [];
  } catch (err) {
    assert.ok(err instanceof DatapathModelError);
    assert.equal(err.code, 'DATAPATH_INVALID_MODEL');
    assert.equal(err.status, 400);
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
}

test('a complete node state validates and is returned as is', () => {
  const s = load();
  assert.equal(validateNodeState(s), s);
});

test('every kind of bad field is reported with its path', () => {
  const cases: [(s: NodeState) => void, string][] = [
    [(s) => (s.underlay.ip = '10.0.0'), 'underlay.ip: "10.0.0" is not an IPv4 address'],
    [(s) => (s.underlay.device = 'a-very-long-interface'), 'underlay.device: "a-very-long-interface" is not an interface name'],
    [(s) => (s.underlay.mtu = 50), 'underlay.mtu: must be an integer in 118..65535'],
    [(s) => (s.vrfs[1].table = 1001), 'vrfs[1].table: table 1001 used by two VRFs'],
    [(s) => (s.vrfs[1].table = 254), 'vrfs[1].table: must be an integer in 1000..99999'],
    [(s) => (s.vrfs[1].vni = 5001), 'vrfs[1].vni: VNI 5001 used by two VRFs'],
    [(s) => (s.vrfs[1].vni = 0), 'vrfs[1].vni: must be an integer in 1..16777215'],
    [(s) => s.vrfs.push({ name: 'red', table: 1003, vni: 5003 }), 'vrfs[2].name: duplicate VRF "red"'],
    [(s) => (s.vrfs[0].onMiss = 'drop2' as 'drop'), "vrfs[0].onMiss: must be 'drop' or 'main'"],
    [(s) => (s.interfaces[2].tap = 'eth5'), 'interfaces[2].tap: must start with "tap"'],
    [(s) => (s.interfaces[2].tap = 'tap.1'), 'interfaces[2].tap: "tap.1" is not a tap name (≤ 15 characters of [A-Za-z0-9_-])'],
    [(s) => (s.interfaces[1].tap = 'tapa1'), 'interfaces[1].tap: duplicate tap "tapa1"'],
    [(s) => (s.interfaces[0].mac = '03:00:00:00:00:01'), 'interfaces[0].mac: must be a unicast MAC'],
    [(s) => (s.interfaces[0].mac = '02:AA:00:00:00:01'), 'interfaces[0].mac: "02:AA:00:00:00:01" is not a lowercase MAC address'],
    [(s) => (s.interfaces[1].ip = s.interfaces[0].ip), 'interfaces[1].ip: address 10.47.255.252 used by two interfaces on this node'],
    [(s) => (s.interfaces[0].plen = 33), 'interfaces[0].plen: must be an integer in 1..32'],
    [(s) => (s.interfaces[0].gateway = s.interfaces[0].ip), 'interfaces[0].gateway: must differ from the interface address'],
    [(s) => (s.interfaces[0].netns = 'a b'), 'interfaces[0].netns: "a b" is not a namespace name or path'],
    [(s) => (s.interfaces[0].vrf = 'green'), 'interfaces[0].vrf: unknown VRF "green"'],
    [(s) => (s.interfaces[1].policy!.ingress.default = 'maybe' as 'deny'), "interfaces[1].policy.ingress.default: must be 'allow' or 'deny'"],
    [(s) => (s.interfaces[1].policy!.ingress.rules[1].ports = { from: 1, to: 2 }), 'interfaces[1].policy.ingress.rules[1].ports: ports need protocol tcp, udp or sctp'],
    [(s) => (s.interfaces[1].policy!.ingress.rules[0].ports = { from: 9, to: 2 }), 'interfaces[1].policy.ingress.rules[0].ports: from must not exceed to'],
    [(s) => (s.interfaces[1].policy!.ingress.rules[1].protocol = 'gre' as 'tcp'), 'interfaces[1].policy.ingress.rules[1].protocol: must be tcp, udp, sctp, icmp, any or a protocol number'],
    [(s) => (s.interfaces[1].policy!.ingress.rules[1].protocol = 256), 'interfaces[1].policy.ingress.rules[1].protocol: must be an integer in 0..255'],
    [(s) => (s.interfaces[1].policy!.ingress.rules[1].remoteCidr = '10.32.0.1/12'), 'interfaces[1].policy.ingress.rules[1].remoteCidr: CIDR has host bits set: 10.32.0.1/12'],
    [(s) => (s.interfaces[1].policy!.ingress.rules[2].remoteGroup = 'nope'), 'interfaces[1].policy.ingress.rules[2].remoteGroup: unknown address group "nope"'],
    [(s) => (s.interfaces[1].policy!.ingress.rules[2].remoteCidr = '10.0.0.0/8'), 'interfaces[1].policy.ingress.rules[2]: at most one of remoteCidr and remoteGroup'],
    [(s) => (s.routes[0].vrf = 'green'), 'routes[0].vrf: unknown VRF "green"'],
    [(s) => (s.routes[0].prefix = '10.47.255.251/33'), 'routes[0].prefix: invalid prefix length in CIDR: "10.47.255.251/33"'],
    [(s) => Object.assign(s.routes[1], { prefix: '10.47.255.251/32', vrf: 'red' }), 'routes[1].prefix: duplicate route 10.47.255.251/32 in VRF red'],
    [(s) => (s.routes[0].nexthops = []), 'routes[0].nexthops: must not be empty'],
    [(s) => (s.routes[3].nexthops[0] = { interface: 'tapzz' }), 'routes[3].nexthops[0].interface: unknown local interface "tapzz"'],
    [(s) => (s.routes[2].nexthops[1] = { node: '192.168.77.2', vni: 5001 }), 'routes[2].nexthops[1]: duplicate next hop'],
    [(s) => (s.routes[2].nexthops[1] = { node: '192.168.77.4', vni: 5001, weight: 0 }), 'routes[2].nexthops[1].weight: must be an integer in 1..256'],
    [(s) => (s.routes[0].nexthops[0] = {} as never), 'routes[0].nexthops[0]: must have either interface (local) or node and vni (remote)'],
    [(s) => (s.addressGroups[0].addresses[0] = 'x'), 'addressGroups[0].addresses[0]: invalid IPv4 address: "x"'],
    [(s) => s.addressGroups.push({ id: 'a b', addresses: [] }), 'addressGroups[2].id: "a b" is not a group id ([A-Za-z0-9_.:-], ≤ 128)'],
    [(s) => (s.vrfs[1].policy!.default = 'allow' as 'pass'), "vrfs[1].policy.default: must be 'pass' or 'deny'"],
    [(s) => (s.vrfs[1].policy!.rules[0].action = 'accept' as 'pass'), "vrfs[1].policy.rules[0].action: must be 'pass' or 'deny'"],
    [(s) => (s.vrfs[1].policy!.rules[0].src = { group: 'nope' }), 'vrfs[1].policy.rules[0].src.group: unknown address group "nope"'],
    [(s) => (s.vrfs[1].policy!.rules[0].src = { group: 'vn5001', cidr: '10.0.0.0/8' }), 'vrfs[1].policy.rules[0].src: must have exactly one of cidr and group'],
    [(s) => (s.vrfs[1].policy!.rules[0].dst = { cidr: '10.48.0.1/16' }), 'vrfs[1].policy.rules[0].dst.cidr: CIDR has host bits set: 10.48.0.1/16'],
    [(s) => (s.vrfs[1].policy!.rules[0].protocol = 'icmp'), 'vrfs[1].policy.rules[0].dstPorts: ports need protocol tcp, udp, sctp or any'],
    [(s) => (s.vrfs[1].policy!.rules[1].srcPorts = { from: 90, to: 80 }), 'vrfs[1].policy.rules[1].srcPorts: from must not exceed to'],
    [(s) => (s.vrfs[1].policy!.rules[3].protocol = 300), 'vrfs[1].policy.rules[3].protocol: must be an integer in 0..255'],
    [(s) => s.services.push({ ...s.services[0] }), 'services[1].vip: duplicate service VIP 10.96.0.10'],
    [(s) => (s.services[0].ports[0].protocol = 'icmp' as 'tcp'), 'services[0].ports[0].protocol: must be tcp, udp or sctp'],
    [(s) => s.services[0].ports.push({ ...s.services[0].ports[0] }), 'services[0].ports[1].port: duplicate port tcp/80'],
    [(s) => (s.services[0].ports[0].members[0].port = 0), 'services[0].ports[0].members[0].port: must be an integer in 1..65535'],
    [(s) => (s.services[0].dropUndeclared = 'yes' as unknown as boolean), 'services[0].dropUndeclared: must be a boolean'],
    [(s) => (s.floatingIps[0].ports[0].members[0].ip = '10.47.255.251'), 'floatingIps[0].ports[0].members[0].ip: 10.47.255.251 is not a local interface address'],
    [(s) => (s.snat[0].sources = ['10.48.0.0/33']), 'snat[0].sources[0]: invalid prefix length in CIDR: "10.48.0.0/33"'],
    [(s) => (s.snat[0].outInterface = ''), 'snat[0].outInterface: must be a non-empty string'],
  ];
  for (const [mutate, expected] of cases) assert.deepEqual(problems(mutate), [expected], expected);
});

test('all problems are collected at once; missing parts are named', () => {
  const got = problems((s) => {
    s.interfaces[0].mac = 'x';
    s.routes[0].vrf = 'y';
  });
  assert.equal(got.length, 2);
  assert.throws(() => validateNodeState({ underlay: { device: 'eth0', ip: '10.0.0.1' } }), (e: DatapathModelError) => {
    assert.deepEqual(e.problems.map((p) => p.path), ['vrfs', 'interfaces', 'routes', 'addressGroups', 'services', 'floatingIps', 'snat']);
    return true;
  });
  assert.throws(() => validateNodeState(null), DatapathModelError);
  assert.throws(() => validateNodeState([]), DatapathModelError);
});

test('arbitrary JSON never crashes validation: it passes or throws DatapathModelError', () => {
  const s = load();
  fc.assert(
    fc.property(fc.jsonValue(), fc.constantFrom('underlay', 'vrfs', 'interfaces', 'routes', 'services', 'floatingIps', 'snat', 'addressGroups'), (junk, key) => {
      for (const input of [junk, { ...s, [key]: junk }, { ...s, [key]: [junk] }]) {
        try {
          validateNodeState(input);
        } catch (err) {
          if (!(err instanceof DatapathModelError)) throw err;
        }
      }
    }),
    { numRuns: 300 },
  );
});
