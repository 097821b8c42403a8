// The routing runtime without sockets: paths are put straight into the speaker's tables under the source
// of a configured (not started) peer, and the VRF tables, RTC routes, static routes and inet exports
// are read back. Covers replication by route target (multi-target routes, target changes, source
// changes, deleted VRFs), primary/secondary classification, RTC origination, static route resolution
// and export, and external VRF → inet.0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../common/log.js';
import type { Nlri } from '../bgp/wire/nlri.js';
import type { PathAttributes } from '../bgp/wire/attributes.js';
import { AGENT_FAMILIES, speakerSettings, type InstanceSpec, type PeerSpec } from './config-model.js';
import { RoutingRuntime } from './routing.js';
import { originVnCommunity } from './origin-vn.js';
import { tableCounts, classify } from './path-view.js';
import { STATIC_PATH_ID } from './static-routes.js';

const log = createLogger('control-test');
const flush = () => new Promise((r) => setImmediate(r));

function runtime(): RoutingRuntime {
  return new RoutingRuntime({ settings: speakerSettings(undefined), routerId: '10.255.0.1', bgpAddress: '127.0.0.1', bgpPort: 0, logger: log });
}

function instance(name: string, vnIndex: number, imports: string[], exports: string[] = imports, extra: Partial<InstanceSpec> = {}): InstanceSpec {
  return {
    name: `default-domain:p:${name}:${name}`, uuid: name, virtualNetwork: `default-domain:p:${name}`, vnIndex, vxlanId: vnIndex,
    importTargets: [...imports].sort(), exportTargets: [...exports].sort(), isDefault: true, external: false, connections: [], staticRoutes: [], ...extra,
  };
}

function peer(address: string, kind: PeerSpec['kind'] = 'agent'): PeerSpec {
  return {
    address, kind, name: `n-${address}`, asn: 64512, port: 179, families: kind === 'agent' ? AGENT_FAMILIES : ['inet', 'inet-vpn', 'route-target'],
    passive: kind === 'agent', rrClient: kind === 'agent', holdTime: undefined, gracefulRestart: false, source: address,
  };
}

const sourceOf = (rt: RoutingRuntime, address: string): number => rt.speaker.sources.all().find((s) => s.address === address)!.id;
const vpn = (rd: string, prefix: string): Nlri => ({ family: 'inet-vpn', rd, prefix });

function agentRoute(rt: RoutingRuntime, agent: string, vrfIndex: number, prefix: string, targets: string[], vnIndex: number, label = vnIndex): void {
  const attrs: PathAttributes = { origin: 'igp', asPath: [], nextHop: agent, localPref: 200, extCommunities: [...targets, 'encapsulation:vxlan', originVnCommunity(64512, vnIndex)] };
  rt.speaker.table('inet-vpn').upsert(vpn(`${agent}:${vrfIndex}`, prefix), { source: sourceOf(rt, agent), attrs, labels: [label] });
}

const prefixes = (rt: RoutingRuntime, name: string): string[] =>
  [...rt.vrf(`default-domain:p:${name}:${name}`)!.inet.routes()].map((r) => (r.nlri as { prefix: string }).prefix).sort();

