// Process supervision for the lab, as a container runtime would do it for the original's containers:
// each component is a process (in the host namespace or inside a lab namespace), its stdout and stderr
// appended to <lab dir>/logs/<name>.log, restarted with backoff when it exits on its own (1 s doubling
// to 30 s; back to 1 s after a minute of running). A component stopped on purpose (stop/kill) stays
// down until started again — that is how the tests kill a control node or an agent. Children run in
// their own process group, so a Ctrl-C on the terminal reaches only `tfctl lab up`, which then stops
// them in order.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { spawnInNetns } from '../datapath/index.js';
import type { Logger } from '../common/log.js';

export interface ProcessSpec {
  /** unique name: config-api, control1, agent-node1, relay-node1, gateway, … */
  readonly name: string;
  readonly argv: readonly string[];
  /** run inside this network namespace */
  readonly netns?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly logFile: string;
  /** restart when it exits on its own (default true) */
  readonly restart?: boolean;
}

export type ProcessState = 'running' | 'backoff' | 'stopped' | 'exited';

export interface ProcessInfo {
  readonly name: string;
  readonly pid: number | undefined;
  readonly state: ProcessState;
  readonly restarts: number;
  readonly startedAt: number | undefined;
  readonly lastExit: { code: number | null; signal: string | null; at: number } | undefined;
  readonly netns: string | undefined;
  readonly logFile: string;
}

interface Managed {
  spec: ProcessSpec;
  child: ChildProcess | undefined;
  state: ProcessState;
  held: boolean;
  restarts: number;
  startedAt: number | undefined;
  lastExit: ProcessInfo['lastExit'];
  backoffMs: number;
  timer: NodeJS.Timeout | undefined;
  exited: Promise<void>;
}

const BACKOFF_MIN_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
const HEALTHY_RUN_MS = 60_000;

export class Supervisor {
  readonly #procs = new Map<string, Managed>();
  readonly #log: Logger;
  readonly #onChange: (() => void) | undefined;
  #closing = false;

  constructor(opts: { log: Logger; onChange?: () => void }) {
    this.#log = opts.log;
    this.#onChange = opts.onChange;
  }

  /** Registers and starts a process. */
  start(spec: ProcessSpec): ProcessInfo {
    if (this.#closing) throw new Error(`the supervisor is stopping; ${spec.name} not started`);
    if (this.#procs.has(spec.name)) throw new Error(`process ${spec.name} is already supervised`);
    const m: Managed = {
      spec, child: undefined, state: 'stopped', held: false, restarts: 0, startedAt: undefined, lastExit: undefined,
      backoffMs: BACKOFF_MIN_MS, timer: undefined, exited: Promise.resolve(),
    };
    this.#procs.set(spec.name, m);
    this.#spawn(m);
    return this.info(spec.name)!;
  }

  /** Starts again a process stopped with stop()/kill() (or restarts a running one after stopping it). */
  async resume(name: string): Promise<ProcessInfo> {
    const m = this.#get(name);
    if (m.child) await this.stop(name);
    clearTimeout(m.timer);
    m.held = false;
    this.#spawn(m);
    return this.info(name)!;
  }

  /** Stops a process and keeps it down: SIGTERM, SIGKILL after `graceMs`. */
  async stop(name: string, graceMs = 5_000): Promise<void> {
    const m = this.#get(name);
    m.held = true;
    clearTimeout(m.timer);
    const child = m.child;
    if (!child) {
      m.state = 'stopped';
      return;
    }
    const done = m.exited;
    this.#signal(child, 'SIGTERM');
    const t = setTimeout(() => this.#signal(child, 'SIGKILL'), graceMs);
    await done;
    clearTimeout(t);
  }

  /** SIGKILLs a process (a crash: no clean shutdown) and keeps it down. */
  async kill(name: string): Promise<void> {
    const m = this.#get(name);
    m.held = true;
    clearTimeout(m.timer);
    if (!m.child) return;
    const done = m.exited;
    this.#signal(m.child, 'SIGKILL');
    await done;
  }

  info(name: string): ProcessInfo | undefined {
    const m = this.#procs.get(name);
    if (!m) return undefined;
    return {
      name, pid: m.child?.pid, state: m.state, restarts: m.restarts, startedAt: m.startedAt, lastExit: m.lastExit,
      netns: m.spec.netns, logFile: m.spec.logFile,
    };
  }

  list(): ProcessInfo[] {
    return [...this.#procs.keys()].map((n) => this.info(n)!);
  }

  /** Stops every process, the given names first in that order, then the rest together. */
  async stopAll(order: readonly string[] = [], graceMs = 5_000): Promise<void> {
    this.#closing = true;
    for (const name of order) if (this.#procs.has(name)) await this.stop(name, graceMs);
    await Promise.all([...this.#procs.keys()].map((n) => this.stop(n, graceMs)));
  }

  #get(name: string): Managed {
    const m = this.#procs.get(name);
    if (!m) throw new Error(`no supervised process ${name}`);
    return m;
  }

  #signal(child: ChildProcess, sig: NodeJS.Signals): void {
    try {
      child.kill(sig);
    } catch {
      // gone already
    }
  }

  #spawn(m: Managed): void {
    const { spec } = m;
    mkdirSync(dirname(spec.logFile), { recursive: true });
    const fd = openSync(spec.logFile, 'a');
    let child: ChildProcess;
    const opts = { stdio: ['ignore', fd, fd] as ['ignore', number, number], detached: true, env: { ...process.env, ...spec.env }, cwd: spec.cwd };
    try {
      child = spec.netns ? spawnInNetns(spec.netns, spec.argv, opts) : spawn(spec.argv[0], spec.argv.slice(1), opts);
    } finally {
      closeSync(fd);
    }
    m.child = child;
    m.state = 'running';
    m.startedAt = Date.now();
    m.exited = new Promise<void>((resolve) => {
      let ended = false;
      const end = (code: number | null, signal: string | null): void => {
        if (ended) return;
        ended = true;
        if (m.child === child) m.child = undefined;
        m.lastExit = { code, signal, at: Date.now() };
        this.#exited(m);
        resolve();
      };
      child.once('error', (err) => {
        this.#log.error({ process: spec.name, err: err.message }, 'process failed to start');
        if (child.pid === undefined) end(null, null);
      });
      child.once('exit', (code, signal) => end(code, signal));
    });
    this.#log.info({ process: spec.name, pid: child.pid, netns: spec.netns }, 'process started');
    this.#onChange?.();
  }

  #exited(m: Managed): void {
    const { spec } = m;
    if (m.held || this.#closing || spec.restart === false) {
      m.state = m.held || this.#closing ? 'stopped' : 'exited';
      this.#log.info({ process: spec.name, exit: m.lastExit }, 'process ended');
      this.#onChange?.();
      return;
    }
    const ran = Date.now() - (m.startedAt ?? Date.now());
    if (ran >= HEALTHY_RUN_MS) m.backoffMs = BACKOFF_MIN_MS;
    const delay = m.backoffMs;
    m.backoffMs = Math.min(BACKOFF_MAX_MS, m.backoffMs * 2);
    m.state = 'backoff';
    this.#log.warn({ process: spec.name, exit: m.lastExit, restartInMs: delay, logFile: spec.logFile }, 'process exited; restarting');
    this.#onChange?.();
    m.timer = setTimeout(() => {
      if (m.held || this.#closing) return;
      m.restarts++;
      this.#spawn(m);
    }, delay);
    m.timer.unref?.();
  }
}
