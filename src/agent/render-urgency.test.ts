import { test } from 'node:test';
import assert from 'node:assert/strict';
import { urgent } from './render-urgency.js';
import type { InterfacePolicy, LocalInterface, NodeState } from '../datapath/model.js';

const sg: InterfacePolicy = { ingress: { default: 'deny', rules: [{ protocol: 'any', remoteGroup: '8000001' }] }, egress: { default: 'allow', rules: [] } };
const f = (n: number, vrf = 'red', policy: InterfacePolicy | undefined = sg): LocalInterface => ({
  tap: `tap${n}`, netns: `p${n}`, ifname: 'eth0', mac: `02:00:00:00:00:0${n}`, ip: `10.0.0.${n}`, plen: 24, gateway: '10.0.0.254', vrf, ...(policy ? { policy } : {}),
});
const base = (): NodeState => ({
  underlay: { device: 'ul0', ip: '192.168.0.1' },
  vrfs: [{ name: 'red', table: 1005, vni: 5, onMiss: 'main' }],
  interfaces: [f(1), f(2)],
  routes: [{ vrf: 'red', prefix: '10.0.0.9/32', nexthops: [{ node: '192.168.0.2', vni: 5 }] }],
  addressGroups: [{ id: '8000001', addresses: ['10.0.0.1', '10.0.0.2', '10.0.0.9'] }],
  services: [],
  floatingIps: [],
  snat: [{ sources: ['10.0.0.1/32', '10.0.0.2/32'] }],
});
const none = { added: new Set<string>(), removed: new Set<string>() };

test('no render yet, or any change nobody covers: urgent; the same state: not', () => {
  assert.equal(urgent(undefined, base(), none), true);
  assert.equal(urgent(base(), base(), none), false);
  const route = base();
  route.routes.push({ vrf: 'red', prefix: '10.0.0.10/32', nexthops: [{ node: '192.168.0.3', vni: 5 }] });
  assert.equal(urgent(base(), route, none), true);
});

test('pods ADDed by CNI: their interface, group address and SNAT source can wait; anything else cannot', () => {
  const next = base();
  next.interfaces.push(f(3));
  next.addressGroups[0].addresses.push('10.0.0.3');
  next.snat[0].sources.push('10.0.0.3/32');
  const added = { added: new Set(['tap3']), removed: new Set<string>() };
  assert.equal(urgent(base(), next, none), true, 'not covered: urgent');
  assert.equal(urgent(base(), next, added), false);
  const withRoute = structuredClone(next);
  withRoute.routes.push({ vrf: 'red', prefix: '10.0.0.11/32', nexthops: [{ node: '192.168.0.3', vni: 5 }] });
  assert.equal(urgent(base(), withRoute, added), true, 'a route from elsewhere meanwhile');
  const member = structuredClone(next);
  member.addressGroups[0].addresses.push('10.0.0.12');
  assert.equal(urgent(base(), member, added), true, 'a group member from elsewhere');
  const changed = structuredClone(next);
  changed.interfaces[0].policy = undefined;
  assert.equal(urgent(base(), changed, added), true, "another pod's policy changed");
});

test('the first pod of a network brings its VRF and the groups its policy names; both can wait', () => {
  const next = base();
  const blue = f(4, 'blue', { ingress: { default: 'deny', rules: [{ protocol: 'any', remoteGroup: '8000002' }] }, egress: { default: 'allow', rules: [] } });
  next.interfaces.push(blue);
  next.vrfs.push({ name: 'blue', table: 1006, vni: 6, policy: { default: 'pass', rules: [{ action: 'deny', protocol: 'icmp', src: { group: 'vn6' } }] } });
  next.addressGroups.push({ id: '8000002', addresses: ['10.0.0.4', '10.0.0.20'] }, { id: 'vn6', addresses: ['10.0.0.4'] });
  assert.equal(urgent(base(), next, { added: new Set(['tap4']), removed: new Set() }), false);
});

test('pods DELeted by CNI: their interface, group address, SNAT source and an emptied VRF can wait', () => {
  const next = base();
  next.interfaces = [f(1)];
  next.addressGroups[0].addresses = ['10.0.0.1', '10.0.0.9'];
  next.snat[0].sources = ['10.0.0.1/32'];
  assert.equal(urgent(base(), next, { added: new Set(), removed: new Set(['tap2']) }), false);
  const empty = base();
  empty.interfaces = [];
  empty.vrfs = [];
  empty.routes = [];
  empty.addressGroups = [];
  empty.snat = [];
  assert.equal(urgent(base(), empty, { added: new Set(), removed: new Set(['tap1', 'tap2']) }), false);
  assert.equal(urgent(base(), empty, { added: new Set(), removed: new Set(['tap1']) }), true, 'tap2 went without a DEL');
});
