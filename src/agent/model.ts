// The agent's state model (ARCHITECTURE.md decision 7): from the node's config view, the ports plugged
// into the node and the VPN routes learned over BGP, compute — as plain data, no I/O —
//  - the datapath's NodeState (docs/datapath.md): interfaces with their VRF and stateful security
//    policy, one VRF per network with local interfaces and its network policy (the VN ACL), routes (local leaks between VRFs of this node
//    and remote routes imported by route target, several nodes = ECMP), address groups for rules that
//    name a security group, ClusterIP DNAT for every service VIP, floating-IP DNAT for the public
//    addresses of local members, fabric SNAT;
//  - what to advertise over BGP: one inet-vpn route per interface and per floating IP/VIP with a local
//    member (RD <node ip>:<vn index>, label = VXLAN id, the VRF's export targets, the encapsulation,
//    origin-VN and security-group communities, local-pref 200), and RTC routes for the import targets;
//  - the introspect views (`tfctl vr intf|vrf|route`) and the problems that kept something out.
import {
  isRemoteNextHop, type AddressGroup, type FloatingIpNat, type InterfacePolicy, type LocalInterface, type NatPort, type NextHop, type NodeState, type PolicyEndpoint,
  type Route, type SecurityRule, type ServiceNat, type SnatRule, type Vrf, type VrfPolicy, type VrfPolicyRule,
} from '../datapath/model.js';
import { sgCommunity, originVnCommunity } from './communities.js';
import type { FloatingIpConfig, InterfaceConfig, NetworkConfig, NodeConfig, SgRule } from './config-view.js';
import type { PortEntry } from './ports.js';
import type { AclEndpoint, VnAclRule } from './vn-acl.js';

/** Routing tables of VRFs: TABLE_BASE + VXLAN id (the datapath must own this range). */
export const TABLE_BASE = 1000;
export const TABLE_RANGE: readonly [number, number] = [TABLE_BASE, TABLE_BASE + 0xffffff];
export const LOCAL_PREF = 200;
export const VXLAN_MTU_OVERHEAD = 50;

/** A VPN route learned from a control node (the best path of one RD:prefix). */
export interface VpnPath {
  rd: string;
  prefix: string;
  nextHop: string;
  /** MPLS label field = the VXLAN id */
  label: number;
  targets: string[];
  localPref: number;
  sgIds: number[];
  /** the virtual network the route's address belongs to (origin-VN community), when it says */
  originVn?: number;
  stale: boolean;
  /** the control node it came from */
  peer: string;
}

/** An inet-vpn route this node originates. */
export interface VpnAdvert {
  rd: string;
  prefix: string;
  label: number;
  nextHop: string;
  localPref: number;
  extCommunities: string[];
  kind: 'interface' | 'floating-ip';
}

export interface ModelInput {
  node: { name: string; ip: string; underlay: { device: string; mtu?: number } };
  config: NodeConfig;
  ports: readonly PortEntry[];
  remote: readonly VpnPath[];
}

export interface InterfaceView {
  index: number;
  name: string;
  uuid: string;
  active: boolean;
  /** why an inactive interface is not plumbed */
  reason?: string;
  mac: string;
  ip: string;
  vm_uuid: string;
  vm_name: string;
  vn_name: string;
  vrf_name: string;
  netns: string;
  ifname: string;
  container_id: string;
  sg_ids: number[];
  policy: InterfacePolicy | undefined;
}

export interface VrfView {
  name: string;
  vn: string;
  vn_index: number;
  vxlan_id: number;
  /** the kernel routing table (the original's unicast VRF index) */
  ucindex: number;
  import_targets: string[];
  export_targets: string[];
  interfaces: number;
}

export type NextHopView =
  | { type: 'interface'; itf: string; mac: string; vrf: string }
  | { type: 'tunnel'; tunnel_type: 'VXLAN'; dip: string; sip: string; label: number; vxlan_id: number };

export interface PathView {
  peer: string;
  pref: number;
  stale: boolean;
  nh: NextHopView;
  sg_ids: number[];
}

export interface RouteView {
  vrf: string;
  prefix: string;
  paths: PathView[];
}

