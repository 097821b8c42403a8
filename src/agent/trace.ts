// "Can A reach B on tcp/80, and which rule decides?" answered from one node's state model without
// sending a packet (ARCHITECTURE.md decision 7). The steps follow the datapath's order for a new
// connection: service DNAT at the source node (prerouting), the route lookup in the source VRF, then the
// stateful filter — the source interface's egress policy and, on the node hosting the destination, its
// ingress policy. A node evaluates what it hosts: the source side when A is local, the destination side
// when B is local (`tfctl trace` asks both nodes). Pure.
import { cidrContains, isIpv4, parseCidr, parseIpv4 } from '../common/ip.js';
import { isRemoteNextHop, type DirectionPolicy, type LocalInterface, type NodeState, type SecurityRule } from '../datapath/model.js';

export type TraceProtocol = 'tcp' | 'udp' | 'sctp' | 'icmp';

export interface TraceQuery {
  src: string;
  dst: string;
  protocol: TraceProtocol;
  /** destination port (tcp, udp, sctp) */
  port?: number;
}

export interface TraceStep {
  step: 'service' | 'route' | 'egress-policy' | 'ingress-policy';
  verdict: 'allow' | 'deny' | 'next';
  detail: string;
  /** the deciding rule, when a rule decided */
  rule?: SecurityRule;
}

export interface TraceBranch {
  /** destination after DNAT (the member) */
  dst: string;
  port?: number;
  steps: TraceStep[];
  /** 'allowed' / 'denied' here; 'continues' when the destination side is on another node */
  verdict: 'allowed' | 'denied' | 'continues';
  /** the node the connection is tunnelled to (underlay address) when it continues there */
  nextNode?: string;
}

export interface TraceResult {
  node: string;
  /** the node's underlay address (what other nodes' routes name as next hop) */
  nodeIp: string;
  query: TraceQuery;
  srcLocal: boolean;
  dstLocal: boolean;
  branches: TraceBranch[];
}

export class TraceQueryError extends Error {}

const PROTO_NUM: Record<TraceProtocol, number> = { icmp: 1, tcp: 6, udp: 17, sctp: 132 };

function inCidr(addr: string, cidr: string): boolean {
  try {
    return cidrContains(parseCidr(cidr, false), parseIpv4(addr));
  } catch {
    return false;
  }
}

function ruleMatches(r: SecurityRule, q: { protocol: TraceProtocol; port?: number }, remote: string, groups: ReadonlyMap<string, readonly string[]>): boolean {
  if (r.protocol !== 'any') {
    const num = typeof r.protocol === 'number' ? r.protocol : PROTO_NUM[r.protocol];
    if (num !== PROTO_NUM[q.protocol]) return false;
  }
  if (r.ports && (q.port === undefined || q.port < r.ports.from || q.port > r.ports.to)) return false;
  if (r.remoteCidr && !inCidr(remote, r.remoteCidr)) return false;
  if (r.remoteGroup !== undefined && !(groups.get(r.remoteGroup) ?? []).some((a) => a === remote || (a.includes('/') && inCidr(remote, a)))) return false;
  return true;
}

/** "rule <id>: tcp port 80 from any address" (ingress: the remote is the source; egress: the destination). */
export function describeRule(r: SecurityRule, direction: 'ingress' | 'egress'): string {
  const proto = typeof r.protocol === 'number' ? `protocol ${r.protocol}` : r.protocol === 'any' ? 'any protocol' : r.protocol;
  const ports = r.ports ? (r.ports.from === r.ports.to ? ` port ${r.ports.from}` : ` ports ${r.ports.from}-${r.ports.to}`) : '';
  const remote = r.remoteCidr ? r.remoteCidr : r.remoteGroup !== undefined ? `security group ${r.remoteGroup}` : 'any address';
  return `${r.id ? `rule ${r.id}: ` : ''}${proto}${ports} ${direction === 'ingress' ? 'from' : 'to'} ${remote}`;
}

function policyStep(step: 'egress-policy' | 'ingress-policy', f: LocalInterface, d: DirectionPolicy | undefined, q: { protocol: TraceProtocol; port?: number }, remote: string, groups: ReadonlyMap<string, readonly string[]>): TraceStep {
  const dir = step === 'egress-policy' ? 'egress' : 'ingress';
  if (!d || d.default === 'allow') {
    const why = f.policy ? `${dir} default allow` : 'no security group (port security off or no group)';
    return { step, verdict: 'allow', detail: `${f.tap} ${dir}: ${why}` };
  }
  const r = d.rules.find((x) => ruleMatches(x, q, remote, groups));
  if (r) return { step, verdict: 'allow', detail: `${f.tap} ${dir}: allowed by ${describeRule(r, dir)}`, rule: r };
  return { step, verdict: 'deny', detail: `${f.tap} ${dir}: no rule of its security groups allows it (${d.rules.length} rule(s)); dropped` };
}

/** Longest-prefix match in a VRF's routes; local interfaces of the VRF are implicit /32 routes. */
function lookup(state: NodeState, vrf: string, dst: string): { prefix: string; nexthops: NodeState['routes'][number]['nexthops'] } | undefined {
  const own = state.interfaces.find((f) => f.vrf === vrf && f.ip === dst);
  const explicit = state.routes.filter((r) => r.vrf === vrf && inCidr(dst, r.prefix)).sort((a, b) => Number(b.prefix.split('/')[1]) - Number(a.prefix.split('/')[1]));
  const best = explicit[0];
  if (own && (!best || best.prefix !== `${dst}/32`)) return { prefix: `${dst}/32`, nexthops: [{ interface: own.tap }] };
  return best;
}

