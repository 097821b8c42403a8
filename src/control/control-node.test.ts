// The control node against a real config API (with the schema transformer) and agents simulated by our
// BGP speaker over loopback TCP: instances and tables from config, route-target leaking, RTC filtering
// toward agents, policies moving routes without restarts, the virtual-router gate on sessions, static
// routes exported VRF → VPN, external networks exported as inet routes, graceful restart, introspect.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigWriter, eventually, loopbackBlock, startConfigWithTransformer } from '../../test/support/control-env.js';
import type { TestConfigApi } from '../../test/support/config-api.js';
import { SimAgent, type SimVrf } from '../../test/support/sim-agent.js';
import { Speaker } from '../bgp/speaker.js';
import { startControlNode, type ControlNode } from './control-node.js';
import { MASTER_INSTANCE } from './names.js';
import type { RouteTableView } from './introspect.js';
import { ctrOutput, introspectFetcher, RemoteError } from '../cli/ctr.js';

const host = loopbackBlock();
const CN = host(1);
let api: TestConfigApi;
let cfg: ConfigWriter;
let cn: ControlNode;
const agents: SimAgent[] = [];
const speakers: Speaker[] = [];
let project: string[];
let red: { uuid: string; fq: string[]; index: number };
let blue: { uuid: string; fq: string[]; index: number };
let green: { uuid: string; fq: string[]; index: number };

before(async () => {
  api = await startConfigWithTransformer();
  cfg = new ConfigWriter(api.client);
  project = await cfg.project('cn-test');
  red = await cfg.network(project, 'red');
  blue = await cfg.network(project, 'blue');
  green = await cfg.network(project, 'green');
  cn = await startControlNode({ configApi: api.url, name: 'cn1', routerId: CN, bgpAddress: CN, bgpPort: 0, introspectPort: 0, connectRetryTime: 1 });
});

after(async () => {
  for (const a of agents) await a.stop();
  for (const s of speakers) await s.stop();
  await cn?.stop();
  await api?.close();
});

async function vrfOf(vn: { fq: string[] }): Promise<SimVrf> {
  const t = await eventually(async () => {
    const x = await cfg.targets(vn);
    return x.import.length > 0 && x;
  }, `targets of ${vn.fq.join(':')}`);
  const full = await api.client.readByFqName('virtual-network', vn.fq);
  return { vnIndex: full.virtual_network_network_id!, vrfIndex: full.virtual_network_network_id!, importTargets: t.import, exportTargets: t.export };
}

async function agent(name: string, h: number): Promise<SimAgent> {
  await cfg.virtualRouter(name, host(h));
  const a = new SimAgent({ address: host(h), controls: [{ address: CN, port: cn.bgpPort }] });
  agents.push(a);
  await a.start();
  await eventually(() => a.established(CN), `${name} established`);
  return a;
}

const riName = (vn: { fq: string[] }) => [...vn.fq, vn.fq[vn.fq.length - 1]].join(':');
const vrfPrefixes = (vn: { fq: string[] }) => {
  const v = cn.runtime?.vrf(riName(vn));
  return v ? [...v.inet.routes()].map((r) => (r.nlri as { prefix: string }).prefix).sort() : [];
};

async function introspect<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`http://127.0.0.1:${cn.introspectPort}${path}`);
  return { status: res.status, body: (await res.json()) as T };
}

test('a VRF per routing instance, named as the original, and the master instance tables', async () => {
  await eventually(() => cn.runtime?.vrf(riName(green)), 'green VRF');
  const names = cn.runtime!.tables().map((t) => t.name);
  for (const t of ['inet.0', 'bgp.l3vpn.0', 'bgp.rtarget.0', 'bgp.evpn.0']) assert.ok(names.includes(t), t);
  assert.ok(names.includes('default-domain:cn-test:red:red.inet.0'));
  assert.ok(names.includes('default-domain:cn-test:red:red.evpn.0'));
  assert.ok(names.includes('default-domain:default-project:ip-fabric:ip-fabric.inet.0'));
  assert.ok(!names.some((n) => n.startsWith(`${MASTER_INSTANCE}.`)), 'the master instance has no VRF tables');
  // the transformer writes the target refs, and they reach the control node through the change feed: wait
  const t = await eventually(async () => {
    const x = await cfg.targets(red);
    return x.import.length > 0 && x;
  }, 'targets of red');
  const r = await eventually(async () => {
    const { body } = await introspect<{ instances: { name: string; import_target: string[]; export_target: string[]; vn_index: number; vxlan_id: number }[] }>('/Snh_ShowRoutingInstanceReq?search_string=cn-test:red');
    const x = body.instances.find((i) => i.name === riName(red));
    return x && x.import_target.length === t.import.length && x;
  }, 'red instance with its targets');
  assert.deepEqual(r.import_target, t.import);
  assert.deepEqual(r.export_target, t.export);
  assert.equal(r.vn_index, red.index);
  assert.equal(r.vxlan_id, red.index);
});

