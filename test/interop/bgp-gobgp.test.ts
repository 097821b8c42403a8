// Interop with gobgpd (inet-vpn + route-target, and e-vpn) in a network namespace of its own. gobgpd
// announces RTC routes for the import targets of its VRFs and filters its outbound VPN routes by ours; we
// must do the same for it (RFC 4684 both ways).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetnsEnv, eventually, missing, rootSkip } from '../support/bgp-netns.js';
import { Speaker } from '../../src/bgp/speaker.js';
import type { Nlri } from '../../src/bgp/wire/nlri.js';

const skip = rootSkip || missing('gobgpd', 'gobgp');
let env: NetnsEnv;
let speaker: Speaker;

interface GobgpPath {
  nlri: { prefix?: string; labels?: number[]; rd?: { admin: string; assigned: number } };
  attrs: { type: number; value?: unknown; nexthop?: string }[];
}

function gobgp(...args: string[]): string {
  return env.exec(['gobgp', '-u', '127.0.0.1', '-p', '50051', ...args]);
}
function adjIn(family: string): Record<string, GobgpPath[]> {
  const out = gobgp('neighbor', env.hostAddr, 'adj-in', '-a', family, '-j').trim();
  return out === '' || out === 'null' ? {} : (JSON.parse(out) as Record<string, GobgpPath[]>);
}
const vpn = (rd: string, prefix: string): Nlri => ({ family: 'inet-vpn', rd, prefix });
const rtc = (rt: string): Nlri => ({ family: 'route-target', originAs: 64512, routeTarget: rt, prefixLen: 96 });
const ourVpnPrefixes = () => [...speaker.table('inet-vpn').routes()].filter((r) => r.paths.some((p) => p.source !== 0)).map((r) => (r.nlri as { prefix: string }).prefix).sort();

before(async () => {
  if (skip) return;
  env = NetnsEnv.create('gob');
  const conf = join(env.dir, 'gobgpd.toml');
  writeFileSync(conf, `[global.config]
  as = 64512
  router-id = "${env.nsAddr}"
  port = 179
  local-address-list = ["${env.nsAddr}"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${env.hostAddr}"
    peer-as = 64512
  [neighbors.transport.config]
    local-address = "${env.nsAddr}"
    passive-mode = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "l3vpn-ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "rtc"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "l2vpn-evpn"
[[vrfs]]
  [vrfs.config]
    name = "v1"
    id = 1
    rd = "64512:1"
    both-rt-list = ["64512:1"]
`);
  env.spawn(['gobgpd', '-f', conf, '--api-hosts', '127.0.0.1:50051', '-l', 'warn']);
  await eventually(() => /Peer/.test(gobgp('neighbor')), 'gobgpd API up');
  // gobgpd's own VPN routes: one with a target we will ask for, one we will not
  gobgp('global', 'rib', 'add', '-a', 'vpnv4', '10.60.0.0/24', 'label', '60', 'rd', '64512:60', 'rt', '64512:60', 'nexthop', env.nsAddr);
  gobgp('global', 'rib', 'add', '-a', 'vpnv4', '10.61.0.0/24', 'label', '61', 'rd', '64512:61', 'rt', '64512:61', 'nexthop', env.nsAddr);

  speaker = new Speaker({ asn: 64512, routerId: env.hostAddr, listen: false, holdTime: 30, connectRetryTime: 1, rtcWait: 2 });
  speaker.originate({ nlri: vpn(`${env.hostAddr}:5`, '10.1.1.0/24'), labels: [1234], attrs: { nextHop: env.hostAddr, localPref: 200, extCommunities: ['target:64512:1', 'encapsulation:vxlan'] } });
  speaker.originate({ nlri: vpn(`${env.hostAddr}:6`, '10.9.9.0/24'), labels: [99], attrs: { nextHop: env.hostAddr, extCommunities: ['target:64512:9'] } });
  speaker.originate({ nlri: rtc('target:64512:61') });
  speaker.addPeer({ address: env.nsAddr, asn: 64512, localAddress: env.hostAddr, families: ['inet-vpn', 'route-target', 'e-vpn'] });
  await speaker.start();
  await eventually(() => speaker.peer(env.nsAddr)?.state === 'Established', 'session with gobgpd');
});

after(async () => {
  if (skip) return;
  await speaker?.stop();
  await env?.destroy();
});

