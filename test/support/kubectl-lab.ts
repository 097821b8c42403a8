// A lab Kubernetes for kubectl interop tests: the API server with its controllers in this process,
// two kubelets on a fake CNI plugin (unprivileged), a kubeconfig and kubectl cache in a temp dir,
// and an async kubectl runner (it must not block: the API server shares this event loop).
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeApi, type RunningKubeApi } from '../../src/lab/kube/api-server.js';
import { Kubelet } from '../../src/lab/kubelet/kubelet.js';
import { DirNetns, fakeCni, SLEEPING_RESPONDER } from './lab-fakes.js';

export const kubectlSkip: string | false = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0 ? false : 'kubectl not found';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlLab {
  api: RunningKubeApi;
  dir: string;
  kubectl(args: string[], input?: string): Promise<KubectlResult>;
  /** kubectl that must succeed; returns stdout */
  ok(args: string[], input?: string): Promise<string>;
  /** a long-running kubectl (e.g. get -w) */
  spawn(args: string[]): ChildProcess;
  close(): Promise<void>;
}

export async function startKubectlLab(nodes = ['node-a', 'node-b']): Promise<KubectlLab> {
  const dir = mkdtempSync(join(tmpdir(), 'lab-kubectl-'));
  const api = await startKubeApi({ port: 0 });
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, api.kubeconfig());
  const cni = fakeCni(join(dir, 'cni'));
  const kubelets: Kubelet[] = [];
  for (const [i, node] of nodes.entries()) {
    const k = new Kubelet({ client: api.client, node, ip: `192.0.2.${11 + i}`, cniConfDir: cni.confDir, cniBinDirs: [cni.binDir], netns: new DirNetns(join(dir, `netns-${node}`)), stateDir: join(dir, `state-${node}`), responder: SLEEPING_RESPONDER, heartbeatMs: 60_000 });
    await k.start();
    kubelets.push(k);
  }
  const env = { ...process.env, KUBECONFIG: kubeconfig, HOME: dir, KUBECACHEDIR: join(dir, 'cache') };
  const children: ChildProcess[] = [];
  const kubectl = (args: string[], input?: string): Promise<KubectlResult> =>
    new Promise((resolve) => {
      const child = execFile('kubectl', ['--cache-dir', join(dir, 'cache'), ...args], { env, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
      if (input !== undefined) child.stdin?.end(input);
    });
  return {
    api,
    dir,
    kubectl,
    async ok(args, input) {
      const r = await kubectl(args, input);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
      return r.stdout;
    },
    spawn(args) {
      const c = spawn('kubectl', ['--cache-dir', join(dir, 'cache'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(c);
      return c;
    },
    async close() {
      for (const c of children) c.kill('SIGKILL');
      for (const k of kubelets) await k.close({ teardownPods: true });
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < end) {
    last = await fn();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
}

/** Rows of `kubectl get` output as objects keyed by the header's column names. */
export function table(out: string): Record<string, string>[] {
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  const header = lines[0];
  const starts: number[] = [];
  const names: string[] = [];
  const re = /(\S+(?: \S+)*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(header))) {
    starts.push(m.index);
    names.push(m[1]);
  }
  return lines.slice(1).map((l) => Object.fromEntries(names.map((n, i) => [n, l.slice(starts[i], i + 1 < starts.length ? starts[i + 1] : undefined).trim()])));
}