test('sessions are accepted only from configured virtual-routers', async () => {
  const stranger = new SimAgent({ address: host(90), controls: [{ address: CN, port: cn.bgpPort }] });
  agents.push(stranger);
  await stranger.start();
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(stranger.established(CN), false, 'no session from an address that is no virtual-router');
  await cfg.virtualRouter('stranger', host(90));
  await eventually(() => stranger.established(CN), 'session once the virtual-router exists');
  const { body } = await introspect<{ neighbors: { peer: string; peer_address: string; router_type: string; encoding: string; state: string }[] }>('/Snh_BgpNeighborReq');
  const n = body.neighbors.find((x) => x.peer_address === host(90))!;
  assert.equal(n.peer, 'stranger');
  assert.equal(n.router_type, 'agent');
  assert.equal(n.encoding, 'BGP');
  assert.equal(n.state, 'Established');
});

test('routes leak only where route targets say, agents get only what they import, a policy moves routes both ways', async () => {
  const [vRed, vBlue, vGreen] = [await vrfOf(red), await vrfOf(blue), await vrfOf(green)];
  const a1 = await agent('node-1', 11);
  const a2 = await agent('node-2', 12);
  const a3 = await agent('node-3', 13);
  a1.subscribe(vRed);
  a1.advertise(vRed, '10.1.0.1/32');
  a2.subscribe(vRed);
  a2.subscribe(vBlue);
  a2.advertise(vRed, '10.1.0.2/32');
  a2.advertise(vBlue, '10.2.0.2/32');
  a3.subscribe(vGreen);
  a3.advertise(vGreen, '10.3.0.3/32');

  await eventually(() => vrfPrefixes(red).join() === '10.1.0.1/32,10.1.0.2/32', 'red VRF');
  await eventually(() => vrfPrefixes(blue).join() === '10.2.0.2/32', 'blue VRF');
  await eventually(() => vrfPrefixes(green).join() === '10.3.0.3/32', 'green VRF');
  await eventually(() => a1.prefixes().join() === '10.1.0.2/32', 'a1 gets red from a2');
  await eventually(() => a3.prefixes().length === 0 && a2.prefixes().join() === '10.1.0.1/32', 'a2 gets red from a1');
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(a1.prefixes(), ['10.1.0.2/32'], 'a1 imports red only: no blue, no green');
  assert.deepEqual(a3.prefixes(), [], 'green has no other member');
  const got = a1.received().find((r) => r.prefix === '10.1.0.2/32')!;
  assert.equal(got.nextHop, host(12), 'next hop = the hosting node');
  assert.equal(got.label, vRed.vnIndex, 'label = VXLAN id');
  assert.equal(got.rd, `${host(12)}:${vRed.vrfIndex}`);

  // a policy between red and green: each imports the other's targets
  const np = await cfg.connect(project, 'red-green', red, green);
  await eventually(() => vrfPrefixes(red).join() === '10.1.0.1/32,10.1.0.2/32,10.3.0.3/32', 'green route in red');
  await eventually(() => vrfPrefixes(green).join() === '10.1.0.1/32,10.1.0.2/32,10.3.0.3/32', 'red routes in green');
  assert.deepEqual(vrfPrefixes(blue), ['10.2.0.2/32'], 'blue untouched');
  // the agents learn the new import targets (as a real agent would from config) and subscribe
  const [vRed2, vGreen2] = [await vrfOf(red), await vrfOf(green)];
  a1.subscribe(vRed2);
  a3.subscribe(vGreen2);
  await eventually(() => a1.prefixes().join() === '10.1.0.2/32,10.3.0.3/32', 'a1 gets green');
  await eventually(() => a3.prefixes().join() === '10.1.0.1/32,10.1.0.2/32', 'a3 gets red');

  // the policy goes: routes leave the other VRF without any restart
  await cfg.disconnect(np, red, green);
  await eventually(() => vrfPrefixes(red).join() === '10.1.0.1/32,10.1.0.2/32', 'green route gone from red');
  await eventually(() => vrfPrefixes(green).join() === '10.3.0.3/32', 'red routes gone from green');
  a1.unsubscribe(vRed2);
  a1.subscribe(vRed);
  a3.unsubscribe(vGreen2);
  a3.subscribe(vGreen);
  await eventually(() => a1.prefixes().join() === '10.1.0.2/32' && a3.prefixes().length === 0, 'agents back to their own VRFs');

  // withdrawals reach the VRF and the other agent
  a2.withdraw(vRed, '10.1.0.2/32');
  await eventually(() => vrfPrefixes(red).join() === '10.1.0.1/32', 'withdrawn from red');
  await eventually(() => a1.prefixes().length === 0, 'withdrawn at a1');
});

