// CNI ADD latency through tf-cni and the agent, measured as a kubelet sees it: from the exec of the
// plugin (inside the node's namespace, as bench/cni-bridge.ts runs the bridge plugin) to its exit with
// the result, over `count` sequential pods whose config already exists (kube-manager runs ahead of the
// kubelet). One node namespace on a small fabric, a real config API (with the schema transformer) in
// this process, the agent as its own process (`tfctl serve agent`, no control node: it renders after
// its End-of-RIB timeout). Every pod is in its namespace's default security group, as kube-manager makes
// it (members reach each other, anything goes out), so every ADD also installs the pod's policies and
// adds its address to the group (docs/datapath.md, "Pod plumbing"). Reusable: `npm run bench -- datapath`
// calls measureTfCniAdd() next to the bridge anchor; `npm run bench -- agent-cni [--pods N]` runs it alone.
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
  /** the agent's own mean ADD time (tf_agent_cni_add_seconds), ms */
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

export interface TfCniBench {
  /** runs tf-cni ADD for pod i (0-based, sequential) and returns the exec-to-exit time in ms */
  add(i: number): Promise<number>;
  /** the agent's mean ADD time so far (tf_agent_cni_add_seconds), ms */
  agentMeanMs(): Promise<number>;
  /** the agent's log lines on timing (debug level), for --verbose */
  output(): string;
  /** renders the agent has done so far */
  renders(): Promise<number>;
  close(): Promise<void>;
}

/** Sets up the fabric, the config API, the agent and `count` pods' config and namespaces; ADDs on demand. */
export async function openTfCni(opts: TfCniOptions = {}): Promise<TfCniBench> {
  const count = opts.count ?? 200;
  const fabric = await Fabric.create('bc', ['n1']);
  let api: Awaited<ReturnType<typeof startTestConfigApi>> | undefined;
  const node = fabric.node('n1');
  let agent: AgentProcess | undefined;
  const close = async () => {
    await agent?.stop('SIGKILL').catch(() => undefined);
    await api?.close().catch(() => undefined);
    await fabric.destroy();
  };
  try {
    api = await startTestConfigApi({ transformer: true, bookmarkMs: 50, host: fabric.hostIp });
    const a = new AgentProcess(fabric, node, { configApi: api.url, controls: `${fabric.hostIp}:9`, extra: ['--eor-timeout', '1'] });
    agent = a;
    await a.start();
    const cfg = new ConfigBuilder(api.client);
    const project = await cfg.project(`bench-${fabric.id}`);
    const vn = await cfg.network(project, 'pods', '10.70.0.0/16');
    const any = { start_port: 0, end_port: 65535 };
    const sgFq = [...project, 'default-sg'];
    const sg = await cfg.securityGroup(project, 'default-sg', [
      { direction: '>', protocol: 'any', ethertype: 'IPv4', src_addresses: [{ security_group: sgFq.join(':') }], dst_addresses: [{ security_group: 'local' }], src_ports: [any], dst_ports: [any] },
      { direction: '>', protocol: 'any', ethertype: 'IPv4', src_addresses: [{ security_group: 'local' }], dst_addresses: [{ subnet: { ip_prefix: '0.0.0.0', ip_prefix_len: 0 } }], src_ports: [any], dst_ports: [any] },
    ]);
    const pods: { name: string; ns: string; obj: PodObjects }[] = [];
    for (let i = 0; i < count; i++) {
      const name = `p${i}`;
      pods.push({ name, obj: await cfg.pod(project, 'default', name, vn, 'n1', [sg]), ns: await fabric.podNs(name) });
    }
    await eventually(async () => (await fetch(`${a.portApi}/vm-cfg/k8s__default__${pods[count - 1].name}`)).status === 200, 'the agent sees every pod', 120_000);
    await eventually(async () => (await a.get<{ last_render: { ok: boolean } | null }>('/Snh_AgentStatus')).last_render?.ok, 'first render', 60_000);
    const conf = netconf(a.socket, { 'poll-timeout': 1, 'poll-retries': 30 });
    return {
      async add(i) {
        const p = pods[i];
        const env = cniEnv('ADD', `bench${i}`, p.ns, { namespace: 'default', name: p.name });
        const t0 = performance.now();
        const r = await execCni(node.ns, env, conf);
        const ms = performance.now() - t0;
        if (r.code !== 0) throw new Error(`tf-cni ADD ${i} failed: ${r.out}\n${a.output}`);
        return ms;
      },
      async renders() {
        return (await a.get<{ renders: number }>('/Snh_AgentStatus')).renders;
      },
      async agentMeanMs() {
        const text = await (await fetch(`${a.introspect}/metrics`)).text();
        const sum = Number(/tf_agent_cni_add_seconds_sum (\S+)/.exec(text)?.[1] ?? NaN);
        const n = Number(/tf_agent_cni_add_seconds_count (\S+)/.exec(text)?.[1] ?? NaN);
        return (sum / n) * 1000;
      },
      output: () => a.output,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

export async function measureTfCniAdd(opts: TfCniOptions = {}): Promise<TfCniSummary> {
  const count = opts.count ?? 200;
  const bench = await openTfCni(opts);
  try {
    const samples: number[] = [];
    const rendersBefore = await bench.renders();
    for (let i = 0; i < count; i++) {
      samples.push(await bench.add(i));
      if (opts.verbose && (i + 1) % 50 === 0) console.log(`  tf-cni ADD ${i + 1}/${count}: last ${samples[i].toFixed(1)} ms`);
    }
    if (opts.verbose) {
      const out = bench.output();
      const plumb = [...out.matchAll(/"plumbMs":(\d+)/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
      if (plumb.length > 0) console.log(`  agent log: datapath plumbing p50 ${plumb[plumb.length >> 1]} ms (max ${plumb[plumb.length - 1]})`);
      const prev = [...out.matchAll(/"previewMs":(\d+)/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
      if (prev.length > 0) console.log(`  agent log: policy preview p50 ${prev[prev.length >> 1]} ms (max ${prev[prev.length - 1]})`);
      const wait = [...out.matchAll(/"waitMs":(\d+)/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
      if (wait.length > 0) console.log(`  agent log: wait for the interface p50 ${wait[wait.length >> 1]} ms (max ${wait[wait.length - 1]})`);
      const renders = [...out.matchAll(/"ms":(\d+),"msg":"datapath rendered"/g)].map((m) => Number(m[1]));
      if (renders.length > 0) console.log(`  agent log: renders ${renders.join(', ')} ms`);
      const served = [...out.matchAll(/"ms":([\d.]+),"command":"ADD"/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
      if (served.length > 0) console.log(`  agent log: request served p50 ${served[served.length >> 1]} ms (max ${served[served.length - 1]})`);
    }
    const rendersDuring = (await bench.renders()) - rendersBefore;
    if (opts.verbose) {
      const worst = samples.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]).slice(0, 5);
      console.log(`  slowest ADDs: ${worst.map(([v, i]) => `#${i} ${v.toFixed(0)} ms`).join(', ')}`);
      console.log(`  renders during the ADDs: ${rendersDuring}`);
    }
    return { ...summarize(samples), agentP50Ms: await bench.agentMeanMs() };
  } finally {
    await bench.close();
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
