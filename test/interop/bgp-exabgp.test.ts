// exabgp as a strict second opinion on our encoder: it runs in a network namespace, peers with our speaker
// and dumps every UPDATE it receives as JSON; every route and attribute we sent must decode exactly as we
// meant it (values compared bit for bit where exabgp gives numbers).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { NetnsEnv, eventually, missing, rootSkip } from '../support/bgp-netns.js';
import { Speaker, type RouteInput } from '../../src/bgp/speaker.js';
import { parseExtCommunity } from '../../src/bgp/wire/ext-community.js';

const skip = rootSkip || missing('exabgp');
let env: NetnsEnv;
let speaker: Speaker;
let rx: string;

interface ExaUpdate {
  attribute?: Record<string, unknown>;
  announce?: Record<string, Record<string, Record<string, unknown>[]>>;
  withdraw?: Record<string, Record<string, unknown>[]>;
}

/** Every UPDATE exabgp has dumped so far (big integers kept as strings). */
function updates(): ExaUpdate[] {
  if (!existsSync(rx)) return [];
  return readFileSync(rx, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l.replace(/"value": (\d+)/g, '"value": "$1"')) as { neighbor?: { message?: { update?: ExaUpdate } } })
    .flatMap((m) => (m.neighbor?.message?.update ? [m.neighbor.message.update] : []));
}

function announced(family: string, match: (n: Record<string, unknown>) => boolean): { nlri: Record<string, unknown>; nextHop: string; attrs: Record<string, unknown> } | undefined {
  for (const u of updates().reverse()) {
    for (const [nh, list] of Object.entries(u.announce?.[family] ?? {})) {
      const n = list.find(match);
      if (n) return { nlri: n, nextHop: nh, attrs: u.attribute ?? {} };
    }
  }
  return undefined;
}

const extValue = (s: string) => BigInt('0x' + Buffer.from(parseExtCommunity(s)).toString('hex')).toString();

const routes: RouteInput[] = [];

before(async () => {
  if (skip) return;
  env = NetnsEnv.create('exa');
  rx = join(env.dir, 'rx.jsonl');
  speaker = new Speaker({ asn: 64512, routerId: env.hostAddr, listen: { port: 0, address: env.hostAddr }, holdTime: 30 });
  const h = env.hostAddr;
  routes.push(
    {
      nlri: { family: 'inet', prefix: '10.77.0.0/16' },
      attrs: {
        nextHop: h, origin: 'egp', med: 7, localPref: 150, communities: ['65000:1', '65535:65281'],
        asPath: [{ type: 'sequence', asns: [65001, 4200000000] }], atomicAggregate: true, aggregator: { asn: 65001, address: '10.0.0.1' },
      },
    },
    {
      nlri: { family: 'inet-vpn', rd: `${h}:5`, prefix: '10.1.1.0/24' }, labels: [1234],
      attrs: { nextHop: h, localPref: 200, extCommunities: ['target:64512:8000001', 'encapsulation:vxlan', 'ext:8071fc0000000005'] },
    },
    { nlri: { family: 'inet-vpn', rd: '64512:9', prefix: '10.1.2.0/23' }, labels: [1048575], attrs: { nextHop: h, extCommunities: ['target:10.0.0.1:7'] } },
    { nlri: { family: 'inet-vpn', rd: '4200000000:3', prefix: '10.1.4.128/25' }, labels: [16], attrs: { nextHop: h, extCommunities: ['target:4200000000:3', 'encapsulation:udp'] } },
    {
      nlri: { family: 'e-vpn', routeType: 2, rd: `${h}:7`, esi: '0', ethTag: 0, mac: '02:00:0a:01:01:05', ip: '10.1.1.5' }, labels: [5001],
      attrs: { nextHop: h, extCommunities: ['target:64512:1', 'encapsulation:vxlan'] },
    },
    {
      nlri: { family: 'e-vpn', routeType: 5, rd: `${h}:7`, esi: '0', ethTag: 0, prefix: '10.1.1.0/24', gateway: '0.0.0.0' }, labels: [5002],
      attrs: { nextHop: h, extCommunities: ['target:64512:1'] },
    },
  );
  for (const r of routes) speaker.originate(r);
  speaker.addPeer({ address: env.nsAddr, asn: 64512, passive: true, families: ['inet', 'inet-vpn', 'e-vpn'] });
  await speaker.start();
  const conf = join(env.dir, 'exabgp.conf');
  writeFileSync(conf, `process dump {
  run /bin/sh -c 'cat > ${rx}';
  encoder json;
}
neighbor ${env.hostAddr} {
  router-id ${env.nsAddr};
  local-address ${env.nsAddr};
  local-as 64512;
  peer-as 64512;
  connect ${speaker.port};
  family { ipv4 unicast; ipv4 mpls-vpn; l2vpn evpn; }
  api { processes [ dump ]; receive { parsed; update; } }
}
`);
  env.spawn(['env', 'exabgp.daemon.user=root', 'exabgp.log.destination=stderr', 'exabgp.log.level=WARNING', `exabgp.api.pipename=tf${process.pid}`, 'exabgp', conf]);
  await eventually(() => speaker.peer(env.nsAddr)?.state === 'Established', 'session with exabgp', 30_000);
});