test('RTC: the control node asks gateways and peers for exactly the targets its agents import', async () => {
  const vBlue = await vrfOf(blue);
  await eventually(() => cn.runtime!.rtcTargets().includes(vBlue.importTargets[0]), 'blue target originated');
  const all = cn.runtime!.rtcTargets();
  const vGreen = await vrfOf(green);
  for (const t of vGreen.importTargets) assert.ok(all.includes(t), `green ${t} asked (a3 imports it)`);
  const rtc = [...cn.runtime!.speaker.table('route-target').routes()].filter((r) => r.paths.some((p) => p.source === 0));
  assert.equal(rtc.length, all.length, 'one local RTC route per target');
});

test('introspect: route summary, route show with filters, errors', async () => {
  await eventually(() => vrfPrefixes(red).length === 1, 'red settled');
  const sum = await introspect<{ tables: { name: string; prefixes: number; paths: number; primary_paths: number; secondary_paths: number }[] }>('/Snh_ShowRouteSummaryReq');
  const redSum = sum.body.tables.find((t) => t.name === `${riName(red)}.inet.0`)!;
  assert.deepEqual([redSum.prefixes, redSum.paths, redSum.primary_paths, redSum.secondary_paths], [1, 1, 1, 0], 'the agent route is primary in its own VRF');
  const vpn = sum.body.tables.find((t) => t.name === 'bgp.l3vpn.0')!;
  assert.equal(vpn.primary_paths, 0, 'VPN copies of agent routes are secondary (origin VN known)');

  const r = await introspect<{ tables: RouteTableView[] }>(`/Snh_ShowRouteReq?routing_table=${riName(red)}.inet.0&prefix=10.1.0.1`);
  assert.equal(r.status, 200);
  assert.equal(r.body.tables.length, 1);
  const route = r.body.tables[0].routes[0];
  assert.equal(route.prefix, '10.1.0.1/32', 'a bare address is a longest match');
  const p = route.paths[0];
  assert.equal(p.protocol, 'BGP');
  assert.equal(p.source, 'node-1');
  assert.equal(p.next_hop, host(11));
  assert.equal(p.local_preference, 200);
  assert.deepEqual(p.tunnel_encap, ['vxlan']);
  assert.equal(p.origin_vn, red.fq.join(':'));
  assert.equal(p.primary, true);
  assert.ok(p.secondary_tables.includes('bgp.l3vpn.0'));

  const lm = await introspect<{ tables: RouteTableView[] }>('/Snh_ShowRouteReq?prefix=10.1.0.0/16&longer_match=true&family=inet');
  assert.deepEqual(lm.body.tables.map((t) => t.routing_table_name), [`${riName(red)}.inet.0`]);
  const bySource = await introspect<{ tables: RouteTableView[] }>('/Snh_ShowRouteReq?source=node-3&family=inet');
  assert.deepEqual(bySource.body.tables.flatMap((t) => t.routes.map((x) => x.prefix)), ['10.3.0.3/32']);
  const bad = await introspect<{ error: { code: string } }>('/Snh_ShowRouteReq?prefix=10.1.0.0/40');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'CONTROL_BAD_QUERY');
  const missing = await introspect<{ error: { code: string } }>('/Snh_ShowRouteReq?routing_table=nope.inet.0');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'CONTROL_NOT_FOUND');
  const health = await fetch(`http://127.0.0.1:${cn.introspectPort}/healthz`);
  assert.equal(health.status, 200);
  const metrics = await (await fetch(`http://127.0.0.1:${cn.introspectPort}/metrics`)).text();
  assert.match(metrics, /tf_control_peers\{state="Established"\} \d+/);
});

