// The link/neighbour/FDB/route/rule/sysctl side of rendering (pure): desired node state + kernel snapshot
// → the commands that make the kernel match, touching only what the renderer owns. An empty plan means
// "already in sync". Objects on links that are deleted go with them and get no commands of their own.
import { GATEWAY_MAC, VXLAN_OVERHEAD, isRemoteNextHop, vxlanDeviceName, vxlanMac, type LocalInterface, type NodeState, type Vrf } from '../model.js';
import { cidrContains, formatCidr, parseCidr, parseIpv4 } from '../../common/ip.js';
import { DatapathPreconditionError } from '../errors.js';
import {
  fdbAppendLine,
  fdbDelLine,
  linkSetLine,
  neighReplaceLine,
  netnsPath,
  podSideLines,
  ruleSelector,
  tapAddLine,
  vxlanAddLine,
  type RuleSpec,
} from './ip-lines.js';
import type { KLink, KNextHop, KernelSnapshot, KRoute, KRule } from './kernel-state.js';
import { rulePriorities, type Ownership } from './ownership.js';

export interface PodBatch {
  tap: string;
  /** namespace path the lines run in */
  netns: string;
  lines: string[];
}

export interface IpPlan {
  /** key=value pairs for `sysctl -w` in the node namespace, applied first */
  sysctl: string[];
  /** `ip -batch -` lines in the node namespace */
  ip: string[];
  /** `bridge -batch -` lines in the node namespace, after the ip batch */
  bridge: string[];
  /** pod-side configuration of veths created by this plan, after the ip batch */
  pods: PodBatch[];
  /** desired interfaces that cannot be rendered now (their pod namespace is gone) */
  skipped: { tap: string; reason: string }[];
}

export interface PlanContext {
  own: Ownership;
  /** does this namespace path exist (the only I/O the planner needs, injected) */
  netnsExists: (path: string) => boolean;
}

export const NODE_SYSCTLS: Readonly<Record<string, string>> = {
  'net.ipv4.ip_forward': '1',
  'net.ipv4.conf.all.rp_filter': '0',
  'net.ipv4.conf.default.rp_filter': '0',
  'net.ipv4.fib_multipath_hash_policy': '1',
};

export function isEmptyPlan(p: IpPlan): boolean {
  return p.sysctl.length === 0 && p.ip.length === 0 && p.bridge.length === 0 && p.pods.length === 0;
}

interface DesiredRoute {
  table: string;
  dst: string;
  type: 'unicast' | 'unreachable';
  nexthops: KNextHop[];
  line: string;
}

const nhKey = (n: KNextHop, multipath: boolean): string => `${n.gateway ?? ''}|${n.dev ?? ''}|${multipath ? n.weight : 1}|${n.onlink ? 1 : 0}`;

function sameRoute(want: DesiredRoute, have: KRoute): boolean {
  if (want.type !== have.type) return false;
  if (want.nexthops.length !== have.nexthops.length) return false;
  const multi = want.nexthops.length > 1;
  const a = want.nexthops.map((n) => nhKey(n, multi)).sort();
  const b = have.nexthops.map((n) => nhKey(n, multi)).sort();
  return a.every((k, i) => k === b[i]);
}

function ruleKey(r: { priority: number; iif?: string; dst?: string; fwmark?: string; fwmask?: string; table: string }): string {
  return [r.priority, r.iif ?? '', r.dst ?? '', r.fwmark ?? '', r.fwmask ?? '', r.table].join('|');
}

function specKey(r: RuleSpec): string {
  const hexs = (n: number) => `0x${n.toString(16)}`;
  const mask = r.fwmark ? (r.fwmark[1] === 0xffffffff ? '' : hexs(r.fwmark[1])) : '';
  return ruleKey({ priority: r.priority, iif: r.iif, dst: r.dst, fwmark: r.fwmark ? hexs(r.fwmark[0]) : undefined, fwmask: mask || undefined, table: r.table });
}

function observedRuleSpec(r: KRule): string {
  const parts = [`priority ${r.priority}`];
  if (r.iif !== undefined) parts.push(`iif ${r.iif}`);
  if (r.oif !== undefined) parts.push(`oif ${r.oif}`);
  if (r.src !== undefined) parts.push(`from ${r.src}`);
  if (r.dst !== undefined) parts.push(`to ${r.dst}`);
  if (r.fwmark !== undefined) parts.push(`fwmark ${r.fwmark}${r.fwmask !== undefined ? `/${r.fwmask}` : ''}`);
  if (r.table !== '') parts.push(`lookup ${r.table}`);
  return parts.join(' ');
}

