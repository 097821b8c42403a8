// `npm run bench -- control [--agents 100] [--routes 1000] [--vns 100] [--vns-per-agent 2] [--hold 3] [--hold-others 3]`
// A control node process (`bench/control/cn.ts`, compiled to JS) follows a config API with the schema
// transformer (100 networks, paired by 50 policies: each network imports its partner's target, so
// every route lands in two VRFs ≈ 200,000 VRF paths). Simulated agents in two other processes (99 in one,
// the agent to be cut alone in the other) peer with it over loopback: each hosts --vns-per-agent
// networks (a network's agents share its routes), advertises --routes /32 interface routes spread over
// them, and subscribes (RTC) to the import targets of its VRFs. Default 2 networks per agent: every network
// has two agents (routes flow between agents of one network and, by policy, to the partner network's),
// 300,000 route deliveries to agents; more networks per agent multiply the deliveries (10: 1.9 M).
// Figures: converge_s — from every session Established and the agents told to originate their routes (all
// of them, one agent per event-loop turn of the agents' process), to every
// agent holding exactly the VPN paths it should (computed here from the targets); rss_bytes_per_path —
// the control node's RSS at convergence divided by its VRF paths; withdraw_after_cut_s — from SIGSTOP of
// one agent's process (its TCP session stays open, silent) to every other agent having dropped all of
// its routes, with hold time --hold (the control node detects the cut by its hold timer).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startConfigApi } from '../src/config/server.js';
import { createLogger } from '../src/common/log.js';
import { VncClient } from '../src/vnc/client.js';
import type { AgentPlan, Plan } from './control/agents.js';

const BENCH = 'control';

interface Options {
  agents: number;
  routes: number;
  vns: number;
  vnsPerAgent: number;
  hold: number;
  holdOthers: number;
}

function parse(args: string[]): Options {
  const o: Options = { agents: 100, routes: 1000, vns: 100, vnsPerAgent: 2, hold: 3, holdOthers: NaN };
  for (let i = 0; i < args.length; i++) {
    const v = Number(args[i + 1]);
    if (args[i] === '--agents') o.agents = v;
    else if (args[i] === '--routes') o.routes = v;
    else if (args[i] === '--vns') o.vns = v;
    else if (args[i] === '--vns-per-agent') o.vnsPerAgent = v;
    else if (args[i] === '--hold') o.hold = v;
    else if (args[i] === '--hold-others') o.holdOthers = v;
    else continue;
    i++;
  }
  if (Number.isNaN(o.holdOthers)) o.holdOthers = o.hold;
  if (o.vns % 2 !== 0) throw new Error('--vns must be even (networks are paired)');
  if (o.routes % o.vnsPerAgent !== 0) throw new Error('--routes must be a multiple of --vns-per-agent');
  return o;
}

function figure(name: string, value: number, unit: string): void {
  console.log(JSON.stringify({ bench: BENCH, figure: name, value: Number(value.toFixed(3)), unit }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

function procStatusKb(pid: number, field: string): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** CPU seconds (user + system) a process used so far. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / 100;
}

function compile(): string {
  const out = '.bench-out/control-js';
  rmSync(out, { recursive: true, force: true });
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', 'bench/control/cn.ts', 'bench/control/agents.ts', '--outDir', out, '--rootDir', '.',
    '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2023', '--skipLibCheck', '--types', 'node', '--strict'], { stdio: 'inherit' });
  return out;
}