test('VPN routes are imported by target; a target change moves them; a deleted VRF lets go', async () => {
  const rt = runtime();
  rt.applyPeers([peer('192.0.2.11'), peer('192.0.2.12')]);
  rt.applyInstances([instance('a', 1, ['target:64512:1']), instance('b', 2, ['target:64512:2']), instance('c', 3, ['target:64512:3'])]);
  agentRoute(rt, '192.0.2.11', 1, '10.1.0.1/32', ['target:64512:1'], 1);
  agentRoute(rt, '192.0.2.12', 2, '10.2.0.1/32', ['target:64512:2'], 2);
  agentRoute(rt, '192.0.2.12', 9, '10.9.0.1/32', ['target:64512:1', 'target:64512:2'], 1);
  await flush();
  assert.deepEqual(prefixes(rt, 'a'), ['10.1.0.1/32', '10.9.0.1/32']);
  assert.deepEqual(prefixes(rt, 'b'), ['10.2.0.1/32', '10.9.0.1/32'], 'a route with two targets lands in both');
  assert.deepEqual(prefixes(rt, 'c'), []);
  const path = rt.vrf('default-domain:p:a:a')!.inet.get({ family: 'inet', prefix: '10.1.0.1/32' })!.paths[0];
  assert.equal(path.label, 1, 'the VPN label travels with the copy');
  assert.equal(path.attrs.nextHop, '192.0.2.11');

  // c starts importing a's target (a policy between a and c)
  rt.applyInstances([instance('a', 1, ['target:64512:1']), instance('b', 2, ['target:64512:2']), instance('c', 3, ['target:64512:1', 'target:64512:3'], ['target:64512:3'])]);
  await flush();
  assert.deepEqual(prefixes(rt, 'c'), ['10.1.0.1/32', '10.9.0.1/32']);
  rt.applyInstances([instance('a', 1, ['target:64512:1']), instance('b', 2, ['target:64512:2']), instance('c', 3, ['target:64512:3'])]);
  await flush();
  assert.deepEqual(prefixes(rt, 'c'), [], 'the policy removed: copies withdrawn');

  // withdrawal and replacement
  rt.speaker.table('inet-vpn').withdraw(vpn('192.0.2.12:9', '10.9.0.1/32'), sourceOf(rt, '192.0.2.12'));
  await flush();
  assert.deepEqual(prefixes(rt, 'a'), ['10.1.0.1/32']);
  assert.deepEqual(prefixes(rt, 'b'), ['10.2.0.1/32']);
  agentRoute(rt, '192.0.2.11', 1, '10.1.0.1/32', ['target:64512:2'], 1, 77);
  await flush();
  assert.deepEqual(prefixes(rt, 'a'), [], 'the route changed target: gone from a');
  assert.equal(rt.vrf('default-domain:p:b:b')!.inet.get({ family: 'inet', prefix: '10.1.0.1/32' })!.paths[0].label, 77);

  rt.applyInstances([instance('a', 1, ['target:64512:1'])]);
  await flush();
  assert.equal(rt.vrf('default-domain:p:b:b'), undefined);
  assert.deepEqual(rt.vrfs().map((v) => v.name), ['default-domain:p:a:a']);
  await rt.stop();
});

test('two agents with one address: an ECMP set in the VRF, the origin VRF holds the primaries', async () => {
  const rt = runtime();
  rt.applyPeers([peer('192.0.2.11'), peer('192.0.2.12')]);
  rt.applyInstances([instance('a', 1, ['target:64512:1', 'target:64512:2'], ['target:64512:1']), instance('b', 2, ['target:64512:1', 'target:64512:2'], ['target:64512:2'])]);
  agentRoute(rt, '192.0.2.11', 1, '10.1.0.5/32', ['target:64512:1'], 1);
  agentRoute(rt, '192.0.2.12', 1, '10.1.0.5/32', ['target:64512:1'], 1);
  await flush();
  const a = rt.tables().find((t) => t.name === 'default-domain:p:a:a.inet.0')!;
  const b = rt.tables().find((t) => t.name === 'default-domain:p:b:b.inet.0')!;
  const r = a.table.get({ family: 'inet', prefix: '10.1.0.5/32' })!;
  assert.equal(r.paths.length, 2);
  assert.equal(r.ecmpCount, 2, 'both nodes in the ECMP set');
  assert.deepEqual(tableCounts(rt, a), { prefixes: 1, paths: 2, primary_paths: 2, secondary_paths: 0, infeasible_paths: 0 });
  assert.deepEqual(tableCounts(rt, b), { prefixes: 1, paths: 2, primary_paths: 0, secondary_paths: 2, infeasible_paths: 0 });
  const l3 = rt.tables().find((t) => t.name === 'bgp.l3vpn.0')!;
  assert.deepEqual(tableCounts(rt, l3), { prefixes: 2, paths: 2, primary_paths: 0, secondary_paths: 2, infeasible_paths: 0 });
  assert.equal(classify(rt, b, b.table.get({ family: 'inet', prefix: '10.1.0.5/32' })!.paths[0]).primaryTable, 'default-domain:p:a:a.inet.0');
  await rt.stop();
});

