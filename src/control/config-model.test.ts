// The pure config model: instance specs from routing instances, speaker settings from
// global-system-config, and the peer set from bgp-routers and virtual-routers (mesh, links, families,
// bad objects reported and left out).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BgpRouter, RoutingInstance, VirtualNetwork, VirtualRouter } from '../vnc/schema.js';
import type { ConfigProblem } from './errors.js';
import { instanceSpecs, normalizePrefix, peerSpecs, speakerSettings } from './config-model.js';
import { MASTER_FQ_NAME } from './names.js';

const vn = (name: string, id: number, extra: Partial<VirtualNetwork> = {}): VirtualNetwork => ({ uuid: `vn-${name}`, fq_name: ['default-domain', 'p', name], virtual_network_network_id: id, ...extra });
const ri = (name: string, refs: [string, string | null][], extra: Partial<RoutingInstance> = {}): RoutingInstance => ({
  uuid: `ri-${name}`, fq_name: ['default-domain', 'p', name, name], parent_uuid: `vn-${name}`, routing_instance_is_default: true,
  route_target_refs: refs.map(([t, ie]) => ({ to: [t], uuid: t, attr: { import_export: ie as 'import' | 'export' | null } })), ...extra,
});

test('instance specs: import = both|import, export = both|export, VN index, VXLAN id, external, master left out', () => {
  const problems: ConfigProblem[] = [];
  const specs = instanceSpecs([
    ri('a', [['target:64512:8000001', null], ['target:64512:8000002', 'import'], ['target:64512:100', 'export']]),
    ri('b', [['bogus', null]]),
    { uuid: 'master', fq_name: [...MASTER_FQ_NAME] },
  ], [vn('a', 5, { router_external: true, virtual_network_properties: { vxlan_network_identifier: 5005 } }), vn('b', 6)], problems);
  assert.deepEqual(specs.map((s) => s.name), ['default-domain:p:a:a', 'default-domain:p:b:b']);
  const a = specs[0];
  assert.deepEqual(a.importTargets, ['target:64512:8000001', 'target:64512:8000002']);
  assert.deepEqual(a.exportTargets, ['target:64512:100', 'target:64512:8000001']);
  assert.equal(a.vnIndex, 5);
  assert.equal(a.vxlanId, 5005);
  assert.equal(a.external, true);
  assert.equal(a.virtualNetwork, 'default-domain:p:a');
  assert.deepEqual(specs[1].importTargets, []);
  assert.equal(problems.length, 1);
  assert.equal(problems[0].code, 'CONTROL_BAD_CONFIG');
  assert.match(problems[0].message, /bogus/);
});

test('static routes: normalized prefixes; a bad entry is reported and skipped', () => {
  const problems: ConfigProblem[] = [];
  const [s] = instanceSpecs([ri('a', [], { static_route_entries: { route: [
    { prefix: '172.16.0.9/24', next_hop: '10.0.0.1', route_target: ['target:1:1', 'nope'] },
    { prefix: '300.1.1.1/8', next_hop: '10.0.0.1' },
    { prefix: '10.9.9.9', next_hop: 'x' },
  ] } })], [vn('a', 1)], problems);
  assert.deepEqual(s.staticRoutes, [{ prefix: '172.16.0.0/24', nextHop: '10.0.0.1', routeTargets: ['target:1:1'], communities: [] }]);
  assert.equal(problems.length, 3);
  assert.equal(normalizePrefix('10.1.2.3'), '10.1.2.3/32');
  assert.equal(normalizePrefix('10.1.2.3/0'), '0.0.0.0/0');
});

test('speaker settings: defaults, ASN, graceful restart and its helper flags', () => {
  const d = speakerSettings(undefined);
  assert.equal(d.asn, 64512);
  assert.equal(d.gracefulRestart.enable, false);
  assert.equal(d.gracefulRestart.agentHelper, false);
  assert.equal(d.ibgpAutoMesh, true);
  const s = speakerSettings({ uuid: 'g', fq_name: ['default-global-system-config'], autonomous_system: 65001, ibgp_auto_mesh: false,
    graceful_restart_parameters: { enable: true, restart_time: 60, end_of_rib_timeout: 30, bgp_helper_enable: false } });
  assert.deepEqual(s.gracefulRestart, { enable: true, restartTime: 60, endOfRibTimeout: 30, agentHelper: true, bgpHelper: false });
  assert.equal(s.asn, 65001);
  assert.equal(s.ibgpAutoMesh, false);
});

