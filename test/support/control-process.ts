// Runs `tfctl serve control` as a real child process (through tsx, from the source tree) and waits for
// its start line, for tests that kill a control node (SIGKILL: no NOTIFICATION, as a crash) or restart
// it on the same BGP port. freePort() finds a port to pin across restarts.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { REPO_ROOT } from './tfctl.js';

export interface ControlProcess {
  readonly proc: ChildProcess;
  readonly bgpPort: number;
  readonly introspect: string;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export async function spawnControlNode(o: { configApi: string; name: string; address: string; bgpPort: number; extra?: string[]; env?: NodeJS.ProcessEnv; netns?: string }): Promise<ControlProcess> {
  const args = ['--import', 'tsx', 'src/bin/tfctl.ts', 'serve', 'control', '--config-api', o.configApi, '--name', o.name, '--router-id', o.address,
    '--bgp-address', o.address, '--bgp-port', String(o.bgpPort), '--introspect-port', '0', ...(o.extra ?? [])];
  const proc = o.netns
    ? spawn('ip', ['netns', 'exec', o.netns, process.execPath, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TF_LOG_LEVEL: 'warn', ...o.env } })
    : spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TF_LOG_LEVEL: 'warn', ...o.env } });
  let out = '';
  let err = '';
  proc.stderr?.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4000)));
  const m = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tfctl serve control did not start in 60 s:\n${out}\n${err}`)), 60_000);
    proc.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const r = /BGP (\S+):(\d+), introspect (http:\/\/\S+),/.exec(out);
      if (r) {
        clearTimeout(timer);
        resolve(r);
      }
    });
    proc.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`tfctl serve control exited (${code ?? sig}):\n${out}\n${err}`));
    });
  });
  const exited = (): Promise<void> =>
    proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise((r) => proc.once('exit', () => r()));
  return {
    proc,
    bgpPort: Number(m[2]),
    introspect: m[3],
    async kill9() {
      const done = exited();
      proc.kill('SIGKILL');
      await done;
    },
    async stop() {
      const done = exited();
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(timer);
    },
  };
}