test('gobgpd receives only the VPN routes whose targets it asked for, with RD, label, RT and next hop', { skip }, async () => {
  const got = await eventually(() => {
    const a = adjIn('vpnv4');
    return Object.keys(a).length ? a : undefined;
  }, 'our routes in gobgpd adj-in');
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(Object.keys(adjIn('vpnv4')), [`${env.hostAddr}:5:10.1.1.0/24`], 'the target 64512:9 route is held back');
  const p = got[`${env.hostAddr}:5:10.1.1.0/24`][0];
  assert.deepEqual(p.nlri.labels, [1234]);
  assert.deepEqual(p.nlri.rd, { type: 1, admin: env.hostAddr, assigned: 5 });
  const mp = p.attrs.find((x) => x.type === 14);
  assert.equal(mp?.nexthop, env.hostAddr);
  const ext = p.attrs.find((x) => x.type === 16)?.value as { type: number; subtype: number; value?: string; tunnel_type?: number }[];
  assert.deepEqual(ext, [{ type: 0, subtype: 2, value: '64512:1' }, { type: 3, subtype: 12, tunnel_type: 8 }]);
  assert.equal(p.attrs.find((x) => x.type === 5)?.value, 200);
});

test('we receive only the gobgpd routes our RTC routes ask for, and what each side asks can change', { skip }, async () => {
  await eventually(() => ourVpnPrefixes().includes('10.61.0.0/24'), 'the 64512:61 route from gobgpd');
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(ourVpnPrefixes(), ['10.61.0.0/24']);
  const r = speaker.table('inet-vpn').get(vpn('64512:61', '10.61.0.0/24'))!;
  assert.equal(r.paths[0].label, 61);
  assert.equal(r.paths[0].attrs.nextHop, env.nsAddr);
  assert.deepEqual(r.paths[0].attrs.extCommunities, ['target:64512:61']);
  // gobgpd's VRF import target reached our route-target table as an RTC route
  assert.ok(speaker.table('route-target').get(rtc('target:64512:1'))?.paths.some((p) => p.source !== 0));
  // gobgpd's RTC view of us
  assert.match(gobgp('neighbor', env.hostAddr, 'adj-in', '-a', 'rtc'), /64512:64512:61/);

  // we ask for 64512:60 too
  speaker.originate({ nlri: rtc('target:64512:60') });
  await eventually(() => ourVpnPrefixes().length === 2, 'the 64512:60 route after asking');
  // gobgpd asks for 64512:9 (a VRF importing it): our held-back route goes out
  gobgp('vrf', 'add', 'v9', 'rd', '64512:9', 'rt', 'both', '64512:9');
  await eventually(() => Object.keys(adjIn('vpnv4')).length === 2, 'gobgpd receives the 64512:9 route once it asks');
  // we stop asking for 64512:61: gobgpd withdraws it
  speaker.withdraw(rtc('target:64512:61'));
  await eventually(() => ourVpnPrefixes().join() === '10.60.0.0/24', 'the 64512:61 route withdrawn');
  // our withdrawal reaches gobgpd
  speaker.withdraw(vpn(`${env.hostAddr}:5`, '10.1.1.0/24'));
  await eventually(() => Object.keys(adjIn('vpnv4')).join() === `${env.hostAddr}:6:10.9.9.0/24`, 'withdrawal in gobgpd');
});

test('gobgpd decodes our EVPN type-2 and type-5 routes', { skip }, async () => {
  speaker.originate({
    nlri: { family: 'e-vpn', routeType: 2, rd: `${env.hostAddr}:7`, esi: '0', ethTag: 0, mac: '02:00:0a:01:01:05', ip: '10.1.1.5' },
    labels: [5001], attrs: { nextHop: env.hostAddr, extCommunities: ['target:64512:1', 'encapsulation:vxlan'] },
  });
  speaker.originate({
    nlri: { family: 'e-vpn', routeType: 5, rd: `${env.hostAddr}:7`, esi: '0', ethTag: 0, prefix: '10.1.1.0/24', gateway: '0.0.0.0' },
    labels: [5001], attrs: { nextHop: env.hostAddr, extCommunities: ['target:64512:1'] },
  });
  const text = await eventually(() => {
    const t = gobgp('neighbor', env.hostAddr, 'adj-in', '-a', 'evpn');
    return /\[type:macadv\]/.test(t) && /\[type:Prefix\]/.test(t) ? t : undefined;
  }, 'EVPN routes in gobgpd');
  assert.match(text, /\[rd:[^\]]+:7\]\[etag:0\]\[mac:02:00:0a:01:01:05\]\[ip:10\.1\.1\.5\]/);
  assert.match(text, /\[prefix:10\.1\.1\.0\/24\]/);
  assert.match(text, /5001/);
});
