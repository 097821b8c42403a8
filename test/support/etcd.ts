// Starts a real etcd (Debian's etcd-server, /usr/bin/etcd 3.4) for tests: free loopback ports,
// a temp data dir, and a stop() that kills it and removes the dir. Reusable by every component's
// tests: `const etcd = await startEtcd(); … after(() => etcd.stop())`.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningEtcd {
  /** client endpoint, e.g. '127.0.0.1:40123' */
  readonly endpoint: string;
  readonly dataDir: string;
  readonly process: ChildProcess;
  /** kill -9 and restart on the same ports and data dir */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export const ETCD_BIN = process.env.TF_ETCD_BIN ?? '/usr/bin/etcd';

/** Reason to skip etcd tests, or false when etcd is available. */
export function etcdSkipReason(): string | false {
  return existsSync(ETCD_BIN) ? false : `needs etcd: ${ETCD_BIN} not found (apt-get install etcd-server)`;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitHealthy(endpoint: string, proc: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`etcd exited (${proc.exitCode ?? proc.signalCode}):\n${output()}`);
    try {
      const res = await fetch(`http://${endpoint}/health`);
      if (res.ok && ((await res.json()) as { health?: string }).health === 'true') return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`etcd did not become healthy in 20 s:\n${output()}`);
}

export async function startEtcd(opts: { name?: string } = {}): Promise<RunningEtcd> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tf-etcd-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const endpoint = `127.0.0.1:${clientPort}`;
  const name = opts.name ?? `tf-test-${process.pid}-${clientPort}`;
  let log = '';
  const args = [
    '--name', name,
    '--data-dir', dataDir,
    '--listen-client-urls', `http://${endpoint}`,
    '--advertise-client-urls', `http://${endpoint}`,
    '--listen-peer-urls', `http://127.0.0.1:${peerPort}`,
    '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
    '--initial-cluster', `${name}=http://127.0.0.1:${peerPort}`,
    '--initial-cluster-state', 'new',
    '--log-level', 'error',
    // a single member elects itself faster with short timers
    '--heartbeat-interval', '20',
    '--election-timeout', '200',
  ];
  const launch = (): ChildProcess => {
    const p = spawn(ETCD_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ETCD_UNSUPPORTED_ARCH: process.env.ETCD_UNSUPPORTED_ARCH ?? '' } });
    const keep = (b: Buffer) => {
      log = (log + b.toString()).slice(-8000);
    };
    p.stdout?.on('data', keep);
    p.stderr?.on('data', keep);
    return p;
  };
  let proc = launch();
  const kill = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  };
  try {
    await waitHealthy(endpoint, proc, () => log);
  } catch (err) {
    await kill();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const handle: RunningEtcd = {
    endpoint,
    dataDir,
    get process() {
      return proc;
    },
    async restart() {
      await kill();
      proc = launch();
      await waitHealthy(endpoint, proc, () => log);
    },
    async stop() {
      await kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return handle;
}
