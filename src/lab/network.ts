// Builds and removes the lab's network (topology.ts) with `ip -batch` per namespace, through the
// datapath's namespace helpers. Everything lives inside namespaces the lab created, so removal is:
// stop every process inside them, then delete them (their veths, bridge, addresses, routes, rules and
// nftables tables go with them). Nothing is created in the host's namespace.
import { createNetns, deleteNetns, execInNetns, listNetns } from '../datapath/index.js';
import { errorMessage } from '../common/errors.js';
import { LabError } from './errors.js';
import { killAll, pidsInNetns } from './procs.js';
import { addressLines, fabricLines, isLabNetns, otherLinkLines, type NamespaceSpec, type Topology } from './topology.js';

async function batch(netns: string, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  const res = await execInNetns(netns, ['ip', '-batch', '-'], lines.join('\n') + '\n');
  if (res.code !== 0) throw new LabError('LAB_NETWORK_FAILED', `ip -batch in ${netns} failed: ${res.stderr.trim().split('\n').slice(0, 3).join(' / ')}`, { netns, lines });
}

async function sysctls(n: NamespaceSpec): Promise<void> {
  if (n.sysctls.length === 0) return;
  const res = await execInNetns(n.name, ['sysctl', '-q', '-w', ...n.sysctls]);
  if (res.code !== 0) throw new LabError('LAB_NETWORK_FAILED', `sysctl in ${n.name} failed: ${res.stderr.trim()}`, { netns: n.name });
}

/** Namespaces of this topology's prefix that exist now (fixed ones and pod namespaces). */
export function existingLabNetns(prefix: string): string[] {
  return listNetns().filter((n) => isLabNetns(prefix, n));
}

/** Throws LAB_ALREADY_RUNNING when namespaces of the topology's prefix exist (another lab, or leftovers). */
export function assertNetworkFree(t: Topology): void {
  const present = existingLabNetns(t.prefix);
  if (present.length > 0) throw new LabError('LAB_ALREADY_RUNNING', `network namespaces of prefix ${t.prefix} exist (${present.slice(0, 4).join(', ')}${present.length > 4 ? ', …' : ''}): another lab runs with this prefix (use --prefix), or they are leftovers: \`tfctl lab down --prefix ${t.prefix}\` removes them`, { namespaces: present });
}

/** Creates the namespaces, the fabric bridge, the veths, addresses, default routes and sysctls (assertNetworkFree first). */
export async function buildNetwork(t: Topology): Promise<void> {
  try {
    await Promise.all(t.namespaces.map((n) => createNetns(n.name)));
    await batch(t.fabric.name, fabricLines(t));
    await Promise.all(t.namespaces.map((n) => batch(n.name, otherLinkLines(t, n))));
    await Promise.all(t.namespaces.map(async (n) => {
      await sysctls(n);
      await batch(n.name, addressLines(t, n));
    }));
  } catch (err) {
    if (err instanceof LabError) throw err;
    throw new LabError('LAB_NETWORK_FAILED', `building the lab network failed: ${errorMessage(err)}`);
  }
}

export interface TeardownReport {
  killed: number[];
  namespaces: string[];
}

/**
 * Kills every process inside the lab's namespaces and deletes the namespaces (fixed ones and pod
 * namespaces of this prefix). Safe to run twice, or when half of it is already gone.
 */
export async function destroyNetwork(prefix: string): Promise<TeardownReport> {
  const names = existingLabNetns(prefix);
  const killed = await killAll(pidsInNetns(names).keys());
  const deleted: string[] = [];
  for (const n of names) {
    try {
      if (await deleteNetns(n)) deleted.push(n);
    } catch {
      // a namespace still busy (mount) is retried once after a short pause
      await new Promise((r) => setTimeout(r, 200));
      if (await deleteNetns(n).catch(() => false)) deleted.push(n);
    }
  }
  return { killed, namespaces: deleted };
}
