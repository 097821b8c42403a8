// npm run bench -- config [pairs=10000] [clients=32]
// Creates <pairs> virtual-machine-interface + instance-ip pairs (kube-manager's pod pattern: VMI on
// the cluster network, instance IP from the flat pod IPAM) with <clients> concurrent clients against
// a `tfctl serve config` process, on SQLite and on a 1-node etcd, then lists the VMIs with detail.
// Figures (ARCHITECTURE.md): sqlite_creates_per_s, etcd_creates_per_s, sqlite_create_p99_ms,
// etcd_create_p99_ms, sqlite_list_detail_10k_ms. Targets: ≥ 3,000 and ≥ 1,000 creates/s, ≤ 500 ms.
// Anchor (same run, same client, same concurrency): a minimal Node HTTP server in its own process
// that answers each create with a canned object of the same size and the list with a canned body of
// the same size — what this machine can do at all right now (anchor_echo_req_per_s,
// anchor_echo_list_10k_ms). On a shared, busy machine read our figures against it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VncClient } from '../src/vnc/client.js';
import { startEtcd } from '../test/support/etcd.js';
import { spawnConfigApi } from '../test/support/tfctl.js';

interface Result {
  createsPerS: number;
  p50: number;
  p99: number;
  listMs: number;
  listed: number;
}

function figure(name: string, value: number, unit: string): void {
  console.log(JSON.stringify({ bench: 'config', figure: name, value: Math.round(value * 100) / 100, unit }));
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function run(label: string, store: string, pairs: number, clients: number): Promise<Result> {
  const api = await spawnConfigApi(store);
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
    latencies.sort((x, y) => x - y);
    const creates = pairs * 2;
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
    const r: Result = { createsPerS: creates / seconds, p50: pct(latencies, 50), p99: pct(latencies, 99), listMs: listTimes[1], listed };
    console.log(`${label}: first (uncached) detail list ${cold.toFixed(0)} ms`);
    console.log(
      `${label}: ${creates} creates (${pairs} VMI + instance-ip pairs, ${clients} clients) in ${seconds.toFixed(2)} s = ${r.createsPerS.toFixed(0)} creates/s; ` +
        `latency p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms; detail list of ${listed} VMIs ${r.listMs.toFixed(0)} ms (median of 3)`,
    );
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

async function anchor(requests: number, clients: number): Promise<{ reqPerS: number; listMs: number }> {
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
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (let i = next++; i < requests; i = next++) await c.create('virtual-machine-interface', { fq_name: ['default-domain', 'k8s', `pod-${i}`], parent_type: 'project' });
      }),
    );
    const reqPerS = requests / ((performance.now() - t0) / 1000);
    const times: number[] = [];
    for (let k = 0; k < 3; k++) {
      const s = performance.now();
      await c.list('virtual-machine-interface', { detail: true });
      times.push(performance.now() - s);
    }
    c.close();
    times.sort((a, b) => a - b);
    console.log(`anchor (HTTP server with canned answers, same client): ${reqPerS.toFixed(0)} requests/s; detail-list-sized body ${times[1].toFixed(0)} ms`);
    return { reqPerS, listMs: times[1] };
  } finally {
    proc.kill('SIGKILL');
  }
}

export async function main(args: string[]): Promise<void> {
  const pairs = Number(args[0] ?? 10_000);
  const clients = Number(args[1] ?? 32);
  const dir = mkdtempSync(join(tmpdir(), 'tf-bench-config-'));
  try {
    const echo = await anchor(pairs * 2, clients);
    const sqlite = await run('sqlite', `sqlite://${join(dir, 'config.db')}`, pairs, clients);
    const etcd = await startEtcd();
    let e: Result;
    try {
      e = await run('etcd (1 node)', `etcd://${etcd.endpoint}/bench/`, pairs, clients);
    } finally {
      await etcd.stop();
    }
    console.log(`targets: sqlite ≥ 3000 creates/s, etcd ≥ 1000 creates/s, detail list of 10k ≤ 500 ms`);
    figure('sqlite_creates_per_s', sqlite.createsPerS, 'creates/s');
    figure('etcd_creates_per_s', e.createsPerS, 'creates/s');
    figure('sqlite_create_p99_ms', sqlite.p99, 'ms');
    figure('etcd_create_p99_ms', e.p99, 'ms');
    figure('sqlite_list_detail_10k_ms', sqlite.listMs, 'ms');
    figure('anchor_echo_req_per_s', echo.reqPerS, 'requests/s');
    figure('anchor_echo_list_10k_ms', echo.listMs, 'ms');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
