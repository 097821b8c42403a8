// `tfctl lab down`: removes a lab completely, whether its supervisor is running (asked to stop, which
// tears down in order), was killed, or crashed half-way through `lab up`. Then, whatever happened:
// every recorded process still alive is killed (matched by PID and start time), every process inside a
// namespace of the lab's prefix is killed, those namespaces are deleted (with them every veth, bridge,
// address, route, rule and nftables table the lab or its agents made — the lab creates nothing in the
// host's namespace), and the runtime files go (state.json, endpoints.json, kubeconfig, sockets). Logs
// and the config database stay in the lab directory for a post-mortem. Safe to run twice.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ENDPOINTS_FILE } from '../common/endpoints.js';
import { destroyNetwork } from './network.js';
import { killAll, terminate } from './procs.js';
import { readState, removeState, stillRunning } from './state.js';

export interface DownReport {
  /** the supervisor was running and was asked to stop */
  readonly supervisorStopped: boolean;
  /** processes killed after that (leftovers) */
  readonly killed: readonly number[];
  readonly namespaces: readonly string[];
  /** nothing was found to remove */
  readonly nothing: boolean;
}

export const KUBECONFIG_FILE = 'kubeconfig';

/** Removes the runtime files of a lab directory (not logs, not data). */
export function removeRuntimeFiles(dir: string, runDir?: string): void {
  removeState(dir);
  rmSync(join(dir, ENDPOINTS_FILE), { force: true });
  rmSync(join(dir, KUBECONFIG_FILE), { force: true });
  rmSync(runDir ?? join(dir, 'run'), { recursive: true, force: true });
}

export async function labDown(dir: string, opts: { prefix?: string; graceMs?: number } = {}): Promise<DownReport> {
  const state = readState(dir);
  const prefix = state?.prefix ?? opts.prefix ?? 'tfl-';
  let supervisorStopped = false;
  if (state && state.supervisor.pid !== process.pid && stillRunning(state.supervisor)) {
    // the supervisor stops its processes in order and deletes the namespaces itself
    await terminate(state.supervisor.pid, opts.graceMs ?? 60_000);
    supervisorStopped = true;
  }
  const leftovers = (state?.processes ?? []).filter((p) => p.pid !== process.pid && stillRunning(p)).map((p) => p.pid);
  const killed = await killAll(leftovers);
  const net = await destroyNetwork(prefix);
  removeRuntimeFiles(dir, state?.runDir);
  const all = [...killed, ...net.killed];
  return {
    supervisorStopped,
    killed: all,
    namespaces: net.namespaces,
    nothing: !state && !supervisorStopped && all.length === 0 && net.namespaces.length === 0,
  };
}
