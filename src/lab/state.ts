// <lab dir>/state.json: what a running lab is, so that `tfctl lab down` (from another shell, or after a
// crash) finds everything to remove: the supervisor's PID, every process it started (PID + start time,
// so a reused PID is never killed), the namespace prefix and the directories it wrote. Written at the
// start of `lab up` (before anything is created) and whenever a process (re)starts.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, startTicks } from './procs.js';
import type { LabPorts } from './ports.js';

export const STATE_FILE = 'state.json';

export interface ProcessRecord {
  readonly name: string;
  readonly pid: number;
  /** /proc start time in ticks, to recognise the process */
  readonly start: number;
  readonly netns?: string;
}

export interface LabState {
  readonly version: 1;
  readonly phase: 'starting' | 'ready' | 'stopping';
  readonly dir: string;
  /** where the unix sockets are (may be outside dir when dir's path is long) */
  readonly runDir: string;
  readonly prefix: string;
  readonly supervisor: ProcessRecord;
  readonly startedAt: string;
  readonly nodes: number;
  readonly controls: number;
  readonly ports: LabPorts;
  readonly processes: readonly ProcessRecord[];
  readonly kubeconfig: string;
}

export function readState(dir: string): LabState | undefined {
  try {
    const s = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as LabState;
    return s && s.version === 1 && typeof s.prefix === 'string' ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Atomic write (rename), so a reader never sees half a file. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  renameSync(tmp, path);
}

export function writeState(s: LabState): void {
  mkdirSync(s.dir, { recursive: true });
  writeJsonAtomic(join(s.dir, STATE_FILE), s);
}

/** Is the recorded process still the one recorded (alive, same start time)? */
export function stillRunning(r: ProcessRecord): boolean {
  return isAlive(r.pid) && startTicks(r.pid) === r.start;
}

export function recordOf(name: string, pid: number, netns?: string): ProcessRecord {
  return { name, pid, start: startTicks(pid) ?? 0, ...(netns ? { netns } : {}) };
}

export function removeState(dir: string): void {
  rmSync(join(dir, STATE_FILE), { force: true });
}
