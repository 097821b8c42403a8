// `npm run bench -- kube-manager [--pods 1000] [--namespaces 20] [--isolated 5] [--services 100] [--workers 32]`
// Three processes, as deployed: the config API (`tfctl serve config`, SQLite, no in-process
// transformer), the lab Kubernetes API (`tfctl lab kube-api --no-controllers`) and kube-manager
// (`tfctl serve kube-manager`). With 4 virtual-routers registered and kube-manager synced, this
// driver creates at once 20 namespaces (5 isolated), 1,000 pods (spread over the 4 nodes) and 100
// services with their Endpoints (10 pods each), and follows the config API's change feed for the
// pods' instance IPs.
// Figures: pods_per_s (pods / time from the first pod create sent to the last pod instance-ip
// stored), pod_to_iip_p50_ms / pod_to_iip_p99_ms (per pod, create sent → its instance-ip on the
// feed), peak_rss_mb (kube-manager's VmHWM).
// Anchor, same run: anchor_direct_pods_per_s — the same per-pod objects (VM, VMI, instance IP in one
// batch as kube-manager sends them, then the virtual-router link) written straight to a fresh config
// API by 32 concurrent clients, no Kubernetes and no reconcile: the ceiling kube-manager's writes
// can reach on this machine.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { VncClient } from '../src/vnc/client.js';

const BENCH = 'kube-manager';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, '.bench-out/kube-manager-js');

/**
 * Compiles tfctl and the commands the benchmark runs with tsc, as the published package runs them
 * (dist/): under the tsx loader every process would carry ~100 MB more and spend CPU transpiling.
 */
function compile(): string {
  rmSync(OUT, { recursive: true, force: true });
  const entries = ['src/bin/tfctl.ts', 'src/cli/serve-config.ts', 'src/cli/serve-kube-manager.ts', 'src/lab/cli.ts', 'src/lab/kube/command.ts'];
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), ...entries, '--outDir', OUT, '--rootDir', '.', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2023', '--skipLibCheck', '--types', 'node', '--esModuleInterop', '--resolveJsonModule', '--noCheck'], { cwd: ROOT, stdio: 'inherit' });
  return join(OUT, 'src/bin/tfctl.js');
}

let TFCTL = '';

function figure(name: string, value: number, unit: string): void {
  console.log(JSON.stringify({ bench: BENCH, figure: name, value: Number(value.toFixed(3)), unit }));
}

const now = (): number => performance.timeOrigin + performance.now();

function percentile(samples: readonly number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(p * s.length) - 1)] ?? NaN;
}

interface Options {
  pods: number;
  namespaces: number;
  isolated: number;
  services: number;
  workers: number;
  nodes: number;
}

function parse(args: string[]): Options {
  const o: Options = { pods: 1000, namespaces: 20, isolated: 5, services: 100, workers: 64, nodes: 4 };
  for (let i = 0; i < args.length; i++) {
    const k = args[i].replace(/^--/, '') as keyof Options;
    if (k in o) o[k] = Number(args[++i]);
  }
  return o;
}

/** Starts `tfctl …` and resolves with the child and the first stdout line matching `ready`. */
function tfctl(args: string[], ready: RegExp, env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, [...nodeArgs, TFCTL, ...args], { env: { ...process.env, TF_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.on('line', (line) => {
      const m = ready.exec(line);
      if (m) resolve({ child, match: m });
    });
    child.once('exit', (code) => reject(new Error(`tfctl ${args.join(' ')} exited with ${code}`)));
  });
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

/** CPU seconds (user + system) a process has used. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** Bytes a process has read and written through syscalls (sockets included). */
function ioBytes(pid: number): { r: number; w: number } {
  const t = readFileSync(`/proc/${pid}/io`, 'utf8');
  return { r: Number(/rchar: (\d+)/.exec(t)?.[1] ?? NaN), w: Number(/wchar: (\d+)/.exec(t)?.[1] ?? NaN) };
}

function vmHwmMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const agent = new Agent({ keepAlive: true, maxSockets: 32 });

function postJson(base: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } }, (res) => {
      let out = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (out += d));
      res.on('end', () => (res.statusCode === 201 || res.statusCode === 200 ? resolve(JSON.parse(out) as Record<string, unknown>) : reject(new Error(`POST ${path}: ${res.statusCode} ${out}`))));
    });
    req.on('error', reject);
    req.end(text);
  });
}

function getJson(base: string, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    request(new URL(path, base), (res) => {
      let out = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (out += d));
      res.on('end', () => resolve(JSON.parse(out)));
    })
      .on('error', reject)
      .end();
  });
}