test('RTC: one local route per target some agent imports, withdrawn with the last subscriber; gateway subscriptions do not count', async () => {
  const rt = runtime();
  rt.applyPeers([peer('192.0.2.11'), peer('192.0.2.12'), peer('192.0.2.99', 'router')]);
  const t = rt.speaker.table('route-target');
  const rtc = (target: string): Nlri => ({ family: 'route-target', originAs: 64512, routeTarget: target, prefixLen: 96 });
  const attrs: PathAttributes = { origin: 'igp', asPath: [] };
  t.upsert(rtc('target:64512:5'), { source: sourceOf(rt, '192.0.2.11'), attrs });
  t.upsert(rtc('target:64512:5'), { source: sourceOf(rt, '192.0.2.12'), attrs });
  t.upsert(rtc('target:64512:6'), { source: sourceOf(rt, '192.0.2.99'), attrs });
  await flush();
  await flush();
  assert.deepEqual(rt.rtcTargets(), ['target:64512:5']);
  const local = () => [...t.routes()].filter((r) => r.paths.some((p) => p.source === 0)).map((r) => (r.nlri as { routeTarget: string }).routeTarget);
  assert.deepEqual(local(), ['target:64512:5']);
  assert.equal(t.get(rtc('target:64512:5'))!.paths[0].source, 0, 'our route is the best path of the destination');
  t.withdraw(rtc('target:64512:5'), sourceOf(rt, '192.0.2.11'));
  await flush();
  await flush();
  assert.deepEqual(local(), ['target:64512:5'], 'one subscriber left');
  t.withdraw(rtc('target:64512:5'), sourceOf(rt, '192.0.2.12'));
  await flush();
  await flush();
  assert.deepEqual(local(), []);
  assert.deepEqual(rt.rtcTargets(), []);
  await rt.stop();
});

test('static routes: resolved through the next hop, exported with the export targets, withdrawn when unresolvable', async () => {
  const rt = runtime();
  rt.applyPeers([peer('192.0.2.11')]);
  const withStatic = (exports: string[]) => instance('a', 1, ['target:64512:1'], exports, {
    staticRoutes: [{ prefix: '172.16.0.0/24', nextHop: '10.1.0.7', routeTargets: ['target:64512:900'], communities: [] }],
  });
  rt.applyInstances([withStatic(['target:64512:1']), instance('b', 2, ['target:64512:900'])]);
  await flush();
  assert.deepEqual(prefixes(rt, 'a'), [], 'next hop unknown: nothing');
  agentRoute(rt, '192.0.2.11', 1, '10.1.0.7/32', ['target:64512:1'], 1, 33);
  await flush();
  await flush();
  assert.deepEqual(prefixes(rt, 'a'), ['10.1.0.7/32', '172.16.0.0/24']);
  const p = rt.vrf('default-domain:p:a:a')!.inet.get({ family: 'inet', prefix: '172.16.0.0/24' })!.paths[0];
  assert.equal(p.pathId, STATIC_PATH_ID);
  assert.equal(p.attrs.nextHop, '192.0.2.11');
  assert.equal(p.label, 33);
  const exported = [...rt.speaker.table('inet-vpn').routes()].find((r) => (r.nlri as { prefix: string }).prefix === '172.16.0.0/24')!;
  assert.equal((exported.nlri as { rd: string }).rd, `10.255.0.1:${rt.vrf('default-domain:p:a:a')!.id}`);
  assert.deepEqual(exported.paths[0].attrs.extCommunities?.filter((c) => c.startsWith('target:')).sort(), ['target:64512:1', 'target:64512:900']);
  await flush();
  assert.deepEqual(prefixes(rt, 'b'), ['172.16.0.0/24'], 'imported where its extra target is imported');
  assert.equal(rt.vrf('default-domain:p:a:a')!.inet.get({ family: 'inet', prefix: '172.16.0.0/24' })!.paths.length, 1, 'not imported back into its own VRF');
  // export target change: re-exported with the new targets
  rt.applyInstances([withStatic(['target:64512:1', 'target:64512:2']), instance('b', 2, ['target:64512:900'])]);
  await flush();
  const again = [...rt.speaker.table('inet-vpn').routes()].find((r) => (r.nlri as { prefix: string }).prefix === '172.16.0.0/24')!;
  assert.ok(again.paths[0].attrs.extCommunities?.includes('target:64512:2'));
  // next hop gone: the static route goes
  rt.speaker.table('inet-vpn').withdraw(vpn('192.0.2.11:1', '10.1.0.7/32'), sourceOf(rt, '192.0.2.11'));
  await flush();
  await flush();
  assert.deepEqual(prefixes(rt, 'a'), []);
  await flush();
  assert.deepEqual(prefixes(rt, 'b'), []);
  await rt.stop();
});

