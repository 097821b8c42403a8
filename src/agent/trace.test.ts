import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LocalInterface, NodeState } from '../datapath/model.js';
import { trace, TraceQueryError } from './trace.js';
import { branchKey, formatTrace, reportVerdict } from './cli-format.js';

const RED = 'red';
const BLUE = 'blue';
const f = (tap: string, ip: string, vrf: string, extra: Partial<LocalInterface> = {}): LocalInterface => ({
  tap, netns: `/run/netns/${tap}`, ifname: 'eth0', mac: '02:00:00:00:00:01', ip, plen: 24, gateway: ip.replace(/\.\d+$/, '.254'), vrf, ...extra,
});
const web = f('tapweb', '10.1.0.12', RED, {
  policy: {
    ingress: { default: 'deny', rules: [{ id: 'r80', protocol: 'tcp', ports: { from: 80, to: 80 } }, { id: 'rgrp', protocol: 'udp', remoteGroup: '8000009' }] },
    egress: { default: 'deny', rules: [{ id: 'out', protocol: 'tcp', remoteCidr: '10.1.0.0/24' }] },
  },
});

const state: NodeState = {
  underlay: { device: 'eth0', ip: '192.168.0.1' },
  vrfs: [{ name: RED, table: 1005, vni: 5 }, { name: BLUE, table: 1006, vni: 6 }],
  interfaces: [f('tapa', '10.1.0.11', RED), web, f('tapb', '10.2.0.11', BLUE)],
  routes: [
    { vrf: RED, prefix: '10.1.0.21/32', nexthops: [{ node: '192.168.0.2', vni: 5 }] },
    { vrf: RED, prefix: '10.1.0.30/32', nexthops: [{ node: '192.168.0.2', vni: 5 }, { node: '192.168.0.3', vni: 5 }] },
  ],
  addressGroups: [{ id: '8000009', addresses: ['10.1.0.11'] }],
  services: [{ vip: '10.1.0.200', ports: [{ protocol: 'tcp', port: 80, members: [{ ip: '10.1.0.12', port: 80 }, { ip: '10.1.0.21', port: 8080 }] }, { protocol: 'tcp', port: 90, members: [] }] }],
  floatingIps: [],
  snat: [],
};

test('same node: route to a local interface, then the egress and ingress policies decide', () => {
  const ok = trace(state, 'n1', { src: '10.1.0.11', dst: '10.1.0.12', protocol: 'tcp', port: 80 });
  assert.equal(ok.srcLocal && ok.dstLocal, true);
  assert.deepEqual(ok.branches[0].steps.map((s) => [s.step, s.verdict, s.rule?.id]), [
    ['route', 'next', undefined], ['egress-policy', 'allow', undefined], ['ingress-policy', 'allow', 'r80'],
  ]);
  assert.equal(ok.branches[0].verdict, 'allowed');
  const no = trace(state, 'n1', { src: '10.1.0.11', dst: '10.1.0.12', protocol: 'tcp', port: 81 });
  assert.equal(no.branches[0].verdict, 'denied');
  assert.match(no.branches[0].steps[2].detail, /no rule of its security groups allows it \(2 rule\(s\)\)/);
  const grp = trace(state, 'n1', { src: '10.1.0.11', dst: '10.1.0.12', protocol: 'udp', port: 53 });
  assert.equal(grp.branches[0].steps[2].rule?.id, 'rgrp', 'a group rule matches members of the group');
  // egress of the web pod: only tcp to 10.1.0.0/24
  assert.equal(trace(state, 'n1', { src: '10.1.0.12', dst: '10.1.0.11', protocol: 'icmp' }).branches[0].verdict, 'denied');
  assert.equal(trace(state, 'n1', { src: '10.1.0.12', dst: '10.1.0.11', protocol: 'tcp', port: 22 }).branches[0].steps[1].rule?.id, 'out');
});

