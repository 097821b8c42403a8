// npm run bench -- config [pairs=10000] [clients=32] [--only sqlite|etcd] [--cpu-prof <dir>]
// Creates <pairs> virtual-machine-interface + instance-ip pairs (kube-manager's pod pattern: VMI on
// the cluster network, instance IP from the flat pod IPAM) with <clients> concurrent clients against
// a `tfctl serve config` process, on SQLite and on a 1-node etcd, then lists the VMIs with detail.
// Figures (ARCHITECTURE.md): sqlite_creates_per_s, etcd_creates_per_s, sqlite_create_p99_ms,
// etcd_create_p99_ms, sqlite_list_detail_10k_ms. Targets: ≥ 3,000 and ≥ 1,000 creates/s, ≤ 500 ms.
// Anchor (same run, same client, same concurrency): a minimal Node HTTP server in its own process
// that answers each create with a canned object of the same size and the list with a canned body of
// the same size — what this machine can do at all right now (anchor_echo_req_per_s,
// anchor_echo_list_10k_ms). On a shared, busy machine read our figures against it.
// The API runs compiled by tsc (as the published package runs, not under the tsx loader). CPU per
// create (server process user+system time over the create phase / creates) is printed as
// sqlite_cpu_us_per_create / etcd_cpu_us_per_create: unlike creates/s it hardly depends on the load
// others put on the machine. --cpu-prof <dir> writes a V8 CPU profile of each API process there.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { VncClient } from '../src/vnc/client.js';
import { startEtcd } from '../test/support/etcd.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, '.bench-out/config-js');

interface Result {
  createsPerS: number;
  p50: number;
  p99: number;
  listMs: number;
  listed: number;
  /** server CPU (user + system) per create, µs */
  serverCpuUs: number;
  /** this process's (the clients') CPU per create, µs */
  clientCpuUs: number;
}

/** tfctl compiled with tsc into .bench-out (no type check: tsc -p tsconfig.json does that). */
function compile(): string {
  rmSync(OUT, { recursive: true, force: true });
  const entries = ['src/bin/tfctl.ts', 'src/cli/serve-config.ts'];
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), ...entries, '--outDir', OUT, '--rootDir', '.', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2023', '--skipLibCheck', '--types', 'node', '--esModuleInterop', '--resolveJsonModule', '--noCheck'], { cwd: ROOT, stdio: 'inherit' });
  return join(OUT, 'src/bin/tfctl.js');
}

