// Graceful restart with the control node (RFC 4724, global-system-config graceful_restart_parameters):
// an agent that crashes keeps its routes (stale) at the control node and at the other agents until it
// comes back — then what it does not advertise again is swept at its End-of-RIB — or until its restart
// time runs out; a control node process killed with SIGKILL and started again on the same port leaves
// the agents forwarding on its routes meanwhile, defers its End-of-RIB until the agents that come back
// have sent theirs (RFC 4724 §4.1), so that no agent ever loses a route that is still there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigWriter, eventually, loopbackBlock, startConfigWithTransformer } from '../support/control-env.js';
import type { TestConfigApi } from '../support/config-api.js';
import { SimAgent, type SimVrf } from '../support/sim-agent.js';
import type { RouteChange } from '../../src/bgp/rib/table.js';
import { freePort, spawnControlNode, type ControlProcess } from '../support/control-process.js';
import { startControlNode, type ControlNode } from '../../src/control/control-node.js';

const host = loopbackBlock();
let api: TestConfigApi;
let cfg: ConfigWriter;
const agents: SimAgent[] = [];
const nodes: ControlNode[] = [];
const procs: ControlProcess[] = [];
let vrf: SimVrf;
let vnIndex: number;
const vrouters = new Map<string, string>();

before(async () => {
  api = await startConfigWithTransformer();
  cfg = new ConfigWriter(api.client);
  await cfg.globalSettings({ graceful_restart_parameters: { enable: true, restart_time: 30, end_of_rib_timeout: 30, bgp_helper_enable: true, xmpp_helper_enable: true } });
  const p = await cfg.project('gr');
  const vn = await cfg.network(p, 'web');
  vnIndex = vn.index;
  const t = await eventually(async () => {
    const x = await cfg.targets(vn);
    return x.import.length > 0 && x;
  }, 'targets');
  vrf = { vnIndex, vrfIndex: 1, importTargets: t.import, exportTargets: t.export };
  for (const [name, h] of [['gr-a', 11], ['gr-b', 12], ['gr-c', 13], ['gr-d', 14]] as const) vrouters.set(name, await cfg.virtualRouter(name, host(h)));
});

after(async () => {
  for (const a of agents) await a.stop().catch(() => undefined);
  for (const n of nodes) await n.stop();
  for (const p of procs) await p.kill9();
  await api?.close();
});

function agent(h: number, control: string, port: number): SimAgent {
  const a = new SimAgent({ address: host(h), controls: [{ address: control, port }], gracefulRestart: 3 });
  agents.push(a);
  return a;
}

const stale = (node: ControlNode, prefix: string): boolean | undefined => {
  const r = node.runtime!.vrf(`default-domain:gr:web:web`)?.inet.get({ family: 'inet', prefix });
  if (!r) return undefined;
  const d = [...node.runtime!.speaker.table('inet-vpn').routes()].find((x) => (x.nlri as { prefix: string }).prefix === prefix);
  return d?.paths[0].stale;
};

test('an agent crash keeps its routes stale until it returns; what it does not re-advertise is swept; then its restart time runs out', async () => {
  const CN = host(1);
  // gr-c and gr-d are configured but not started in this test: the start's selection deferral waits 2 s for them
  const node = await startControlNode({ configApi: api.url, name: 'gr-cn', routerId: CN, bgpAddress: CN, bgpPort: 0, introspectPort: 0, connectRetryTime: 1, grPeerWaitTime: 2 });
  nodes.push(node);
  const a = agent(11, CN, node.bgpPort);
  const b = agent(12, CN, node.bgpPort);
  await a.start();
  await b.start();
  await eventually(() => a.established(CN) && b.established(CN), 'sessions');
  a.subscribe(vrf);
  b.subscribe(vrf);
  a.advertise(vrf, '10.7.0.1/32');
  a.advertise(vrf, '10.7.0.9/32');
  await eventually(() => b.prefixes().join() === '10.7.0.1/32,10.7.0.9/32', 'b has a\'s routes');

  await a.crash();
  await eventually(() => stale(node, '10.7.0.1/32') === true, 'the control node marks a\'s routes stale');
  const shown = await (await fetch(`http://127.0.0.1:${node.introspectPort}/Snh_ShowRouteReq?routing_instance=default-domain:gr:web:web&prefix=10.7.0.1`)).json() as { tables: { routes: { paths: { stale: boolean }[] }[] }[] };
  assert.equal(shown.tables[0].routes[0].paths[0].stale, true, 'introspect shows the VRF copy stale too');
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(b.prefixes(), ['10.7.0.1/32', '10.7.0.9/32'], 'b keeps forwarding on a\'s routes');
  const nei = node.runtime!.speaker.peer(host(11))!;
  assert.ok(nei.gracefulRestart.staleFamilies.includes('inet-vpn'));

  // a comes back with only one of its routes: the other is swept at its End-of-RIB
  const a2 = agent(11, CN, node.bgpPort);
  a2.subscribe(vrf);
  a2.advertise(vrf, '10.7.0.1/32');
  await a2.start();
  await eventually(() => b.prefixes().join() === '10.7.0.1/32', 'the route a did not re-advertise is swept');
  assert.equal(stale(node, '10.7.0.1/32'), false, 'the re-advertised route is fresh again');

  // a crashes for good: its routes go when its restart time (3 s) runs out
  await a2.crash();
  await eventually(() => stale(node, '10.7.0.1/32') === true, 'stale again');
  await eventually(() => b.prefixes().length === 0, 'swept after the restart time', 15_000);
  await node.stop();
  nodes.splice(nodes.indexOf(node), 1);
});