test('other node: the branch continues there (ECMP listed); no route means unreachable', () => {
  const t = trace(state, 'n1', { src: '10.1.0.11', dst: '10.1.0.30', protocol: 'icmp' });
  assert.equal(t.branches[0].verdict, 'continues');
  assert.equal(t.branches[0].nextNode, '192.168.0.2');
  assert.match(t.branches[0].steps[0].detail, /VXLAN to 192\.168\.0\.2 vni 5, 192\.168\.0\.3 vni 5 \(ECMP\)/);
  const iso = trace(state, 'n1', { src: '10.1.0.11', dst: '10.2.0.11', protocol: 'icmp' });
  assert.equal(iso.branches[0].verdict, 'denied');
  assert.match(iso.branches[0].steps[0].detail, /no route to 10\.2\.0\.11 in VRF red/);
});

test('services: a branch per member; undeclared ports and empty ports are dropped', () => {
  const t = trace(state, 'n1', { src: '10.1.0.11', dst: '10.1.0.200', protocol: 'tcp', port: 80 });
  assert.deepEqual(t.branches.map((b) => [branchKey(b), b.verdict]), [['10.1.0.12:80', 'allowed'], ['10.1.0.21:8080', 'continues']]);
  const u = trace(state, 'n1', { src: '10.1.0.11', dst: '10.1.0.200', protocol: 'tcp', port: 81 });
  assert.deepEqual(u.branches.map((b) => b.verdict), ['denied']);
  assert.match(u.branches[0].steps[0].detail, /not a declared port; dropped/);
  assert.match(trace(state, 'n1', { src: '10.1.0.11', dst: '10.1.0.200', protocol: 'tcp', port: 90 }).branches[0].steps[0].detail, /has no members/);
});

test('destination side only: the ingress policy for a connection from elsewhere', () => {
  const d = trace(state, 'n1', { src: '10.1.0.21', dst: '10.1.0.12', protocol: 'tcp', port: 80 });
  assert.equal(d.srcLocal, false);
  assert.deepEqual(d.branches.map((b) => [b.verdict, b.steps[0].rule?.id]), [['allowed', 'r80']]);
  assert.deepEqual(trace(state, 'n1', { src: '10.9.0.1', dst: '10.9.0.2', protocol: 'icmp' }).branches, []);
});

test('bad queries are refused', () => {
  assert.throws(() => trace(state, 'n1', { src: 'x', dst: '10.1.0.1', protocol: 'icmp' }), TraceQueryError);
  assert.throws(() => trace(state, 'n1', { src: '10.1.0.11', dst: '10.1.0.1', protocol: 'icmp', port: 80 }), /icmp has no port/);
  assert.throws(() => trace(state, 'n1', { src: '10.1.0.11', dst: '10.1.0.1', protocol: 'tcp', port: 70000 }), /port must be/);
});

test('a report joins the source side with the destination node and gives one verdict', () => {
  const src = trace(state, 'n1', { src: '10.1.0.11', dst: '10.1.0.200', protocol: 'tcp', port: 80 });
  const remoteState: NodeState = { ...state, underlay: { device: 'eth0', ip: '192.168.0.2' }, interfaces: [f('tapr', '10.1.0.21', RED, { policy: { ingress: { default: 'deny', rules: [] }, egress: { default: 'allow', rules: [] } } })], services: [], routes: [] };
  const dst = trace(remoteState, 'n2', { src: '10.1.0.11', dst: '10.1.0.21', protocol: 'tcp', port: 8080 });
  const report = { query: src.query, source: src, destinations: new Map([['10.1.0.21:8080', dst]]), notes: [] };
  assert.equal(reportVerdict(report), 'partly');
  const text = formatTrace(report);
  assert.match(text, /^trace 10\.1\.0\.11 → 10\.1\.0\.200 tcp\/80\nsource 10\.1\.0\.11 on node n1 \(192\.168\.0\.1\)\n {2}to 10\.1\.0\.12:80: ALLOWED\n/);
  assert.match(text, / {2}to 10\.1\.0\.21:8080: DENIED\n.*\n.*\n.*\n {4}ingress {2}\[node n2\] tapr ingress: no rule/);
  assert.match(text, /verdict: partly$/);
  assert.equal(reportVerdict({ ...report, destinations: new Map() }), 'unknown');
});

