// What /proc tells about a process: alive (and not a zombie), command line, start time and age. Read-only;
// `tfctl status` shows "Up 5 minutes" from it, the lab checks that a PID in its state file is still the
// process it started (PIDs are reused).
import { readFileSync } from 'node:fs';

function stat(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: the fields after the last ')'
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Is the process there and not a zombie (an exited child nobody reaped yet counts as gone)? */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const f = stat(pid);
  return f !== undefined && f[0] !== 'Z';
}

export function cmdline(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((s) => s !== '');
  } catch {
    return undefined;
  }
}

/** Start time in clock ticks since boot (field 22 of /proc/<pid>/stat); undefined when gone. */
export function startTicks(pid: number): number | undefined {
  const f = stat(pid);
  return f === undefined ? undefined : Number(f[19]);
}

/** Seconds since boot. */
export function uptimeSeconds(): number {
  try {
    return Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  } catch {
    return 0;
  }
}

/** How long the process has run, in seconds (USER_HZ is 100 on Linux); undefined when gone. */
export function processAge(pid: number): number | undefined {
  const t = startTicks(pid);
  return t === undefined || !isAlive(pid) ? undefined : Math.max(0, uptimeSeconds() - t / 100);
}

/** Docker's wording for a running time: "52 seconds", "About a minute", "5 minutes", "About an hour", "3 hours", "2 days". */
export function humanDuration(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}
