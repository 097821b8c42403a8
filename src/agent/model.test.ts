import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateNodeState } from '../datapath/validate.js';
import { computeState, TABLE_RANGE, vrfPolicy, type ModelInput, type VpnPath } from './model.js';
import type { VnAclRule } from './vn-acl.js';
import { sgCommunity } from './communities.js';
import { originVnCommunity } from '../control/origin-vn.js';
import type { FloatingIpConfig, InterfaceConfig, NetworkConfig, NodeConfig, SecurityGroupConfig } from './config-view.js';
import type { PortEntry } from './ports.js';

const U = (n: number) => `${String(n).padStart(8, '0')}-0000-4000-8000-${String(n).padStart(12, '0')}`;
const RED = 'default-domain:p:red:red';
const BLUE = 'default-domain:p:blue:blue';
const GREEN = 'default-domain:p:green:green';

function net(uuid: string, name: string, index: number, imports: string[], exports: string[], extra: Partial<NetworkConfig> = {}): NetworkConfig {
  return { uuid, fqName: name.split(':').slice(0, 3).join(':'), index, vni: index, vrf: { name, importTargets: imports, exportTargets: exports }, fabricSnat: false, ...extra };
}

function iface(n: number, vn: string, ip: string, sgs: string[] = []): InterfaceConfig {
  return {
    uuid: U(n), fqName: `default-domain:p:pod${n}__${U(n)}`, vmUuid: U(100 + n), vnUuid: vn, mac: `02:00:00:00:00:${n.toString(16).padStart(2, '0')}`, ip, plen: 24,
    gateway: ip.replace(/\.\d+$/, '.254'), dns: ip.replace(/\.\d+$/, '.253'), securityGroups: sgs, portSecurity: true, annotations: {}, index: '0/1', problems: [],
  };
}

function port(n: number, vn: string): PortEntry {
  return { vmiUuid: U(n), vmUuid: U(100 + n), vnUuid: vn, vmName: `k8s__default__pod${n}`, containerId: `c${n}`, tap: `tap${U(n).slice(0, 11)}`, ifname: 'eth0', netns: `/run/netns/pod${n}`, mtu: 1450, time: 't' };
}

const redNet = net(U(201), RED, 5, ['target:64512:8000001', 'target:64512:8000003'], ['target:64512:8000001']);
const blueNet = net(U(202), BLUE, 6, ['target:64512:8000002'], ['target:64512:8000002']);
const greenNet = net(U(203), GREEN, 7, ['target:64512:8000003', 'target:64512:8000001'], ['target:64512:8000003'], { fabricSnat: true });
const web: SecurityGroupConfig = {
  uuid: U(301), fqName: 'default-domain:p:web', id: 8000005, complete: true,
  ingress: [{ id: 'r-80', protocol: 6, remote: { kind: 'any' }, ports: { from: 80, to: 80 } }, { id: 'r-grp', protocol: 'any', remote: { kind: 'group', id: 8000005 } }],
  egress: [{ id: 'r-out', protocol: 'any', remote: { kind: 'cidr', cidr: '0.0.0.0/0' } }],
};

function config(extra: Partial<NodeConfig> = {}): NodeConfig {
  const ifs = [iface(1, U(201), '10.1.0.11', [U(301)]), iface(2, U(201), '10.1.0.12'), iface(3, U(202), '10.2.0.13'), iface(4, U(203), '10.3.0.14')];
  return {
    asn: 64512, vrouter: { uuid: U(400), ip: '192.168.0.1' }, vms: new Map(), interfaces: new Map(ifs.map((f) => [f.uuid, f])),
    networks: new Map([redNet, blueNet, greenNet].map((n) => [n.uuid, n])), securityGroups: new Map([[web.uuid, web]]), floatingIps: [], problems: [], ...extra,
  };
}

const remote = (prefix: string, nextHop: string, label: number, targets: string[], extra: Partial<VpnPath> = {}): VpnPath => ({
  rd: `${nextHop}:${label}`, prefix, nextHop, label, targets, localPref: 200, sgIds: [], stale: false, peer: '192.168.0.100', ...extra,
});

function input(cfg: NodeConfig, ports: PortEntry[], paths: VpnPath[] = []): ModelInput {
  return { node: { name: 'n1', ip: '192.168.0.1', underlay: { device: 'eth0', mtu: 1500 } }, config: cfg, ports, remote: paths };
}

const ports = [port(1, U(201)), port(2, U(201)), port(3, U(202)), port(4, U(203))];