export function trace(state: NodeState, node: string, q: TraceQuery): TraceResult {
  if (!isIpv4(q.src) || !isIpv4(q.dst)) throw new TraceQueryError('source and destination must be IPv4 addresses');
  if (q.port !== undefined && (q.protocol === 'icmp' || !Number.isInteger(q.port) || q.port < 1 || q.port > 65535)) {
    throw new TraceQueryError(q.protocol === 'icmp' ? 'icmp has no port' : `port must be 1..65535, got ${q.port}`);
  }
  const groups = new Map(state.addressGroups.map((g) => [g.id, g.addresses]));
  const src = state.interfaces.find((f) => f.ip === q.src);
  const dstIface = state.interfaces.find((f) => f.ip === q.dst);
  const result: TraceResult = { node, nodeIp: state.underlay.ip, query: q, srcLocal: src !== undefined, dstLocal: dstIface !== undefined, branches: [] };

  if (!src) {
    // Destination side only: the ingress policy of a local interface for a connection from src.
    if (dstIface) {
      const st = policyStep('ingress-policy', dstIface, dstIface.policy?.ingress, q, q.src, groups);
      result.branches.push({ dst: q.dst, ...(q.port !== undefined ? { port: q.port } : {}), steps: [st], verdict: st.verdict === 'deny' ? 'denied' : 'allowed' });
    }
    return result;
  }

  // Service DNAT (prerouting, before the route lookup).
  const targets: { ip: string; port?: number; step?: TraceStep }[] = [];
  const svc = state.services.find((s) => s.vip === q.dst);
  if (svc) {
    const np = q.protocol !== 'icmp' ? svc.ports.find((p) => p.protocol === q.protocol && p.port === q.port) : undefined;
    if (!np) {
      const drop = svc.dropUndeclared !== false;
      const step: TraceStep = { step: 'service', verdict: drop ? 'deny' : 'next', detail: `service ${svc.vip}: ${q.protocol}${q.port !== undefined ? `/${q.port}` : ''} is not a declared port${drop ? '; dropped' : ''}` };
      if (drop) {
        result.branches.push({ dst: q.dst, ...(q.port !== undefined ? { port: q.port } : {}), steps: [step], verdict: 'denied' });
        return result;
      }
      targets.push({ ip: q.dst, ...(q.port !== undefined ? { port: q.port } : {}), step });
    } else if (np.members.length === 0) {
      result.branches.push({ dst: q.dst, port: q.port, steps: [{ step: 'service', verdict: 'deny', detail: `service ${svc.vip} ${np.protocol}/${np.port} has no members; dropped` }], verdict: 'denied' });
      return result;
    } else {
      for (const m of np.members) {
        targets.push({ ip: m.ip, port: m.port, step: { step: 'service', verdict: 'next', detail: `service ${svc.vip} ${np.protocol}/${np.port}: DNAT to ${m.ip}:${m.port} (one of ${np.members.length} member(s), chosen by a hash of the source address and port)` } });
      }
    }
  } else targets.push({ ip: q.dst, ...(q.port !== undefined ? { port: q.port } : {}) });

  const vrf = state.vrfs.find((v) => v.name === src.vrf);
  for (const t of targets) {
    const steps: TraceStep[] = t.step ? [t.step] : [];
    const branch: TraceBranch = { dst: t.ip, ...(t.port !== undefined ? { port: t.port } : {}), steps, verdict: 'denied' };
    result.branches.push(branch);
    const tq = { protocol: q.protocol, ...(t.port !== undefined ? { port: t.port } : {}) };
    const hit = lookup(state, src.vrf, t.ip);
    let localDst: LocalInterface | undefined;
    let nextNode: string | undefined;
    if (!hit) {
      if (vrf?.onMiss === 'main') steps.push({ step: 'route', verdict: 'next', detail: `no route to ${t.ip} in VRF ${src.vrf}: leaves through the node's main table (fabric SNAT)` });
      else {
        steps.push({ step: 'route', verdict: 'deny', detail: `no route to ${t.ip} in VRF ${src.vrf} (networks not connected, or the destination unknown): unreachable` });
        continue;
      }
    } else {
      const nh = hit.nexthops;
      const local = nh.find((n) => !isRemoteNextHop(n));
      if (local && !isRemoteNextHop(local)) {
        localDst = state.interfaces.find((f) => f.tap === local.interface);
        steps.push({ step: 'route', verdict: 'next', detail: `${hit.prefix} in VRF ${src.vrf}: local interface ${local.interface}${localDst && localDst.vrf !== src.vrf ? ` (VRF ${localDst.vrf})` : ''}` });
      } else {
        const remote = nh.filter(isRemoteNextHop);
        nextNode = remote[0]?.node;
        const list = remote.map((n) => `${n.node} vni ${n.vni}`).join(', ');
        steps.push({ step: 'route', verdict: 'next', detail: `${hit.prefix} in VRF ${src.vrf}: VXLAN to ${list}${remote.length > 1 ? ' (ECMP)' : ''}` });
      }
    }
    const eg = policyStep('egress-policy', src, src.policy?.egress, tq, t.ip, groups);
    steps.push(eg);
    if (eg.verdict === 'deny') continue;
    if (localDst) {
      const ing = policyStep('ingress-policy', localDst, localDst.policy?.ingress, tq, q.src, groups);
      steps.push(ing);
      branch.verdict = ing.verdict === 'deny' ? 'denied' : 'allowed';
    } else if (nextNode) {
      branch.verdict = 'continues';
      branch.nextNode = nextNode;
    } else branch.verdict = 'allowed';
  }
  return result;
}
