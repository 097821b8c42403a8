// Pod interface plumbing for CNI ADD / DEL / CHECK: a veth whose peer is born inside the pod namespace
// under CNI_IFNAME, addresses, routes and static neighbours on both sides, and the VRF's policy rules for
// the tap. ADD is one `ip -batch` in the node namespace (alongside it, one `nft -f` with the interface's
// policies, nft-pod.ts) and then one in the pod namespace, chained in one process start: the policies are
// in place before the pod has an address or a route. DEL reads, then deletes exactly what exists (idempotent); CHECK reads both sides and
// lists every difference.
import { GATEWAY_MAC, type LocalInterface, type Vrf } from '../model.js';
import { DatapathPreconditionError } from '../errors.js';
import { readSections, runBatch, runBatchChain, runNft, type ChainedBatch, type ChainFailure, type CommandRunner } from './exec.js';
import { linkSetLine, neighReplaceLine, netnsPath, podSideLines, ruleSelector, tapAddLine } from './ip-lines.js';
import { parseLinks, parseNeighbours, parseRoutes, parseRules, type KRule } from './kernel-state.js';
import { rulePriorities, type Ownership } from './ownership.js';

export interface PodContext {
  runner: CommandRunner;
  /** the node namespace (undefined = current) */
  netns: string | undefined;
  own: Ownership;
  netnsExists: (path: string) => boolean;
}

export interface PodAddResult {
  tap: string;
  ifname: string;
  mac: string;
  mtu: number;
  /** the MAC the pod's gateway neighbour points to */
  gatewayMac: string;
  /** a leftover of an earlier ADD was removed before the retry that succeeded */
  replacedStale: boolean;
  /**
   * the interface's policies: 'installed' with the ADD; 'none' to install (no policy); 'fail-closed': the
   * policy transaction failed, so everything from and to the interface is dropped until the next render
   */
  policy: 'installed' | 'none' | 'fail-closed';
}

/** The nftables side of an ADD (nft-pod.ts). */
export interface PodNft {
  /** the transaction installing the interface's policies (may be empty) */
  lines: readonly string[];
  /** the interface has a policy */
  filtered: boolean;
  /** applied instead when the transaction fails */
  failClosed: readonly string[];
  /** told whether the transaction was applied */
  onResult?(applied: boolean): void;
}

export interface PodCheckResult {
  ok: boolean;
  problems: string[];
}

/** Node-side lines of an ADD (pure). */
export function podHostLines(f: LocalInterface, table: number, mtu: number, own: Ownership): string[] {
  const prio = rulePriorities(own);
  return [
    tapAddLine(f, mtu),
    linkSetLine(f.tap, { up: true }),
    neighReplaceLine(f.ip, f.mac, f.tap),
    `route replace ${f.ip}/32 dev ${f.tap} table ${table}`,
    `rule add ${ruleSelector({ priority: prio.iif, iif: f.tap, table: String(table) })}`,
    `rule add ${ruleSelector({ priority: prio.to, iif: 'lo', dst: `${f.ip}/32`, table: String(table) })}`,
  ];
}

