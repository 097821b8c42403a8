// The benchmark's simulated agents, many per process: one BGP speaker per agent (the agent's role of
// ARCHITECTURE.md decision 5: VPNv4 routes with RD <node-ip>:<vrf>, label = VN id, export targets,
// encapsulation and origin-VN communities, local-pref 200, and RTC routes for its import targets).
// Protocol on stdin/stdout, one JSON line each:
//   out {event:'up', t}                    every session Established
//   in  'go'                               originate every RTC and VPN route now
//   out {event:'originated', t}
//   out {event:'converged', t}             every agent holds exactly its expected count of VPN paths
//   in  'cut'                              from now on, wait for the counts `expectedAfterCut`
//   out {event:'cut-done', t}
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Speaker } from '../../src/bgp/speaker.js';
import { originVnCommunity } from '../../src/control/origin-vn.js';

export interface AgentPlan {
  readonly address: string;
  readonly vrfs: readonly { readonly vnIndex: number; readonly importTargets: readonly string[]; readonly exportTargets: readonly string[] }[];
  /** [vrf position, prefix] */
  readonly routes: readonly [number, string][];
  readonly expected: number;
  readonly expectedAfterCut: number;
}

export interface Plan {
  readonly cn: { readonly address: string; readonly port: number };
  readonly holdTime: number;
  readonly asn: number;
  readonly agents: readonly AgentPlan[];
}

if (process.env.BENCH_DEBUG) {
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  setInterval(() => {
    process.stderr.write(`agents loop delay max ${(lag.max / 1e6).toFixed(0)} ms, rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB\n`);
    lag.reset();
  }, 1000).unref();
}

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Plan;
const emit = (o: Record<string, unknown>): void => console.log(JSON.stringify({ ...o, t: Date.now() }));

interface Live {
  readonly plan: AgentPlan;
  readonly speaker: Speaker;
  source: number;
}

const live: Live[] = plan.agents.map((a) => {
  const s = new Speaker({ asn: plan.asn, routerId: a.address, listen: false, holdTime: plan.holdTime, connectRetryTime: 1, idleHoldTime: 1, rtcWait: 1 });
  s.addPeer({ address: plan.cn.address, port: plan.cn.port, localAddress: a.address, asn: plan.asn, families: ['inet-vpn', 'route-target'] });
  return { plan: a, speaker: s, source: -1 };
});

let target: 'expected' | 'expectedAfterCut' | undefined;
let pending = new Set<Live>();
let done: string | undefined;

function check(l: Live): void {
  if (!target || !pending.has(l)) return;
  if (l.source < 0) l.source = l.speaker.sources.all().find((x) => x.address === plan.cn.address)?.id ?? -1;
  const n = l.source < 0 ? 0 : l.speaker.table('inet-vpn').countBySource(l.source);
  if (n === l.plan[target]) {
    pending.delete(l);
    if (pending.size === 0 && done) {
      emit({ event: done });
      target = undefined;
    }
  }
}

function await_(t: 'expected' | 'expectedAfterCut', event: string): void {
  target = t;
  done = event;
  pending = new Set(live);
  for (const l of live) check(l);
}

for (const l of live) {
  l.speaker.table('inet-vpn').subscribeIds(() => setImmediate(() => check(l)));
  l.speaker.onPeerEvent((e) => {
    if (e.type === 'down') emit({ event: 'session-down', agent: l.plan.address, reason: e.reason });
  });
}

await Promise.all(live.map((l) => l.speaker.start()));
await new Promise<void>((resolve) => {
  const poll = setInterval(() => {
    if (live.every((l) => l.speaker.peer(plan.cn.address)?.state === 'Established')) {
      clearInterval(poll);
      resolve();
    }
  }, 20);
});
emit({ event: 'up' });

async function go(): Promise<void> {
  // one agent per event-loop turn: 99 agents originating 99,000 routes in one task would hold this
  // process's loop (and its keepalives) for a second or more
  for (const l of live) {
    await new Promise((r) => setImmediate(r));
    const subscribed = new Set<string>();
    for (const v of l.plan.vrfs) {
      for (const t of v.importTargets) {
        if (subscribed.has(t)) continue;
        subscribed.add(t);
        l.speaker.originate({ nlri: { family: 'route-target', originAs: plan.asn, routeTarget: t, prefixLen: 96 } });
      }
    }
    for (const [i, prefix] of l.plan.routes) {
      const v = l.plan.vrfs[i];
      l.speaker.originate({
        nlri: { family: 'inet-vpn', rd: `${l.plan.address}:${v.vnIndex}`, prefix },
        labels: [v.vnIndex],
        attrs: { nextHop: l.plan.address, localPref: 200, extCommunities: [...v.exportTargets, 'encapsulation:vxlan', originVnCommunity(plan.asn, v.vnIndex)] },
      });
    }
  }
  emit({ event: 'originated' });
  await_('expected', 'converged');
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'go') void go();
  else if (line === 'cut') await_('expectedAfterCut', 'cut-done');
  else if (line === 'exit') process.exit(0);
});