export function planIp(state: NodeState, snap: KernelSnapshot, ctx: PlanContext): IpPlan {
  const { own } = ctx;
  const prio = rulePriorities(own);
  const plan: IpPlan = { sysctl: [], ip: [], bridge: [], pods: [], skipped: [] };
  const links = new Map(snap.links.map((l) => [l.name, l]));
  const vrfs = new Map(state.vrfs.map((v) => [v.name, v]));

  const isOwnedLink = (l: KLink): boolean =>
    (l.kind === 'veth' && l.name.startsWith(own.tapPrefix)) || (l.kind === 'vxlan' && l.name.startsWith(own.vxlanPrefix));

  // VXLAN devices: one per VNI of a VRF or of a remote next hop.
  const vnis = new Set<number>(state.vrfs.map((v) => v.vni));
  for (const r of state.routes) for (const nh of r.nexthops) if (isRemoteNextHop(nh)) vnis.add(nh.vni);
  let vxMtu: number | undefined;
  if (vnis.size > 0) {
    const ul = links.get(state.underlay.device);
    if (!ul) {
      throw new DatapathPreconditionError('DATAPATH_UNDERLAY_MISSING', `underlay device ${state.underlay.device} does not exist in the node namespace`);
    }
    vxMtu = (state.underlay.mtu ?? ul.mtu) - VXLAN_OVERHEAD;
  }
  const defaultPodMtu = vxMtu ?? 1500;

  // Sysctls first (new devices inherit conf.default.rp_filter = 0).
  const ownedDevSysctls: string[] = [];
  for (const [k, v] of Object.entries(NODE_SYSCTLS)) if (snap.sysctl.get(k) !== v) plan.sysctl.push(`${k}=${v}`);

  const deleted = new Set<string>();
  const linkDel: string[] = [];
  const linkAdd: string[] = [];

  // Interfaces whose tap exists or can be created.
  const available = new Map<string, LocalInterface>();
  for (const f of state.interfaces) {
    const have = links.get(f.tap);
    const healthy = have && have.kind === 'veth' && have.netnsid !== undefined;
    const mtu = f.mtu ?? defaultPodMtu;
    if (healthy) {
      available.set(f.tap, f);
      if (have.mtu !== mtu || have.mac !== GATEWAY_MAC || !have.up) {
        linkAdd.push(linkSetLine(f.tap, { mtu: have.mtu !== mtu ? mtu : undefined, mac: have.mac !== GATEWAY_MAC ? GATEWAY_MAC : undefined, up: true }));
      }
      continue;
    }
    if (have) {
      linkDel.push(`link del dev ${f.tap}`);
      deleted.add(f.tap);
    }
    const path = netnsPath(f.netns);
    if (!ctx.netnsExists(path)) {
      plan.skipped.push({ tap: f.tap, reason: `pod network namespace ${path} does not exist` });
      continue;
    }
    available.set(f.tap, f);
    linkAdd.push(tapAddLine(f, mtu), linkSetLine(f.tap, { up: true }));
    plan.pods.push({ tap: f.tap, netns: path, lines: podSideLines(f) });
  }

  // VXLAN devices.
  for (const vni of [...vnis].sort((a, b) => a - b)) {
    const name = vxlanDeviceName(vni);
    const have = links.get(name);
    const mac = vxlanMac(state.underlay.ip, vni);
    const v = have?.vxlan;
    const compatible =
      have?.kind === 'vxlan' && v !== undefined && v.id === vni && v.local === state.underlay.ip && v.link === state.underlay.device && v.port === 4789 && v.learning === false;
    if (have && !compatible) {
      linkDel.push(`link del dev ${name}`);
      deleted.add(name);
    }
    if (!have || !compatible) {
      linkAdd.push(vxlanAddLine(name, vni, state.underlay.ip, state.underlay.device, vxMtu), linkSetLine(name, { up: true }));
    } else if (have.mtu !== vxMtu || have.mac !== mac || !have.up) {
      linkAdd.push(linkSetLine(name, { mtu: have.mtu !== vxMtu ? vxMtu : undefined, mac: have.mac !== mac ? mac : undefined, up: true }));
    }
  }

  // Owned links nobody wants.
  const wantedLinks = new Set<string>([...state.interfaces.map((f) => f.tap), ...[...vnis].map(vxlanDeviceName)]);
  for (const l of snap.links) {
    if (isOwnedLink(l) && !wantedLinks.has(l.name)) {
      linkDel.push(`link del dev ${l.name}`);
      deleted.add(l.name);
    }
  }
  // rp_filter on owned devices that stay (new ones inherit default = 0).
  for (const l of snap.links) {
    if (isOwnedLink(l) && !deleted.has(l.name)) {
      const key = `net.ipv4.conf.${l.name}.rp_filter`;
      const val = snap.sysctl.get(key);
      if (val !== undefined && val !== '0') ownedDevSysctls.push(`${key}=0`);
    }
  }
  plan.sysctl.push(...ownedDevSysctls);
  const ownedDev = (dev: string | undefined): boolean => {
    if (dev === undefined) return false;
    const l = links.get(dev);
    return l !== undefined && isOwnedLink(l);
  };
  const gone = (dev: string | undefined): boolean => dev !== undefined && deleted.has(dev);

  // Neighbours: pod address on its tap; remote node on vx<vni>.
  const wantNeigh = new Map<string, { dst: string; dev: string; mac: string }>();
  for (const f of available.values()) wantNeigh.set(`${f.tap}|${f.ip}`, { dst: f.ip, dev: f.tap, mac: f.mac });
  const remotes = new Map<string, { node: string; vni: number }>();
  for (const r of state.routes) for (const nh of r.nexthops) if (isRemoteNextHop(nh)) remotes.set(`${nh.vni}|${nh.node}`, { node: nh.node, vni: nh.vni });
  for (const { node, vni } of remotes.values()) {
    const dev = vxlanDeviceName(vni);
    wantNeigh.set(`${dev}|${node}`, { dst: node, dev, mac: vxlanMac(node, vni) });
  }
  const neighLines: string[] = [];
  const haveNeigh = new Map<string, { lladdr?: string; permanent: boolean }>();
  for (const n of snap.neighbours) {
    if (!ownedDev(n.dev) || gone(n.dev)) continue;
    const key = `${n.dev}|${n.dst}`;
    const permanent = n.state.includes('PERMANENT');
    haveNeigh.set(key, { lladdr: n.lladdr, permanent });
    if (!wantNeigh.has(key) && permanent) neighLines.push(`neigh del ${n.dst} dev ${n.dev}`);
  }
  for (const [key, w] of wantNeigh) {
    const h = haveNeigh.get(key);
    if (!h || !h.permanent || h.lladdr !== w.mac) neighLines.push(neighReplaceLine(w.dst, w.mac, w.dev));
  }

  // FDB: remote node's VXLAN MAC → its underlay address.
  const wantFdb = new Map<string, { mac: string; dev: string; dst: string }>();
  for (const { node, vni } of remotes.values()) {
    const dev = vxlanDeviceName(vni);
    const mac = vxlanMac(node, vni);
    wantFdb.set(`${dev}|${mac}|${node}`, { mac, dev, dst: node });
  }
  const haveFdb = new Set<string>();
  for (const e of snap.fdb) {
    if (e.dst === undefined || !ownedDev(e.dev) || gone(e.dev)) continue;
    const key = `${e.dev}|${e.mac}|${e.dst}`;
    haveFdb.add(key);
    if (!wantFdb.has(key)) plan.bridge.push(fdbDelLine(e.mac, e.dev, e.dst));
  }
  for (const [key, w] of wantFdb) if (!haveFdb.has(key)) plan.bridge.push(fdbAppendLine(w.mac, w.dev, w.dst));

  // Routes in VRF tables.
  const wantRoutes = desiredRoutes(state, available, vrfs);
  const routeLines: string[] = [];
  const inRange = (t: string): boolean => /^\d+$/.test(t) && Number(t) >= own.tableRange[0] && Number(t) <= own.tableRange[1];
  const seenRoutes = new Set<string>();
  for (const r of snap.routes) {
    if (!inRange(r.table)) continue;
    if (r.nexthops.some((n) => gone(n.dev))) continue;
    const key = `${r.table}|${r.dst}`;
    const want = r.metric === 0 ? wantRoutes.get(key) : undefined;
    if (want && !seenRoutes.has(key) && sameRoute(want, r)) {
      seenRoutes.add(key);
      continue;
    }
    if (!want || r.metric !== 0) routeLines.push(`route del ${r.type === 'unicast' ? '' : `${r.type} `}${r.dst} table ${r.table}${r.metric ? ` metric ${r.metric}` : ''}`);
  }
  for (const [key, w] of wantRoutes) if (!seenRoutes.has(key)) routeLines.push(w.line);

  // Policy rules.
  const wantRules = new Map<string, RuleSpec>();
  const addRule = (r: RuleSpec) => wantRules.set(specKey(r), r);
  for (const v of state.vrfs) addRule({ priority: prio.iif, iif: vxlanDeviceName(v.vni), table: String(v.table) });
  for (const f of available.values()) {
    const t = String(vrfs.get(f.vrf)!.table);
    addRule({ priority: prio.iif, iif: f.tap, table: t });
    addRule({ priority: prio.to, iif: 'lo', dst: `${f.ip}/32`, table: t });
  }
  const byIp = new Map([...available.values()].map((f) => [f.ip, f]));
  for (const fip of state.floatingIps) {
    for (const np of fip.ports) {
      for (const m of np.members) {
        const f = byIp.get(m.ip);
        if (f) addRule({ priority: prio.to, iif: state.underlay.device, dst: `${f.ip}/32`, table: String(vrfs.get(f.vrf)!.table) });
      }
    }
  }
  const snatSources = state.snat.map((r) => ({ dev: r.outInterface ?? state.underlay.device, cidrs: r.sources.map((c) => parseCidr(c)) }));
  for (const f of available.values()) {
    const addr = parseIpv4(f.ip);
    for (const s of snatSources) {
      if (s.cidrs.some((c) => cidrContains(c, addr))) {
        addRule({ priority: prio.to, iif: s.dev, fwmark: [own.snatReplyMark, own.snatReplyMark], dst: `${f.ip}/32`, table: String(vrfs.get(f.vrf)!.table) });
      }
    }
  }
  if (state.floatingIps.length > 0) addRule({ priority: prio.fipReply, fwmark: [own.fipReplyMark, own.fipReplyMark], table: 'main' });
  const ruleDel: string[] = [];
  const ruleAdd: string[] = [];
  const matched = new Set<string>();
  for (const r of snap.rules) {
    if (r.priority < own.priorityRange[0] || r.priority > own.priorityRange[1]) continue;
    const key = ruleKey(r);
    if (wantRules.has(key) && !matched.has(key) && r.oif === undefined && r.src === undefined && r.action === undefined) {
      matched.add(key);
      continue;
    }
    ruleDel.push(`rule del ${observedRuleSpec(r)}`);
  }
  for (const [key, r] of wantRules) if (!matched.has(key)) ruleAdd.push(`rule add ${ruleSelector(r)}`);

  plan.ip = [...ruleDel, ...linkDel, ...linkAdd, ...neighLines, ...routeLines, ...ruleAdd];
  return plan;
}