test('tfctl ctr against the live node: route show, summary, nei, tables; -o json; errors', async () => {
  await eventually(() => vrfPrefixes(red).join() === '10.1.0.1/32', 'red holds one route');
  const get = introspectFetcher(`http://127.0.0.1:${cn.introspectPort}`);
  const mask = (s: string) => s.replace(/age: [\d:. days]+,/g, 'age: <age>,').replace(/last_modified: \S+ \S+/g, 'last_modified: <time>');
  const show = await ctrOutput(['route', 'show', '-t', `${riName(red)}.inet.0`], get);
  assert.equal(mask(show), [
    '',
    `${riName(red)}.inet.0: 1 destinations, 1 routes (1 primary, 0 secondary, 0 infeasible)`,
    '',
    '10.1.0.1/32, age: <age>, last_modified: <time>',
    `    [BGP|node-1] age: <age>, localpref: 200, nh: ${host(11)}, encap: ['vxlan'], label: ${red.index}, AS path: None`,
  ].join('\n'));
  const lpm = await ctrOutput(['route', 'show', '10.1.0.1'], get);
  assert.match(lpm, new RegExp(`${riName(red)}\\.inet\\.0: 1 destinations`));
  assert.match(lpm, /bgp\.l3vpn\.0: \d+ destinations, \d+ routes \(\d+ primary, \d+ secondary, 0 infeasible\)\n\n[\d.]+:\d+:10\.1\.0\.1\/32, age/);
  const summary = await ctrOutput(['route', 'summary', 'cn-test:red'], get);
  assert.match(summary, /\| default-domain:cn-test:red:red\.inet\.0 +\| 1 +\| 1 +\| 1 +\| 0 +\| 0 +\|/);
  const nei = await ctrOutput(['nei', 'node-1'], get);
  assert.match(nei, new RegExp(`\\| node-1 +\\| ${host(11).replace(/\./g, '\\.')} +\\| 64512 +\\| BGP +\\| internal +\\| Established +\\| in sync +\\| 0 +\\| n/a +\\|`));
  const tables = await ctrOutput(['route', 'tables'], get);
  assert.ok(tables.split('\n').includes(`name: ${riName(red)}.inet.0`));
  const status = await ctrOutput(['status'], get);
  assert.match(status, /^module_id: contrail-control\nstate: Functional\n/);
  const json = JSON.parse(await ctrOutput(['-o', 'json', 'route', 'show', '-t', `${riName(red)}.inet.0`], get)) as { tables: RouteTableView[] };
  assert.equal(json.tables[0].routes[0].paths[0].source, 'node-1');
  await assert.rejects(ctrOutput(['route', 'show', '-t', 'nope.inet.0'], get), (e: unknown) => e instanceof RemoteError && /CONTROL_NOT_FOUND/.test(e.message));
  await assert.rejects(ctrOutput(['status'], introspectFetcher('http://127.0.0.1:1')), (e: unknown) => e instanceof RemoteError && /cannot reach/.test(e.message));
  await assert.rejects(ctrOutput(['route', 'bogus'], get), /unknown route command/);
});

