// Two control nodes (tfctl serve control processes), agents simulated by our BGP speaker in this process,
// and gobgpd as an RTC-capable gateway in a network namespace of its own, all on 100.64.R.0/24 across a
// veth pair (gobgpd drops next hops in 127/8). Checks: routes leak only where route targets say; an
// agent receives only the routes of the VRFs it imports; the control nodes mesh (an agent on one gets
// the routes of an agent on the other); gobgpd receives the inet-vpn routes of the VN whose target it
// asked for (RTC), with next hop = the hosting node and label = the VN's VXLAN id, and its own route
// reaches the agents of that VN only; killing one control node (SIGKILL) keeps every route at the
// agents connected to both through the other.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { NetnsEnv, missing, rootSkip } from '../support/bgp-netns.js';
import { ConfigWriter, eventually, startConfigWithTransformer } from '../support/control-env.js';
import type { TestConfigApi } from '../support/config-api.js';
import { SimAgent, type SimVrf } from '../support/sim-agent.js';
import { freePort, spawnControlNode, type ControlProcess } from '../support/control-process.js';
import type { RouteTableView } from '../../src/control/introspect.js';

const skip = rootSkip || missing('gobgpd', 'gobgp');
const R = randomInt(1, 254);
const ip = (h: number) => `100.64.${R}.${h}`;
const CN1 = ip(1);
const CN2 = ip(2);
const GW = ip(254);

let env: NetnsEnv;
let api: TestConfigApi;
let cfg: ConfigWriter;
const cns = new Map<string, ControlProcess>();
const agents: SimAgent[] = [];
let red: SimVrf;
let blue: SimVrf;
let redTarget: string;

interface GobgpPath {
  nlri: { prefix?: string; labels?: number[]; rd?: unknown };
  attrs: { type: number; nexthop?: string; value?: unknown }[];
}

function gobgp(...args: string[]): string {
  return env.exec(['gobgp', '-u', '127.0.0.1', '-p', '50051', ...args]);
}
function adjIn(neighbor: string): Record<string, GobgpPath[]> {
  const out = gobgp('neighbor', neighbor, 'adj-in', '-a', 'vpnv4', '-j').trim();
  return out === '' || out === 'null' ? {} : (JSON.parse(out) as Record<string, GobgpPath[]>);
}
/** prefix → [next hop, label] as gobgpd holds them from one neighbour */
function fromNeighbor(neighbor: string): Map<string, [string | undefined, number | undefined]> {
  const m = new Map<string, [string | undefined, number | undefined]>();
  for (const paths of Object.values(adjIn(neighbor))) {
    for (const p of paths) {
      const mp = p.attrs.find((a) => a.type === 14);
      m.set(p.nlri.prefix ?? '?', [mp?.nexthop, p.nlri.labels?.[0]]);
    }
  }
  return m;
}

async function vrfOf(vn: { fq: string[]; index: number }): Promise<SimVrf> {
  const t = await eventually(async () => {
    const x = await cfg.targets(vn);
    return x.import.length > 0 && x;
  }, 'targets');
  return { vnIndex: vn.index, vrfIndex: vn.index, importTargets: t.import, exportTargets: t.export };
}