export async function addPodInterface(ctx: PodContext, f: LocalInterface, vrf: Vrf, mtu: number, nft?: PodNft): Promise<PodAddResult> {
  const path = netnsPath(f.netns);
  if (!ctx.netnsExists(path)) throw new DatapathPreconditionError('DATAPATH_NETNS_MISSING', `pod network namespace ${path} does not exist`, { netns: f.netns });
  const host: ChainedBatch = { lines: podHostLines(f, vrf.table, mtu, ctx.own) };
  const podSide: ChainedBatch = { netns: path, lines: podSideLines(f) };
  const plumb = [host, podSide];
  let policy: PodAddResult['policy'] = nft?.filtered ? 'installed' : 'none';
  const failClosed = async (): Promise<void> => {
    await runNft(ctx.runner, ctx.netns, nft!.failClosed.join('\n') + '\n');
    policy = 'fail-closed';
  };
  let failed: ChainFailure | null;
  if (nft && nft.lines.length > 0) {
    // The policy transaction runs alongside the node side and is in place before the pod side gives the
    // pod its address and routes: no packet reaches or leaves the pod before it.
    failed = await runBatchChain(ctx.runner, ctx.netns, [{ tool: 'nft', background: true, lines: nft.lines }, ...plumb]);
    const nftFailed = failed?.batch === 0 || failed?.background !== undefined;
    nft.onResult?.(!nftFailed);
    if (failed?.batch === 0) {
      // The node side is in place; nothing of the transaction applied: drop the interface's traffic until
      // the next render, then give the pod its side.
      await failClosed();
      failed = await runBatchChain(ctx.runner, ctx.netns, [podSide]);
      if (failed) failed = { ...failed, batch: 1 };
    } else {
      if (failed?.background) await failClosed();
      if (failed) failed = { batch: failed.batch - 1, error: failed.error };
    }
  } else failed = await runBatchChain(ctx.runner, ctx.netns, plumb);
  let replacedStale = false;
  if (failed?.batch === 0) {
    // A leftover of an earlier ADD (tap or rules): remove it and try once more.
    const removed = await deletePodInterface(ctx, { tap: f.tap, ip: f.ip });
    if (removed.length === 0) throw failed.error;
    replacedStale = true;
    failed = await runBatchChain(ctx.runner, ctx.netns, plumb);
  }
  if (failed) {
    if (failed.batch > 0) await deletePodInterface(ctx, { tap: f.tap, ip: f.ip }).catch(() => []);
    throw failed.error;
  }
  return { tap: f.tap, ifname: f.ifname, mac: f.mac, mtu, gatewayMac: GATEWAY_MAC, replacedStale, policy };
}

/** Rules of an interface: in the owned priority range and selecting its tap or its address. */
function podRules(rules: KRule[], own: Ownership, tap: string, ip: string | undefined): KRule[] {
  const dst = ip === undefined ? undefined : `${ip}/32`;
  return rules.filter(
    (r) => r.priority >= own.priorityRange[0] && r.priority <= own.priorityRange[1] && (r.iif === tap || (dst !== undefined && r.dst === dst)),
  );
}

/** Removes the tap (its peer, routes and neighbours go with it) and its rules. Returns what it removed. */
export async function deletePodInterface(ctx: PodContext, ref: { tap: string; ip?: string }): Promise<string[]> {
  if (!ref.tap.startsWith(ctx.own.tapPrefix) || !/^[A-Za-z0-9_-]{1,15}$/.test(ref.tap)) return [];
  const s = await readSections(ctx.runner, ctx.netns, { link: `ip -j -d link show dev ${ref.tap}`, rules: 'ip -4 -j rule show' });
  const lines: string[] = [];
  const link = s.link === null ? undefined : parseLinks(s.link)[0];
  if (link && link.kind === 'veth') lines.push(`link del dev ${ref.tap}`);
  for (const r of podRules(parseRules(s.rules ?? ''), ctx.own, ref.tap, ref.ip)) {
    const sel = [`priority ${r.priority}`, r.iif ? `iif ${r.iif}` : '', r.dst ? `to ${r.dst}` : '', `lookup ${r.table}`].filter(Boolean).join(' ');
    lines.push(`rule del ${sel}`);
  }
  await runBatch(ctx.runner, ctx.netns, 'ip', lines);
  return lines;
}

export interface PodObserved {
  host: { link: string | null; neigh: string | null; routes: string | null; rules: string | null };
  pod: { link: string | null; addr: string | null; routes: string | null; neigh: string | null } | null;
}