after(async () => {
  if (skip) return;
  await speaker?.stop();
  await env?.destroy();
});

test('IPv4 unicast with every path attribute decodes as sent', { skip }, async () => {
  const r = await eventually(() => announced('ipv4 unicast', (n) => n.nlri === '10.77.0.0/16'), 'IPv4 route at exabgp');
  assert.equal(r.nextHop, env.hostAddr);
  const a = r.attrs;
  assert.equal(a.origin, 'egp');
  assert.equal(a.med, 7);
  assert.equal(a['local-preference'], 150);
  assert.deepEqual(a.community, [[65000, 1], [65535, 65281]]);
  assert.deepEqual(a['as-path'], [65001, 4200000000]);
  assert.equal(a['atomic-aggregate'], true);
  assert.deepEqual(a.aggregator, '65001:10.0.0.1');
});

test('VPNv4 routes: RD types 0/1/2, labels, route targets in three forms, encapsulation, opaque communities', { skip }, async () => {
  const rd1 = await eventually(() => announced('ipv4 mpls-vpn', (n) => n.nlri === '10.1.1.0/24'), 'VPN route 1');
  assert.equal(rd1.nextHop, env.hostAddr);
  assert.equal(rd1.nlri.rd, `${env.hostAddr}:5`);
  assert.deepEqual(rd1.nlri.label, [[1234]]);
  assert.equal(rd1.attrs['local-preference'], 200);
  const ext = (rd1.attrs['extended-community'] as { value: string }[]).map((x) => x.value);
  assert.deepEqual(ext, ['target:64512:8000001', 'encapsulation:vxlan', 'ext:8071fc0000000005'].map(extValue));

  const rd0 = await eventually(() => announced('ipv4 mpls-vpn', (n) => n.nlri === '10.1.2.0/23'), 'VPN route 2');
  assert.equal(rd0.nlri.rd, '64512:9');
  assert.deepEqual(rd0.nlri.label, [[1048575]]);
  assert.deepEqual((rd0.attrs['extended-community'] as { value: string }[]).map((x) => x.value), [extValue('target:10.0.0.1:7')]);

  const rd2 = await eventually(() => announced('ipv4 mpls-vpn', (n) => n.nlri === '10.1.4.128/25'), 'VPN route 3');
  assert.equal(rd2.nlri.rd, '4200000000:3');
  assert.deepEqual(rd2.nlri.label, [[16]]);
  assert.deepEqual((rd2.attrs['extended-community'] as { value: string }[]).map((x) => x.value), ['target:4200000000:3', 'encapsulation:udp'].map(extValue));
});

test('EVPN MAC/IP and IP prefix routes decode as sent', { skip }, async () => {
  const t2 = await eventually(() => announced('l2vpn evpn', (n) => n.code === 2), 'EVPN type 2');
  assert.equal(t2.nlri.rd, `${env.hostAddr}:7`);
  assert.equal(String(t2.nlri.mac).toLowerCase(), '02:00:0a:01:01:05');
  assert.equal(t2.nlri.ip, '10.1.1.5');
  assert.equal(t2.nlri['ethernet-tag'], 0);
  assert.equal(t2.nlri.esi, '-', 'zero ESI');
  assert.equal((t2.nlri.label as number[][])[0].at(-1), 5001, 'the raw 24-bit label field carries the VNI');
  const t5 = await eventually(() => announced('l2vpn evpn', (n) => n.code === 5), 'EVPN type 5');
  assert.equal(t5.nlri.ip, '10.1.1.0');
  assert.equal(t5.nlri.iplen, 24);
  assert.equal(t5.nlri.gateway, '0.0.0.0');
  assert.equal((t5.nlri.label as number[][])[0].at(-1), 5002);
  assert.equal(t5.nextHop, env.hostAddr);
});

test('withdrawals decode as sent', { skip }, async () => {
  speaker.withdraw({ family: 'inet-vpn', rd: '64512:9', prefix: '10.1.2.0/23' });
  speaker.withdraw({ family: 'inet', prefix: '10.77.0.0/16' });
  const w = await eventually(() => {
    const all = updates().flatMap((u) => Object.entries(u.withdraw ?? {}));
    const vpn = all.find(([f, l]) => f === 'ipv4 mpls-vpn' && l.some((n) => n.nlri === '10.1.2.0/23' && n.rd === '64512:9'));
    const v4 = all.find(([f, l]) => f === 'ipv4 unicast' && l.some((n) => n.nlri === '10.77.0.0/16'));
    return vpn && v4 ? [vpn, v4] : undefined;
  }, 'withdrawals at exabgp');
  assert.equal(w.length, 2);
});
