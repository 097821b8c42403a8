// A network namespace joined to the test process's namespace by a veth pair, for interop tests with real
// BGP daemons: the daemon runs inside (ip netns exec), our speaker runs in the test process on the host
// end. Each environment gets its own namespace, veth names and a random /30 in 198.18.0.0/15, so tests in
// parallel never share an address or a port; destroy() removes everything, also after a failure.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export const rootSkip: string | false = process.getuid?.() !== 0 ? 'needs root: network namespaces' : false;

export function missing(...cmds: string[]): string | false {
  for (const c of cmds) if (spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0) return `${c} is not installed`;
  return false;
}

export interface Daemon {
  readonly proc: ChildProcess;
  output(): string;
}

export class NetnsEnv {
  readonly ns: string;
  readonly hostIf: string;
  readonly hostAddr: string;
  readonly nsAddr: string;
  readonly dir: string;
  readonly #children = new Set<ChildProcess>();

  private constructor(tag: string) {
    const id = randomBytes(3).toString('hex');
    this.ns = `tf${tag}${id}`;
    this.hostIf = `tf${id}h`;
    const a = randomBytes(2);
    const base = `198.${18 + (a[0] & 1)}.${a[1]}`;
    const quad = (randomBytes(1)[0] & 63) * 4;
    this.hostAddr = `${base}.${quad + 1}`;
    this.nsAddr = `${base}.${quad + 2}`;
    this.dir = mkdtempSync(join(tmpdir(), `tf-${tag}-`));
  }

  static create(tag: string): NetnsEnv {
    const e = new NetnsEnv(tag);
    const nsIf = `${e.hostIf.slice(0, -1)}n`;
    const run = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
    try {
      run('netns', 'add', e.ns);
      run('link', 'add', e.hostIf, 'type', 'veth', 'peer', 'name', nsIf);
      run('link', 'set', nsIf, 'netns', e.ns);
      run('addr', 'add', `${e.hostAddr}/30`, 'dev', e.hostIf);
      run('link', 'set', e.hostIf, 'up');
      run('-n', e.ns, 'addr', 'add', `${e.nsAddr}/30`, 'dev', nsIf);
      run('-n', e.ns, 'link', 'set', nsIf, 'up');
      run('-n', e.ns, 'link', 'set', 'lo', 'up');
    } catch (err) {
      void e.destroy();
      throw err;
    }
    return e;
  }

  /** Runs a command in the namespace and returns its stdout (throws on failure). */
  exec(args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', this.ns, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Starts a long-running command in the namespace; killed by destroy(). output() is its recent output. */
  spawn(args: string[], env: NodeJS.ProcessEnv = process.env): Daemon {
    const c = spawn('ip', ['netns', 'exec', this.ns, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    const keep = (d: Buffer) => {
      out = (out + d.toString()).slice(-8000);
    };
    c.stdout?.on('data', keep);
    c.stderr?.on('data', keep);
    this.#children.add(c);
    c.once('exit', () => this.#children.delete(c));
    return { proc: c, output: () => out };
  }

  /** Kills a daemon started by spawn() and waits for it to exit. */
  async kill(d: Daemon | ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const c = 'proc' in d ? d.proc : d;
    if (c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    await exited;
  }

  async destroy(): Promise<void> {
    for (const c of [...this.#children]) await this.kill(c, 'SIGKILL');
    spawnSync('ip', ['netns', 'del', this.ns]);
    spawnSync('ip', ['link', 'del', this.hostIf]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Polls until f returns a truthy value (errors count as not yet). */
export async function eventually<T>(f: () => T | undefined | null | false, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = f();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
