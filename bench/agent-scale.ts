// `npm run bench -- agent-scale [--pods 10000] [--nodes 50] [--services 200] [--churn 500] [--local 5]`
//
// What the agent's config cache costs when the cluster is large and almost all of it lives on other nodes
// (docs/agent.md, "Config at scale"). One compute node namespace with a real agent process (`tfctl serve
// agent`) and `--local` pods plumbed through tf-cni; a config API (with the schema transformer) in this
// process; `--pods` pods (virtual-machine + interface + instance-ip, linked to one of `--nodes` other
// virtual-routers) and `--services` ClusterIP services with two members each.
//
//  1. anchor: the same agent on the same node with only its local pods in the cluster: RSS once settled.
//  2. the cluster is populated; the config cache alone is measured in a child process after a full GC
//     (bench/agent/cache-heap.ts), with the pod types kept whole (anchor) and reduced as the agent keeps
//     them; the agent is started again: time to ready, RSS and heap once settled.
//  3. churn: `--churn` pods are created on other nodes and deleted again (4 + 3 writes each, 8 at a time):
//     the agent's CPU time (its own and its children's: ip/nft/sysctl run by renders) and renders meanwhile;
//     the anchor is this process's CPU time for the same churn (it serves the config API and writes).
import { readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { startTestConfigApi, type TestConfigApi } from '../test/support/config-api.js';
import { AgentProcess, ConfigBuilder, Fabric, cniEnv, eventually, netconf, runCni } from '../test/support/agent-env.js';
import type { VncClient } from '../src/vnc/client.js';

const BENCH = 'agent-scale';

function emit(figure: string, value: number, unit: string, label: string): void {
  const v = Number(value.toFixed(3));
  console.log(`${label.padEnd(64)} ${v} ${unit}`);
  console.log(JSON.stringify({ bench: BENCH, figure, value: v, unit }));
}

const TICK = 100; // USER_HZ on Linux

interface AgentMemory {
  heapMb: number;
  objects: number;
}

/** The agent's own view of its heap (JS objects; RSS also holds freed-but-kept pages and code). */
async function agentMemory(a: AgentProcess): Promise<AgentMemory> {
  const st = await a.get<{ memory?: { heap_used_mb: number }; config_objects?: number }>('/Snh_AgentStatus');
  return { heapMb: st.memory?.heap_used_mb ?? NaN, objects: st.config_objects ?? NaN };
}

/** The config cache alone, in a child process after a full GC: pod types whole (anchor) or as the agent keeps them. */
async function cacheHeap(url: string, mode: 'whole' | 'slim'): Promise<{ heapMb: number; objects: number }> {
  const script = join(import.meta.dirname, 'agent', 'cache-heap.ts');
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', script, url, mode], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as { heapMb: number; objects: number };
}

interface ProcStat {
  rssMb: number;
  hwmMb: number;
  /** own user+system CPU, seconds */
  cpuS: number;
  /** CPU of waited-for children (ip, nft, sysctl, sh), seconds */
  childCpuS: number;
}

function procStat(pid: number): ProcStat {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields after the command: state(3) … utime(14) stime(15) cutime(16) cstime(17), 1-based in proc(5)
  const n = (i: number) => Number(f[i - 3]);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024, cpuS: (n(14) + n(15)) / TICK, childCpuS: (n(16) + n(17)) / TICK };
}

async function pool<T>(items: readonly T[], concurrency: number, f: (x: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await f(items[i], i);
      }
    }),
  );
}

interface RemotePod {
  vm: string;
  vmi: string;
  vmiFq: string[];
  iip: string;
  vr: string;
}

async function remotePod(c: VncClient, project: string[], vn: string[], name: string, vrUuid: string): Promise<RemotePod> {
  const uid = randomUUID();
  const ann = { key_value_pair: [{ key: 'cluster', value: 'k8s' }, { key: 'namespace', value: 'default' }, { key: 'name', value: name }, { key: 'kind', value: 'Pod' }, { key: 'owner', value: 'k8s' }] };
  const vm = await c.create('virtual-machine', { uuid: uid, fq_name: [`${name}__${uid}`], display_name: `default__${name}`, annotations: ann });
  const vmiUuid = randomUUID();
  const vmi = await c.create('virtual-machine-interface', {
    uuid: vmiUuid, fq_name: [...project, `${name}__${vmiUuid}`], parent_type: 'project', virtual_network_refs: [{ to: vn }], virtual_machine_refs: [{ to: vm.fq_name }], annotations: ann,
  });
  const iip = await c.create('instance-ip', { fq_name: [`${name}__${randomUUID()}`], virtual_network_refs: [{ to: vn }], virtual_machine_interface_refs: [{ to: vmi.fq_name }] });
  await c.refUpdate('virtual-router', vrUuid, 'virtual-machine', vm.uuid, 'ADD');
  return { vm: vm.uuid, vmi: vmi.uuid, vmiFq: vmi.fq_name, iip: iip.uuid, vr: vrUuid };
}