function desiredRoutes(state: NodeState, available: Map<string, LocalInterface>, vrfs: Map<string, Vrf>): Map<string, DesiredRoute> {
  const out = new Map<string, DesiredRoute>();
  for (const r of state.routes) {
    const table = String(vrfs.get(r.vrf)!.table);
    const prefix = formatCidr(parseCidr(r.prefix));
    const hops = r.nexthops.filter((nh) => isRemoteNextHop(nh) || available.has(nh.interface));
    if (hops.length === 0) continue;
    const nexthops: KNextHop[] = hops.map((nh) =>
      isRemoteNextHop(nh)
        ? { gateway: nh.node, dev: vxlanDeviceName(nh.vni), weight: nh.weight ?? 1, onlink: true }
        : { dev: nh.interface, weight: nh.weight ?? 1, onlink: false },
    );
    const hopText = (n: KNextHop) => `${n.gateway ? `via ${n.gateway} ` : ''}dev ${n.dev}${n.onlink ? ' onlink' : ''}`;
    const line =
      nexthops.length === 1
        ? `route replace ${prefix} ${hopText(nexthops[0])} table ${table}`
        : `route replace ${prefix} table ${table} ${nexthops.map((n) => `nexthop ${hopText(n)} weight ${n.weight}`).join(' ')}`;
    out.set(`${table}|${prefix}`, { table, dst: prefix, type: 'unicast', nexthops, line });
  }
  for (const f of available.values()) {
    const table = String(vrfs.get(f.vrf)!.table);
    const dst = `${f.ip}/32`;
    const key = `${table}|${dst}`;
    if (!out.has(key)) out.set(key, { table, dst, type: 'unicast', nexthops: [{ dev: f.tap, weight: 1, onlink: false }], line: `route replace ${dst} dev ${f.tap} table ${table}` });
  }
  for (const v of state.vrfs) {
    const table = String(v.table);
    const key = `${table}|0.0.0.0/0`;
    if ((v.onMiss ?? 'drop') === 'drop' && !out.has(key)) {
      out.set(key, { table, dst: '0.0.0.0/0', type: 'unreachable', nexthops: [], line: `route replace unreachable default table ${table}` });
    }
  }
  return out;
}