test('one VRF per network with local interfaces; taps, MTU and tables as the datapath wants them', () => {
  const s = computeState(input(config(), ports));
  assert.deepEqual(s.datapath.vrfs, [
    { name: BLUE, table: 1006, vni: 6 },
    { name: GREEN, table: 1007, vni: 7, onMiss: 'main' },
    { name: RED, table: 1005, vni: 5 },
  ]);
  assert.deepEqual(s.datapath.interfaces.map((f) => [f.tap, f.ip, f.vrf, f.mtu, f.gateway, f.plen]), [
    ['tap00000000-00', '10.1.0.11', RED, 1450, '10.1.0.254', 24],
    ['tap00000000-00', '10.1.0.12', RED, 1450, '10.1.0.254', 24],
    ['tap00000000-00', '10.2.0.13', BLUE, 1450, '10.2.0.254', 24],
    ['tap00000000-00', '10.3.0.14', GREEN, 1450, '10.3.0.254', 24],
  ].map((x, i) => [ports[i].tap, ...x.slice(1)]));
  assert.equal(ports[0].tap, 'tap00000001-00');
  assert.deepEqual(s.datapath.snat, [{ sources: ['10.3.0.14/32'] }], 'fabric SNAT for the green network');
  assert.ok(s.interfaces.every((i) => i.active));
  assert.deepEqual(s.problems, []);
});

test('routes: local leaks by route target, remote routes imported by target, ECMP over nodes, own and floating addresses skipped', () => {
  const paths = [
    remote('10.1.0.21/32', '192.168.0.2', 5, ['target:64512:8000001']),
    remote('10.1.0.30/32', '192.168.0.2', 5, ['target:64512:8000001']),
    remote('10.1.0.30/32', '192.168.0.3', 5, ['target:64512:8000001']),
    remote('10.1.0.30/32', '192.168.0.4', 5, ['target:64512:8000001'], { localPref: 100 }),
    remote('10.2.0.22/32', '192.168.0.2', 6, ['target:64512:8000002']),
    remote('10.9.9.9/32', '192.168.0.2', 9, ['target:64512:9999']),
    remote('10.1.0.11/32', '192.168.0.2', 5, ['target:64512:8000001']),
    remote('10.1.0.40/32', '192.168.0.1', 5, ['target:64512:8000001']),
  ];
  const s = computeState(input(config(), ports, paths));
  const red = s.datapath.routes.filter((r) => r.vrf === RED);
  assert.deepEqual(red, [
    { vrf: RED, prefix: '10.3.0.14/32', nexthops: [{ interface: ports[3].tap }] },
    { vrf: RED, prefix: '10.1.0.21/32', nexthops: [{ node: '192.168.0.2', vni: 5 }] },
    { vrf: RED, prefix: '10.1.0.30/32', nexthops: [{ node: '192.168.0.2', vni: 5 }, { node: '192.168.0.3', vni: 5 }] },
  ]);
  const green = s.datapath.routes.filter((r) => r.vrf === GREEN);
  assert.deepEqual(green.map((r) => r.prefix), ['10.1.0.11/32', '10.1.0.12/32', '10.1.0.21/32', '10.1.0.30/32'], 'green imports red');
  assert.deepEqual(s.datapath.routes.filter((r) => r.vrf === BLUE), [{ vrf: BLUE, prefix: '10.2.0.22/32', nexthops: [{ node: '192.168.0.2', vni: 6 }] }], 'blue stays isolated');
  const view = s.routes.find((r) => r.vrf === RED && r.prefix === '10.1.0.30/32')!;
  assert.deepEqual(view.paths.map((p) => [p.pref, p.nh.type === 'tunnel' ? p.nh.dip : '']), [[200, '192.168.0.2'], [200, '192.168.0.3'], [100, '192.168.0.4']]);
  validateNodeState(s.datapath, { ownership: { tapPrefix: 'tap', tableRange: TABLE_RANGE } });
});

test('security groups become stateful policies; a group named by a rule gets its members from local interfaces and routes', () => {
  const paths = [remote('10.1.0.21/32', '192.168.0.2', 5, ['target:64512:8000001'], { sgIds: [8000005] })];
  const s = computeState(input(config(), ports, paths));
  const f = s.datapath.interfaces.find((x) => x.ip === '10.1.0.11')!;
  assert.deepEqual(f.policy, {
    ingress: { default: 'deny', rules: [{ id: 'r-80', protocol: 'tcp', ports: { from: 80, to: 80 } }, { id: 'r-grp', protocol: 'any', remoteGroup: '8000005' }] },
    egress: { default: 'deny', rules: [{ id: 'r-out', protocol: 'any', remoteCidr: '0.0.0.0/0' }] },
  });
  assert.equal(s.datapath.interfaces.find((x) => x.ip === '10.1.0.12')!.policy, undefined, 'no group: no filtering');
  assert.deepEqual(s.datapath.addressGroups, [{ id: '8000005', addresses: ['10.1.0.11', '10.1.0.21'] }]);
  // port security off: no policy
  const cfg = config();
  cfg.interfaces.get(U(1))!.portSecurity = false;
  assert.equal(computeState(input(cfg, ports, paths)).datapath.interfaces[0].policy, undefined);
});