test("network policies (the VRFs' ACLs): the source VRF's at the source, the destination VRF's at the destination, first match decides", () => {
  const pol = {
    default: 'pass' as const,
    rules: [
      { id: 'p80', action: 'pass' as const, protocol: 'tcp' as const, src: { group: 'vn5' }, dst: { group: 'vn6' }, dstPorts: { from: 80, to: 80 } },
      { id: 'p80', action: 'pass' as const, protocol: 'tcp' as const, src: { group: 'vn6' }, dst: { group: 'vn5' }, srcPorts: { from: 80, to: 80 } },
      { id: 'p80', action: 'deny' as const, protocol: 'any' as const, src: { group: 'vn5' }, dst: { group: 'vn6' } },
      { id: 'p80', action: 'deny' as const, protocol: 'any' as const, src: { group: 'vn6' }, dst: { group: 'vn5' } },
    ],
  };
  const st: NodeState = {
    ...state,
    vrfs: [{ name: RED, table: 1005, vni: 5, policy: pol }, { name: BLUE, table: 1006, vni: 6, policy: pol }],
    routes: [...state.routes, { vrf: RED, prefix: '10.2.0.11/32', nexthops: [{ interface: 'tapb' }] }, { vrf: BLUE, prefix: '10.1.0.11/32', nexthops: [{ interface: 'tapa' }] }],
    addressGroups: [...state.addressGroups, { id: 'vn5', addresses: ['10.1.0.11', '10.1.0.12'] }, { id: 'vn6', addresses: ['10.2.0.11'] }],
  };
  const ok = trace(st, 'n1', { src: '10.1.0.11', dst: '10.2.0.11', protocol: 'tcp', port: 80 });
  assert.equal(ok.branches[0].verdict, 'allowed');
  assert.deepEqual(ok.branches[0].steps.map((s) => [s.step, s.verdict]), [
    ['route', 'next'], ['network-policy', 'allow'], ['egress-policy', 'allow'], ['network-policy', 'allow'], ['ingress-policy', 'allow'],
  ]);
  assert.match(ok.branches[0].steps[1].detail, /^network policy of VRF red: passed by rule p80: tcp port 80 from network 5 to network 6$/);
  const no = trace(st, 'n1', { src: '10.1.0.11', dst: '10.2.0.11', protocol: 'tcp', port: 81 });
  assert.equal(no.branches[0].verdict, 'denied');
  assert.match(no.branches[0].steps[1].detail, /^network policy of VRF red: denied by rule p80: any protocol from network 5 to network 6; dropped$/);
  assert.equal(trace(st, 'n1', { src: '10.1.0.11', dst: '10.2.0.11', protocol: 'icmp' }).branches[0].verdict, 'denied');
  // the mirror rule only passes traffic from port 80 (replies): a new connection blue → red tcp/80 is denied
  assert.equal(trace(st, 'n1', { src: '10.2.0.11', dst: '10.1.0.11', protocol: 'tcp', port: 80 }).branches[0].verdict, 'denied');
  // destination side only: the destination VRF's policy first
  const d = trace({ ...st, interfaces: [st.interfaces[2]] }, 'n2', { src: '10.1.0.11', dst: '10.2.0.11', protocol: 'tcp', port: 81 });
  assert.deepEqual(d.branches.map((b) => [b.verdict, b.steps.map((s) => s.step)]), [['denied', ['network-policy']]]);
  const text = formatTrace({ query: no.query, source: no, destinations: new Map(), notes: [] });
  assert.match(text, /\n {4}network {2}network policy of VRF red: denied by rule p80/);
});
