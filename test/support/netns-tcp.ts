// Real TCP endpoints inside network namespaces for privileged tests: a server that greets every
// connection with "<name>:<port>" and echoes lines, a prober that opens N connections and reports who
// answered, and a long-lived connection driven line by line. Each runs as a small Node program inside
// the namespace (through src/datapath/linux/netns.ts). Timeouts here only detect a dead path; tests
// assert on what answered, never on how fast.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { spawnInNetns } from '../../src/datapath/linux/netns.js';

const SERVER = `
const net = require('node:net');
const [name, ...ports] = process.argv.slice(1);
let pending = ports.length;
for (const p of ports) {
  const s = net.createServer((c) => {
    c.write(name + ':' + p + ':' + c.remoteAddress + '\\n');
    c.on('data', (d) => c.write(d));
    c.on('error', () => {});
  });
  s.listen(Number(p), '0.0.0.0', () => { if (--pending === 0) console.log('ready'); });
}
`;

const PROBE = `
const net = require('node:net');
const [host, port, count, timeout, concurrency] = process.argv.slice(1).map((v, i) => (i === 0 ? v : Number(v)));
function one() {
  return new Promise((resolve) => {
    const c = net.connect({ host, port });
    let buf = '';
    const done = (v) => { clearTimeout(t); c.destroy(); resolve(v); };
    const t = setTimeout(() => done(null), timeout);
    c.on('data', (d) => { buf += d; const i = buf.indexOf('\\n'); if (i >= 0) done(buf.slice(0, i)); });
    c.on('error', () => done(null));
    c.on('close', () => done(buf.includes('\\n') ? buf.slice(0, buf.indexOf('\\n')) : null));
  });
}
(async () => {
  const out = [];
  let next = 0;
  async function worker() { while (next < count) { next++; out.push(await one()); } }
  await Promise.all(Array.from({ length: concurrency }, worker));
  console.log(JSON.stringify(out));
})();
`;

const CONN = `
const net = require('node:net');
const rl = require('node:readline');
const [host, port] = process.argv.slice(1);
const c = net.connect({ host, port: Number(port) });
c.setNoDelay(true);
c.on('data', (d) => process.stdout.write(d));
c.on('close', () => { console.log('CLOSED'); process.exit(0); });
c.on('error', (e) => { console.log('ERROR ' + e.code); process.exit(0); });
rl.createInterface({ input: process.stdin }).on('line', (l) => c.write(l + '\\n'));
`;

export interface NetnsServer {
  stop(): Promise<void>;
}

function node(netns: string, script: string, args: (string | number)[]): ChildProcess {
  return spawnInNetns(netns, [process.execPath, '-e', script, ...args.map(String)], { stdio: ['pipe', 'pipe', 'inherit'] });
}

async function firstLine(child: ChildProcess): Promise<string> {
  const rl = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(() => {
    throw new Error('process exited before printing a line');
  });
  const line = once(rl, 'line').then(([l]) => l as string);
  try {
    return await Promise.race([line, exited]);
  } finally {
    rl.close();
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** A TCP server in `netns` on `ports`, answering every connection with "<name>:<port>:<client address>\n", then echoing. */
export async function startServer(netns: string, name: string, ports: number[]): Promise<NetnsServer> {
  const child = node(netns, SERVER, [name, ...ports]);
  const line = await firstLine(child);
  if (line !== 'ready') throw new Error(`server in ${netns} said ${line}`);
  return { stop: () => stopChild(child) };
}

/** Opens `count` connections to host:port from `netns`; each result is the greeting, or null (refused/timed out). */
export async function probe(netns: string, host: string, port: number, opts: { count?: number; timeoutMs?: number; concurrency?: number } = {}): Promise<(string | null)[]> {
  const child = node(netns, PROBE, [host, port, opts.count ?? 1, opts.timeoutMs ?? 5000, opts.concurrency ?? 4]);
  const line = await firstLine(child);
  await once(child, 'exit').catch(() => undefined);
  return JSON.parse(line) as (string | null)[];
}

/** One long-lived connection from `netns`: send a line, read the reply. */
export interface HeldConnection {
  /** the server's greeting */
  greeting: string;
  /** sends `text` and resolves with the echoed line, 'CLOSED' / 'ERROR …' if the connection died, or 'TIMEOUT' */
  roundTrip(text: string, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export async function holdConnection(netns: string, host: string, port: number): Promise<HeldConnection> {
  const child = node(netns, CONN, [host, port]);
  const rl = createInterface({ input: child.stdout! });
  const lines: string[] = [];
  const waiters: ((l: string) => void)[] = [];
  rl.on('line', (l) => {
    const w = waiters.shift();
    if (w) w(l);
    else lines.push(l);
  });
  const next = () => new Promise<string>((resolve) => (lines.length > 0 ? resolve(lines.shift()!) : waiters.push(resolve)));
  const greeting = await next();
  return {
    greeting,
    roundTrip: async (text, timeoutMs = 10_000) => {
      child.stdin!.write(text + '\n');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('TIMEOUT'), timeoutMs)));
      try {
        return await Promise.race([next(), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    close: async () => {
      rl.close();
      await stopChild(child);
    },
  };
}
