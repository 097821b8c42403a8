// The agent's BGP side against a route reflector and another agent, both our speaker, over TCP on
// loopback addresses of their own: originating as differences, RTC subscriptions, reading back VPN
// routes with their label, targets and security-group ids, headless mode when the reflector goes away,
// and the seeded snapshot after a restart.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Speaker } from '../bgp/speaker.js';
import { createLogger } from '../common/log.js';
import { eventually, loopbackBlock } from '../../test/support/control-env.js';
import { AgentBgp } from './bgp.js';
import { sgCommunity } from './communities.js';
import type { VpnAdvert, VpnPath } from './model.js';

const host = loopbackBlock();
const RR = host(1);
const A = host(11);
const B = host(12);
const T1 = 'target:64512:8000001';
const log = createLogger('agent-bgp-test');
const stops: (() => Promise<void>)[] = [];
after(async () => {
  for (const s of stops.reverse()) await s().catch(() => undefined);
});

async function reflector(port = 0): Promise<Speaker> {
  const rr = new Speaker({ asn: 64512, routerId: RR, listen: { port, address: RR }, holdTime: 9, connectRetryTime: 1, rtcWait: 1 });
  for (const a of [A, B]) rr.addPeer({ address: a, asn: 64512, families: ['inet-vpn', 'route-target'], rrClient: true, passive: true });
  await rr.start();
  stops.push(() => rr.stop());
  return rr;
}

const advert = (prefix: string, extra: Partial<VpnAdvert> = {}): VpnAdvert => ({
  kind: 'interface', rd: `${A}:5`, prefix, label: 5, nextHop: A, localPref: 200, extCommunities: [T1, 'encapsulation:vxlan'], ...extra,
});

function agentBgp(address: string, port: number, onChange = () => undefined): AgentBgp {
  const b = new AgentBgp({ asn: 64512, routerId: address, controls: [{ address: RR, port }], holdTime: 9, restartTime: 60, restarting: false, connectRetryTime: 1, logger: log, onChange, staleGraceMs: 1500 });
  stops.push(() => b.stop());
  return b;
}

let rr: Speaker;
let a: AgentBgp;
let b: AgentBgp;

test('originated routes reach the reflector as differences; RTC routes subscribe to targets', async () => {
  rr = await reflector();
  a = agentBgp(A, rr.port);
  b = agentBgp(B, rr.port);
  assert.deepEqual(a.apply([advert('10.1.0.11/32'), advert('10.1.0.12/32')], [T1]), { originated: 3, withdrawn: 0 });
  assert.deepEqual(a.apply([advert('10.1.0.11/32'), advert('10.1.0.12/32')], [T1]), { originated: 0, withdrawn: 0 }, 'in sync: nothing');
  b.apply([advert('10.1.0.21/32', { rd: `${B}:5`, nextHop: B, extCommunities: [T1, 'encapsulation:vxlan', sgCommunity(64512, 8000007)] })], [T1]);
  await Promise.all([a.start(), b.start()]);
  const got = await eventually(() => rr.table('inet-vpn').get({ family: 'inet-vpn', rd: `${A}:5`, prefix: '10.1.0.11/32' }), 'route at the reflector');
  assert.equal(got.paths[0].label, 5);
  assert.equal(got.paths[0].attrs.localPref, 200);
  assert.deepEqual(got.paths[0].attrs.extCommunities, [T1, 'encapsulation:vxlan']);
  assert.ok(rr.table('route-target').routes().next().value, 'RTC route');
  assert.deepEqual(a.apply([advert('10.1.0.11/32', { label: 6 })], [T1]), { originated: 1, withdrawn: 1 });
  await eventually(() => !rr.table('inet-vpn').get({ family: 'inet-vpn', rd: `${A}:5`, prefix: '10.1.0.12/32' }), 'withdrawn at the reflector');
  await eventually(() => rr.table('inet-vpn').get({ family: 'inet-vpn', rd: `${A}:5`, prefix: '10.1.0.11/32' })?.paths[0].label === 6, 'replaced');
});

test("the other agent's routes come back with label, targets and security-group ids; our own do not", async () => {
  const paths = await eventually(() => {
    const r = a.remote();
    return r.length > 0 && a.endOfRibSeen && r;
  }, 'remote routes at a');
  assert.deepEqual(paths, [{ rd: `${B}:5`, prefix: '10.1.0.21/32', nextHop: B, label: 5, targets: [T1], localPref: 200, sgIds: [8000007], stale: false, peer: RR }] satisfies VpnPath[]);
  assert.equal(a.headless, false);
});

test('headless: when the reflector goes away the last routes stay; after a new one\'s End-of-RIB, routes it did not resend stay stale for a grace period', async () => {
  const port = rr.port;
  await rr.stop();
  await eventually(() => a.headless, 'a headless');
  assert.deepEqual(a.remote().map((r) => r.prefix), ['10.1.0.21/32'], 'frozen routes kept');
  assert.ok([...a.speaker.table('inet-vpn').routes()].every((r) => r.paths.every((p) => p.source === 0)), 'the table itself dropped them');
  await b.stop();
  rr = await reflector(port);
  await eventually(() => !a.headless, 'a live again', 30_000);
  assert.deepEqual(a.remote().map((r) => [r.prefix, r.stale]), [['10.1.0.21/32', true]], 'not re-sent (b is down): kept stale');
  await eventually(() => a.remote().length === 0, 'dropped after the grace period');
});