test('advertisements: interface routes with RD, label, targets and communities; RTC for the import targets', () => {
  const s = computeState(input(config(), ports));
  const a = s.advertisements.find((x) => x.prefix === '10.1.0.11/32')!;
  assert.deepEqual(a, {
    kind: 'interface', rd: '192.168.0.1:5', prefix: '10.1.0.11/32', label: 5, nextHop: '192.168.0.1', localPref: 200,
    extCommunities: ['target:64512:8000001', 'encapsulation:vxlan', originVnCommunity(64512, 5), sgCommunity(64512, 8000005)],
  });
  assert.deepEqual(s.rtcTargets, ['target:64512:8000001', 'target:64512:8000002', 'target:64512:8000003']);
  assert.equal(s.advertisements.length, 4);
});

test('a service VIP: DNAT over every member (local or not), routes advertised for the local members, undeclared ports dropped', () => {
  const vip: FloatingIpConfig = {
    uuid: U(500), address: '10.1.0.200', kind: 'vip', vnUuid: U(201), mappingsEnabled: true,
    mappings: [{ protocol: 'tcp', srcPort: 80, dstPort: 8080 }, { protocol: 'udp', srcPort: 53, dstPort: 5353 }],
    members: [{ vmiUuid: U(1), ip: '10.1.0.11' }, { vmiUuid: U(9), ip: '10.1.0.21' }, { vmiUuid: U(10), ip: undefined }],
  };
  const pub: FloatingIpConfig = { uuid: U(501), address: '203.0.113.5', kind: 'pool', vnUuid: U(202), mappingsEnabled: true, mappings: [{ protocol: 'tcp', srcPort: 80, dstPort: 8080 }], members: [{ vmiUuid: U(1), ip: '10.1.0.11' }, { vmiUuid: U(9), ip: '10.1.0.21' }] };
  const s = computeState(input(config({ floatingIps: [pub, vip] }), ports, [remote('10.1.0.200/32', '192.168.0.2', 5, ['target:64512:8000001'])]));
  assert.deepEqual(s.datapath.services, [{
    vip: '10.1.0.200', dropUndeclared: true,
    ports: [{ protocol: 'tcp', port: 80, members: [{ ip: '10.1.0.11', port: 8080 }, { ip: '10.1.0.21', port: 8080 }] }, { protocol: 'udp', port: 53, members: [{ ip: '10.1.0.11', port: 5353 }, { ip: '10.1.0.21', port: 5353 }] }],
  }]);
  assert.deepEqual(s.datapath.floatingIps, [{ ip: '203.0.113.5', dropUndeclared: true, ports: [{ protocol: 'tcp', port: 80, members: [{ ip: '10.1.0.11', port: 8080 }] }] }], 'public address: local members only');
  assert.ok(!s.datapath.routes.some((r) => r.prefix === '10.1.0.200/32'), 'the VIP is never routed: DNAT happens first');
  const fips = s.advertisements.filter((x) => x.kind === 'floating-ip');
  assert.deepEqual(fips.map((x) => [x.rd, x.prefix, x.label, x.extCommunities[0]]), [
    ['192.168.0.1:6', '203.0.113.5/32', 5, 'target:64512:8000002'],
    ['192.168.0.1:5', '10.1.0.200/32', 5, 'target:64512:8000001'],
  ]);
  assert.deepEqual(s.rtcTargets, ['target:64512:8000001', 'target:64512:8000002', 'target:64512:8000003'], "the public network's VRF is subscribed too");
  const noBlue = computeState(input(config({ floatingIps: [pub] }), ports.filter((p) => p.vnUuid !== U(202))));
  assert.ok(noBlue.rtcTargets.includes('target:64512:8000002'), 'subscribed for the floating IP alone');
  validateNodeState(s.datapath, { ownership: { tapPrefix: 'tap', tableRange: TABLE_RANGE } });
});

test('interfaces that cannot be plumbed are listed inactive with the reason and left out', () => {
  const cfg = config();
  cfg.interfaces.get(U(2))!.problems.push('no instance-ip');
  cfg.interfaces.set(U(12), iface(12, U(201), '10.1.0.50'));
  const extra = [...ports, { ...port(7, U(201)), vmiUuid: U(7) }, { ...port(8, U(201)), vmiUuid: U(1), tap: 'tapdup' }, { ...port(12, U(201)), tap: ports[0].tap }];
  const s = computeState(input(cfg, extra));
  assert.match(s.interfaces.find((i) => i.uuid === U(12))!.reason!, /host interface name tap00000001-00 already used/);
  const byTap = new Map(s.interfaces.map((i) => [i.name, i]));
  assert.equal(byTap.get(ports[1].tap)!.reason, 'no instance-ip');
  assert.equal(byTap.get(`tap${U(7).slice(0, 11)}`)!.reason, 'interface not in the config of this virtual-router');
  assert.match(byTap.get('tapdup')!.reason!, /already used by/);
  assert.equal(s.datapath.interfaces.length, 3);
  validateNodeState(s.datapath, { ownership: { tapPrefix: 'tap', tableRange: TABLE_RANGE } });
});

