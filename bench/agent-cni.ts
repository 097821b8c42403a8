// CNI ADD latency through tf-cni and the agent, measured as a kubelet sees it: from the exec of the
// plugin (inside the node's namespace, as bench/cni-bridge.ts runs the bridge plugin) to its exit with
// the result, over `count` sequential pods whose config already exists (kube-manager runs ahead of the
// kubelet). One node namespace on a small fabric, a real config API (with the schema transformer) in
// this process, the agent as its own process (`tfctl serve agent`, no control node: it renders after
// its End-of-RIB timeout). Reusable: `npm run bench -- datapath` calls measureTfCniAdd() next to the
// bridge anchor; `npm run bench -- agent-cni [--pods N]` runs it alone.
import { once } from 'node:events';
import { spawnInNetns } from '../src/datapath/linux/netns.js';
import { startTestConfigApi } from '../test/support/config-api.js';
import { AgentProcess, ConfigBuilder, Fabric, TF_CNI, cniEnv, eventually, netconf, type PodObjects } from '../test/support/agent-env.js';
import { summarize, type LatencySummary } from './cni-bridge.js';

export interface TfCniOptions {
  count?: number;
  /** print progress lines */
  verbose?: boolean;
}

export interface TfCniSummary extends LatencySummary {
  /** the agent's own ADD time (tf_agent_cni_add_seconds), ms, p50 */
  agentP50Ms: number;
}

async function execCni(node: string, env: Record<string, string>, stdin: string): Promise<{ code: number | null; out: string }> {
  const child = spawnInNetns(node, ['sh', TF_CNI], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  child.stdin!.end(stdin);
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, out };
}

export async function measureTfCniAdd(opts: TfCniOptions = {}): Promise<TfCniSummary> {
  const count = opts.count ?? 200;
  const fabric = await Fabric.create('bc', ['n1']);
  const api = await startTestConfigApi({ transformer: true, bookmarkMs: 50, host: fabric.hostIp });
  const node = fabric.node('n1');
  const agent = new AgentProcess(fabric, node, { configApi: api.url, controls: `${fabric.hostIp}:9`, extra: ['--eor-timeout', '1'] });
  try {
    await agent.start();
    const cfg = new ConfigBuilder(api.client);
    const project = await cfg.project(`bench-${fabric.id}`);
    const vn = await cfg.network(project, 'pods', '10.70.0.0/16');
    const pods: { name: string; ns: string; obj: PodObjects }[] = [];
    for (let i = 0; i < count; i++) {
      const name = `p${i}`;
      pods.push({ name, obj: await cfg.pod(project, 'default', name, vn, 'n1'), ns: await fabric.podNs(name) });
    }
    await eventually(async () => (await fetch(`${agent.portApi}/vm-cfg/k8s__default__${pods[count - 1].name}`)).status === 200, 'the agent sees every pod', 120_000);
    await eventually(async () => (await agent.get<{ last_render: { ok: boolean } | null }>('/Snh_AgentStatus')).last_render?.ok, 'first render', 60_000);
    const conf = netconf(agent.socket, { 'poll-timeout': 1, 'poll-retries': 30 });
    const samples: number[] = [];
    for (const [i, p] of pods.entries()) {
      const env = cniEnv('ADD', `bench${i}`, p.ns, { namespace: 'default', name: p.name });
      const t0 = performance.now();
      const r = await execCni(node.ns, env, conf);
      samples.push(performance.now() - t0);
      if (r.code !== 0) throw new Error(`tf-cni ADD ${i} failed: ${r.out}\n${agent.output}`);
      if (opts.verbose && (i + 1) % 50 === 0) console.log(`  tf-cni ADD ${i + 1}/${count}: last ${samples[i].toFixed(1)} ms`);
    }
    if (opts.verbose) {
      const plumb = [...agent.output.matchAll(/"plumbMs":(\d+)/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
      const wait = [...agent.output.matchAll(/"waitMs":(\d+)/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
      if (plumb.length > 0) console.log(`  agent log: plumb p50 ${plumb[plumb.length >> 1]} ms (max ${plumb[plumb.length - 1]}), wait p50 ${wait[wait.length >> 1]} ms`);
      const served = [...agent.output.matchAll(/"ms":([\d.]+),"command":"ADD"/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
      if (served.length > 0) console.log(`  agent log: request served p50 ${served[served.length >> 1]} ms (max ${served[served.length - 1]})`);
    }
    const metrics = await (await fetch(`${agent.introspect}/metrics`)).text();
    const sum = Number(/tf_agent_cni_add_seconds_sum (\S+)/.exec(metrics)?.[1] ?? NaN);
    return { ...summarize(samples), agentP50Ms: (sum / count) * 1000 };
  } finally {
    await agent.stop('SIGKILL').catch(() => undefined);
    await api.close().catch(() => undefined);
    await fabric.destroy();
  }
}

export async function main(args: string[]): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the CNI benchmark needs root (network namespaces)');
  const i = args.indexOf('--pods');
  const count = i >= 0 ? Number(args[i + 1]) : 200;
  const r = await measureTfCniAdd({ count, verbose: true });
  console.log(`tf-cni ADD, ${count} sequential pods: p50 ${r.p50Ms.toFixed(3)} ms, p99 ${r.p99Ms.toFixed(3)} ms (agent mean ${r.agentP50Ms.toFixed(3)} ms)`);
  console.log(JSON.stringify({ bench: 'datapath', figure: 'cni_add_p50_ms', value: Number(r.p50Ms.toFixed(3)), unit: 'ms' }));
  console.log(JSON.stringify({ bench: 'datapath', figure: 'cni_add_p99_ms', value: Number(r.p99Ms.toFixed(3)), unit: 'ms' }));
}
