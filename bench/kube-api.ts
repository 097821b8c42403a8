// kube-api: the lab Kubernetes API under load. 5,000 pods are created through the HTTP API by 16
// concurrent clients (keep-alive, one request in flight each) while 4 watchers follow every pod in
// the cluster; the API server runs as `tfctl lab kube-api` does by default (controllers on, so the
// scheduler binds each pod to one of two registered nodes while the creates go on).
// Figures: creates_per_s (5,000 / wall time from the first request to the last reply) and
// watch_lag_p99_ms (from a client sending a create to each watcher receiving its ADDED event).
// Anchor, same run, same clients: a bare node:http server that parses each JSON body and answers it
// (no storage, no watch) - the ceiling a Node HTTP API can reach on this machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

const BENCH = 'kube-api';

function figure(name: string, value: number, unit: string): void {
  console.log(JSON.stringify({ bench: BENCH, figure: name, value: Number(value.toFixed(3)), unit }));
}

const now = (): number => performance.timeOrigin + performance.now();

function percentile(samples: readonly number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(p * s.length) - 1)] ?? NaN;
}

function post(agent: Agent, base: string, path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function podBody(i: number): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `bench-${i}`, labels: { app: 'bench', shard: String(i % 16) }, annotations: { 'bench/sent-at': String(now()) } },
    spec: { containers: [{ name: 'web', image: 'docker.io/nginx:1.27', ports: [{ containerPort: 80, protocol: 'TCP' }], env: [{ name: 'MODE', value: 'bench' }] }], restartPolicy: 'Always' },
  });
}

/** Runs `total` creates over `clients` keep-alive connections; returns the wall time in ms. */
async function createLoad(base: string, path: string, total: number, clients: number): Promise<{ ms: number; failures: number }> {
  let next = 0;
  let failures = 0;
  const t0 = now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      for (let i = next++; i < total; i = next++) {
        const code = await post(agent, base, path, podBody(i));
        if (code !== 201) failures++;
      }
      agent.destroy();
    }),
  );
  return { ms: now() - t0, failures };
}

interface Watcher {
  added: number;
  lags: number[];
  close(): void;
}

function watch(base: string, path: string, want: number, onDone: () => void): Watcher {
  const w: Watcher = { added: 0, lags: [], close: () => req.destroy() };
  const req = request(new URL(path, base), (res: IncomingMessage) => {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        // cheap scan first: only ADDED events of bench pods matter
        if (!line.startsWith('{"type":"ADDED"')) continue;
        const at = now();
        const ev = JSON.parse(line) as { object: { metadata: { annotations?: Record<string, string> } } };
        const sent = Number(ev.object.metadata.annotations?.['bench/sent-at']);
        if (!Number.isFinite(sent)) continue;
        w.lags.push(at - sent);
        if (++w.added === want) onDone();
      }
    });
  });
  req.on('error', () => undefined);
  req.end();
  return w;
}

async function startServer(): Promise<{ url: string; child: ChildProcess }> {
  const tfctl = fileURLToPath(new URL('../src/bin/tfctl.ts', import.meta.url));
  const extra = process.env.KUBE_API_NODE_ARGS ? process.env.KUBE_API_NODE_ARGS.split(' ') : [];
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', tfctl, 'lab', 'kube-api', '--port', '0'], { env: { ...process.env, TF_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /lab Kubernetes API at (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`kube-api exited with ${code}`)));
  });
  return { url, child };
}

async function rssOf(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function anchor(total: number, clients: number): Promise<number> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const obj = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      const text = JSON.stringify(obj);
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { ms } = await createLoad(base, '/echo', total, clients);
  server.close();
  return (total / ms) * 1000;
}

export async function main(args: string[] = []): Promise<void> {
  const total = Number(args[0] ?? 5000);
  const clients = 16;
  const watchers = 4;
  console.log(`kube-api: ${total} pods by ${clients} clients, ${watchers} watchers following; API server = tfctl lab kube-api (controllers on, 2 nodes)`);
  const { url, child } = await startServer();
  try {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    await post(agent, url, '/api/v1/namespaces', JSON.stringify({ metadata: { name: 'bench' } }));
    for (const n of ['bench-node-1', 'bench-node-2']) {
      await post(agent, url, '/api/v1/nodes', JSON.stringify({ metadata: { name: n }, status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date(Date.now() + 3_600_000).toISOString() }], addresses: [{ type: 'InternalIP', address: '192.0.2.1' }] } }));
    }
    agent.destroy();
    let done = 0;
    let allSeen: () => void = () => undefined;
    const seen = new Promise<void>((r) => (allSeen = r));
    const ws = Array.from({ length: watchers }, () => watch(url, '/api/v1/pods?watch=1&allowWatchBookmarks=true', total, () => ++done === watchers && allSeen()));
    await new Promise((r) => setTimeout(r, 300));
    const run = await createLoad(url, '/api/v1/namespaces/bench/pods', total, clients);
    const timeout = new Promise<void>((r) => setTimeout(r, 120_000));
    await Promise.race([seen, timeout]);
    for (const w of ws) w.close();
    const creates = (total / run.ms) * 1000;
    const lags = ws.flatMap((w) => w.lags);
    const rss = await rssOf(child.pid ?? 0).catch(() => NaN);
    console.log(`  creates: ${total} in ${(run.ms / 1000).toFixed(2)} s = ${creates.toFixed(0)} creates/s (${run.failures} failed)`);
    console.log(`  watch delivery: ${ws.map((w) => w.added).join('/')} ADDED events seen; lag p50 ${percentile(lags, 0.5).toFixed(1)} ms, p99 ${percentile(lags, 0.99).toFixed(1)} ms, max ${Math.max(...lags).toFixed(1)} ms`);
    console.log(`  API server RSS after the run: ${rss.toFixed(0)} MiB`);
    if (run.failures > 0 || ws.some((w) => w.added !== total)) console.log('  WARNING: not every create succeeded or not every watcher saw every pod');
    figure('creates_per_s', creates, 'creates/s');
    figure('watch_lag_p99_ms', percentile(lags, 0.99), 'ms');
  } finally {
    child.kill('SIGTERM');
  }
  const echo = await anchor(total, clients);
  console.log(`  anchor: bare node:http JSON parse+echo with the same clients: ${echo.toFixed(0)} requests/s`);
  figure('anchor_http_echo_per_s', echo, 'requests/s');
  console.log(`  targets: creates_per_s >= 1000, watch_lag_p99_ms <= 100`);
}