async function deleteRemotePod(c: VncClient, p: RemotePod): Promise<void> {
  await c.refUpdate('virtual-router', p.vr, 'virtual-machine', p.vm, 'DELETE');
  await c.delete('instance-ip', p.iip);
  await c.delete('virtual-machine-interface', p.vmi);
  await c.delete('virtual-machine', p.vm);
}

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} needs a whole number`);
  return v;
}

/** Waits until the agent's applied config revision has not moved for `quietMs` and its renders are done. */
async function settle(a: AgentProcess, quietMs = 1500): Promise<void> {
  let last = -1;
  let since = Date.now();
  for (;;) {
    const st = await a.get<{ config_revision: number; last_render: { ok: boolean } | null }>('/Snh_AgentStatus');
    if (st.config_revision !== last) {
      last = st.config_revision;
      since = Date.now();
    } else if (Date.now() - since >= quietMs && st.last_render?.ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function main(args: string[]): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the agent-scale benchmark needs root (network namespaces)');
  const pods = arg(args, 'pods', 10_000);
  const nodes = Math.max(1, arg(args, 'nodes', 50));
  const services = arg(args, 'services', 200);
  const churn = arg(args, 'churn', 500);
  const localCount = arg(args, 'local', 5);

  const fabric = await Fabric.create('sc', ['n1']);
  let api: TestConfigApi | undefined;
  let agent: AgentProcess | undefined;
  try {
    api = await startTestConfigApi({ transformer: true, bookmarkMs: 50, host: fabric.hostIp });
    const c = api.client;
    const cfg = new ConfigBuilder(c);
    const node = fabric.node('n1');
    await c.create('virtual-router', { fq_name: ['default-global-system-config', 'n1'], parent_type: 'global-system-config', virtual_router_ip_address: node.ip });
    const project = await cfg.project(`scale-${fabric.id}`);
    const vn = await cfg.network(project, 'pods', '10.88.0.0/16');
    const local: { name: string; ns: string }[] = [];
    for (let i = 0; i < localCount; i++) {
      const name = `l${i}`;
      await cfg.pod(project, 'default', name, vn, 'n1');
      local.push({ name, ns: await fabric.podNs(name) });
    }

    const start = async (): Promise<{ a: AgentProcess; readyS: number }> => {
      const a = new AgentProcess(fabric, node, { configApi: api!.url, controls: `${fabric.hostIp}:9`, extra: ['--eor-timeout', '1'] });
      agent = a;
      const t0 = performance.now();
      await a.start();
      const readyS = (performance.now() - t0) / 1000;
      await eventually(async () => (await a.get<{ last_render: { ok: boolean } | null }>('/Snh_AgentStatus')).last_render?.ok, 'first render', 120_000);
      return { a, readyS };
    };

    // 1. anchor: only the local pods in the cluster
    const first = await start();
    for (const p of local) {
      const r = await runCni(cniEnv('ADD', `c-${p.name}`, p.ns, { namespace: 'default', name: p.name }), netconf(first.a.socket));
      if (r.code !== 0) throw new Error(`CNI ADD ${p.name}: ${r.stdout}\n${first.a.output}`);
    }
    await settle(first.a);
    const empty = procStat(first.a.pid!);
    const emptyMem = await agentMemory(first.a);
    console.log(`agent with ${localCount} local pods and nothing else: ready in ${first.readyS.toFixed(2)} s, RSS ${empty.rssMb.toFixed(1)} MB, heap ${emptyMem.heapMb} MB, ${emptyMem.objects} config objects`);
    await first.a.stop('SIGTERM');

    // 2. the cluster around it
    const vrs: string[] = [];
    for (let i = 0; i < nodes; i++) {
      const vr = await c.create('virtual-router', { fq_name: ['default-global-system-config', `r${i}`], parent_type: 'global-system-config', virtual_router_ip_address: `100.127.${i >> 8}.${i & 255}` });
      vrs.push(vr.uuid);
    }
    const tPop = performance.now();
    const remote: RemotePod[] = [];
    await pool(Array.from({ length: pods }, (_, i) => i), 16, async (i) => {
      remote.push(await remotePod(c, project, vn.fq, `r${i}`, vrs[i % nodes]));
      if ((i + 1) % 2000 === 0) console.log(`  ${i + 1}/${pods} remote pods written`);
    });
    for (let s = 0; s < services; s++) {
      const members = [remote[(2 * s) % remote.length], remote[(2 * s + 1) % remote.length]].filter((m) => m !== undefined);
      const ms = members.map((m) => ({ vm: m.vm, vmi: m.vmi, iip: m.iip, ip: '', mac: '' }));
      await cfg.service(project, `svc${s}`, vn, `10.88.${1 + Math.floor(s / 200)}.${1 + (s % 200)}`, ms, [{ protocol: 'TCP', src_port: 80, dst_port: 8080 }]);
    }
    console.log(`cluster written: ${pods} remote pods on ${nodes} nodes, ${services} services in ${((performance.now() - tPop) / 1000).toFixed(1)} s`);

    const whole = await cacheHeap(api.url, 'whole');
    const slim = await cacheHeap(api.url, 'slim');
    console.log(`config cache alone (${whole.objects} objects, live heap after GC): pod types whole ${whole.heapMb.toFixed(1)} MB, as the agent keeps them ${slim.heapMb.toFixed(1)} MB`);

    const second = await start();
    await settle(second.a);
    const big = procStat(second.a.pid!);
    const bigMem = await agentMemory(second.a);
    console.log(`agent with ${pods} remote pods: ready in ${second.readyS.toFixed(2)} s, RSS ${big.rssMb.toFixed(1)} MB (peak ${big.hwmMb.toFixed(1)} MB), heap ${bigMem.heapMb} MB, ${bigMem.objects} config objects`);

    // 3. churn on other nodes
    const before = procStat(second.a.pid!);
    const rendersBefore = (await second.a.get<{ renders: number }>('/Snh_AgentStatus')).renders;
    const selfBefore = process.cpuUsage();
    const tChurn = performance.now();
    const added: RemotePod[] = [];
    await pool(Array.from({ length: churn }, (_, i) => i), 8, async (i) => {
      added.push(await remotePod(c, project, vn.fq, `x${i}`, vrs[i % nodes]));
    });
    await pool(added, 8, (p) => deleteRemotePod(c, p));
    const churnWallS = (performance.now() - tChurn) / 1000;
    const selfCpu = process.cpuUsage(selfBefore);
    await settle(second.a);
    const after = procStat(second.a.pid!);
    const renders = (await second.a.get<{ renders: number }>('/Snh_AgentStatus')).renders - rendersBefore;
    const agentCpu = after.cpuS - before.cpuS;
    const childCpu = after.childCpuS - before.childCpuS;
    console.log(`churn: ${churn} remote pods created and deleted (${churn * 7} writes) in ${churnWallS.toFixed(1)} s; agent renders meanwhile: ${renders}`);

    emit('agent_rss_empty_mb', empty.rssMb, 'MB', `anchor: agent RSS, ${localCount} local pods, empty cluster`);
    emit('agent_rss_mb', big.rssMb, 'MB', `agent RSS, ${pods} pods on ${nodes} other nodes`);
    if (Number.isFinite(bigMem.heapMb)) {
      emit('agent_heap_empty_mb', emptyMem.heapMb, 'MB', 'anchor: agent heap used, empty cluster');
      emit('agent_heap_mb', bigMem.heapMb, 'MB', `agent heap used, ${pods} remote pods`);
    }
    emit('cache_heap_whole_mb', whole.heapMb, 'MB', `anchor: config cache, ${whole.objects} objects kept whole`);
    emit('cache_heap_mb', slim.heapMb, 'MB', `config cache, ${slim.objects} objects as the agent keeps them`);
    emit('agent_ready_empty_s', first.readyS, 's', 'anchor: agent start to ready, empty cluster');
    emit('agent_ready_s', second.readyS, 's', `agent start to ready, ${pods} remote pods`);
    emit('churn_agent_cpu_s', agentCpu, 's', `agent CPU during the churn (own)`);
    emit('churn_agent_child_cpu_s', childCpu, 's', 'agent CPU during the churn (ip/nft children)');
    emit('churn_renders', renders, 'renders', 'renders during the churn');
    emit('churn_api_cpu_s', (selfCpu.user + selfCpu.system) / 1e6, 's', 'anchor: config API + writer CPU for the churn');
    emit('churn_wall_s', churnWallS, 's', 'anchor: churn writes wall time');
  } finally {
    await agent?.stop('SIGKILL').catch(() => undefined);
    await api?.close().catch(() => undefined);
    await fabric.destroy();
  }
}
