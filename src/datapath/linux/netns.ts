// Named network namespaces (/run/netns) for the lab, the tests and the benchmark: create, delete, list,
// and run a program inside one. Only src/datapath/ touches namespaces; everyone else calls these.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { inNetns, runChecked, spawnRunner, type CommandResult, type CommandRunner } from './exec.js';

const NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;

function checkName(name: string): void {
  if (!NAME_RE.test(name)) throw new RangeError(`invalid network namespace name ${JSON.stringify(name)}`);
}

/** Creates a named namespace with its loopback up. Fails if it exists. */
export async function createNetns(name: string, runner: CommandRunner = spawnRunner): Promise<void> {
  checkName(name);
  await runChecked(runner, undefined, ['ip', 'netns', 'add', name]);
  await runChecked(runner, name, ['ip', 'link', 'set', 'dev', 'lo', 'up']);
}

/** Deletes a named namespace; true if it existed. Interfaces inside it (veth ends) go with it. */
export async function deleteNetns(name: string, runner: CommandRunner = spawnRunner): Promise<boolean> {
  checkName(name);
  if (!listNetns().includes(name)) return false;
  await runChecked(runner, undefined, ['ip', 'netns', 'del', name]);
  return true;
}

export function listNetns(): string[] {
  try {
    return readdirSync('/run/netns');
  } catch {
    return [];
  }
}

/** Runs a command inside a namespace (name or path; undefined = current) and resolves with its output. */
export function execInNetns(netns: string | undefined, argv: readonly string[], input?: string, runner: CommandRunner = spawnRunner): Promise<CommandResult> {
  return runner(inNetns(netns, argv), input);
}

/** Starts a long-running program inside a namespace. */
export function spawnInNetns(netns: string | undefined, argv: readonly string[], opts: SpawnOptions = {}): ChildProcess {
  const full = inNetns(netns, argv);
  return spawn(full[0], full.slice(1), opts);
}
