// A whole lab for end-to-end tests (test/e2e/lab-*.test.ts) and the lab benchmark: `tfctl lab up`'s
// startLab() in this process with a unique namespace prefix, free host ports and a temp lab directory,
// plus the tools a scenario needs — kubectl against the lab, tfctl as a child process, pods and their
// network namespaces, ping and TCP probes from inside namespaces. Waits have generous limits that only
// detect a dead path on a loaded machine; assertions are on what answered, never on how fast.
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execInNetns, listNetns } from '../../src/datapath/index.js';
import { startLab, type Lab, type LabOptions } from '../../src/lab/lab.js';
import { R } from '../../src/lab/kube/resources.js';
import type { KubeObject } from '../../src/lab/kube/types.js';
import { REPO_ROOT } from './tfctl.js';

export const rootSkip: string | false = process.getuid?.() !== 0 ? 'needs root: network namespaces' : false;
export const kubectlMissing = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0 ? false : 'kubectl not found';
/** e2e scenarios with pods need the vRouter agent; say so instead of failing when it is not in the build */
export const agentSkip: string | false = existsSync(join(REPO_ROOT, 'src/cli/serve-agent.ts')) ? false : 'the vRouter agent (tfctl serve agent) is not part of this build';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface E2eLab {
  readonly lab: Lab;
  readonly dir: string;
  kubectl(args: string[], input?: string): Promise<RunResult>;
  /** kubectl that must succeed; returns stdout */
  kubectlOk(args: string[], input?: string): Promise<string>;
  /** tfctl from the source tree as a child process, with the lab's environment */
  tfctl(args: string[], env?: Record<string, string>): Promise<RunResult>;
  /** pods of a namespace (optionally by label selector) */
  pods(namespace: string, selector?: string): Promise<KubeObject[]>;
  /** waits until `n` pods of the selector run with an IP; returns them sorted by name */
  running(namespace: string, selector: string, n: number, ms?: number): Promise<KubeObject[]>;
  /** the network namespace of a pod */
  netnsOf(pod: KubeObject): string;
  /** runs argv inside a namespace */
  exec(netns: string, argv: string[]): Promise<RunResult>;
  /** one ping (1 s wait) from a namespace */
  ping(netns: string, ip: string): Promise<boolean>;
  /** pings until one answers or `ms` passes */
  pingEventually(netns: string, ip: string, ms?: number): Promise<boolean>;
  close(): Promise<void>;
}

export function uniquePrefix(stem: string): string {
  return `${stem.slice(0, 6)}${randomBytes(2).toString('hex')}-`;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string, timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, cwd: REPO_ROOT }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

export async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 90_000, stepMs = 250): Promise<T> {
  const end = Date.now() + ms;
  let last: T | undefined;
  let err: unknown;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (ok(last)) return last;
    } catch (e) {
      err = e;
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)?.slice(0, 2000)}${err ? `; last error: ${err instanceof Error ? err.message : JSON.stringify(err)}` : ''}`);
}

export async function startE2eLab(stem: string, opts: Partial<LabOptions> = {}): Promise<E2eLab> {
  const dir = mkdtempSync(join(tmpdir(), `tf-lab-${stem}-`));
  const lab = await startLab({ dir, prefix: uniquePrefix(stem), ports: 'auto', readyTimeoutMs: 300_000, logLevel: 'info', ...opts }).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  const env = { ...process.env, ...lab.env(), HOME: dir, KUBECACHEDIR: join(dir, 'kubecache') };
  const kubectl = (args: string[], input?: string): Promise<RunResult> => run('kubectl', ['--cache-dir', join(dir, 'kubecache'), ...args], env, input);
  const client = lab.kubeApi!.client;
  const netnsOf = (pod: KubeObject): string => {
    const uid = pod.metadata.uid ?? '';
    const ns = listNetns().find((n) => n.startsWith(lab.topo.prefix) && n.endsWith(uid));
    if (!ns) throw new Error(`pod ${pod.metadata.namespace}/${pod.metadata.name} has no network namespace`);
    return ns;
  };
  const exec = async (netns: string, argv: string[]): Promise<RunResult> => {
    const r = await execInNetns(netns, argv);
    return { code: r.code ?? 1, stdout: r.stdout, stderr: r.stderr };
  };
  const ping = async (netns: string, ip: string): Promise<boolean> => (await exec(netns, ['ping', '-c', '1', '-W', '1', ip])).code === 0;
  const e: E2eLab = {
    lab,
    dir,
    kubectl,
    async kubectlOk(args, input) {
      const r = await kubectl(args, input);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
      return r.stdout;
    },
    tfctl: (args, extra = {}) => run(process.execPath, ['--import', 'tsx', 'src/bin/tfctl.ts', ...args], { ...env, TF_LOG_LEVEL: 'warn', ...extra }),
    async pods(namespace, selector) {
      return (await client.list(R.pods, { namespace, ...(selector ? { labelSelector: selector } : {}) })).items;
    },
    async running(namespace, selector, n, ms = 120_000) {
      const pods = await until(
        () => e.pods(namespace, selector),
        (ps) => ps.filter((p) => (p.status as { phase?: string; podIP?: string } | undefined)?.phase === 'Running' && (p.status as { podIP?: string }).podIP).length >= n,
        `${n} running pods ${namespace}/${selector}`,
        ms,
      );
      return pods.filter((p) => (p.status as { phase?: string }).phase === 'Running').sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
    },
    netnsOf,
    exec,
    ping,
    async pingEventually(netns, ip, ms = 60_000) {
      try {
        await until(() => ping(netns, ip), (ok) => ok, `ping ${ip} from ${netns}`, ms, 100);
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await lab.stop();
      // TF_E2E_KEEP_LAB=1 keeps the lab directory (logs, config database) for a post-mortem
      if (process.env.TF_E2E_KEEP_LAB === '1') console.log(`# lab directory kept: ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
  return e;
}

export const podIP = (p: KubeObject): string => String((p.status as { podIP?: string } | undefined)?.podIP ?? '');
export const nodeOf = (p: KubeObject): string => String((p.spec as { nodeName?: string } | undefined)?.nodeName ?? '');

/** Writes a manifest to a file in `dir` and returns its path (kubectl apply -f <path>). */
export function manifestFile(dir: string, name: string, yaml: string): string {
  const p = join(dir, name);
  writeFileSync(p, yaml);
  return p;
}

export const EXAMPLES = join(REPO_ROOT, 'examples', 'kubernetes');