test('the same input computes the same state (no hidden state)', () => {
  const a = computeState(input(config(), ports));
  const b = computeState(input(config(), [...ports].reverse().reverse()));
  assert.deepEqual(a, b);
});

const netA = { kind: 'network' as const, fqName: 'default-domain:p:red', index: 5 };
const netB = { kind: 'network' as const, fqName: 'default-domain:p:blue', index: 6 };
/** The transformer's ACL of red for a policy passing tcp/80 between red and blue (docs/transformer.md, rule 3). */
const redAcl: VnAclRule[] = [
  { id: 'p80', action: 'pass', protocol: 6, src: netA, dst: netB, dstPorts: { from: 80, to: 80 }, bidirectional: true },
  { id: 'self', action: 'pass', protocol: 'any', src: netA, dst: netA, bidirectional: true },
  { id: 'p80', action: 'deny', protocol: 'any', src: netA, dst: netB, bidirectional: true },
  { id: 'all', action: 'pass', protocol: 'any', src: { kind: 'any' }, dst: { kind: 'any' }, bidirectional: true },
];

test("a network's ACL becomes its VRF's policy: mirrors of bidirectional rules, the final pass any → any as the default", () => {
  const used: number[] = [];
  const pol = vrfPolicy(redAcl, (i) => used.push(i))!;
  assert.deepEqual(pol, {
    default: 'pass',
    rules: [
      { id: 'p80', action: 'pass', protocol: 'tcp', src: { group: 'vn5' }, dst: { group: 'vn6' }, dstPorts: { from: 80, to: 80 } },
      { id: 'p80', action: 'pass', protocol: 'tcp', src: { group: 'vn6' }, dst: { group: 'vn5' }, srcPorts: { from: 80, to: 80 } },
      { id: 'self', action: 'pass', protocol: 'any', src: { group: 'vn5' }, dst: { group: 'vn5' } },
      { id: 'p80', action: 'deny', protocol: 'any', src: { group: 'vn5' }, dst: { group: 'vn6' } },
      { id: 'p80', action: 'deny', protocol: 'any', src: { group: 'vn6' }, dst: { group: 'vn5' } },
    ],
  });
  assert.deepEqual([...new Set(used)].sort(), [5, 6]);
  assert.equal(vrfPolicy([redAcl[3]], () => undefined), undefined, 'pass any → any alone filters nothing');
  assert.equal(vrfPolicy([redAcl[1], redAcl[3]], () => undefined), undefined, 'passes before the default pass change nothing');
  const strict = vrfPolicy([{ action: 'pass', protocol: 17, src: { kind: 'cidrs', cidrs: ['10.9.0.0/16', '0.0.0.0/0'] }, dst: { kind: 'any' }, bidirectional: false }], () => undefined)!;
  assert.deepEqual(strict, { default: 'deny', rules: [{ action: 'pass', protocol: 'udp', src: { cidr: '10.9.0.0/16' } }, { action: 'pass', protocol: 'udp' }] }, 'without a final pass, what no rule passes is dropped');
});

test("VRF policies in the state: a network's group holds its local interfaces and the routes of that origin VN", () => {
  const cfg = config();
  cfg.networks.set(U(201), { ...redNet, acl: redAcl });
  const paths = [
    remote('10.2.0.21/32', '192.168.0.2', 6, ['target:64512:8000002'], { originVn: 6 }),
    remote('10.1.0.21/32', '192.168.0.2', 5, ['target:64512:8000001'], { originVn: 5 }),
    remote('10.9.0.0/24', '192.168.0.2', 5, ['target:64512:8000001'], { originVn: 5 }),
  ];
  const s = computeState(input(cfg, ports, paths));
  const red = s.datapath.vrfs.find((v) => v.name === RED)!;
  assert.equal(red.policy?.rules.length, 5);
  assert.equal(s.datapath.vrfs.find((v) => v.name === BLUE)!.policy, undefined, 'blue has no ACL here');
  const groups = new Map(s.datapath.addressGroups.map((g) => [g.id, g.addresses]));
  assert.deepEqual(groups.get('vn5'), ['10.1.0.11', '10.1.0.12', '10.1.0.21'], 'local red pods and red /32 routes');
  assert.deepEqual(groups.get('vn6'), ['10.2.0.13', '10.2.0.21'], 'the local blue pod and a blue route');
  validateNodeState(s.datapath, { ownership: { tapPrefix: 'tap', tableRange: TABLE_RANGE } });
});
