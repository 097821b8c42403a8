// The control node with bird2 as the lab's gateway (vpn4 + ipv4, no route-target constraint), in a
// network namespace of its own on 100.64.R.0/24 across a veth pair; agents simulated in this process.
// A router without RTC gets the VPN routes of the targets an operator configured on networks
// (route_target_list / export_route_target_list), nothing else; routes of an external network go to
// it as plain IPv4 routes with the hosting node as next hop (gateway-less external access); its own
// VPN route with a configured target reaches the agents of the network that imports that target.
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
import { startControlNode, type ControlNode } from '../../src/control/control-node.js';

const skip = rootSkip || missing('bird', 'birdc');
const R = randomInt(1, 254);
const ip = (h: number) => `100.65.${R}.${h}`;
const CN = ip(1);
const GW = ip(254);

let env: NetnsEnv;
let api: TestConfigApi;
let cn: ControlNode;
let sock: string;
const agents: SimAgent[] = [];
let dc: SimVrf;
let internal: SimVrf;
let pub: SimVrf;

const birdc = (...args: string[]) => env.exec(['birdc', '-s', sock, ...args]);

before(async () => {
  if (skip) return;
  env = NetnsEnv.create('ctb');
  const nsIf = `${env.hostIf.slice(0, -1)}n`;
  for (const h of [1, 11, 12]) execFileSync('ip', ['addr', 'add', `${ip(h)}/32`, 'dev', env.hostIf]);
  execFileSync('ip', ['-n', env.ns, 'addr', 'add', `${GW}/24`, 'dev', nsIf]);
  execFileSync('ip', ['route', 'add', `${GW}/32`, 'dev', env.hostIf]);

  api = await startConfigWithTransformer();
  const cfg = new ConfigWriter(api.client);
  const p = await cfg.project('ctb');
  const vrfOf = async (vn: { fq: string[]; index: number }): Promise<SimVrf> => {
    const t = await eventually(async () => {
      const x = await cfg.targets(vn);
      return x.import.length > 0 && x;
    }, 'targets');
    return { vnIndex: vn.index, vrfIndex: vn.index, importTargets: t.import, exportTargets: t.export };
  };
  const vDc = await cfg.network(p, 'dc', { route_target_list: { route_target: ['target:64512:1000'] } });
  dc = await eventually(async () => {
    const v = await vrfOf(vDc);
    return v.exportTargets.includes('target:64512:1000') && v;
  }, 'dc targets');
  internal = await vrfOf(await cfg.network(p, 'internal'));
  pub = await vrfOf(await cfg.network(p, 'public', { router_external: true }));
  await cfg.bgpRouter('cn', { router_type: 'control-node', address: CN, identifier: CN });
  await cfg.bgpRouter('bird', { router_type: 'router', vendor: 'bird', address: GW, identifier: GW, port: 179, address_families: { family: ['inet', 'inet-vpn'] } }, ['cn']);
  await cfg.virtualRouter('b1', ip(11));
  await cfg.virtualRouter('b2', ip(12));

  const conf = join(env.dir, 'bird.conf');
  sock = join(env.dir, 'bird.ctl');
  writeFileSync(conf, `router id ${GW};
vpn4 table vpntab4;
protocol device {}
protocol direct { ipv4; interface "*"; }
protocol static injv {
  vpn4 { table vpntab4; import filter { bgp_ext_community.add((rt, 64512, 1000)); accept; }; };
  route 64512:1000 10.90.0.0/24 blackhole;
}
protocol bgp cn {
  local ${GW} port 179 as 64512;
  neighbor ${CN} as 64512;
  passive on;
  ipv4 { import all; export none; };
  vpn4 mpls { table vpntab4; import all; export where proto = "injv"; next hop self; igp table master4; };
}
`);
  env.spawn(['bird', '-f', '-c', conf, '-s', sock, '-P', join(env.dir, 'bird.pid')]);
  await eventually(() => /cn/.test(birdc('show', 'protocols')), 'bird2 up');

  cn = await startControlNode({ configApi: api.url, name: 'cn', routerId: CN, bgpAddress: CN, bgpPort: 0, introspectPort: 0, connectRetryTime: 1 });
  const a1 = new SimAgent({ address: ip(11), controls: [{ address: CN, port: cn.bgpPort }] });
  const a2 = new SimAgent({ address: ip(12), controls: [{ address: CN, port: cn.bgpPort }] });
  agents.push(a1, a2);
  a1.subscribe(dc);
  a1.advertise(dc, '10.10.0.1/32');
  a1.subscribe(pub);
  a1.advertise(pub, '203.0.113.21/32');
  a2.subscribe(internal);
  a2.advertise(internal, '10.20.0.2/32');
  for (const a of agents) await a.start();
  await eventually(() => cn.runtime!.speaker.peer(GW)?.state === 'Established', 'session with bird2', 30_000);
});

