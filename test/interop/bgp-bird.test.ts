// Interop with bird2 (vpn4 + ipv4 channels) in a network namespace of its own: routes both ways, withdrawals
// both ways, and the session coming back after bird2 is killed and started again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetnsEnv, eventually, missing, rootSkip, type Daemon } from '../support/bgp-netns.js';
import { Speaker } from '../../src/bgp/speaker.js';
import type { Nlri } from '../../src/bgp/wire/nlri.js';

const skip = rootSkip || missing('bird', 'birdc');
let env: NetnsEnv;
let speaker: Speaker;
let bird: Daemon;
let conf: string;
let sock: string;

const birdc = (...args: string[]) => env.exec(['birdc', '-s', sock, ...args]);
const vpn = (rd: string, prefix: string): Nlri => ({ family: 'inet-vpn', rd, prefix });
const prefixes = (f: 'inet' | 'inet-vpn') =>
  [...speaker.table(f).routes()].filter((r) => r.paths.some((p) => p.source !== 0)).map((r) => (r.nlri as { prefix: string }).prefix).sort();

function startBird(): Daemon {
  return env.spawn(['bird', '-f', '-c', conf, '-s', sock, '-P', join(env.dir, 'bird.pid')]);
}

before(async () => {
  if (skip) return;
  env = NetnsEnv.create('brd');
  conf = join(env.dir, 'bird.conf');
  sock = join(env.dir, 'bird.ctl');
  writeFileSync(conf, `router id ${env.nsAddr};
vpn4 table vpntab4;
protocol device {}
protocol direct { ipv4; interface "*"; }
protocol static injv {
  vpn4 { table vpntab4; import filter { bgp_ext_community.add((rt, 64512, 7)); accept; }; };
  route 64512:7 10.70.0.0/24 blackhole;
  route 64512:7 10.71.0.0/24 blackhole;
}
protocol static inj4 { ipv4; route 10.80.0.0/16 blackhole; }
protocol bgp ours {
  local ${env.nsAddr} port 179 as 64512;
  neighbor ${env.hostAddr} as 64512;
  passive on;
  ipv4 { import all; export where proto = "inj4"; next hop self; };
  vpn4 mpls { table vpntab4; import all; export where proto = "injv"; next hop self; igp table master4; };
}
`);
  bird = startBird();
  await eventually(() => /ours/.test(birdc('show', 'protocols')), 'bird2 up');
  speaker = new Speaker({ asn: 64512, routerId: env.hostAddr, listen: false, holdTime: 30, connectRetryTime: 1, idleHoldTime: 1 });
  speaker.originate({ nlri: vpn('64512:5', '10.1.1.0/24'), labels: [1234], attrs: { nextHop: env.hostAddr, extCommunities: ['target:64512:1'] } });
  speaker.originate({ nlri: { family: 'inet', prefix: '10.77.0.0/16' }, attrs: { nextHop: env.hostAddr, med: 3 } });
  speaker.addPeer({ address: env.nsAddr, asn: 64512, localAddress: env.hostAddr, families: ['inet', 'inet-vpn'] });
  await speaker.start();
  await eventually(() => speaker.peer(env.nsAddr)?.state === 'Established', 'session with bird2', 30_000);
});

after(async () => {
  if (skip) return;
  await speaker?.stop();
  await env?.destroy();
});

test('VPNv4 and IPv4 routes go both ways with labels, route targets and next hops', { skip }, async () => {
  await eventually(() => prefixes('inet-vpn').length === 2 && prefixes('inet').length === 1, 'bird2 routes at our speaker');
  assert.deepEqual(prefixes('inet-vpn'), ['10.70.0.0/24', '10.71.0.0/24']);
  assert.deepEqual(prefixes('inet'), ['10.80.0.0/16']);
  const p = speaker.table('inet-vpn').get(vpn('64512:7', '10.70.0.0/24'))!.paths[0];
  assert.equal(p.attrs.nextHop, env.nsAddr);
  assert.deepEqual(p.attrs.extCommunities, ['target:64512:7']);
  assert.equal(p.label, 3, 'bird2 with next hop self advertises implicit null');

  const text = await eventually(() => {
    const t = birdc('show', 'route', 'table', 'vpntab4', 'protocol', 'ours', 'all');
    return /10\.1\.1\.0\/24/.test(t) ? t : undefined;
  }, 'our VPN route in bird2');
  assert.match(text, /64512:5 10\.1\.1\.0\/24/);
  assert.match(text, /mpls 1234/);
  assert.match(text, /\(rt, 64512, 1\)/);
  assert.match(text, new RegExp(`BGP.next_hop: ${env.hostAddr.replace(/\./g, '\\.')}`));
  const v4 = await eventually(() => {
    const t = birdc('show', 'route', '10.77.0.0/16', 'all');
    return /10\.77\.0\.0\/16/.test(t) ? t : undefined;
  }, 'our IPv4 route in bird2');
  assert.match(v4, /BGP.med: 3/);
});

test('withdrawals propagate both ways', { skip }, async () => {
  birdc('disable', 'injv');
  await eventually(() => prefixes('inet-vpn').length === 0, 'bird2 VPN routes withdrawn at our speaker');
  assert.deepEqual(prefixes('inet'), ['10.80.0.0/16']);
  birdc('enable', 'injv');
  await eventually(() => prefixes('inet-vpn').length === 2, 'bird2 VPN routes back');
  speaker.withdraw({ family: 'inet', prefix: '10.77.0.0/16' });
  await eventually(() => !/10\.77\.0\.0\/16/.test(birdc('show', 'route', 'protocol', 'ours')), 'our IPv4 route withdrawn in bird2');
  speaker.withdraw(vpn('64512:5', '10.1.1.0/24'));
  await eventually(() => !/10\.1\.1\.0\/24/.test(birdc('show', 'route', 'table', 'vpntab4', 'protocol', 'ours')), 'our VPN route withdrawn in bird2');
});

test('the session recovers after bird2 is killed and restarted', { skip }, async () => {
  speaker.originate({ nlri: vpn('64512:5', '10.2.2.0/24'), labels: [55], attrs: { nextHop: env.hostAddr, extCommunities: ['target:64512:1'] } });
  await env.kill(bird, 'SIGKILL');
  await eventually(() => speaker.peer(env.nsAddr)?.state !== 'Established', 'session down after bird2 died');
  await eventually(() => prefixes('inet-vpn').length === 0, 'routes of the dead peer flushed');
  bird = startBird();
  await eventually(() => speaker.peer(env.nsAddr)?.state === 'Established', 'session back', 30_000);
  await eventually(() => prefixes('inet-vpn').length === 2 && prefixes('inet').length === 1, 'bird2 routes back');
  await eventually(() => /10\.2\.2\.0\/24/.test(birdc('show', 'route', 'table', 'vpntab4', 'protocol', 'ours')), 'our route re-advertised to the new bird2');
  assert.equal(speaker.peer(env.nsAddr)?.flapCount, 1);
});