before(async () => {
  if (skip) return;
  env = NetnsEnv.create('ctg');
  const nsIf = `${env.hostIf.slice(0, -1)}n`;
  for (const h of [1, 2, 11, 12, 13, 14]) execFileSync('ip', ['addr', 'add', `${ip(h)}/32`, 'dev', env.hostIf]);
  execFileSync('ip', ['-n', env.ns, 'addr', 'add', `${GW}/24`, 'dev', nsIf]);
  execFileSync('ip', ['route', 'add', `${GW}/32`, 'dev', env.hostIf]);

  api = await startConfigWithTransformer();
  cfg = new ConfigWriter(api.client);
  const p = await cfg.project('ctg');
  const vRed = await cfg.network(p, 'red');
  const vBlue = await cfg.network(p, 'blue');
  red = await vrfOf(vRed);
  blue = await vrfOf(vBlue);
  redTarget = red.exportTargets[0];
  const [p1, p2] = [await freePort(CN1), await freePort(CN2)];
  await cfg.bgpRouter('cn1', { router_type: 'control-node', address: CN1, identifier: CN1, port: p1 });
  await cfg.bgpRouter('cn2', { router_type: 'control-node', address: CN2, identifier: CN2, port: p2 });
  await cfg.bgpRouter('gw', { router_type: 'router', vendor: 'gobgp', address: GW, identifier: GW, port: 179, address_families: { family: ['inet-vpn', 'route-target'] } }, ['cn1', 'cn2']);
  for (const [n, h] of [['a1', 11], ['a2', 12], ['a3', 13], ['a4', 14]] as const) await cfg.virtualRouter(n, ip(h));

  const rt = redTarget.replace(/^target:/, '');
  const conf = join(env.dir, 'gobgpd.toml');
  const neighbor = (addr: string) => `[[neighbors]]
  [neighbors.config]
    neighbor-address = "${addr}"
    peer-as = 64512
  [neighbors.transport.config]
    local-address = "${GW}"
    passive-mode = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "l3vpn-ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "rtc"
`;
  writeFileSync(conf, `[global.config]
  as = 64512
  router-id = "${GW}"
  port = 179
  local-address-list = ["${GW}"]
${neighbor(CN1)}${neighbor(CN2)}[[vrfs]]
  [vrfs.config]
    name = "red"
    id = 1
    rd = "64512:99"
    both-rt-list = ["${rt}"]
`);
  env.spawn(['gobgpd', '-f', conf, '--api-hosts', '127.0.0.1:50051', '-l', 'warn']);
  await eventually(() => /Peer/.test(gobgp('neighbor')), 'gobgpd API up');
  gobgp('global', 'rib', 'add', '-a', 'vpnv4', '10.99.0.0/24', 'label', '99', 'rd', '64512:99', 'rt', rt, 'nexthop', GW);
  gobgp('global', 'rib', 'add', '-a', 'vpnv4', '10.98.0.0/24', 'label', '98', 'rd', '64512:98', 'rt', '64512:98', 'nexthop', GW);

  cns.set(CN1, await spawnControlNode({ configApi: api.url, name: 'cn1', address: CN1, bgpPort: p1 }));
  cns.set(CN2, await spawnControlNode({ configApi: api.url, name: 'cn2', address: CN2, bgpPort: p2 }));
  const ports = { [CN1]: p1, [CN2]: p2 };
  const mk = (h: number, controls: string[]) => {
    const a = new SimAgent({ address: ip(h), controls: controls.map((c) => ({ address: c, port: ports[c] })) });
    agents.push(a);
    return a;
  };
  const [a1, a2, a3, a4] = [mk(11, [CN1]), mk(12, [CN2]), mk(13, [CN1, CN2]), mk(14, [CN1, CN2])];
  a1.subscribe(red);
  a1.advertise(red, '10.1.0.11/32');
  a2.subscribe(red);
  a2.advertise(red, '10.1.0.12/32');
  a3.subscribe(blue);
  a3.advertise(blue, '10.2.0.13/32');
  a4.subscribe(blue);
  a4.advertise(blue, '10.2.0.14/32');
  for (const a of agents) await a.start();
});

after(async () => {
  if (skip) return;
  for (const a of agents) await a.stop();
  for (const c of cns.values()) await c.kill9();
  await api?.close();
  await env?.destroy();
});

const byAddr = (h: number) => agents.find((a) => a.address === ip(h))!;