test('external VRFs: agent routes go to inet.0 with the node as next hop; gateway routes do not', async () => {
  const rt = runtime();
  rt.applyPeers([peer('192.0.2.11'), peer('192.0.2.99', 'router')]);
  rt.applyInstances([instance('pub', 5, ['target:64512:5'], ['target:64512:5'], { external: true })]);
  agentRoute(rt, '192.0.2.11', 4, '203.0.113.7/32', ['target:64512:5'], 5);
  rt.speaker.table('inet-vpn').upsert(vpn('192.0.2.99:1', '0.0.0.0/0'), {
    source: sourceOf(rt, '192.0.2.99'), attrs: { origin: 'igp', asPath: [], nextHop: '192.0.2.99', extCommunities: ['target:64512:5'] }, labels: [3],
  });
  await flush();
  await flush();
  assert.deepEqual(prefixes(rt, 'pub'), ['0.0.0.0/0', '203.0.113.7/32']);
  const inet = [...rt.speaker.table('inet').routes()].map((r) => [(r.nlri as { prefix: string }).prefix, r.paths[0].attrs.nextHop]);
  assert.deepEqual(inet, [['203.0.113.7/32', '192.0.2.11']]);
  rt.applyInstances([instance('pub', 5, ['target:64512:5'], ['target:64512:5'], { external: false })]);
  await flush();
  assert.equal(rt.speaker.table('inet').size, 0, 'no longer external: withdrawn');
  await rt.stop();
});

test('applying the same desired state again changes nothing: same sessions, same VRFs, same paths', async () => {
  const rt = runtime();
  const peers = [peer('192.0.2.11'), peer('192.0.2.12'), peer('192.0.2.99', 'router')];
  const instances = [instance('a', 1, ['target:64512:1']), instance('b', 2, ['target:64512:2'])];
  rt.applyPeers(peers);
  rt.applyInstances(instances);
  agentRoute(rt, '192.0.2.11', 1, '10.1.0.1/32', ['target:64512:1'], 1);
  await flush();
  const sources = rt.speaker.sources.all().map((s) => s.id);
  const vrfs = rt.vrfs();
  const changes: unknown[] = [];
  for (const v of vrfs) v.inet.subscribe((c) => changes.push(...c));
  rt.applyPeers(peers.map((p) => ({ ...p })));
  rt.applyInstances(instances.map((i) => ({ ...i })));
  await flush();
  assert.deepEqual(rt.speaker.sources.all().map((s) => s.id), sources, 'no peer removed and re-added');
  assert.deepEqual(rt.vrfs(), vrfs, 'the same VRF objects');
  assert.deepEqual(changes, [], 'no route changed');
  // a changed peer spec is a new session (new source), the others stay
  rt.applyPeers([peers[0], { ...peers[1], holdTime: 9 }, peers[2]]);
  const now = rt.speaker.sources.all().map((s) => s.id);
  assert.equal(now.length, sources.length);
  assert.ok(now.includes(sources[1]) && !now.includes(sources[2]), 'only the changed peer was replaced');
  await rt.stop();
});