test('a static route is exported VRF → VPN with the export targets and follows a target change', async () => {
  const vBlue = await vrfOf(blue);
  const a2 = agents.find((a) => a.address === host(12))!;
  const ri = await api.client.readByFqName('routing-instance', [...blue.fq, 'blue']);
  await api.client.update('routing-instance', ri.uuid, { static_route_entries: { route: [{ prefix: '172.16.0.0/24', next_hop: '10.2.0.2', route_target: ['target:64512:777'] }] } });
  await eventually(() => vrfPrefixes(blue).includes('172.16.0.0/24'), 'static route in blue');
  const vpn = [...cn.runtime!.speaker.table('inet-vpn').routes()].find((r) => (r.nlri as { prefix: string }).prefix === '172.16.0.0/24')!;
  assert.ok(vpn, 'exported to bgp.l3vpn.0');
  const p = vpn.paths[0];
  assert.equal(p.attrs.nextHop, host(12), 'takes the next hop of the route it resolves through');
  for (const t of [...vBlue.exportTargets, 'target:64512:777']) assert.ok(p.attrs.extCommunities?.includes(t), t);
  // an agent importing blue receives it
  await eventually(() => a2.prefixes().includes('172.16.0.0/24') || undefined, 'agent gets the static route');
  // importing target 777 in red (a configured import target) moves a copy into red
  await api.client.update('virtual-network', red.uuid, { import_route_target_list: { route_target: ['target:64512:777'] } });
  await eventually(() => vrfPrefixes(red).includes('172.16.0.0/24'), 'copy in red via target 777');
  await api.client.update('virtual-network', red.uuid, { import_route_target_list: { route_target: [] } });
  await eventually(() => !vrfPrefixes(red).includes('172.16.0.0/24'), 'gone from red');
  await api.client.update('routing-instance', ri.uuid, { static_route_entries: { route: [] } });
  await eventually(() => !vrfPrefixes(blue).includes('172.16.0.0/24'), 'static route removed');
});

test('external networks: routes go to routers with the inet family as prefix → hosting node', async () => {
  const pub = await cfg.network(project, 'public', { router_external: true });
  const vPub = await vrfOf(pub);
  const gwAddr = host(50);
  await cfg.bgpRouter('cn1', { router_type: 'control-node', address: CN, identifier: CN, autonomous_system: 64512 });
  await cfg.bgpRouter('gw1', { router_type: 'router', address: gwAddr, identifier: gwAddr, autonomous_system: 64512, port: 1, address_families: { family: ['inet'] } }, ['cn1']);
  const gw = new Speaker({ asn: 64512, routerId: gwAddr, listen: false, holdTime: 30, connectRetryTime: 1 });
  speakers.push(gw);
  gw.addPeer({ address: CN, port: cn.bgpPort, localAddress: gwAddr, asn: 64512, families: ['inet'] });
  await gw.start();
  await eventually(() => gw.peer(CN)?.state === 'Established', 'gateway session');
  const a1 = agents.find((a) => a.address === host(11))!;
  a1.subscribe(vPub);
  a1.advertise(vPub, '203.0.113.10/32');
  const got = await eventually(() => gw.table('inet').get({ family: 'inet', prefix: '203.0.113.10/32' }), 'FIP route at the gateway');
  assert.equal(got.paths[0].attrs.nextHop, host(11), 'next hop = the node hosting the address');
  assert.equal(got.paths[0].label, -1, 'plain inet: no label');
  const ri = (await introspect<{ instances: { external: boolean; inet_exports: { prefix: string; next_hop: string }[] }[] }>('/Snh_ShowRoutingInstanceReq?search_string=cn-test:public')).body.instances[0];
  assert.equal(ri.external, true);
  assert.deepEqual(ri.inet_exports, [{ prefix: '203.0.113.10/32', next_hop: host(11), next_hops: [host(11)] }]);
  assert.equal(gw.table('inet-vpn').size, 0);
  a1.withdraw(vPub, '203.0.113.10/32');
  await eventually(() => !gw.table('inet').get({ family: 'inet', prefix: '203.0.113.10/32' }), 'withdrawn at the gateway');
});

