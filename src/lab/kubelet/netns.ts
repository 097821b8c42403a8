// Pod sandboxes as named network namespaces (`ip netns`, /var/run/netns/<name>), and how a process is
// started inside one. The interface lets the kubelet's unit tests run unprivileged with a stand-in.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface NetnsOps {
  /** creates the namespace (idempotent) with its loopback up */
  create(name: string): Promise<void>;
  /** removes it (idempotent) */
  remove(name: string): Promise<void>;
  list(): Promise<string[]>;
  exists(name: string): Promise<boolean>;
  /** the path given to CNI as CNI_NETNS */
  path(name: string): string;
  /** the argv that runs `argv` inside the namespace */
  wrap(name: string, argv: readonly string[]): string[];
}

export class IpNetns implements NetnsOps {
  async create(name: string): Promise<void> {
    if (!(await this.exists(name))) {
      try {
        await run('ip', ['netns', 'add', name]);
      } catch (err) {
        if (!(await this.exists(name))) throw new Error(`ip netns add ${name}: ${(err as { stderr?: string }).stderr?.trim() ?? (err as Error).message}`);
      }
    }
    await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  }

  async remove(name: string): Promise<void> {
    if (!(await this.exists(name))) return;
    try {
      await run('ip', ['netns', 'del', name]);
    } catch (err) {
      if (await this.exists(name)) throw new Error(`ip netns del ${name}: ${(err as { stderr?: string }).stderr?.trim() ?? (err as Error).message}`);
    }
  }

  async list(): Promise<string[]> {
    const { stdout } = await run('ip', ['netns', 'list']);
    return stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0])
      .filter((n) => n !== undefined && n !== '');
  }

  async exists(name: string): Promise<boolean> {
    return (await this.list()).includes(name);
  }

  path(name: string): string {
    return `/var/run/netns/${name}`;
  }

  wrap(name: string, argv: readonly string[]): string[] {
    return ['ip', 'netns', 'exec', name, ...argv];
  }
}
