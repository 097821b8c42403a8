// Containers as processes: what a container runs (its command and args, or the built-in responder
// answering on its ports with the pod's name), started inside the pod's network namespace in a
// process group of its own, output appended to a log file, stopped with SIGTERM then SIGKILL.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isObject, type KubeObject } from '../kube/types.js';
import type { NetnsOps } from './netns.js';

type Obj = Record<string, unknown>;

/** Annotation listing responder ports when a container declares none: "80/tcp,53/udp". */
export const RESPONDER_PORTS_ANNOTATION = 'lab.tungsten.io/responder-ports';

/** Images whose real program serves a well-known port; the responder stands in on it. */
const IMAGE_PORTS: readonly [RegExp, number][] = [
  [/(^|\/)(nginx|httpd|apache2?|caddy|traefik\/whoami|hashicorp\/http-echo|kennethreitz\/httpbin)(:|@|$)/, 80],
];

/** The ports the responder serves for a container: declared containerPorts, else the annotation, else the image's. Pure. */
export function responderPorts(pod: KubeObject, container: Obj): { tcp: number[]; udp: number[] } {
  const declared = (Array.isArray(container.ports) ? container.ports : []).filter(isObject).map((p) => p.containerPort).filter((p): p is number => typeof p === 'number');
  if (declared.length) return { tcp: [...new Set(declared)], udp: [...new Set(declared)] };
  const ann = pod.metadata.annotations?.[RESPONDER_PORTS_ANNOTATION];
  if (ann) {
    const tcp: number[] = [];
    const udp: number[] = [];
    for (const part of ann.split(',').map((s) => s.trim()).filter(Boolean)) {
      const m = /^(\d+)(?:\/(tcp|udp))?$/i.exec(part);
      if (!m) continue;
      const proto = (m[2] ?? 'tcp').toLowerCase();
      (proto === 'udp' ? udp : tcp).push(Number(m[1]));
    }
    return { tcp, udp };
  }
  const image = typeof container.image === 'string' ? container.image : '';
  for (const [re, port] of IMAGE_PORTS) if (re.test(image)) return { tcp: [port], udp: [] };
  return { tcp: [], udp: [] };
}

/** How to start the responder: this Node binary with the responder module (and tsx when running from source). */
export function responderCommand(): string[] {
  const js = fileURLToPath(new URL('./responder.js', import.meta.url));
  if (existsSync(js)) return [process.execPath, js];
  const ts = fileURLToPath(new URL('./responder.ts', import.meta.url));
  return [process.execPath, '--import', import.meta.resolve('tsx'), ts];
}

/** The argv of a container. Pure. */
export function containerArgv(pod: KubeObject, container: Obj, responder: readonly string[]): string[] {
  const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const command = strs(container.command);
  const args = strs(container.args);
  if (command.length) return [...command, ...args];
  if (args.length) return args;
  const { tcp, udp } = responderPorts(pod, container);
  return [...responder, '--name', pod.metadata.name ?? '', ...(tcp.length ? ['--tcp', tcp.join(',')] : []), ...(udp.length ? ['--udp', udp.join(',')] : [])];
}

/** The environment of a container: its literal env entries over a minimal base. Pure. */
export function containerEnv(pod: KubeObject, container: Obj): Record<string, string> {
  const env: Record<string, string> = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOSTNAME: pod.metadata.name ?? '' };
  for (const e of Array.isArray(container.env) ? container.env : []) if (isObject(e) && typeof e.name === 'string' && typeof e.value === 'string') env[e.name] = e.value;
  return env;
}

export interface Exit {
  code: number | null;
  signal: string | null;
  finishedAt: Date;
}

export interface RunningProcess {
  readonly pid: number;
  readonly startedAt: Date;
  readonly exited: Promise<Exit>;
  stop(graceMs: number): Promise<Exit>;
}

export class ProcessRunner {
  readonly #netns: NetnsOps;
  readonly #logDir: string;

  constructor(netns: NetnsOps, logDir: string) {
    this.#netns = netns;
    this.#logDir = logDir;
    mkdirSync(logDir, { recursive: true });
  }

  logFile(namespace: string, pod: string, container: string): string {
    return join(this.#logDir, `${namespace}_${pod}_${container}.log`);
  }

  start(netnsName: string, argv: readonly string[], env: Record<string, string>, logFile: string): RunningProcess {
    const full = this.#netns.wrap(netnsName, argv);
    const fd = openSync(logFile, 'a');
    const child = spawn(full[0], full.slice(1), { env, detached: true, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const startedAt = new Date();
    const exited = new Promise<Exit>((resolve) => {
      child.on('error', () => resolve({ code: 127, signal: null, finishedAt: new Date() }));
      child.on('exit', (code, signal) => resolve({ code, signal, finishedAt: new Date() }));
    });
    const pid = child.pid ?? -1;
    const kill = (sig: NodeJS.Signals): void => {
      try {
        process.kill(-pid, sig);
      } catch {
        try {
          child.kill(sig);
        } catch {
          /* already gone */
        }
      }
    };
    return {
      pid,
      startedAt,
      exited,
      async stop(graceMs) {
        if (pid <= 0) return exited;
        kill('SIGTERM');
        const t = setTimeout(() => kill('SIGKILL'), graceMs);
        const e = await exited;
        clearTimeout(t);
        kill('SIGKILL'); // whatever else the group started
        return e;
      },
    };
  }
}