test('a router without route-target membership gets the VPN routes of operator-configured targets only', async () => {
  const gwAddr = host(51);
  await eventually(async () => (await api.client.list('bgp-router')).some((b) => b.fq_name[b.fq_name.length - 1] === 'cn1'), 'cn1 bgp-router');
  await cfg.bgpRouter('gw2', { router_type: 'router', address: gwAddr, identifier: gwAddr, autonomous_system: 64512, address_families: { family: ['inet-vpn'] } }, ['cn1']);
  const gw = new Speaker({ asn: 64512, routerId: gwAddr, listen: false, holdTime: 30, connectRetryTime: 1 });
  speakers.push(gw);
  gw.addPeer({ address: CN, port: cn.bgpPort, localAddress: gwAddr, asn: 64512, families: ['inet-vpn'] });
  await gw.start();
  await eventually(() => gw.peer(CN)?.state === 'Established', 'gateway session (no RTC)');
  const a2 = agents.find((a) => a.address === host(12))!;
  const gwPrefixes = () => [...gw.table('inet-vpn').routes()].map((r) => (r.nlri as { prefix: string }).prefix).sort();
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(gwPrefixes(), [], 'no configured target yet: nothing');
  // the operator gives blue a target for the data-center gateway; the agents export it (as they would after reading the config)
  await api.client.update('virtual-network', blue.uuid, { route_target_list: { route_target: ['target:64512:1000'] } });
  const vBlue = await eventually(async () => {
    const v = await vrfOf(blue);
    return v.exportTargets.includes('target:64512:1000') && v;
  }, 'blue exports target 1000');
  a2.advertise(vBlue, '10.2.0.2/32');
  await eventually(() => gwPrefixes().join() === '10.2.0.2/32', 'blue route at the gateway', 10_000);
  const p = [...gw.table('inet-vpn').routes()][0].paths[0];
  assert.equal(p.attrs.nextHop, host(12), 'next hop = the hosting node');
  assert.deepEqual(cn.runtime!.gatewayTargets(), ['target:64512:1000']);
  // the target goes away: the route is withdrawn from the gateway
  await api.client.update('virtual-network', blue.uuid, { route_target_list: { route_target: [] } });
  await eventually(() => gwPrefixes().length === 0, 'withdrawn when the target is no longer configured', 10_000);
});

test('bad config is reported and left out: a virtual-router with a bad address gets no session', async () => {
  await cfg.virtualRouter('broken', 'not-an-ip');
  await eventually(() => cn.problems.some((p) => p.message.includes('broken')), 'problem reported');
  const st = await introspect<{ config_problems: { code: string; message: string }[] }>('/status');
  assert.ok(st.body.config_problems.some((p) => p.code === 'CONTROL_BAD_CONFIG' && p.message.includes('not-an-ip')));
  assert.ok(!cn.runtime!.speaker.peers().some((p) => p.address === 'not-an-ip'));
});

test('a second control node registers itself (--register) and meshes with the first', async () => {
  const CN2 = host(2);
  const cn2 = await startControlNode({ configApi: api.url, name: 'cn2', routerId: CN2, bgpAddress: CN2, bgpPort: 0, introspectPort: false, connectRetryTime: 1, register: true });
  try {
    const b = await api.client.readByFqName('bgp-router', [...MASTER_INSTANCE.split(':'), 'cn2']);
    assert.equal(b.bgp_router_parameters?.router_type, 'control-node');
    assert.equal(b.bgp_router_parameters?.address, CN2);
    assert.equal(b.bgp_router_parameters?.port, cn2.bgpPort, 'the port bound is registered');
    await eventually(() => cn2.runtime?.speaker.peers().some((p) => p.address === CN), 'cn2 peers with cn1 (auto mesh)');
    await eventually(() => cn.runtime!.speaker.peer(CN2)?.state === 'Established' && cn2.runtime!.speaker.peer(CN)?.state === 'Established', 'mesh session up');
    const n = (await introspect<{ neighbors: { peer: string; router_type: string; peer_type: string }[] }>('/Snh_BgpNeighborReq?search_string=cn2')).body.neighbors;
    assert.deepEqual(n.map((x) => [x.peer, x.router_type, x.peer_type]), [['cn2', 'control-node', 'internal']]);
    // cn2 has the routes of cn1's agents for the targets it asks for: none yet (no agents) — but cn1's RTC routes reached it
    await eventually(() => [...cn2.runtime!.speaker.table('route-target').routes()].some((r) => r.paths.some((p) => p.source !== 0)), 'RTC routes from cn1');
  } finally {
    await cn2.stop();
  }
});

test('an ASN change restarts the BGP speaker with the new ASN; instances come back', async () => {
  const before = cn.runtime!;
  const vrfs = before.vrfs().length;
  await cfg.globalSettings({ autonomous_system: 64513 });
  await eventually(() => cn.runtime && cn.runtime !== before && cn.runtime.settings.asn === 64513, 'new runtime with ASN 64513');
  await eventually(() => cn.runtime!.vrfs().length === vrfs, 'instances rebuilt');
  const st = await introspect<{ autonomous_system: number }>('/status');
  assert.equal(st.body.autonomous_system, 64513);
  assert.equal(cn.bgpPort, before.bgpPort, 'same BGP port');
});
