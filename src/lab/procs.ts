// Processes as /proc shows them, for the lab's clean-up and status: which processes live in a given
// network namespace (by the namespace file's inode, so a pod's container process is found even when the
// kubelet that started it is gone), a process's command line and start time (so a PID from an old
// state file is never mistaken for a new process that reuses the number).
import { readdirSync, statSync } from 'node:fs';
import { isAlive } from '../common/proc-info.js';

export { isAlive, cmdline, startTicks, processAge } from '../common/proc-info.js';

export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

function inode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/** PIDs of the processes whose network namespace is one of the named ones (/run/netns/<name>). */
export function pidsInNetns(names: readonly string[]): Map<number, string> {
  const byInode = new Map<number, string>();
  for (const n of names) {
    const ino = inode(`/run/netns/${n}`);
    if (ino !== undefined) byInode.set(ino, n);
  }
  const out = new Map<number, string>();
  if (byInode.size === 0) return out;
  for (const pid of allPids()) {
    if (pid === process.pid) continue;
    const ino = inode(`/proc/${pid}/ns/net`);
    const ns = ino === undefined ? undefined : byInode.get(ino);
    if (ns !== undefined) out.set(pid, ns);
  }
  return out;
}

/** SIGKILLs the given processes and waits (up to `ms`) until they are gone. */
export async function killAll(pids: Iterable<number>, ms = 5_000): Promise<number[]> {
  const list = [...pids].filter(isAlive);
  for (const pid of list) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + ms;
  while (list.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return list;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function terminate(pid: number, graceMs = 5_000): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  if (isAlive(pid)) await killAll([pid]);
}