after(async () => {
  if (skip) return;
  for (const a of agents) await a.stop();
  await cn?.stop();
  await api?.close();
  await env?.destroy();
});

test('bird2 (no RTC) gets the VPN routes of the operator-configured target only, next hop = node, label = VXLAN id', { skip }, async () => {
  const text = await eventually(() => {
    const t = birdc('show', 'route', 'table', 'vpntab4', 'protocol', 'cn', 'all');
    return /10\.10\.0\.1\/32/.test(t) ? t : undefined;
  }, 'the dc route in bird2', 30_000);
  assert.match(text, new RegExp(`${ip(11).replace(/\./g, '\\.')}:${dc.vrfIndex} 10\\.10\\.0\\.1/32`));
  assert.match(text, new RegExp(`BGP\\.mpls_label_stack: ${dc.vnIndex}\\b`));
  assert.match(text, new RegExp(`BGP\\.next_hop: ${ip(11).replace(/\./g, '\\.')}`));
  assert.match(text, /\(rt, 64512, 1000\)/);
  await new Promise((r) => setTimeout(r, 500));
  const all = birdc('show', 'route', 'table', 'vpntab4', 'protocol', 'cn');
  assert.doesNotMatch(all, /10\.20\.0\.2/, 'the internal network has no configured target: not sent');
  assert.doesNotMatch(all, /203\.0\.113\.21/, 'the public network has no configured target either: not sent as VPN');
});

test('bird2 gets the external network\'s addresses as IPv4 routes via the hosting node', { skip }, async () => {
  const text = await eventually(() => {
    const t = birdc('show', 'route', '203.0.113.21/32', 'all');
    return /203\.0\.113\.21\/32/.test(t) ? t : undefined;
  }, 'the floating IP route in bird2', 30_000);
  assert.match(text, new RegExp(`BGP\\.next_hop: ${ip(11).replace(/\./g, '\\.')}`));
  const v4 = birdc('show', 'route', 'table', 'master4', 'protocol', 'cn');
  assert.doesNotMatch(v4, /10\.10\.0\.1|10\.20\.0\.2/, 'only external networks go out as IPv4');
  agents[0].withdraw(pub, '203.0.113.21/32');
  await eventually(() => !/203\.0\.113\.21/.test(birdc('show', 'route', 'table', 'master4', 'protocol', 'cn')), 'withdrawn in bird2', 30_000);
});

test('bird2\'s route with the configured target reaches the agents of the network importing it', { skip }, async () => {
  const a1 = agents[0];
  const a2 = agents[1];
  const got = await eventually(() => a1.received().find((r) => r.prefix === '10.90.0.0/24'), 'bird2 route at a1', 30_000);
  assert.equal(got.nextHop, GW);
  assert.ok(got.targets.includes('target:64512:1000'));
  assert.ok(!a2.prefixes().includes('10.90.0.0/24'), 'not at an agent of another network');
  const vrf = cn.runtime!.vrf('default-domain:ctb:dc:dc')!;
  assert.ok(vrf.inet.get({ family: 'inet', prefix: '10.90.0.0/24' }), 'in the dc VRF');
});