/** A child speaking JSON lines: next(event) resolves with the first line of that event. */
function jsonChild(cmd: string, args: string[], name: string): { proc: ChildProcess; next(event: string, timeoutMs?: number): Promise<Record<string, unknown>>; send(line: string): void; downs(): number } {
  const proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TF_LOG_LEVEL: 'warn' } });
  const seen: Record<string, unknown>[] = [];
  let downs = 0;
  const waiters: { event: string; resolve: (o: Record<string, unknown>) => void }[] = [];
  createInterface({ input: proc.stdout }).on('line', (l) => {
    if (!l.startsWith('{')) {
      if (process.env.BENCH_DEBUG) console.log(`  [${name}] ${l}`);
      return;
    }
    const o = JSON.parse(l) as Record<string, unknown>;
    if (o.event === 'session-down') {
      downs++;
      console.log(`  [${name}] session down: ${String(o.agent)} ${String(o.reason)}`);
    }
    seen.push(o);
    for (const w of [...waiters]) if (w.event === o.event) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(o);
    }
  });
  proc.stderr.on('data', (d: Buffer) => process.stderr.write(`  [${name}] ${d.toString()}`));
  return {
    proc,
    send: (line) => proc.stdin.write(`${line}\n`),
    downs: () => downs,
    next: (event, timeoutMs = 600_000) => {
      const hit = seen.find((o) => o.event === event);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name}: no ${event} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ event, resolve: (o) => { clearTimeout(timer); resolve(o); } });
        proc.once('exit', (code) => reject(new Error(`${name} exited (${code}) before ${event}`)));
      });
    },
  };
}

const PORTS = [{ start_port: -1, end_port: -1 }];