/** Every difference between a pod interface as plumbed and as it should be (pure). */
export function podProblems(f: LocalInterface, table: number, mtu: number, own: Ownership, o: PodObserved): string[] {
  const p: string[] = [];
  const prio = rulePriorities(own);
  const tap = o.host.link === null ? undefined : parseLinks(o.host.link)[0];
  if (!tap) p.push(`host interface ${f.tap} does not exist`);
  else {
    if (tap.kind !== 'veth') p.push(`${f.tap} is a ${tap.kind ?? 'non-veth'} device`);
    if (tap.netnsid === undefined) p.push(`${f.tap} has no peer in another namespace`);
    if (tap.mtu !== mtu) p.push(`${f.tap} mtu ${tap.mtu}, expected ${mtu}`);
    if (tap.mac !== GATEWAY_MAC) p.push(`${f.tap} mac ${tap.mac}, expected ${GATEWAY_MAC}`);
    if (!tap.up) p.push(`${f.tap} is down`);
  }
  const hn = parseNeighbours(o.host.neigh ?? '').find((n) => n.dev === f.tap && n.dst === f.ip);
  if (!hn || hn.lladdr !== f.mac || !hn.state.includes('PERMANENT')) p.push(`no permanent neighbour ${f.ip} → ${f.mac} on ${f.tap}`);
  const hr = parseRoutes(o.host.routes ?? '').find((r) => r.dst === `${f.ip}/32`);
  if (!hr || hr.nexthops.length !== 1 || hr.nexthops[0].dev !== f.tap) p.push(`no route ${f.ip}/32 dev ${f.tap} in table ${table}`);
  const rules = parseRules(o.host.rules ?? '');
  if (!rules.some((r) => r.priority === prio.iif && r.iif === f.tap && r.table === String(table))) p.push(`no rule iif ${f.tap} lookup ${table}`);
  if (!rules.some((r) => r.priority === prio.to && r.iif === 'lo' && r.dst === `${f.ip}/32` && r.table === String(table))) {
    p.push(`no rule iif lo to ${f.ip} lookup ${table}`);
  }
  if (!o.pod) {
    p.push(`pod network namespace ${netnsPath(f.netns)} does not exist`);
    return p;
  }
  const link = o.pod.link === null ? undefined : parseLinks(o.pod.link)[0];
  if (!link) p.push(`${f.ifname} does not exist in the pod`);
  else {
    if (link.mac !== f.mac) p.push(`${f.ifname} mac ${link.mac}, expected ${f.mac}`);
    if (link.mtu !== mtu) p.push(`${f.ifname} mtu ${link.mtu}, expected ${mtu}`);
    if (!link.up) p.push(`${f.ifname} is down`);
  }
  const addrs = podAddresses(o.pod.addr ?? '');
  if (!addrs.includes(`${f.ip}/${f.plen}`)) p.push(`${f.ifname} lacks address ${f.ip}/${f.plen} (has ${addrs.join(', ') || 'none'})`);
  const routes = parseRoutes(o.pod.routes ?? '');
  const def = routes.find((r) => r.table === 'main' && r.dst === '0.0.0.0/0');
  if (!def || def.nexthops[0]?.gateway !== f.gateway) p.push(`pod default route is not via ${f.gateway}`);
  if (!routes.some((r) => r.dst === `${f.gateway}/32` && r.nexthops[0]?.dev === f.ifname)) p.push(`pod has no route to its gateway ${f.gateway}`);
  const pn = parseNeighbours(o.pod.neigh ?? '').find((n) => n.dev === f.ifname && n.dst === f.gateway);
  if (!pn || pn.lladdr !== GATEWAY_MAC || !pn.state.includes('PERMANENT')) p.push(`pod has no permanent neighbour ${f.gateway} → ${GATEWAY_MAC}`);
  return p;
}

function podAddresses(text: string): string[] {
  const t = text.trim();
  if (t === '') return [];
  const arr = JSON.parse(t) as { addr_info?: { family?: string; local?: string; prefixlen?: number }[] }[];
  return arr.flatMap((l) => (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`));
}

export async function checkPodInterface(ctx: PodContext, f: LocalInterface, vrf: Vrf, mtu: number): Promise<PodCheckResult> {
  const path = netnsPath(f.netns);
  const hostP = readSections(ctx.runner, ctx.netns, {
    link: `ip -j -d link show dev ${f.tap}`,
    neigh: 'ip -4 -j neigh show',
    routes: `ip -4 -j route show table ${vrf.table}`,
    rules: 'ip -4 -j rule show',
  });
  const podP = ctx.netnsExists(path)
    ? readSections(ctx.runner, path, {
        link: `ip -j -d link show dev ${f.ifname}`,
        addr: `ip -4 -j addr show dev ${f.ifname}`,
        routes: 'ip -4 -j route show',
        neigh: 'ip -4 -j neigh show',
      })
    : Promise.resolve(null);
  const [host, pod] = await Promise.all([hostP, podP]);
  const problems = podProblems(f, vrf.table, mtu, ctx.own, {
    host: { link: host.link, neigh: host.neigh, routes: host.routes, rules: host.rules },
    pod: pod && { link: pod.link, addr: pod.addr, routes: pod.routes, neigh: pod.neigh },
  });
  return { ok: problems.length === 0, problems };
}

