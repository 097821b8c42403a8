// "Can A reach B on tcp/80, and which rule decides?" answered from one node's state model without
// sending a packet (ARCHITECTURE.md decision 7). The steps follow the datapath's order for a new
// connection: service DNAT at the source node (prerouting), the route lookup in the source VRF, then the
// stateful filter — the network policy of the source's VRF and the source interface's egress policy and,
// on the node hosting the destination, the network policy of its VRF and its ingress policy. A node evaluates what it hosts: the source side when A is local, the destination side
// when B is local (`tfctl trace` asks both nodes). Pure.
import { cidrContains, isIpv4, parseCidr, parseIpv4 } from '../common/ip.js';
import { isRemoteNextHop, type DirectionPolicy, type LocalInterface, type NodeState, type PolicyEndpoint, type SecurityRule, type VrfPolicyRule } from '../datapath/model.js';

export type TraceProtocol = 'tcp' | 'udp' | 'sctp' | 'icmp';

export interface TraceQuery {
  src: string;
  dst: string;
  protocol: TraceProtocol;
  /** destination port (tcp, udp, sctp) */
  port?: number;
}

export interface TraceStep {
  step: 'service' | 'route' | 'network-policy' | 'egress-policy' | 'ingress-policy';
  verdict: 'allow' | 'deny' | 'next';
  detail: string;
  /** the deciding rule, when a rule decided */
  rule?: SecurityRule | VrfPolicyRule;
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

// A new connection's source port is unknown to a trace: taken as an ephemeral one (Linux: 32768-60999).
const EPHEMERAL = { from: 32768, to: 60999 };

function inGroup(addr: string, id: string, groups: ReadonlyMap<string, readonly string[]>): boolean {
  return (groups.get(id) ?? []).some((a) => a === addr || (a.includes('/') && inCidr(addr, a)));
}

function endpointMatches(e: PolicyEndpoint | undefined, addr: string, groups: ReadonlyMap<string, readonly string[]>): boolean {
  if (!e) return true;
  if (e.cidr !== undefined) return inCidr(addr, e.cidr);
  return e.group !== undefined && inGroup(addr, e.group, groups);
}

function vrfRuleMatches(r: VrfPolicyRule, q: { protocol: TraceProtocol; port?: number }, src: string, dst: string, groups: ReadonlyMap<string, readonly string[]>): boolean {
  if (r.protocol !== 'any') {
    const num = typeof r.protocol === 'number' ? r.protocol : PROTO_NUM[r.protocol];
    if (num !== PROTO_NUM[q.protocol]) return false;
  }
  if ((r.srcPorts || r.dstPorts) && q.protocol === 'icmp') return false;
  if (r.srcPorts && (r.srcPorts.from > EPHEMERAL.from || r.srcPorts.to < EPHEMERAL.to)) return false;
  if (r.dstPorts && (q.port === undefined || q.port < r.dstPorts.from || q.port > r.dstPorts.to)) return false;
  return endpointMatches(r.src, src, groups) && endpointMatches(r.dst, dst, groups);
}

function describeEndpoint(e: PolicyEndpoint | undefined): string {
  if (!e) return 'any address';
  if (e.cidr !== undefined) return e.cidr;
  return e.group?.startsWith('vn') ? `network ${e.group.slice(2)}` : `group ${e.group}`;
}

/** "rule <id>: tcp port 80 from network 5 to any address". */
export function describeVrfRule(r: VrfPolicyRule): string {
  const proto = typeof r.protocol === 'number' ? `protocol ${r.protocol}` : r.protocol === 'any' ? 'any protocol' : r.protocol;
  const range = (x: { from: number; to: number }) => (x.from === x.to ? `port ${x.from}` : `ports ${x.from}-${x.to}`);
  const ports = `${r.srcPorts ? ` source ${range(r.srcPorts)}` : ''}${r.dstPorts ? ` ${range(r.dstPorts)}` : ''}`;
  return `${r.id ? `rule ${r.id}: ` : ''}${proto}${ports} from ${describeEndpoint(r.src)} to ${describeEndpoint(r.dst)}`;
}

/** The network policy of an interface's VRF for a connection src → dst; undefined when the VRF has none. */
function networkPolicyStep(state: NodeState, f: LocalInterface, q: { protocol: TraceProtocol; port?: number }, src: string, dst: string, groups: ReadonlyMap<string, readonly string[]>): TraceStep | undefined {
  const pol = state.vrfs.find((v) => v.name === f.vrf)?.policy;
  if (!pol) return undefined;
  const r = pol.rules.find((x) => vrfRuleMatches(x, q, src, dst, groups));
  const where = `network policy of VRF ${f.vrf}`;
  if (r) {
    return r.action === 'pass'
      ? { step: 'network-policy', verdict: 'allow', detail: `${where}: passed by ${describeVrfRule(r)}`, rule: r }
      : { step: 'network-policy', verdict: 'deny', detail: `${where}: denied by ${describeVrfRule(r)}; dropped`, rule: r };
  }
  return pol.default === 'pass'
    ? { step: 'network-policy', verdict: 'allow', detail: `${where}: no rule matches; passed by default` }
    : { step: 'network-policy', verdict: 'deny', detail: `${where}: no rule matches; dropped by default` };
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
    // Destination side only: the network policy of its VRF and the ingress policy of a local interface.
    if (dstIface) {
      const steps: TraceStep[] = [];
      const np = networkPolicyStep(state, dstIface, q, q.src, q.dst, groups);
      if (np) steps.push(np);
      if (np?.verdict !== 'deny') steps.push(policyStep('ingress-policy', dstIface, dstIface.policy?.ingress, q, q.src, groups));
      const denied = steps.some((x) => x.verdict === 'deny');
      result.branches.push({ dst: q.dst, ...(q.port !== undefined ? { port: q.port } : {}), steps, verdict: denied ? 'denied' : 'allowed' });
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
    const srcNet = networkPolicyStep(state, src, tq, q.src, t.ip, groups);
    if (srcNet) {
      steps.push(srcNet);
      if (srcNet.verdict === 'deny') continue;
    }
    const eg = policyStep('egress-policy', src, src.policy?.egress, tq, t.ip, groups);
    steps.push(eg);
    if (eg.verdict === 'deny') continue;
    if (localDst) {
      const dstNet = networkPolicyStep(state, localDst, tq, q.src, t.ip, groups);
      if (dstNet) {
        steps.push(dstNet);
        if (dstNet.verdict === 'deny') continue;
      }
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