const br = (name: string, params: BgpRouter['bgp_router_parameters'], refs: string[] = []): BgpRouter => ({
  uuid: `br-${name}`, fq_name: [...MASTER_FQ_NAME, name], bgp_router_parameters: params,
  bgp_router_refs: refs.map((r) => ({ to: [...MASTER_FQ_NAME, r], uuid: `br-${r}`, attr: { session: [] } })),
});
const vr = (name: string, ip: string | null): VirtualRouter => ({ uuid: `vr-${name}`, fq_name: ['default-global-system-config', name], virtual_router_ip_address: ip });

test('peers: agents from virtual-routers, control nodes meshed, routers only when linked, with their families', () => {
  const problems: ConfigProblem[] = [];
  const peers = peerSpecs({
    self: { name: 'cn1', address: '10.0.0.1' },
    settings: speakerSettings(undefined),
    bgpRouters: [
      br('cn1', { router_type: 'control-node', address: '10.0.0.1' }),
      br('cn2', { router_type: 'control-node', address: '10.0.0.2', port: 1179 }),
      br('gw', { router_type: 'router', address: '10.0.0.9', autonomous_system: 65000, address_families: { family: ['inet', 'inet-vpn', 'route-target', 'erm-vpn'] } }, ['cn1']),
      br('gw-unlinked', { router_type: 'router', address: '10.0.0.8' }),
      br('cn3', { router_type: 'control-node', address: '10.0.0.3' }),
      br('down', { router_type: 'router', address: '10.0.0.7', admin_down: true }, ['cn1']),
    ],
    virtualRouters: [vr('node1', '10.1.0.1'), vr('node2', '10.1.0.2'), vr('bad', 'x'), vr('dup', '10.0.0.2')],
  }, problems);
  const by = new Map(peers.map((p) => [p.address, p]));
  assert.deepEqual([...by.keys()].sort(), ['10.0.0.2', '10.0.0.3', '10.0.0.9', '10.1.0.1', '10.1.0.2']);
  assert.equal(by.get('10.0.0.3')!.port, 1179, 'a control node without a port: our default BGP port');
  const cn2 = by.get('10.0.0.2')!;
  assert.equal(cn2.kind, 'control-node');
  assert.equal(cn2.port, 1179);
  assert.deepEqual(cn2.families, ['inet-vpn', 'route-target', 'e-vpn']);
  assert.equal(cn2.rrClient, false);
  const gw = by.get('10.0.0.9')!;
  assert.equal(gw.asn, 65000);
  assert.deepEqual(gw.families, ['inet', 'inet-vpn', 'route-target'], 'erm-vpn is not carried');
  assert.equal(gw.port, 179);
  const n1 = by.get('10.1.0.1')!;
  assert.deepEqual([n1.kind, n1.passive, n1.rrClient, n1.name], ['agent', true, true, 'node1']);
  assert.deepEqual(problems.map((p) => p.fqName).sort(), ['default-global-system-config:bad', 'default-global-system-config:dup', `${MASTER_FQ_NAME.join(':')}:gw`].sort());
});

test('peers: without auto mesh a control node is a peer only along bgp_router_refs', () => {
  const settings = speakerSettings({ uuid: 'g', fq_name: ['default-global-system-config'], ibgp_auto_mesh: false });
  const routers = [br('cn1', { router_type: 'control-node', address: '10.0.0.1' }), br('cn2', { router_type: 'control-node', address: '10.0.0.2' })];
  assert.equal(peerSpecs({ self: { name: 'cn1', address: '10.0.0.1' }, settings, bgpRouters: routers, virtualRouters: [] }).length, 0);
  routers.push(br('cn3', { router_type: 'control-node', address: '10.0.0.3' }, ['cn1']));
  assert.deepEqual(peerSpecs({ self: { name: 'cn1', address: '10.0.0.1' }, settings, bgpRouters: routers, virtualRouters: [] }).map((p) => p.address), ['10.0.0.3']);
});