test('a seeded snapshot (routes before a restart) is used, stale, until the first End-of-RIB', async () => {
  const seedPath: VpnPath = { rd: `${B}:5`, prefix: '10.1.0.99/32', nextHop: B, label: 5, targets: [T1], localPref: 200, sgIds: [], stale: false, peer: RR };
  const c = new AgentBgp({ asn: 64512, routerId: host(13), controls: [{ address: RR, port: 1 }], holdTime: 9, restartTime: 60, restarting: true, logger: log, onChange: () => undefined });
  c.seed([seedPath]);
  assert.equal(c.headless, true);
  assert.deepEqual(c.remote(), [{ ...seedPath, stale: true }]);
  assert.equal(c.endOfRibSeen, false);
});

test('two control nodes: routes from both, one going away is no headless mode', async () => {
  const h = loopbackBlock();
  const [R1, R2, X, Y] = [h(1), h(2), h(11), h(12)];
  const rrs: Speaker[] = [];
  for (const r of [R1, R2]) {
    const s = new Speaker({ asn: 64512, routerId: r, listen: { port: 0, address: r }, holdTime: 9, connectRetryTime: 1, rtcWait: 1 });
    for (const a of [X, Y]) s.addPeer({ address: a, asn: 64512, families: ['inet-vpn', 'route-target'], rrClient: true, passive: true });
    await s.start();
    stops.push(() => s.stop());
    rrs.push(s);
  }
  const mk = (addr: string) => {
    const b = new AgentBgp({ asn: 64512, routerId: addr, controls: rrs.map((r, i) => ({ address: [R1, R2][i], port: r.port })), holdTime: 9, restartTime: 60, restarting: false, connectRetryTime: 1, logger: log, onChange: () => undefined });
    stops.push(() => b.stop());
    return b;
  };
  const x = mk(X);
  const y = mk(Y);
  y.apply([advert('10.9.0.2/32', { rd: `${Y}:5`, nextHop: Y })], [T1]);
  x.apply([], [T1]);
  await Promise.all([x.start(), y.start()]);
  await eventually(() => x.peers().filter((p) => p.state === 'Established').length === 2 && x.remote().length === 1, 'x has both sessions and the route');
  await eventually(() => [...x.speaker.table('inet-vpn').routes()][0]?.paths.length === 2, 'the route from both control nodes');
  await rrs[0].stop();
  await eventually(() => x.peers().filter((p) => p.state === 'Established').length === 1, 'one session left');
  assert.equal(x.headless, false);
  assert.deepEqual(x.remote().map((r) => [r.prefix, r.peer]), [['10.9.0.2/32', R2]], 'now from the other control node');
});

test('after headless mode, a control node with graceful restart (restarted: it deferred its End-of-RIB) leaves no stale grace period', async () => {
  const h = loopbackBlock();
  const [R, X, Y] = [h(1), h(11), h(12)];
  const rrOf = async (port: number, restarting: boolean) => {
    const s = new Speaker({
      asn: 64512, routerId: R, listen: { port, address: R }, holdTime: 9, connectRetryTime: 1, rtcWait: 1,
      ...(restarting ? { gracefulRestart: { restartTime: 60, restarting: true, selectionDeferral: { time: 30, peerWait: 1 } } } : {}),
    });
    for (const a of [X, Y]) s.addPeer({ address: a, asn: 64512, families: ['inet-vpn', 'route-target'], rrClient: true, passive: true });
    await s.start();
    stops.push(() => s.stop());
    return s;
  };
  let r = await rrOf(0, false);
  const port = r.port;
  const mk = (addr: string) => {
    const b = new AgentBgp({ asn: 64512, routerId: addr, controls: [{ address: R, port }], holdTime: 9, restartTime: 60, restarting: false, connectRetryTime: 1, logger: log, onChange: () => undefined, staleGraceMs: 60_000 });
    stops.push(() => b.stop());
    return b;
  };
  const x = mk(X);
  const y = mk(Y);
  x.apply([], [T1]);
  y.apply([advert('10.9.0.2/32', { rd: `${Y}:5`, nextHop: Y })], [T1]);
  await Promise.all([x.start(), y.start()]);
  await eventually(() => x.remote().length === 1, 'x has y\'s route');
  await r.stop();
  await eventually(() => x.headless, 'x headless');
  await y.stop(); // y does not come back
  r = await rrOf(port, true);
  await eventually(() => !x.headless, 'x live again after the restarted node\'s End-of-RIB', 30_000);
  assert.deepEqual(x.remote(), [], 'y\'s route, not re-sent by a node that waited for the agents, is gone at once');
});