/** CPU seconds (user + system) a process has used. */
function cpuSeconds(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

interface ApiProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function spawnApi(tfctl: string, store: string, nodeArgs: string[]): Promise<ApiProcess> {
  const child = spawn(process.execPath, [...nodeArgs, tfctl, 'serve', 'config', '--store', store, '--port', '0', '--introspect-port', '0', '--no-transformer'], {
    env: { ...process.env, TF_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.on('line', (line) => {
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`tfctl serve config exited with ${code}`)));
  });
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

function figure(name: string, value: number, unit: string): void {
  console.log(JSON.stringify({ bench: 'config', figure: name, value: Math.round(value * 100) / 100, unit }));
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function run(tfctl: string, label: string, store: string, pairs: number, clients: number, nodeArgs: string[]): Promise<Result> {
  const api = await spawnApi(tfctl, store, nodeArgs);
  const c = new VncClient({ url: api.url, maxSockets: clients + 4, retries: 2 });
  try {
    const P = ['default-domain', 'k8s'];
    const project = await c.create('project', { fq_name: P, parent_type: 'domain' });
    await c.create('network-ipam', {
      fq_name: [...P, 'pod-ipam'],
      parent_type: 'project',
      ipam_subnet_method: 'flat-subnet',
      ipam_subnets: { subnets: [{ subnet: { ip_prefix: '10.32.0.0', ip_prefix_len: 12 } }] },
    });
    const vn = await c.create('virtual-network', {
      fq_name: [...P, 'cluster-network'],
      parent_type: 'project',
      network_ipam_refs: [{ to: [...P, 'pod-ipam'], attr: { ipam_subnets: [{ subnet: null }] } }],
    });
    const latencies: number[] = [];
    let next = 0;
    const cpu0 = cpuSeconds(api.child.pid!);
    const ours0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (let i = next++; i < pairs; i = next++) {
          const a = performance.now();
          const vmi = await c.create('virtual-machine-interface', {
            fq_name: [...P, `pod-${i}`],
            parent_type: 'project',
            virtual_network_refs: [{ uuid: vn.uuid }],
            annotations: { key_value_pair: [{ key: 'kind', value: 'Pod' }, { key: 'owner', value: 'k8s' }] },
          });
          const b = performance.now();
          await c.create('instance-ip', {
            fq_name: [`pod-${i}__iip`],
            virtual_network_refs: [{ uuid: vn.uuid }],
            virtual_machine_interface_refs: [{ uuid: vmi.uuid }],
          });
          latencies.push(b - a, performance.now() - b);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const creates = pairs * 2;
    const serverCpuUs = ((cpuSeconds(api.child.pid!) - cpu0) * 1e6) / creates;
    const ours = process.cpuUsage(ours0);
    const clientCpuUs = (ours.user + ours.system) / creates;
    latencies.sort((x, y) => x - y);
    const listTimes: number[] = [];
    let listed = 0;
    for (let k = 0; k < 3; k++) {
      const s = performance.now();
      const items = await c.list('virtual-machine-interface', { parentId: project.uuid, detail: true });
      listTimes.push(performance.now() - s);
      listed = items.length;
    }
    const cold = listTimes[0];
    listTimes.sort((x, y) => x - y);
    const r: Result = { createsPerS: creates / seconds, p50: pct(latencies, 50), p99: pct(latencies, 99), listMs: listTimes[1], listed, serverCpuUs, clientCpuUs };
    console.log(`${label}: first (uncached) detail list ${cold.toFixed(0)} ms`);
    console.log(
      `${label}: ${creates} creates (${pairs} VMI + instance-ip pairs, ${clients} clients) in ${seconds.toFixed(2)} s = ${r.createsPerS.toFixed(0)} creates/s; ` +
        `latency p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms; detail list of ${listed} VMIs ${r.listMs.toFixed(0)} ms (median of 3)`,
    );
    console.log(`${label}: CPU per create: API process ${serverCpuUs.toFixed(0)} µs, bench clients ${clientCpuUs.toFixed(0)} µs`);
    return r;
  } finally {
    c.close();
    await api.stop();
  }
}

/** The anchor server: canned answers of our sizes, no work. Runs as a child process like the API. */
const ECHO_SERVER = `
const http = require('node:http');
const item = JSON.stringify({ uuid: '0', fq_name: ['a', 'b', 'c'], id_perms: { text: 'x'.repeat(900) } });
const one = JSON.stringify({ 'virtual-machine-interface': JSON.parse(item) });
const list = JSON.stringify({ 'virtual-machine-interfaces': Array.from({ length: 10000 }, () => ({ 'virtual-machine-interface': JSON.parse(item) })) });
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.method === 'POST') JSON.parse(Buffer.concat(chunks).toString());
    const body = req.method === 'POST' ? one : list;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}).listen(0, '127.0.0.1', function () { console.log('listening on http://127.0.0.1:' + this.address().port); });
`;

async function anchor(requests: number, clients: number): Promise<{ reqPerS: number; listMs: number; serverCpuUs: number }> {
  const proc = spawn(process.execPath, ['-e', ECHO_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      proc.stdout.on('data', (b: Buffer) => {
        const m = /listening on (\S+)/.exec(b.toString());
        if (m) resolve(m[1]);
      });
      proc.once('exit', (code) => reject(new Error(`anchor server exited ${code}`)));
    });
    const c = new VncClient({ url, maxSockets: clients + 4 });
    let next = 0;
    const ours0 = process.cpuUsage();
    const cpu0 = cpuSeconds(proc.pid!);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (let i = next++; i < requests; i = next++) await c.create('virtual-machine-interface', { fq_name: ['default-domain', 'k8s', `pod-${i}`], parent_type: 'project' });
      }),
    );
    const reqPerS = requests / ((performance.now() - t0) / 1000);
    const serverCpuUs = ((cpuSeconds(proc.pid!) - cpu0) * 1e6) / requests;
    const ours = process.cpuUsage(ours0);
    const clientCpuUs = (ours.user + ours.system) / requests;
    const times: number[] = [];
    for (let k = 0; k < 3; k++) {
      const s = performance.now();
      await c.list('virtual-machine-interface', { detail: true });
      times.push(performance.now() - s);
    }
    c.close();
    times.sort((a, b) => a - b);
    console.log(`anchor (HTTP server with canned answers, same client): ${reqPerS.toFixed(0)} requests/s; detail-list-sized body ${times[1].toFixed(0)} ms`);
    console.log(`anchor: CPU per request: server ${serverCpuUs.toFixed(0)} µs, bench clients ${clientCpuUs.toFixed(0)} µs`);
    return { reqPerS, listMs: times[1], serverCpuUs };
  } finally {
    proc.kill('SIGKILL');
  }
}

export async function main(args: string[]): Promise<void> {
  const positional: string[] = [];
  let only: string | undefined;
  let prof: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--only') only = args[++i];
    else if (args[i] === '--cpu-prof') prof = args[++i];
    else positional.push(args[i]);
  }
  const pairs = Number(positional[0] ?? 10_000);
  const clients = Number(positional[1] ?? 32);
  const nodeArgs = prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : [];
  const tfctl = compile();
  const dir = mkdtempSync(join(tmpdir(), 'tf-bench-config-'));
  try {
    console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const echo = await anchor(pairs * 2, clients);
    const sqlite = only === 'etcd' ? undefined : await run(tfctl, 'sqlite', `sqlite://${join(dir, 'config.db')}`, pairs, clients, nodeArgs);
    let e: Result | undefined;
    if (only !== 'sqlite') {
      const etcd = await startEtcd();
      try {
        e = await run(tfctl, 'etcd (1 node)', `etcd://${etcd.endpoint}/bench/`, pairs, clients, nodeArgs);
      } finally {
        await etcd.stop();
      }
    }
    console.log(`load average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log(`targets: sqlite ≥ 3000 creates/s, etcd ≥ 1000 creates/s, detail list of 10k ≤ 500 ms`);
    if (sqlite) figure('sqlite_creates_per_s', sqlite.createsPerS, 'creates/s');
    if (e) figure('etcd_creates_per_s', e.createsPerS, 'creates/s');
    if (sqlite) figure('sqlite_create_p99_ms', sqlite.p99, 'ms');
    if (e) figure('etcd_create_p99_ms', e.p99, 'ms');
    if (sqlite) figure('sqlite_list_detail_10k_ms', sqlite.listMs, 'ms');
    if (sqlite) figure('sqlite_cpu_us_per_create', sqlite.serverCpuUs, 'us');
    if (e) figure('etcd_cpu_us_per_create', e.serverCpuUs, 'us');
    figure('anchor_echo_req_per_s', echo.reqPerS, 'requests/s');
    figure('anchor_echo_list_10k_ms', echo.listMs, 'ms');
    figure('anchor_echo_cpu_us_per_request', echo.serverCpuUs, 'us');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