/** Runs `jobs` with at most `n` in flight. */
async function pool<T>(n: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array<T>(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, jobs.length) }, async () => {
      for (let i = next++; i < jobs.length; i = next++) out[i] = await jobs[i]();
    }),
  );
  return out;
}

async function startConfigApi(dir: string, nodeArgs: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const { child, match } = await tfctl(['serve', 'config', '--port', '0', '--introspect-port', '0', '--store', `sqlite://${join(dir, 'config.db')}`, '--no-transformer'], /listening on (http:\/\/\S+)/, {}, nodeArgs);
  return { child, url: match[1] };
}

async function registerRouters(client: VncClient, nodes: number): Promise<void> {
  for (let n = 0; n < nodes; n++) {
    await client.create('virtual-router', { fq_name: ['default-global-system-config', `node-${n}`], parent_type: 'global-system-config', virtual_router_ip_address: `192.168.0.${n + 1}` });
  }
}

async function runKubeManager(o: Options, dir: string): Promise<void> {
  // KM_BENCH_CONFIG_CPU_PROF=<dir>: a CPU profile of the config API's process
  const cfgApi = await startConfigApi(dir, process.env.KM_BENCH_CONFIG_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.KM_BENCH_CONFIG_CPU_PROF] : []);
  let kubeApi: ChildProcess | undefined;
  let km: ChildProcess | undefined;
  const client = new VncClient({ url: cfgApi.url });
  try {
    const kube = await tfctl(['lab', 'kube-api', '--port', '0', '--no-controllers', '--service-cidr', '10.96.0.0/12'], /lab Kubernetes API at (http:\/\/\S+)/);
    kubeApi = kube.child;
    const kubeUrl = kube.match[1];
    await registerRouters(client, o.nodes);
    const [, port] = /:(\d+)$/.exec(kubeUrl)!;
    const [, vncPort] = /:(\d+)$/.exec(cfgApi.url)!;
    const conf = join(dir, 'kubemanager.conf');
    writeFileSync(
      conf,
      [
        '[DEFAULTS]',
        `reconcile_workers = ${o.workers}`,
        '[KUBERNETES]',
        'kubernetes_api_server = 127.0.0.1',
        `kubernetes_api_port = ${port}`,
        "cluster_project = {'domain': 'default-domain', 'project': 'kubernetes'}",
        'pod_subnets = 10.32.0.0/12',
        'service_subnets = 10.96.0.0/12',
        '[VNC]',
        'vnc_endpoint_ip = 127.0.0.1',
        `vnc_endpoint_port = ${vncPort}`,
      ].join('\n'),
    );
    // KM_BENCH_CPU_PROF=<dir>: a CPU profile of kube-manager's process (for tuning)
    const prof = process.env.KM_BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.KM_BENCH_CPU_PROF] : [];
    const kmStart = await tfctl(['serve', 'kube-manager', '--config', conf, '--introspect-port', '0'], /running \(.*introspect :(\d+)\)/, {}, prof);
    km = kmStart.child;
    const introspect = `http://127.0.0.1:${kmStart.match[1]}`;

    // Follow the pods' instance IPs on the change feed.
    const sentAt = new Map<string, number>();
    const iipAt = new Map<string, number>();
    let allDone: () => void = () => undefined;
    const done = new Promise<void>((r) => (allDone = r));
    const since = (await client.listPage('instance-ip', {})).revision;
    const watch = client.watch({
      types: ['instance-ip'],
      since,
      onEvent: (ev) => {
        if (ev.type !== 'ADDED' || !ev.object) return;
        const kv = new Map((ev.object.annotations?.key_value_pair ?? []).map((x) => [x.key, x.value]));
        if (kv.get('kind') !== 'Pod') return;
        const key = `${kv.get('namespace')}/${kv.get('name')}`;
        if (!iipAt.has(key)) iipAt.set(key, now());
        if (iipAt.size === o.pods) allDone();
      },
    });

    const io0 = { km: ioBytes(km.pid!), config: ioBytes(cfgApi.child.pid!), kube: ioBytes(kubeApi.pid!) };
    const cpu0 = { km: cpuSeconds(km.pid!), config: cpuSeconds(cfgApi.child.pid!), kube: cpuSeconds(kubeApi.pid!) };
    console.log(`kube-manager: ${o.pods} pods in ${o.namespaces} namespaces (${o.isolated} isolated), ${o.services} services, ${o.nodes} nodes; ${o.workers} reconcile workers; config API on SQLite`);
    const nsName = (i: number) => `bench-${i}`;
    const t0 = now();
    await pool(
      o.namespaces,
      Array.from({ length: o.namespaces }, (_, i) => () =>
        postJson(kubeUrl, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: nsName(i), annotations: i < o.isolated ? { 'opencontrail.org/isolation': 'true' } : {} } }),
      ),
    );
    const uids: string[] = [];
    const podJobs = Array.from({ length: o.pods }, (_, i) => async () => {
      const ns = nsName(i % o.namespaces);
      const name = `pod-${i}`;
      sentAt.set(`${ns}/${name}`, now());
      const created = await postJson(kubeUrl, `/api/v1/namespaces/${ns}/pods`, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, labels: { app: `svc-${Math.floor(i / o.namespaces) % Math.max(1, Math.floor(o.services / o.namespaces))}` } },
        spec: { nodeName: `node-${i % o.nodes}`, containers: [{ name: 'web', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }] },
      });
      uids[i] = (created.metadata as { uid: string }).uid;
    });
    const perNsServices = Math.max(1, Math.floor(o.services / o.namespaces));
    await pool(32, podJobs);
    const tPodsSent = now();
    // Services and their Endpoints (the endpoints controller's output, written directly).
    const svcJobs = Array.from({ length: o.services }, (_, s) => async () => {
      const ns = nsName(s % o.namespaces);
      const app = `svc-${Math.floor(s / o.namespaces) % perNsServices}`;
      const name = `svc-${Math.floor(s / o.namespaces)}`;
      await postJson(kubeUrl, `/api/v1/namespaces/${ns}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
      const members: { ip: string; targetRef: Record<string, string> }[] = [];
      for (let i = 0; i < o.pods; i++) {
        if (nsName(i % o.namespaces) !== ns || `svc-${Math.floor(i / o.namespaces) % perNsServices}` !== app) continue;
        members.push({ ip: `10.1.${Math.floor(i / 250)}.${i % 250}`, targetRef: { kind: 'Pod', namespace: ns, name: `pod-${i}`, uid: uids[i] } });
      }
      await postJson(kubeUrl, `/api/v1/namespaces/${ns}/endpoints`, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name }, subsets: [{ addresses: members, ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }] });
    });
    await pool(16, svcJobs);
    const tAllSent = now();
    const timeout = setTimeout(() => allDone(), 300_000);
    await done;
    clearTimeout(timeout);
    const tLast = Math.max(...iipAt.values());
    const cpu = { km: cpuSeconds(km.pid!) - cpu0.km, config: cpuSeconds(cfgApi.child.pid!) - cpu0.config, kube: cpuSeconds(kubeApi.pid!) - cpu0.kube };
    const io = { km: ioBytes(km.pid!), config: ioBytes(cfgApi.child.pid!), kube: ioBytes(kubeApi.pid!) };
    const mb = (a: { r: number; w: number }, b: { r: number; w: number }) => `read ${((a.r - b.r) / 1e6).toFixed(1)} MB, wrote ${((a.w - b.w) / 1e6).toFixed(1)} MB`;
    watch.close();
    const lat = [...iipAt].map(([k, t]) => t - (sentAt.get(k) ?? t));
    const firstSent = Math.min(...sentAt.values());
    const podsPerS = (iipAt.size / (tLast - firstSent)) * 1000;
    // Let kube-manager finish the services before reading its peak RSS.
    await new Promise((r) => setTimeout(r, 2000));
    const rss = vmHwmMb(km.pid!);
    const status = await getJson(introspect, '/status') as { writes: Record<string, number>; queue: { processed: number; failed: number } };
    console.log(`  namespaces sent in ${(firstSent - t0).toFixed(0)} ms; ${o.pods} pods sent in ${(tPodsSent - firstSent).toFixed(0)} ms; services+endpoints by ${(tAllSent - firstSent).toFixed(0)} ms`);
    const tFirst = Math.min(...iipAt.values());
    const decile = (p: number) => (percentile([...iipAt.values()], p) - firstSent).toFixed(0);
    console.log(`  instance IPs stored (ms after the first pod sent): first ${(tFirst - firstSent).toFixed(0)}, 10% ${decile(0.1)}, 50% ${decile(0.5)}, 90% ${decile(0.9)}`);
    console.log(`  ${iipAt.size}/${o.pods} pods got an instance IP; last after ${(tLast - firstSent).toFixed(0)} ms → ${podsPerS.toFixed(0)} pods/s`);
    console.log(`  pod create → instance IP: p50 ${percentile(lat, 0.5).toFixed(0)} ms, p99 ${percentile(lat, 0.99).toFixed(0)} ms, max ${Math.max(...lat).toFixed(0)} ms`);
    console.log(`  CPU until the last instance IP: kube-manager ${cpu.km.toFixed(2)} s, config API ${cpu.config.toFixed(2)} s, Kubernetes API ${cpu.kube.toFixed(2)} s`);
    console.log(`  I/O until the last instance IP: kube-manager ${mb(io.km, io0.km)}; config API ${mb(io.config, io0.config)}; Kubernetes API ${mb(io.kube, io0.kube)}`);
    console.log(`  kube-manager peak RSS ${rss.toFixed(1)} MB; ${status.writes.total} VNC writes (${status.writes.create} creates, ${status.writes.update} updates, ${status.writes.ref} ref-updates, ${status.writes.delete} deletes); ${status.queue.processed} reconciles, ${status.queue.failed} retried`);
    if (iipAt.size < o.pods) console.log(`  WARNING: only ${iipAt.size} of ${o.pods} pods got an instance IP within 300 s`);
    figure('pods_per_s', podsPerS, 'pods/s');
    figure('pod_to_iip_p50_ms', percentile(lat, 0.5), 'ms');
    figure('pod_to_iip_p99_ms', percentile(lat, 0.99), 'ms');
    figure('peak_rss_mb', rss, 'MB');
  } finally {
    client.close();
    await stop(km);
    await stop(kubeApi);
    await stop(cfgApi.child);
  }
}

/** The anchor: the same per-pod writes straight to a fresh config API, 32 clients. */
async function runAnchor(o: Options, dir: string): Promise<void> {
  const cfgApi = await startConfigApi(dir);
  const client = new VncClient({ url: cfgApi.url, maxSockets: 32 });
  try {
    const P = ['default-domain', 'kubernetes'];
    await client.create('project', { fq_name: P, parent_type: 'domain' });
    const ipam = await client.create('network-ipam', { fq_name: [...P, 'pod-ipam'], parent_type: 'project', ipam_subnet_method: 'flat-subnet', ipam_subnets: { subnets: [{ subnet: { ip_prefix: '10.32.0.0', ip_prefix_len: 12 } }] } });
    const vn = await client.create('virtual-network', { fq_name: [...P, 'cluster-network'], parent_type: 'project', network_ipam_refs: [{ to: ipam.fq_name, attr: { ipam_subnets: [{ subnet: null }] } }] });
    const subnetUuid = (vn.network_ipam_refs as { attr: { ipam_subnets: { subnet_uuid: string }[] } }[])[0].attr.ipam_subnets[0].subnet_uuid;
    await registerRouters(client, o.nodes);
    const vrs = await Promise.all(Array.from({ length: o.nodes }, (_, n) => client.fqNameToId('virtual-router', ['default-global-system-config', `node-${n}`])));
    const t0 = now();
    await pool(
      32,
      Array.from({ length: o.pods }, (_, i) => async () => {
        // as kube-manager writes them: one batch (one transaction) per pod, then the router link
        const [vm] = await client.batch([
          { operation: 'create', type: 'virtual-machine', object: { fq_name: [`pod-${i}__vm`], server_type: 'container' } },
          { operation: 'create', type: 'virtual-machine-interface', object: { fq_name: [...P, `pod-${i}__vmi`], parent_type: 'project', virtual_network_refs: [{ to: vn.fq_name }], virtual_machine_refs: [{ to: [`pod-${i}__vm`] }] } },
          { operation: 'create', type: 'instance-ip', object: { fq_name: [`pod-${i}__iip`], subnet_uuid: subnetUuid, virtual_network_refs: [{ to: vn.fq_name }], virtual_machine_interface_refs: [{ to: [...P, `pod-${i}__vmi`] }] } },
        ]);
        await client.refUpdate('virtual-router', vrs[i % o.nodes], 'virtual-machine', vm.uuid, 'ADD');
      }),
    );
    const perS = (o.pods / (now() - t0)) * 1000;
    console.log(`  anchor: the same ${o.pods} pods' objects written directly (32 clients): ${perS.toFixed(0)} pods/s`);
    figure('anchor_direct_pods_per_s', perS, 'pods/s');
  } finally {
    client.close();
    await stop(cfgApi.child);
  }
}

export async function main(args: string[]): Promise<void> {
  const o = parse(args);
  TFCTL = compile();
  const dir = mkdtempSync(join(tmpdir(), 'tf-bench-km-'));
  try {
    await runKubeManager(o, join(dir, 'a'));
    await runAnchor(o, join(dir, 'b'));
  } finally {
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
