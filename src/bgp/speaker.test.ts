// Speakers talking to each other over real TCP on loopback addresses (each test picks its own 127.x.y.z
// addresses and port 0), plus scripted raw peers for malformed input and graceful restart.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Speaker, type SpeakerOptions } from './speaker.js';
import type { PeerConfig } from './config.js';
import type { RouteChange } from './rib/table.js';
import type { Family } from './wire/constants.js';
import type { Nlri } from './wire/nlri.js';
import { assembleUpdate, encodeEndOfRib, encodeUpdate } from './wire/update.js';
import { RawBgpPeer } from '../../test/support/bgp-raw-peer.js';
import type { Capability } from './wire/open.js';
import { ExportScheduler } from './out/scheduler.js';

const speakers: Speaker[] = [];
after(async () => {
  for (const s of speakers) await s.stop();
});

// A 127.x.y.0/24 block per test file run, so parallel test files never share an address.
const block = `127.${20 + Math.floor(Math.random() * 200)}.${Math.floor(Math.random() * 250)}`;
let hostSeq = 1;
const addr = () => `${block}.${hostSeq++}`;

async function speaker(over: Partial<SpeakerOptions> & { address: string }): Promise<Speaker> {
  const s = new Speaker({
    asn: 64512, routerId: over.address, listen: { port: 0, address: over.address }, holdTime: 30, connectRetryTime: 1,
    idleHoldTime: 1, rtcWait: 1, ...over,
  });
  speakers.push(s);
  await s.start();
  return s;
}

/** Peers a with b both ways (a connects to b's port; b accepts). */
function link(a: Speaker, aAddr: string, b: Speaker, bAddr: string, aCfg: Partial<PeerConfig> = {}, bCfg: Partial<PeerConfig> = {}): void {
  b.addPeer({ address: aAddr, asn: a.asn, passive: true, families: ['inet', 'inet-vpn', 'route-target'], ...bCfg });
  a.addPeer({ address: bAddr, port: b.port, localAddress: aAddr, asn: b.asn, families: ['inet', 'inet-vpn', 'route-target'], ...aCfg });
}