export interface AgentState {
  datapath: NodeState;
  interfaces: InterfaceView[];
  vrfs: VrfView[];
  routes: RouteView[];
  advertisements: VpnAdvert[];
  rtcTargets: string[];
  problems: string[];
}

/** RD number of a network's VRF on this node: its index (16 bits in a type-1 RD). */
export function rdIndex(vnIndex: number): number {
  return vnIndex <= 0xffff ? vnIndex : (vnIndex & 0xffff) || 1;
}

export function vrfTable(vni: number): number {
  return TABLE_BASE + vni;
}

const PROTO_NAMES: Record<number, SecurityRule['protocol']> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 132: 'sctp' };

function securityRule(r: SgRule): SecurityRule {
  const protocol: SecurityRule['protocol'] = r.protocol === 'any' ? 'any' : (PROTO_NAMES[r.protocol] ?? r.protocol);
  return {
    ...(r.id ? { id: r.id } : {}),
    protocol,
    ...(r.ports ? { ports: { ...r.ports } } : {}),
    ...(r.remote.kind === 'cidr' ? { remoteCidr: r.remote.cidr } : {}),
    ...(r.remote.kind === 'group' ? { remoteGroup: String(r.remote.id) } : {}),
  };
}

function dedupeRules(rules: SecurityRule[]): SecurityRule[] {
  const seen = new Set<string>();
  return rules.filter((r) => {
    const k = JSON.stringify([r.protocol, r.ports, r.remoteCidr, r.remoteGroup]);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const intersects = (a: readonly string[], b: ReadonlySet<string>): boolean => a.some((x) => b.has(x));

/** The address group holding a network's members (its local interfaces and routes of that origin VN). */
export const vnGroupId = (index: number): string => `vn${index}`;

function aclEndpoints(e: AclEndpoint): (PolicyEndpoint | undefined)[] {
  if (e.kind === 'any') return [undefined];
  if (e.kind === 'network') return [{ group: vnGroupId(e.index) }];
  return e.cidrs.map((c) => (c === '0.0.0.0/0' ? undefined : { cidr: c }));
}

const isCatchAllPass = (r: VrfPolicyRule): boolean =>
  r.action === 'pass' && r.protocol === 'any' && !r.src && !r.dst && !r.srcPorts && !r.dstPorts;

/**
 * A network's ACL as the VRF policy of the datapath: rules in order, a bidirectional rule followed by its
 * mirror, duplicates dropped; the trailing pass any → any the transformer writes becomes the default
 * (without it, what no rule passes is dropped, as in the original). Undefined when nothing is filtered.
 */
export function vrfPolicy(acl: readonly VnAclRule[], useGroup: (index: number) => void): VrfPolicy | undefined {
  const rules: VrfPolicyRule[] = [];
  const seen = new Set<string>();
  const push = (r: VrfPolicyRule): void => {
    const k = JSON.stringify([r.action, r.protocol, r.src, r.dst, r.srcPorts, r.dstPorts]);
    if (seen.has(k)) return;
    seen.add(k);
    rules.push(r);
  };
  for (const a of acl) {
    for (const e of [a.src, a.dst]) if (e.kind === 'network') useGroup(e.index);
    const protocol: VrfPolicyRule['protocol'] = a.protocol === 'any' ? 'any' : (PROTO_NAMES[a.protocol] ?? a.protocol);
    for (const src of aclEndpoints(a.src)) {
      for (const dst of aclEndpoints(a.dst)) {
        const base = { ...(a.id ? { id: a.id } : {}), action: a.action, protocol };
        push({ ...base, ...(src ? { src } : {}), ...(dst ? { dst } : {}), ...(a.srcPorts ? { srcPorts: a.srcPorts } : {}), ...(a.dstPorts ? { dstPorts: a.dstPorts } : {}) });
        if (a.bidirectional) push({ ...base, ...(dst ? { src: dst } : {}), ...(src ? { dst: src } : {}), ...(a.dstPorts ? { srcPorts: a.dstPorts } : {}), ...(a.srcPorts ? { dstPorts: a.srcPorts } : {}) });
      }
    }
  }
  let def: VrfPolicy['default'] = 'deny';
  const last = rules.findIndex(isCatchAllPass);
  if (last >= 0) {
    rules.length = last;
    def = 'pass';
  }
  while (def === 'pass' && rules.length > 0 && rules[rules.length - 1].action === 'pass') rules.pop();
  if (def === 'pass' && rules.length === 0) return undefined;
  return { rules, default: def };
}

interface Plugged {
  port: PortEntry;
  f: InterfaceConfig;
  net: NetworkConfig;
  vrf: Vrf;
  iface: LocalInterface;
  sgIds: number[];
}

function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export function computeState(input: ModelInput): AgentState {
  const { node, config } = input;
  const problems: string[] = [...config.problems];
  const vxlanMtu = (node.underlay.mtu ?? 1500) - VXLAN_MTU_OVERHEAD;

  // ---- interfaces and their VRFs --------------------------------------------------------------------
  const views: InterfaceView[] = [];
  const plugged: Plugged[] = [];
  const vrfs = new Map<string, Vrf>();
  const vrfNet = new Map<string, NetworkConfig>();
  const tables = new Map<number, string>();
  const ips = new Map<string, string>();
  const taps = new Map<string, string>();
  input.ports.forEach((port, i) => {
    const f = config.interfaces.get(port.vmiUuid);
    const net = f?.vnUuid ? config.networks.get(f.vnUuid) : undefined;
    const sgIds = (f?.securityGroups ?? []).map((u) => config.securityGroups.get(u)?.id).filter((x): x is number => typeof x === 'number');
    const view: InterfaceView = {
      index: i + 1, name: port.tap, uuid: port.vmiUuid, active: false, mac: f?.mac ?? '', ip: f?.ip ?? '', vm_uuid: port.vmUuid,
      vm_name: port.vmName, vn_name: net?.fqName ?? '', vrf_name: net?.vrf?.name ?? '', netns: port.netns, ifname: port.ifname,
      container_id: port.containerId, sg_ids: sgIds, policy: undefined,
    };
    views.push(view);
    let reason: string | undefined;
    if (!f) reason = 'interface not in the config of this virtual-router';
    else if (f.problems.length > 0) reason = f.problems.join('; ');
    else if (!net) reason = 'virtual network not known yet';
    else if (!net.vrf) reason = `routing instance of ${net.fqName} not known yet`;
    else if (port.netns === '') reason = 'no network namespace registered';
    else if (ips.has(f.ip!)) reason = `address ${f.ip} already used by ${ips.get(f.ip!)}`;
    else if (taps.has(port.tap)) reason = `host interface name ${port.tap} already used by interface ${taps.get(port.tap)}`;
    else if (tables.has(vrfTable(net.vni)) && tables.get(vrfTable(net.vni)) !== net.vrf.name) reason = `VXLAN id ${net.vni} also used by ${tables.get(vrfTable(net.vni))}`;
    if (reason !== undefined || !f || !net?.vrf) {
      view.reason = reason;
      return;
    }
    const vrfName = net.vrf.name;
    let vrf = vrfs.get(vrfName);
    if (!vrf) {
      vrf = { name: vrfName, table: vrfTable(net.vni), vni: net.vni, ...(net.fabricSnat ? { onMiss: 'main' as const } : {}) };
      vrfs.set(vrfName, vrf);
      vrfNet.set(vrfName, net);
      tables.set(vrf.table, vrfName);
    }
    ips.set(f.ip!, port.tap);
    taps.set(port.tap, f.uuid);
    const iface: LocalInterface = {
      tap: port.tap, netns: port.netns, ifname: port.ifname, mac: f.mac!, ip: f.ip!, plen: f.plen!, gateway: f.gateway!,
      mtu: port.mtu ?? vxlanMtu, vrf: vrfName, uuid: f.uuid,
    };
    view.active = true;
    plugged.push({ port, f, net, vrf, iface, sgIds });
  });

  // ---- network policy (the VN ACL) ---------------------------------------------------------------------
  const groupsUsed = new Set<string>();
  const vnGroupsUsed = new Set<number>();
  for (const [name, net] of vrfNet) {
    const policy = net.acl ? vrfPolicy(net.acl, (i) => vnGroupsUsed.add(i)) : undefined;
    if (policy) vrfs.get(name)!.policy = policy;
  }
  for (const i of vnGroupsUsed) groupsUsed.add(vnGroupId(i));

  // ---- security policy ---------------------------------------------------------------------------------
  for (const p of plugged) {
    if (!p.f.portSecurity || p.f.securityGroups.length === 0) continue;
    const ingress: SecurityRule[] = [];
    const egress: SecurityRule[] = [];
    for (const u of p.f.securityGroups) {
      const sg = config.securityGroups.get(u);
      if (!sg) {
        problems.push(`interface ${p.port.tap}: security group ${u} not known yet; its rules are missing`);
        continue;
      }
      if (!sg.complete) problems.push(`security group ${sg.fqName}: access-control-lists not written yet`);
      ingress.push(...sg.ingress.map(securityRule));
      egress.push(...sg.egress.map(securityRule));
    }
    const policy: InterfacePolicy = { ingress: { default: 'deny', rules: dedupeRules(ingress) }, egress: { default: 'deny', rules: dedupeRules(egress) } };
    for (const r of [...policy.ingress.rules, ...policy.egress.rules]) if (r.remoteGroup) groupsUsed.add(r.remoteGroup);
    p.iface.policy = policy;
    const v = views.find((x) => x.uuid === p.port.vmiUuid);
    if (v) v.policy = policy;
  }

  // ---- floating IPs and VIPs ---------------------------------------------------------------------------
  const localByIp = new Map(plugged.map((p) => [p.iface.ip, p]));
  const fipAddresses = new Set(config.floatingIps.map((f) => f.address));
  const services: ServiceNat[] = [];
  const floatingIps: FloatingIpNat[] = [];
  const natPorts = (f: FloatingIpConfig, member: (ip: string) => boolean): NatPort[] => {
    const out = new Map<string, NatPort>();
    for (const m of f.mappings) {
      const k = `${m.protocol}/${m.srcPort}`;
      let np = out.get(k);
      if (!np) out.set(k, (np = { protocol: m.protocol, port: m.srcPort, members: [] }));
      for (const x of f.members) {
        if (x.ip && member(x.ip) && !np.members.some((y) => y.ip === x.ip)) np.members.push({ ip: x.ip, port: m.dstPort });
      }
    }
    return [...out.values()];
  };
  const seenVip = new Set<string>();
  for (const f of config.floatingIps) {
    if (f.mappings.length === 0) {
      if (f.members.length > 0) problems.push(`floating-ip ${f.address}: without port mappings (1:1 NAT) it is not supported; skipped`);
      continue;
    }
    if (localByIp.has(f.address)) {
      problems.push(`floating-ip ${f.address}: the address of a local interface; skipped`);
      continue;
    }
    if (f.kind === 'vip') {
      if (seenVip.has(f.address)) continue;
      seenVip.add(f.address);
      services.push({ vip: f.address, ports: natPorts(f, () => true), dropUndeclared: f.mappingsEnabled });
    } else {
      const ports = natPorts(f, (ip) => localByIp.has(ip)).filter((p) => p.members.length > 0);
      if (ports.length > 0 && !floatingIps.some((x) => x.ip === f.address)) floatingIps.push({ ip: f.address, ports, dropUndeclared: f.mappingsEnabled });
    }
  }
  const vipSet = new Set(services.map((s) => s.vip));
  for (const x of floatingIps) {
    if (vipSet.has(x.ip)) {
      problems.push(`floating-ip ${x.ip}: also a service VIP; the VIP wins`);
    }
  }

  // ---- routes ------------------------------------------------------------------------------------------
  const routes: Route[] = [];
  const routeViews: RouteView[] = [];
  const localIps = new Set(plugged.map((p) => p.iface.ip));
  const importsOf = new Map([...vrfNet].map(([name, n]) => [name, new Set(n.vrf!.importTargets)]));
  const groupAddrs = new Map<string, Set<string>>();
  const addGroupAddr = (id: number, addr: string): void => {
    const k = String(id);
    if (!groupsUsed.has(k)) return;
    let s = groupAddrs.get(k);
    if (!s) groupAddrs.set(k, (s = new Set()));
    s.add(addr);
  };
  const addVnAddr = (index: number, addr: string): void => {
    if (!vnGroupsUsed.has(index)) return;
    const k = vnGroupId(index);
    let s = groupAddrs.get(k);
    if (!s) groupAddrs.set(k, (s = new Set()));
    s.add(addr);
  };
  for (const p of plugged) {
    for (const id of p.sgIds) addGroupAddr(id, p.iface.ip);
    addVnAddr(p.net.index, p.iface.ip);
  }

  // Best remote paths by VRF and prefix: a path is imported where one of its targets is an import target.
  const remoteBy = new Map<string, Map<string, VpnPath[]>>();
  for (const r of input.remote) {
    if (r.nextHop === node.ip) continue;
    const plen = Number(r.prefix.split('/')[1] ?? 32);
    for (const id of r.sgIds) if (plen === 32) addGroupAddr(id, r.prefix.split('/')[0]);
    if (r.originVn !== undefined && plen === 32) addVnAddr(r.originVn, r.prefix.split('/')[0]);
    const host = r.prefix.endsWith('/32') ? r.prefix.slice(0, -3) : undefined;
    if (host !== undefined && (localIps.has(host) || fipAddresses.has(host))) continue;
    if (!Number.isInteger(r.label) || r.label < 1 || r.label > 0xffffff) continue;
    for (const [vrfName, imports] of importsOf) {
      if (!intersects(r.targets, imports)) continue;
      let m = remoteBy.get(vrfName);
      if (!m) remoteBy.set(vrfName, (m = new Map<string, VpnPath[]>()));
      const list = m.get(r.prefix);
      if (list) list.push(r);
      else m.set(r.prefix, [r]);
    }
  }

  for (const vrf of [...vrfs.values()].sort(byName)) {
    const imports = importsOf.get(vrf.name)!;
    // own interfaces (implicit host routes in the datapath; listed for introspect)
    for (const p of plugged.filter((x) => x.vrf === vrf)) {
      routeViews.push({ vrf: vrf.name, prefix: `${p.iface.ip}/32`, paths: [{ peer: 'LocalVmPort', pref: LOCAL_PREF, stale: false, nh: { type: 'interface', itf: p.iface.tap, mac: p.iface.mac, vrf: vrf.name }, sg_ids: p.sgIds }] });
    }
    // interfaces of other VRFs on this node that this VRF imports
    for (const p of plugged) {
      if (p.vrf === vrf || !intersects(p.net.vrf!.exportTargets, imports)) continue;
      const prefix = `${p.iface.ip}/32`;
      routes.push({ vrf: vrf.name, prefix, nexthops: [{ interface: p.iface.tap }] });
      routeViews.push({ vrf: vrf.name, prefix, paths: [{ peer: 'LocalVmPort', pref: LOCAL_PREF, stale: false, nh: { type: 'interface', itf: p.iface.tap, mac: p.iface.mac, vrf: p.vrf.name }, sg_ids: p.sgIds }] });
    }
    for (const [prefix, paths] of [...(remoteBy.get(vrf.name) ?? new Map<string, VpnPath[]>()).entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      if (routes.some((r) => r.vrf === vrf.name && r.prefix === prefix)) continue;
      const best = Math.max(...paths.map((p) => p.localPref));
      const chosen = paths.filter((p) => p.localPref === best).sort((a, b) => (a.nextHop < b.nextHop ? -1 : a.nextHop > b.nextHop ? 1 : a.label - b.label));
      const nexthops: NextHop[] = [];
      for (const p of chosen) if (!nexthops.some((n) => isRemoteNextHop(n) && n.node === p.nextHop && n.vni === p.label)) nexthops.push({ node: p.nextHop, vni: p.label });
      routes.push({ vrf: vrf.name, prefix, nexthops });
      routeViews.push({
        vrf: vrf.name,
        prefix,
        paths: paths.sort((a, b) => b.localPref - a.localPref || (a.nextHop < b.nextHop ? -1 : 1)).map((p) => ({
          peer: p.peer, pref: p.localPref, stale: p.stale, sg_ids: p.sgIds,
          nh: { type: 'tunnel', tunnel_type: 'VXLAN', dip: p.nextHop, sip: node.ip, label: p.label, vxlan_id: p.label },
        })),
      });
    }
  }

  const addressGroups: AddressGroup[] = [...groupsUsed].sort().map((id) => ({ id, addresses: [...(groupAddrs.get(id) ?? [])].sort() }));
  const snat: SnatRule[] = [];
  for (const vrf of vrfs.values()) {
    if (vrf.onMiss !== 'main') continue;
    const sources = plugged.filter((p) => p.vrf === vrf).map((p) => `${p.iface.ip}/32`);
    if (sources.length > 0) snat.push({ sources });
  }

  // ---- advertisements ------------------------------------------------------------------------------------
  const asn = config.asn;
  const advertisements: VpnAdvert[] = [];
  const encap = 'encapsulation:vxlan';
  for (const p of plugged) {
    advertisements.push({
      kind: 'interface',
      rd: `${node.ip}:${rdIndex(p.net.index)}`,
      prefix: `${p.iface.ip}/32`,
      label: p.net.vni,
      nextHop: node.ip,
      localPref: LOCAL_PREF,
      extCommunities: [...p.net.vrf!.exportTargets, encap, originVnCommunity(asn, p.net.index), ...p.sgIds.map((id) => sgCommunity(asn, id))],
    });
  }
  const advertisedFips = new Set<string>();
  const fipNets: NetworkConfig[] = [];
  for (const f of config.floatingIps) {
    const local = f.members.map((m) => (m.ip ? localByIp.get(m.ip) : undefined)).find((x) => x !== undefined);
    if (!local || f.mappings.length === 0) continue;
    const fnet = f.vnUuid ? config.networks.get(f.vnUuid) : undefined;
    if (!fnet?.vrf) {
      problems.push(`floating-ip ${f.address}: its network${fnet ? ` ${fnet.fqName} has no routing instance yet` : ' is not known'}; not advertised`);
      continue;
    }
    const rd = `${node.ip}:${rdIndex(fnet.index)}`;
    const key = `${rd}|${f.address}`;
    if (advertisedFips.has(key)) continue;
    advertisedFips.add(key);
    if (!fipNets.includes(fnet)) fipNets.push(fnet);
    advertisements.push({
      kind: 'floating-ip',
      rd,
      prefix: `${f.address}/32`,
      label: local.net.vni,
      nextHop: node.ip,
      localPref: LOCAL_PREF,
      extCommunities: [...fnet.vrf.exportTargets, encap, originVnCommunity(asn, fnet.index)],
    });
  }
  // Subscribe to the VRFs of local interfaces, and to those of the floating IPs advertised: a control
  // node only asks for targets some agent imports (RFC 4684), and an agent sends only what is asked for.
  const rtcTargets = [...new Set([...[...vrfNet.values()], ...fipNets].flatMap((n) => n.vrf!.importTargets))].sort();

  const vrfViews: VrfView[] = [...vrfs.values()].sort(byName).map((v) => {
    const n = vrfNet.get(v.name)!;
    return {
      name: v.name, vn: n.fqName, vn_index: n.index, vxlan_id: v.vni, ucindex: v.table,
      import_targets: n.vrf!.importTargets, export_targets: n.vrf!.exportTargets, interfaces: plugged.filter((p) => p.vrf === v).length,
    };
  });

  return {
    datapath: {
      underlay: { device: node.underlay.device, ip: node.ip, ...(node.underlay.mtu !== undefined ? { mtu: node.underlay.mtu } : {}) },
      vrfs: [...vrfs.values()].sort(byName),
      interfaces: plugged.map((p) => p.iface),
      routes,
      addressGroups,
      services: services.sort((a, b) => (a.vip < b.vip ? -1 : 1)),
      floatingIps: floatingIps.filter((x) => !vipSet.has(x.ip)),
      snat,
    },
    interfaces: views,
    vrfs: vrfViews,
    routes: routeViews,
    advertisements,
    rtcTargets,
    problems,
  };
}