test('a control node killed (SIGKILL) and restarted: agents keep its routes meanwhile, it defers End-of-RIB until the agents are back, no route flaps', async () => {
  // the agents of the first test are gone: the control node expects gr-c and gr-d only
  for (const name of ['gr-a', 'gr-b']) await api.client.delete('virtual-router', vrouters.get(name)!);
  const CN = host(2);
  const port = await freePort(CN);
  const spawnCn = () => spawnControlNode({ configApi: api.url, name: 'gr-cn2', address: CN, bgpPort: port, extra: ['--gr-peer-wait', '15'] });
  let cn = await spawnCn();
  procs.push(cn);
  const c = agent(13, CN, port);
  const d = agent(14, CN, port);
  await c.start();
  await d.start();
  await eventually(() => c.established(CN) && d.established(CN), 'sessions with the process');
  c.subscribe(vrf);
  d.subscribe(vrf);
  c.advertise(vrf, '10.8.0.3/32');
  d.advertise(vrf, '10.8.0.4/32');
  await eventually(() => c.prefixes().join() === '10.8.0.4/32' && d.prefixes().join() === '10.8.0.3/32', 'routes exchanged');
  // every change of d's route at c from here on: it must never go away
  const lost: RouteChange[] = [];
  c.speaker.subscribe('inet-vpn', (changes) => {
    for (const x of changes) if ((x.nlri as { prefix: string }).prefix === '10.8.0.4/32' && x.ecmp.length === 0) lost.push(x);
  });

  const updatesBefore = c.speaker.peer(CN)!.messages.in.update;
  await cn.kill9();
  procs.splice(procs.indexOf(cn), 1);
  await eventually(() => c.received().every((r) => r.stale) && c.received().length === 1, 'c holds d\'s route as stale');
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(c.prefixes(), ['10.8.0.4/32'], 'still forwarding while the control node is away');
  assert.deepEqual(d.prefixes(), ['10.8.0.3/32']);

  // d comes back late: its session is taken down and set up again only after c is back
  const dPeer = d.speaker.peer(CN)!;
  d.speaker.removePeer(CN);
  cn = await spawnCn();
  procs.push(cn);
  await eventually(() => c.established(CN), 'c reconnects');
  const status = await (await fetch(`${cn.introspect}/status`)).json() as { selection_deferral: { waiting_for: { peer: string }[] } | null };
  assert.ok(status.selection_deferral?.waiting_for.some((w) => w.peer === host(14)), 'the restarted node waits for d');
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(c.speaker.peer(CN)?.messages.in.update, updatesBefore, 'nothing sent to c while deferring (no routes, no End-of-RIB)');
  d.speaker.addPeer({ address: CN, port, localAddress: host(14), asn: 64512, families: [...dPeer.families] });
  await eventually(() => d.established(CN), 'd reconnects');
  await eventually(() => c.received().length === 1 && !c.received()[0].stale && d.received().length === 1 && !d.received()[0].stale, 'routes refreshed, not stale');
  assert.deepEqual(c.prefixes(), ['10.8.0.4/32']);
  assert.deepEqual(d.prefixes(), ['10.8.0.3/32']);
  assert.deepEqual(lost, [], 'd\'s route never left c');
});
