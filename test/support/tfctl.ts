// Runs `tfctl serve config` as a real child process (through tsx, from the source tree) and waits
// for its "listening on <url>" line. For tests that need separate processes: several API replicas
// on one etcd, kill -9 during a burst.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ConfigApiProcess {
  readonly url: string;
  readonly proc: ChildProcess;
  /** SIGKILL, and wait for the exit */
  kill9(): Promise<void>;
  /** SIGTERM (graceful), and wait for the exit */
  stop(): Promise<void>;
}

export async function spawnConfigApi(store: string, extra: string[] = []): Promise<ConfigApiProcess> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/bin/tfctl.ts', 'serve', 'config', '--store', store, '--port', '0', '--introspect-port', '0', '--no-transformer', ...extra],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TF_LOG_LEVEL: 'warn' } },
  );
  let out = '';
  let err = '';
  proc.stderr?.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4000)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tfctl serve config did not start in 30 s:\n${out}\n${err}`)), 30_000);
    proc.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`tfctl serve config exited (${code ?? sig}):\n${out}\n${err}`));
    });
  });
  const exited = (): Promise<void> =>
    proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise((r) => proc.once('exit', () => r()));
  return {
    url,
    proc,
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