test('control nodes mesh, agents get exactly the VRFs they import, gateway routes reach the right VN', { skip }, async () => {
  const [a1, a2, a3, a4] = [11, 12, 13, 14].map(byAddr);
  await eventually(() => a1.prefixes().join() === '10.1.0.12/32,10.99.0.0/24', 'a1 (on cn1) gets a2\'s route (on cn2) and the gateway\'s red route', 30_000);
  await eventually(() => a2.prefixes().join() === '10.1.0.11/32,10.99.0.0/24', 'a2 gets a1\'s route', 30_000);
  await eventually(() => a3.prefixes().join() === '10.2.0.14/32' && a4.prefixes().join() === '10.2.0.13/32', 'blue agents see each other only', 30_000);
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(a3.prefixes(), ['10.2.0.14/32'], 'no red route, no gateway route at a blue agent');
  const gwRoute = a1.received().find((r) => r.prefix === '10.99.0.0/24')!;
  assert.equal(gwRoute.nextHop, GW);
  assert.equal(gwRoute.label, 99);
  const fromA2 = a1.received().find((r) => r.prefix === '10.1.0.12/32')!;
  assert.equal(fromA2.nextHop, ip(12), 'next hop = the hosting node, through both control nodes');
  assert.equal(fromA2.label, red.vnIndex);
  assert.ok(!a1.prefixes().includes('10.98.0.0/24'), 'a gateway route with a target nobody imports stays out');

  // the control nodes' red VRFs hold the gateway route; blue VRFs do not
  const res = await fetch(`${cns.get(CN1)!.introspect}/Snh_ShowRouteReq?routing_instance=default-domain:ctg:red:red&family=inet`);
  const body = (await res.json()) as { tables: RouteTableView[] };
  assert.deepEqual(body.tables[0].routes.map((r) => r.prefix), ['10.1.0.11/32', '10.1.0.12/32', '10.99.0.0/24']);
  const blueRes = (await (await fetch(`${cns.get(CN1)!.introspect}/Snh_ShowRouteReq?routing_instance=default-domain:ctg:blue:blue&family=inet`)).json()) as { tables: RouteTableView[] };
  assert.deepEqual(blueRes.tables[0].routes.map((r) => r.prefix), ['10.2.0.13/32', '10.2.0.14/32']);
});

test('gobgpd receives the inet-vpn routes of the VN whose target it asked for, next hop = hosting node, label = VXLAN id', { skip }, async () => {
  const m1 = await eventually(() => {
    const m = fromNeighbor(CN1);
    return m.has('10.1.0.11/32') && m;
  }, 'gobgpd has red routes from cn1', 30_000);
  const m2 = await eventually(() => {
    const m = fromNeighbor(CN2);
    return m.has('10.1.0.12/32') && m;
  }, 'gobgpd has red routes from cn2', 30_000);
  assert.deepEqual(m1.get('10.1.0.11/32'), [ip(11), red.vnIndex]);
  assert.deepEqual(m2.get('10.1.0.12/32'), [ip(12), red.vnIndex]);
  await new Promise((r) => setTimeout(r, 500));
  for (const m of [fromNeighbor(CN1), fromNeighbor(CN2)]) {
    for (const p of m.keys()) assert.ok(p.startsWith('10.1.0.'), `only red routes reach gobgpd (got ${p})`);
  }
  // our RTC routes: the targets the agents import, from each control node
  const rtc = gobgp('neighbor', CN1, 'adj-in', '-a', 'rtc');
  assert.match(rtc, new RegExp(redTarget.replace(/^target:/, '')));
  for (const t of blue.importTargets) assert.match(rtc, new RegExp(t.replace(/^target:/, '')));
});

test('killing one control node keeps every route at the agents through the other', { skip }, async () => {
  const [a3, a4] = [13, 14].map(byAddr);
  await eventually(() => a3.received().filter((r) => r.prefix === '10.2.0.14/32').length === 2, 'a3 has a4\'s route from both control nodes', 30_000);
  await cns.get(CN1)!.kill9();
  cns.delete(CN1);
  await eventually(() => !a3.established(CN1) && !a4.established(CN1), 'sessions with cn1 down', 30_000);
  await eventually(() => a3.received().every((r) => r.from === CN2), 'cn1\'s paths gone', 30_000);
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(a3.prefixes(), ['10.2.0.14/32']);
  assert.deepEqual(a4.prefixes(), ['10.2.0.13/32']);
  assert.equal(a3.received()[0].nextHop, ip(14));
});