export async function main(args: string[]): Promise<void> {
  const o = parse(args);
  const block = `127.${100 + Math.floor(Math.random() * 100)}`;
  const CN = `${block}.0.1`;
  const agentAddr = (a: number) => `${block}.${1 + Math.floor(a / 250)}.${1 + (a % 250)}`;
  console.log(`control bench: ${o.agents} agents × ${o.routes} routes, ${o.vns} networks in ${o.vns / 2} connected pairs, ${o.vnsPerAgent} networks per agent, hold ${o.hold} s (other agents ${o.holdOthers} s)`);
  console.log(`  load average at start: ${load()}`);
  const dir = mkdtempSync(join(tmpdir(), 'tf-bench-control-'));
  const children: ChildProcess[] = [];
  const api = await startConfigApi({ store: `sqlite://${join(dir, 'config.db')}`, port: 0, transformer: true, bookmarkMs: 200, logger: createLogger('bench-config').child({}, { level: 'warn' }) });
  const client = new VncClient({ url: api.url });
  try {
    // ---- config: networks, pairwise policies, virtual-routers ----
    const t0 = performance.now();
    const project = ['default-domain', 'bench'];
    await client.create('project', { fq_name: project, parent_type: 'domain' });
    const vns: { uuid: string; fq: string[] }[] = [];
    for (let v = 0; v < o.vns; v++) {
      const fq = [...project, `vn${v}`];
      vns.push({ uuid: (await client.create('virtual-network', { fq_name: fq, parent_type: 'project' })).uuid, fq });
    }
    for (let v = 0; v < o.vns; v += 2) {
      const [a, b] = [vns[v], vns[v + 1]];
      const np = await client.create('network-policy', {
        fq_name: [...project, `pair${v / 2}`], parent_type: 'project',
        network_policy_entries: { policy_rule: [{ direction: '<>', protocol: 'any', action_list: { simple_action: 'pass' }, src_addresses: [{ virtual_network: a.fq.join(':') }], dst_addresses: [{ virtual_network: b.fq.join(':') }], src_ports: PORTS, dst_ports: PORTS }] },
      });
      for (const vn of [a, b]) await client.refUpdate('virtual-network', vn.uuid, 'network-policy', np.uuid, 'ADD', { sequence: { major: 0, minor: 0 } });
    }
    for (let a = 0; a < o.agents; a++) {
      await client.create('virtual-router', { fq_name: ['default-global-system-config', `bench-node-${a}`], parent_type: 'global-system-config', virtual_router_ip_address: agentAddr(a) });
    }
    // wait for the transformer: every network's instance imports its own and its partner's target
    const info = new Map<string, { vnIndex: number; importTargets: string[]; exportTargets: string[] }>();
    for (;;) {
      const ris = await client.list('routing-instance', { detail: true });
      const nets = await client.list('virtual-network', { detail: true });
      info.clear();
      for (const ri of ris) {
        const vnFq = ri.fq_name.slice(0, -1).join(':');
        const vn = nets.find((n) => n.fq_name.join(':') === vnFq);
        if (!vn || vn.fq_name[1] !== 'bench') continue;
        const imp: string[] = [];
        const exp: string[] = [];
        for (const r of ri.route_target_refs ?? []) {
          const ie = r.attr?.import_export ?? '';
          if (ie !== 'export') imp.push(r.to[0]);
          if (ie !== 'import') exp.push(r.to[0]);
        }
        info.set(vnFq, { vnIndex: vn.virtual_network_network_id!, importTargets: imp.sort(), exportTargets: exp.sort() });
      }
      if (info.size === o.vns && [...info.values()].every((x) => x.importTargets.length === 2)) break;
      await sleep(200);
    }
    console.log(`  config written and transformed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // ---- the plan: which agent hosts which networks, what each should receive ----
    const vnInfo = vns.map((v) => info.get(v.fq.join(':'))!);
    const partner = (v: number) => v ^ 1;
    const stride = o.vns / o.vnsPerAgent;
    const hosted = (a: number): number[] => Array.from({ length: o.vnsPerAgent }, (_, j) => (a + j * stride) % o.vns);
    const perVn = o.routes / o.vnsPerAgent;
    const routesIn = new Map<number, { agent: number; prefix: string }[]>();
    let ipn = 0x0a000000;
    const routesOf: [number, string][][] = [];
    for (let a = 0; a < o.agents; a++) {
      const list: [number, string][] = [];
      hosted(a).forEach((v, i) => {
        for (let k = 0; k < perVn; k++, ipn++) {
          const prefix = `${ipn >>> 24}.${(ipn >>> 16) & 255}.${(ipn >>> 8) & 255}.${ipn & 255}/32`;
          list.push([i, prefix]);
          let l = routesIn.get(v);
          if (!l) routesIn.set(v, (l = []));
          l.push({ agent: a, prefix });
        }
      });
      routesOf.push(list);
    }
    const victim = 0;
    const agents: AgentPlan[] = [];
    let deliveries = 0;
    for (let a = 0; a < o.agents; a++) {
      const imports = new Set<number>();
      for (const v of hosted(a)) imports.add(v).add(partner(v));
      let expected = 0;
      let fromVictim = 0;
      for (const v of imports) {
        for (const r of routesIn.get(v) ?? []) {
          if (r.agent === a) continue;
          expected++;
          if (r.agent === victim) fromVictim++;
        }
      }
      deliveries += expected;
      agents.push({ address: agentAddr(a), vrfs: hosted(a).map((v) => vnInfo[v]), routes: routesOf[a], expected, expectedAfterCut: expected - fromVictim });
    }
    const vrfPaths = o.agents * o.routes * 2;
    console.log(`  ${o.agents * o.routes} VPN routes, ${vrfPaths} VRF paths expected at the control node, ${deliveries} route deliveries to agents`);

    // ---- processes ----
    const out = compile();
    const prof = [...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : []), ...(process.env.BENCH_CN_NODE_ARGS?.split(' ').filter(Boolean) ?? [])];
    const cn = jsonChild(process.execPath, [...prof, join(out, 'bench/control/cn.js'), '--config-api', api.url, '--address', CN], 'cn');
    children.push(cn.proc);
    const ready = await cn.next('ready', 120_000);
    const introspect = `http://127.0.0.1:${String(ready.introspectPort)}`;
    for (;;) {
      const st = (await (await fetch(`${introspect}/status`)).json()) as { routing_instances: number; peers: { total: number } };
      if (st.routing_instances >= o.vns + 1 && st.peers.total === o.agents) break;
      await sleep(100);
    }
    const cnPid = cn.proc.pid!;
    const rssBase = procStatusKb(cnPid, 'VmRSS') * 1024;
    console.log(`  control node up, config synced: RSS ${(rssBase / 1048576).toFixed(1)} MB before any agent`);

    const mkPlan = (list: AgentPlan[], name: string, holdTime: number): string => {
      const p: Plan = { cn: { address: CN, port: Number(ready.bgpPort) }, holdTime, asn: 64512, agents: list };
      const f = join(dir, `${name}.json`);
      writeFileSync(f, JSON.stringify(p));
      return f;
    };
    const others = jsonChild(process.execPath, [join(out, 'bench/control/agents.js'), mkPlan(agents.filter((_, i) => i !== victim), 'others', o.holdOthers)], 'agents');
    const alone = jsonChild(process.execPath, [join(out, 'bench/control/agents.js'), mkPlan([agents[victim]], 'victim', o.hold)], 'victim');
    children.push(others.proc, alone.proc);
    await Promise.all([others.next('up', 300_000), alone.next('up', 300_000)]);
    console.log(`  all ${o.agents} sessions established; load ${load()}`);

    // ---- convergence ----
    const cpu0 = [cnPid, others.proc.pid!, alone.proc.pid!].map(cpuSeconds);
    const goAt = Date.now();
    others.send('go');
    alone.send('go');
    const [c1, c2] = await Promise.all([others.next('converged'), alone.next('converged')]);
    const convergedAt = Math.max(Number(c1.t), Number(c2.t));
    const converge = (convergedAt - goAt) / 1000;
    const cpu1 = [cnPid, others.proc.pid!, alone.proc.pid!].map(cpuSeconds);
    const rss = procStatusKb(cnPid, 'VmRSS') * 1024;
    const hwm = procStatusKb(cnPid, 'VmHWM') * 1024;
    if (process.env.BENCH_HEAP_SNAPSHOT) {
      cn.proc.kill('SIGUSR2');
      await sleep(20_000);
    }
    const metrics = await (await fetch(`${introspect}/metrics`)).text();
    const held = Number(/tf_control_paths\{tables="vrf"\} (\d+)/.exec(metrics)?.[1] ?? NaN);
    const vpnPaths = Number(/tf_control_paths\{tables="inet-vpn"\} (\d+)/.exec(metrics)?.[1] ?? NaN);
    console.log(`  converged in ${converge.toFixed(2)} s (every agent holds its ${deliveries} expected routes in total); load ${load()}`);
    console.log(`  CPU used while converging: control node ${(cpu1[0] - cpu0[0]).toFixed(1)} s, agent processes ${(cpu1[1] - cpu0[1] + cpu1[2] - cpu0[2]).toFixed(1)} s (wall ${converge.toFixed(1)} s on ${cpus().length} cores)`);
    console.log(`  control node: ${held} VRF paths, ${vpnPaths} VPN paths; RSS ${(rss / 1048576).toFixed(1)} MB (peak ${(hwm / 1048576).toFixed(1)} MB, ${(rssBase / 1048576).toFixed(1)} MB before the routes)`);
    console.log(`  RSS per VRF path: ${(rss / held).toFixed(0)} B total, ${((rss - rssBase) / held).toFixed(0)} B added by the routes   (target ≤ 1024 B)`);
    if (held !== vrfPaths) console.log(`  NOTE: ${held} VRF paths held, ${vrfPaths} expected`);
    console.log(`  agent sessions lost (hold timer or other) up to convergence: ${others.downs() + alone.downs()}`);

    // ---- cut one agent: SIGSTOP its process, the session stays open and silent ----
    await sleep(1000);
    others.send('cut');
    const cutAt = Date.now();
    alone.proc.kill('SIGSTOP');
    const done = await others.next('cut-done', 120_000);
    const withdraw = (Number(done.t) - cutAt) / 1000;
    alone.proc.kill('SIGCONT');
    console.log(`  routes of the cut agent gone from every other agent ${withdraw.toFixed(2)} s after the cut (hold ${o.hold} s; target ≤ ${o.hold + 1} s); load ${load()}`);

    figure('converge_s', converge, 's');
    figure('rss_bytes_per_path', rss / held, 'B');
    figure('withdraw_after_cut_s', withdraw, 's');
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill(c === children[0] && process.env.BENCH_CPU_PROF ? 'SIGTERM' : 'SIGKILL');
    if (process.env.BENCH_CPU_PROF) await sleep(3000);
    client.close();
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