async function eventually<T>(f: () => T | undefined | false, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const vpn = (rd: string, prefix: string): Nlri => ({ family: 'inet-vpn', rd, prefix });
const rtc = (rt: string | null): Nlri => ({ family: 'route-target', originAs: 64512, routeTarget: rt, prefixLen: rt === null ? 0 : 96 });
const vpnKeys = (s: Speaker, source?: number) =>
  [...s.table('inet-vpn').routes()].filter((r) => source === undefined || r.paths.some((p) => p.source === source)).map((r) => (r.nlri as { prefix: string }).prefix).sort();
const established = (s: Speaker, peer: string) => eventually(() => s.peer(peer)?.state === 'Established', `${peer} established`);

test('route-target constraint: a peer gets only the VPN routes its RTC routes ask for, and what it asks changes', async () => {
  const [aA, bA] = [addr(), addr()];
  const a = await speaker({ address: aA });
  const b = await speaker({ address: bA });
  a.originate({ nlri: vpn('64512:1', '10.1.0.0/24'), labels: [17], attrs: { nextHop: aA, extCommunities: ['target:64512:1', 'encapsulation:vxlan'] } });
  a.originate({ nlri: vpn('64512:2', '10.2.0.0/24'), labels: [18], attrs: { nextHop: aA, extCommunities: ['target:64512:2'] } });
  a.originate({ nlri: vpn('64512:3', '10.3.0.0/24'), labels: [19], attrs: { nextHop: aA } });
  b.originate({ nlri: rtc('target:64512:1'), attrs: {} });
  link(a, aA, b, bA);
  await established(a, bA);
  await eventually(() => vpnKeys(b).length === 1, 'b has the RT 1 route');
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(vpnKeys(b), ['10.1.0.0/24']);
  const got = b.table('inet-vpn').get(vpn('64512:1', '10.1.0.0/24'))!.paths[0];
  assert.equal(got.label, 17);
  assert.equal(got.attrs.nextHop, aA);
  assert.deepEqual(got.attrs.extCommunities, ['target:64512:1', 'encapsulation:vxlan']);
  assert.equal(got.attrs.localPref, 100);

  b.originate({ nlri: rtc('target:64512:2'), attrs: {} });
  await eventually(() => vpnKeys(b).length === 2, 'b gets RT 2 after asking');
  b.withdraw(rtc('target:64512:1'));
  await eventually(() => vpnKeys(b).join() === '10.2.0.0/24', 'RT 1 route withdrawn when b stops asking');
  b.originate({ nlri: rtc(null), attrs: {} });
  await eventually(() => vpnKeys(b).length === 3, 'the default RTC route asks for everything');
  const st = a.peer(bA)!;
  assert.equal(st.prefixes['inet-vpn']?.out, 3);
  assert.equal(st.prefixes['route-target']?.in, 2);
  assert.equal(st.sendState, 'in sync');
  assert.equal(st.type, 'internal');
});

test('route reflection: client routes go to everyone, non-client routes only to clients, with ORIGINATOR_ID and CLUSTER_LIST', async () => {
  const [rrA, c1A, c2A, nA] = [addr(), addr(), addr(), addr()];
  const rr = await speaker({ address: rrA, clusterId: '10.255.0.1' });
  const c1 = await speaker({ address: c1A });
  const c2 = await speaker({ address: c2A });
  const n = await speaker({ address: nA });
  const fam: Partial<PeerConfig> = { families: ['inet'] };
  link(c1, c1A, rr, rrA, fam, { ...fam, rrClient: true });
  link(c2, c2A, rr, rrA, fam, { ...fam, rrClient: true });
  link(n, nA, rr, rrA, fam, fam);
  for (const p of [c1A, c2A, nA]) await established(rr, p);
  c1.originate({ nlri: { family: 'inet', prefix: '10.10.0.0/16' }, attrs: { nextHop: c1A } });
  n.originate({ nlri: { family: 'inet', prefix: '10.20.0.0/16' }, attrs: { nextHop: nA } });
  const has = (s: Speaker, prefix: string) => s.table('inet').get({ family: 'inet', prefix });
  await eventually(() => has(c2, '10.10.0.0/16') && has(n, '10.10.0.0/16') && has(c1, '10.20.0.0/16') && has(c2, '10.20.0.0/16'), 'reflected');
  const r = has(c2, '10.10.0.0/16')!.paths[0];
  assert.equal(r.attrs.originatorId, c1A);
  assert.deepEqual(r.attrs.clusterList, ['10.255.0.1']);
  assert.equal(r.attrs.nextHop, c1A, 'iBGP keeps the next hop');
  await new Promise((res) => setTimeout(res, 300));
  assert.equal(has(n, '10.20.0.0/16')?.paths[0].source, 0, 'a non-client route is not reflected back to non-clients');
  assert.equal(has(c1, '10.10.0.0/16')?.paths[0].source, 0);
  c1.withdraw({ family: 'inet', prefix: '10.10.0.0/16' });
  await eventually(() => !has(c2, '10.10.0.0/16') && !has(n, '10.10.0.0/16'), 'withdrawal reflected');
});

test('eBGP: AS path prepended, next hop self, LOCAL_PREF not sent; subscribers see the diffs', async () => {
  const [aA, bA] = [addr(), addr()];
  const a = await speaker({ address: aA, asn: 65001 });
  const b = await speaker({ address: bA, asn: 65002 });
  const seen: RouteChange[] = [];
  b.subscribe('inet', (c) => seen.push(...c));
  link(a, aA, b, bA, { families: ['inet'] }, { families: ['inet'] });
  await established(a, bA);
  a.originate({ nlri: { family: 'inet', prefix: '192.168.0.0/16' }, attrs: { nextHop: '10.9.9.9', localPref: 300, med: 5 } });
  await eventually(() => seen.length === 1, 'diff at b');
  const p = seen[0].best!;
  assert.deepEqual(p.attrs.asPath, [{ type: 'sequence', asns: [65001] }]);
  assert.equal(p.attrs.nextHop, aA);
  assert.equal(p.attrs.localPref, undefined);
  assert.equal(p.attrs.med, 5, 'a locally set MED is sent');
  assert.equal(b.peer(aA)?.type, 'external');
  a.withdraw({ family: 'inet', prefix: '192.168.0.0/16' });
  await eventually(() => seen.length === 2 && seen[1].best === undefined, 'withdraw diff');
  assert.equal(seen[1].previous[0].attrs.nextHop, aA);
});

test('max-prefix: the session is reset with Cease/Maximum Number of Prefixes and the routes are dropped', async () => {
  const [aA, bA] = [addr(), addr()];
  const a = await speaker({ address: aA });
  const b = await speaker({ address: bA });
  link(a, aA, b, bA, { families: ['inet'] }, { families: ['inet'], maxPrefix: 3 });
  await established(b, aA);
  for (let i = 0; i < 5; i++) a.originate({ nlri: { family: 'inet', prefix: `10.0.${i}.0/24` }, attrs: { nextHop: aA } });
  await eventually(() => b.peer(aA)!.flapCount >= 1, 'b reset the session');
  await eventually(() => b.table('inet').size === 0, 'routes dropped');
  assert.match(b.peer(aA)!.lastError ?? '', /Maximum Number of Prefixes/);
  // a got the NOTIFICATION (its lastError may already tell of refused reconnections)
  assert.ok(a.peer(bA)!.messages.in.notification >= 1);
  await new Promise((r) => setTimeout(r, 1500));
  assert.notEqual(b.peer(aA)!.state, 'Established', 'stays down without restartAfter');
});

test('connections from addresses that are not configured peers are refused', async () => {
  const aA = addr();
  const a = await speaker({ address: aA });
  await assert.rejects(RawBgpPeer.open({ host: aA, port: a.port, localAddress: addr(), asn: 64512, routerId: '10.0.0.9' }));
});

const rawCaps = (gr?: Capability): Capability[] => [
  { kind: 'multiprotocol', afi: 1, safi: 1 },
  { kind: 'multiprotocol', afi: 1, safi: 128 },
  { kind: 'four-octet-as', asn: 64512 },
  ...(gr ? [gr] : []),
];

test('a malformed UPDATE resets only that session; a treat-as-withdraw UPDATE keeps it', async () => {
  const [aA, goodA, badA] = [addr(), addr(), addr()];
  const a = await speaker({ address: aA });
  const good = await speaker({ address: goodA });
  link(good, goodA, a, aA, { families: ['inet'] }, { families: ['inet'] });
  a.addPeer({ address: badA, asn: 64512, passive: true, families: ['inet', 'inet-vpn'] });
  await established(a, goodA);
  const raw = await RawBgpPeer.open({ host: aA, port: a.port, localAddress: badA, asn: 64512, routerId: badA, capabilities: rawCaps() });
  await eventually(() => a.peer(badA)?.state === 'Established', 'raw peer up');
  // a route, then the same route with a bad ORIGIN value: RFC 7606 treat-as-withdraw
  raw.send(encodeUpdate({ announced: [{ nlri: { family: 'inet', prefix: '10.7.0.0/16' }, labels: [] }], attrs: { origin: 'igp', asPath: [], nextHop: badA } }, { as4: true }));
  await eventually(() => a.table('inet').get({ family: 'inet', prefix: '10.7.0.0/16' }), 'route from raw peer');
  raw.send(assembleUpdate({ attrs: Uint8Array.of(0x40, 1, 1, 9, 0x40, 2, 0, 0x40, 3, 4, 127, 0, 0, 1), nlri: Uint8Array.of(16, 10, 7) }));
  await eventually(() => !a.table('inet').get({ family: 'inet', prefix: '10.7.0.0/16' }), 'treated as withdraw');
  assert.equal(a.peer(badA)?.state, 'Established');
  // an NLRI that cannot be framed: session reset with UPDATE Message Error
  raw.send(assembleUpdate({ attrs: Uint8Array.of(0x40, 1, 1, 0, 0x40, 2, 0, 0x40, 3, 4, 127, 0, 0, 1), nlri: Uint8Array.of(40, 1, 2) }));
  const n = await raw.until((m) => m.type === 'notification');
  assert.ok(n.type === 'notification' && n.code === 3);
  await eventually(() => a.peer(badA)?.state !== 'Established', 'bad session reset');
  assert.equal(a.peer(goodA)?.state, 'Established', 'the other session is untouched');
  raw.kill();
});

test('graceful restart helper: a dropped peer\'s routes stay stale, are refreshed on return, and the rest is swept after End-of-RIB', async () => {
  const [aA, pA] = [addr(), addr()];
  const a = await speaker({ address: aA, gracefulRestart: { restartTime: 60 } });
  a.addPeer({ address: pA, asn: 64512, passive: true, families: ['inet', 'inet-vpn'] });
  const gr: Capability = { kind: 'graceful-restart', restarting: false, notification: false, restartTime: 30, families: [{ afi: 1, safi: 128, forwarding: true }] };
  const open = (restarting: boolean) => RawBgpPeer.open({ host: aA, port: a.port, localAddress: pA, asn: 64512, routerId: pA, capabilities: rawCaps({ ...gr, restarting }) });
  let raw = await open(false);
  const gotOpen = raw.received.find((m) => m.type === 'open');
  assert.ok(gotOpen?.type === 'open' && gotOpen.capabilities.some((c) => c.kind === 'graceful-restart' && c.restartTime === 60));
  const announce = (prefix: string) =>
    raw.send(encodeUpdate({ announced: [{ nlri: vpn('64512:9', prefix), labels: [5] }], attrs: { origin: 'igp', asPath: [], nextHop: pA } }, { as4: true }));
  announce('10.1.0.0/24');
  announce('10.2.0.0/24');
  await eventually(() => a.table('inet-vpn').size === 2, 'routes in');
  raw.kill();
  await eventually(() => a.peer(pA)?.state !== 'Established', 'down');
  const kept = [...a.table('inet-vpn').routes()];
  assert.equal(kept.length, 2, 'routes kept');
  assert.ok(kept.every((r) => r.paths[0].stale));
  assert.deepEqual(a.peer(pA)?.gracefulRestart.staleFamilies, ['inet-vpn']);
  raw = await open(true);
  announce('10.1.0.0/24');
  raw.send(encodeEndOfRib('inet-vpn'));
  await eventually(() => a.table('inet-vpn').size === 1, 'the route not re-announced is swept at End-of-RIB');
  assert.equal(a.table('inet-vpn').get(vpn('64512:9', '10.1.0.0/24'))?.paths[0].stale, false);
  assert.equal(a.peer(pA)?.flapCount, 1);
  raw.kill();
});

test('configuration errors are typed and change nothing', async () => {
  const a = await speaker({ address: addr() });
  assert.throws(() => a.addPeer({ address: 'nope', asn: 1 }), { code: 'BGP_BAD_CONFIG' });
  assert.throws(() => a.addPeer({ address: '10.0.0.1', asn: 1, holdTime: 2 }), { code: 'BGP_BAD_CONFIG' });
  assert.throws(() => a.addPeer({ address: '10.0.0.1', asn: 1, families: ['ipv9' as Family] }), { code: 'BGP_BAD_CONFIG' });
  assert.equal(a.peers().length, 0);
  a.addPeer({ address: '10.0.0.1', asn: 1, passive: true });
  assert.throws(() => a.addPeer({ address: '10.0.0.1', asn: 1 }), { code: 'BGP_PEER_EXISTS' });
  assert.throws(() => new Speaker({ asn: 0, routerId: '1.1.1.1' }), { code: 'BGP_BAD_CONFIG' });
  assert.throws(() => new Speaker({ asn: 1, routerId: '0.0.0.0' }), { code: 'BGP_BAD_CONFIG' });
  assert.throws(() => new Speaker({ asn: 1, routerId: '1.1.1.1', gracefulRestart: { restartTime: 60, selectionDeferral: { time: 60 } } }), { code: 'BGP_BAD_CONFIG' }, 'deferral without restarting');
  assert.throws(() => new Speaker({ asn: 1, routerId: '1.1.1.1', gracefulRestart: { restartTime: 60, restarting: true, selectionDeferral: { time: -1 } } }), { code: 'BGP_BAD_CONFIG' });
  assert.equal(a.removePeer('10.0.0.1'), true);
  assert.equal(a.removePeer('10.0.0.1'), false);
});

test('route-target membership reaches a client whose own RTC path is best at the reflector (RFC 4684 §3.2)', async () => {
  const [rrA, aA, bA] = [addr(), addr(), addr()]; // a's router id is lower than b's: a's RTC path wins at the reflector
  const rr = await speaker({ address: rrA });
  const a = await speaker({ address: aA });
  const b = await speaker({ address: bA });
  const fam: Partial<PeerConfig> = { families: ['inet-vpn', 'route-target'] };
  link(a, aA, rr, rrA, fam, { ...fam, rrClient: true });
  link(b, bA, rr, rrA, fam, { ...fam, rrClient: true });
  // both import target 1; only a exports routes with it
  a.originate({ nlri: rtc('target:64512:1') });
  b.originate({ nlri: rtc('target:64512:1') });
  a.originate({ nlri: vpn(`${aA}:1`, '10.41.0.0/24'), labels: [41], attrs: { nextHop: aA, extCommunities: ['target:64512:1'] } });
  await eventually(() => vpnKeys(b).includes('10.41.0.0/24'), 'b receives a\'s route through the reflector');
  const best = rr.table('route-target').get(rtc('target:64512:1'))!.paths[0];
  assert.equal(rr.sources.get(best.source).address, aA, 'a\'s own RTC path is the best one at the reflector');
});

const grCap = (restarting: boolean, families: [number, number][]): Capability => ({
  kind: 'graceful-restart', restarting, notification: false, restartTime: 30, families: families.map(([afi, safi]) => ({ afi, safi, forwarding: true })),
});
const updates = (raw: RawBgpPeer) => raw.received.filter((m) => m.type === 'update');
const announcedPrefixes = (raw: RawBgpPeer) => updates(raw).flatMap((m) => (m.type === 'update' ? m.announced.map((a) => (a.nlri as { prefix: string }).prefix) : []));

test('a restarting speaker sends nothing, End-of-RIB included, until every expected peer has sent its End-of-RIB (RFC 4724 §4.1)', async () => {
  const [rA, aA, bA] = [addr(), addr(), addr()];
  const r = await speaker({ address: rA, gracefulRestart: { restartTime: 60, restarting: true, selectionDeferral: { time: 120 } } });
  for (const p of [aA, bA]) r.addPeer({ address: p, asn: 64512, passive: true, rrClient: true, families: ['inet'] });
  r.originate({ nlri: { family: 'inet', prefix: '10.60.0.0/16' }, attrs: { nextHop: rA } });
  const caps = [{ kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'four-octet-as', asn: 64512 }, grCap(false, [[1, 1]])] as Capability[];
  const announce = (raw: RawBgpPeer, prefix: string, nh: string) =>
    raw.send(encodeUpdate({ announced: [{ nlri: { family: 'inet', prefix }, labels: [] }], attrs: { origin: 'igp', asPath: [], nextHop: nh } }, { as4: true }));
  const a = await RawBgpPeer.open({ host: rA, port: r.port, localAddress: aA, asn: 64512, routerId: aA, capabilities: caps });
  const open = a.received.find((m) => m.type === 'open');
  assert.ok(open?.type === 'open' && open.capabilities.some((c) => c.kind === 'graceful-restart' && c.restarting), 'R bit announced');
  announce(a, '10.61.0.0/16', aA);
  a.send(encodeEndOfRib('inet'));
  await eventually(() => r.table('inet').get({ family: 'inet', prefix: '10.61.0.0/16' }), 'r takes a\'s route in');
  await new Promise((res) => setTimeout(res, 300));
  assert.deepEqual(updates(a), [], 'deferring: no route and no End-of-RIB for a yet');
  assert.deepEqual(r.selectionDeferral()?.waitingFor, [{ peer: bA, families: ['route-target', 'inet', 'inet-vpn', 'e-vpn'] }]);

  const b = await RawBgpPeer.open({ host: rA, port: r.port, localAddress: bA, asn: 64512, routerId: bA, capabilities: caps });
  announce(b, '10.62.0.0/16', bA);
  b.send(encodeEndOfRib('inet'));
  await a.until((m) => m.type === 'update' && m.endOfRib === 'inet');
  await b.until((m) => m.type === 'update' && m.endOfRib === 'inet');
  assert.equal(r.selectionDeferral(), null);
  assert.deepEqual(announcedPrefixes(a).sort(), ['10.60.0.0/16', '10.62.0.0/16'], 'a gets the whole table at once: b\'s route before the End-of-RIB');
  assert.deepEqual(announcedPrefixes(b).sort(), ['10.60.0.0/16', '10.61.0.0/16']);
  const eorAt = updates(a).findIndex((m) => m.type === 'update' && m.endOfRib === 'inet');
  assert.equal(eorAt, updates(a).length - 1, 'End-of-RIB last');
  a.kill();
  b.kill();
});

test('the R bit lasts as long as the restart: cleared after the deferral, or after a peer\'s End-of-RIB for every family', async () => {
  const hasR = (raw: RawBgpPeer) => {
    const open = raw.received.find((m) => m.type === 'open');
    return open?.type === 'open' && open.capabilities.some((c) => c.kind === 'graceful-restart' && c.restarting);
  };
  const caps = [{ kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'four-octet-as', asn: 64512 }, grCap(false, [[1, 1]])] as Capability[];
  // with selection deferral (a control node): R until the deferral is over
  const [rA, aA] = [addr(), addr()];
  const r = await speaker({ address: rA, gracefulRestart: { restartTime: 60, restarting: true, selectionDeferral: { time: 120 } } });
  r.addPeer({ address: aA, asn: 64512, passive: true, families: ['inet'] });
  const a1 = await RawBgpPeer.open({ host: rA, port: r.port, localAddress: aA, asn: 64512, routerId: aA, capabilities: caps });
  assert.ok(hasR(a1), 'R bit while deferring');
  assert.equal(r.restarting, true);
  a1.send(encodeEndOfRib('inet'));
  await a1.until((m) => m.type === 'update' && m.endOfRib === 'inet');
  assert.equal(r.restarting, false, 'deferral over: restart over');
  a1.kill();
  await eventually(() => r.peers().every((p) => p.state !== 'Established'), 'session down');
  const a2 = await RawBgpPeer.open({ host: rA, port: r.port, localAddress: aA, asn: 64512, routerId: aA, capabilities: caps });
  assert.equal(hasR(a2), false, 'a later session announces no R bit');
  a2.kill();
  // without deferral (an agent): R until a peer has sent End-of-RIB for every family it negotiated
  const [gA, cA] = [addr(), addr()];
  const g = await speaker({ address: gA, gracefulRestart: { restartTime: 60, restarting: true } });
  g.addPeer({ address: cA, asn: 64512, passive: true, families: ['inet'] });
  const c1 = await RawBgpPeer.open({ host: gA, port: g.port, localAddress: cA, asn: 64512, routerId: cA, capabilities: caps });
  assert.ok(hasR(c1));
  await new Promise((res) => setTimeout(res, 100));
  assert.equal(g.restarting, true, 'no End-of-RIB yet');
  c1.send(encodeEndOfRib('inet'));
  await eventually(() => !g.restarting, 'restart over after the peer\'s End-of-RIB');
  c1.kill();
  await eventually(() => g.peers().every((p) => p.state !== 'Established'), 'session down');
  const c2 = await RawBgpPeer.open({ host: gA, port: g.port, localAddress: cA, asn: 64512, routerId: cA, capabilities: caps });
  assert.equal(hasR(c2), false);
  c2.kill();
});

test('a peer that restarted (R bit) gets VPN routes only after its route-target End-of-RIB, however long past rtcWait', async () => {
  const [sA, pA] = [addr(), addr()];
  const s = await speaker({ address: sA, rtcWait: 1 });
  s.addPeer({ address: pA, asn: 64512, passive: true, rrClient: true, families: ['inet-vpn', 'route-target'] });
  s.originate({ nlri: vpn('64512:5', '10.70.0.0/24'), labels: [70], attrs: { nextHop: sA, extCommunities: ['target:64512:70'] } });
  const caps = [{ kind: 'multiprotocol', afi: 1, safi: 128 }, { kind: 'multiprotocol', afi: 1, safi: 132 }, { kind: 'four-octet-as', asn: 64512 }, grCap(true, [[1, 128], [1, 132]])] as Capability[];
  const p = await RawBgpPeer.open({ host: sA, port: s.port, localAddress: pA, asn: 64512, routerId: pA, capabilities: caps });
  p.send(encodeUpdate({ announced: [{ nlri: rtc('target:64512:70'), labels: [] }], attrs: { origin: 'igp', asPath: [], nextHop: pA } }, { as4: true }));
  await new Promise((res) => setTimeout(res, 1800));
  assert.deepEqual(announcedPrefixes(p), [], 'rtcWait (1 s) is not enough for a restarting peer');
  p.send(encodeEndOfRib('route-target'));
  await p.until((m) => m.type === 'update' && m.endOfRib === 'inet-vpn');
  assert.deepEqual(announcedPrefixes(p), ['10.70.0.0/24']);
  assert.equal(s.peer(pA)?.gracefulRestart.peerRestarting, true);
  p.kill();
});

test('outgoing UPDATEs are built in bounded steps across event-loop turns', async () => {
  const [aA, bA, cA] = [addr(), addr(), addr()];
  const scheduler = new ExportScheduler({ sliceMs: 0 }); // one step per turn
  const a = await speaker({ address: aA, scheduler });
  const b = await speaker({ address: bA });
  const c = await speaker({ address: cA });
  link(a, aA, b, bA, { families: ['inet'] }, { families: ['inet'] });
  link(a, aA, c, cA, { families: ['inet'] }, { families: ['inet'] });
  await established(a, bA);
  await established(a, cA);
  const before = scheduler.slices;
  let turns = 0;
  const ticker = setInterval(() => turns++, 0);
  for (let i = 0; i < 5000; i++) a.originate({ nlri: { family: 'inet', prefix: `10.${i >> 8}.${i & 255}.0/24` }, attrs: { nextHop: aA } });
  await eventually(() => b.table('inet').size === 5000 && c.table('inet').size === 5000, 'all routes at b and c');
  clearInterval(ticker);
  assert.ok(scheduler.slices - before >= 2 * Math.ceil(5000 / 512), `${scheduler.slices - before} slices for 2 peers`);
  assert.ok(turns > 0, 'timers ran while the export went on');
  assert.equal(a.peer(bA)?.prefixes.inet?.out, 5000);
  assert.equal(a.peer(bA)?.sendState, 'in sync');
});
