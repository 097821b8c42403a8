// What the agent needs from the config, as plain data (pure functions over a read-only view of the
// informer cache): its virtual-router and the virtual machines linked to it, their interfaces with
// address, subnet, gateway and security groups, the networks and default routing instances of those
// interfaces (import/export targets as the transformer wrote them, docs/transformer.md), the security
// groups' ACLs (the transformer's ingress/egress lists), and every floating IP with its members and
// port mappings (service VIPs and public floating IPs: ClusterIP DNAT happens at the source node, so
// every node needs every VIP's members), and each of those networks' access-control-list (vn-acl.ts).
// Incomplete objects are reported as problems, never guessed.
import { cidrContains, isIpv4, parseCidr, parseIpv4 } from '../common/ip.js';
import { vnAclConfig, type VnAclRule } from './vn-acl.js';
import type { VncObject, VncRef } from '../vnc/object.js';
import type {
  AccessControlList, AclRuleType, FloatingIp, GlobalSystemConfig, InstanceIp, IpamSubnetType, NetworkIpam, RoutingInstance, SecurityGroup,
  VirtualMachine, VirtualMachineInterface, VirtualNetwork, VirtualRouter, VnSubnetsType,
} from '../vnc/schema.js';

/** The object types the agent follows. */
export const AGENT_TYPES = [
  'global-system-config', 'virtual-router', 'virtual-machine', 'virtual-machine-interface', 'instance-ip', 'virtual-network',
  'network-ipam', 'routing-instance', 'security-group', 'access-control-list', 'floating-ip', 'floating-ip-pool',
] as const;

export const VROUTER_PARENT = 'default-global-system-config';
export const DEFAULT_ASN = 64512;
export const LB_DEVICE_OWNER = 'K8S:LOADBALANCER';

/** The read side of VncCache the agent uses (tests give a map). */
export interface ConfigReader {
  get(uuid: string): VncObject | undefined;
  list(type: string): VncObject[];
  getByFqName(type: string, fq: readonly string[]): VncObject | undefined;
  backRefs(uuid: string, fromType?: string): VncObject[];
  children(uuid: string, childType?: string): VncObject[];
}

export interface VrfConfig {
  /** routing-instance fq_name joined by ':' */
  name: string;
  importTargets: string[];
  exportTargets: string[];
}

export interface NetworkConfig {
  uuid: string;
  /** fq_name joined by ':' */
  fqName: string;
  /** virtual_network_network_id */
  index: number;
  /** VXLAN id: vxlan_network_identifier, else the network id */
  vni: number;
  vrf: VrfConfig | undefined;
  fabricSnat: boolean;
  /** the network's access-control-list (vn-acl.ts); undefined when it has no policy */
  acl?: VnAclRule[];
}

export interface VmConfig {
  uuid: string;
  /** fq_name's last element (kube-manager: <pod>__<pod uid>) */
  name: string;
  displayName: string;
  /** <cluster>__<namespace>__<pod> from the kube-manager annotations, when present */
  podName?: string;
  vmiUuids: string[];
}

export interface InterfaceConfig {
  uuid: string;
  fqName: string;
  vmUuid: string;
  vnUuid: string | undefined;
  mac: string | undefined;
  ip: string | undefined;
  plen: number | undefined;
  gateway: string | undefined;
  dns: string | undefined;
  securityGroups: string[];
  portSecurity: boolean;
  /** key_value_pairs of the VMI */
  annotations: Record<string, string>;
  /** "<i>/<n>": position among the VM's interfaces (the original CNI waits until it has n of them) */
  index: string;
  /** why the interface cannot be plumbed yet (empty when complete) */
  problems: string[];
}

export type RemoteSpec = { kind: 'any' } | { kind: 'cidr'; cidr: string } | { kind: 'group'; id: number };

export interface SgRule {
  id?: string;
  /** 'any' or an IP protocol number */
  protocol: 'any' | number;
  remote: RemoteSpec;
  ports?: { from: number; to: number };
}

export interface SecurityGroupConfig {
  uuid: string;
  fqName: string;
  id: number | undefined;
  ingress: SgRule[];
  egress: SgRule[];
  /** the transformer has written both ACLs */
  complete: boolean;
}

export interface PortMapping {
  protocol: 'tcp' | 'udp' | 'sctp';
  srcPort: number;
  dstPort: number;
}

export interface FloatingIpConfig {
  uuid: string;
  address: string;
  /** 'vip': parent is an instance-ip (a service VIP); 'pool': from a floating-ip-pool (public address) */
  kind: 'vip' | 'pool';
  vnUuid: string | undefined;
  mappingsEnabled: boolean;
  mappings: PortMapping[];
  /** member interfaces (LB interfaces and interfaces carrying the address itself left out) */
  members: { vmiUuid: string; ip: string | undefined }[];
}

export interface NodeConfig {
  asn: number;
  vrouter: { uuid: string; ip: string | undefined } | undefined;
  vms: Map<string, VmConfig>;
  interfaces: Map<string, InterfaceConfig>;
  networks: Map<string, NetworkConfig>;
  securityGroups: Map<string, SecurityGroupConfig>;
  floatingIps: FloatingIpConfig[];
  problems: string[];
}

const fq = (o: { fq_name: readonly string[] }): string => o.fq_name.join(':');
const refs = <A>(v: unknown): VncRef<A>[] => (Array.isArray(v) ? (v as VncRef<A>[]) : []);

export function annotations(o: VncObject | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of o?.annotations?.key_value_pair ?? []) if (kv.key) out[kv.key] = kv.value ?? '';
  return out;
}

/** Import targets (import_export null/''/'import') and export targets of a routing instance. */
export function instanceTargets(ri: RoutingInstance): { importTargets: string[]; exportTargets: string[] } {
  const imp = new Set<string>();
  const exp = new Set<string>();
  for (const r of refs<{ import_export?: string | null }>(ri.route_target_refs)) {
    const t = r.to[r.to.length - 1];
    if (!t?.startsWith('target:')) continue;
    const ie = r.attr?.import_export ?? '';
    if (ie !== 'export') imp.add(t);
    if (ie !== 'import') exp.add(t);
  }
  return { importTargets: [...imp].sort(), exportTargets: [...exp].sort() };
}

function networkConfig(c: ConfigReader, vn: VirtualNetwork, problems: string[]): NetworkConfig | undefined {
  const index = vn.virtual_network_network_id;
  if (typeof index !== 'number' || index < 1) return undefined;
  const riFq = [...vn.fq_name, vn.fq_name[vn.fq_name.length - 1]];
  const acl = vnAclConfig(c, vn, problems);
  const ri = (c.getByFqName('routing-instance', riFq) ??
    c.children(vn.uuid, 'routing-instance').find((r) => (r as RoutingInstance).routing_instance_is_default)) as RoutingInstance | undefined;
  return {
    uuid: vn.uuid,
    fqName: fq(vn),
    index,
    vni: vn.virtual_network_properties?.vxlan_network_identifier ?? index,
    vrf: ri ? { name: fq(ri), ...instanceTargets(ri) } : undefined,
    fabricSnat: vn.fabric_snat === true,
    ...(acl ? { acl } : {}),
  };
}

interface Subnet {
  cidr: string;
  plen: number;
  gateway?: string;
  dns?: string;
  uuid?: string;
}

function subnetOf(s: IpamSubnetType): Subnet | undefined {
  const p = s.subnet?.ip_prefix;
  const len = s.subnet?.ip_prefix_len;
  if (!p || typeof len !== 'number' || !isIpv4(p)) return undefined;
  return {
    cidr: `${p}/${len}`, plen: len, ...(s.default_gateway ? { gateway: s.default_gateway } : {}),
    ...(s.dns_server_address ? { dns: s.dns_server_address } : {}), ...(s.subnet_uuid ? { uuid: s.subnet_uuid } : {}),
  };
}

/** Every IPv4 subnet a network draws from: its user-defined subnets and its flat-subnet IPAMs' subnets. */
function networkSubnets(c: ConfigReader, vn: VirtualNetwork): Subnet[] {
  const out: Subnet[] = [];
  for (const r of refs<VnSubnetsType>(vn.network_ipam_refs)) {
    for (const s of r.attr?.ipam_subnets ?? []) {
      const x = subnetOf(s);
      if (x) out.push(x);
    }
    const ipam = c.get(r.uuid) as NetworkIpam | undefined;
    for (const s of ipam?.ipam_subnets?.subnets ?? []) {
      const x = subnetOf(s);
      if (x) out.push(x);
    }
  }
  return out;
}

function addressSubnet(subnets: Subnet[], ip: string, subnetUuid: string | null | undefined): Subnet | undefined {
  if (subnetUuid) {
    const s = subnets.find((x) => x.uuid === subnetUuid);
    if (s) return s;
  }
  const a = parseIpv4(ip);
  return subnets.find((s) => cidrContains(parseCidr(s.cidr, false), a));
}

/** The first IPv4 instance-ip of an interface (not a service VIP's own address). */
function interfaceAddress(c: ConfigReader, vmiUuid: string): InstanceIp | undefined {
  const iips = c.backRefs(vmiUuid, 'instance-ip') as InstanceIp[];
  return iips
    .filter((i) => i.instance_ip_address && isIpv4(i.instance_ip_address) && i.instance_ip_secondary !== true)
    .sort((a, b) => (a.uuid < b.uuid ? -1 : 1))[0];
}

function interfaceConfig(c: ConfigReader, vmi: VirtualMachineInterface, vm: VirtualMachine, index: string): InterfaceConfig {
  const problems: string[] = [];
  const vnRef = refs(vmi.virtual_network_refs)[0];
  const vn = vnRef ? (c.get(vnRef.uuid) as VirtualNetwork | undefined) : undefined;
  if (!vn) problems.push('no virtual network');
  const mac = vmi.virtual_machine_interface_mac_addresses?.mac_address?.[0]?.toLowerCase();
  if (!mac) problems.push('no MAC address');
  const iip = interfaceAddress(c, vmi.uuid);
  let ip: string | undefined;
  let subnet: Subnet | undefined;
  if (!iip) problems.push('no instance-ip');
  else {
    ip = iip.instance_ip_address!;
    subnet = vn ? addressSubnet(networkSubnets(c, vn), ip, iip.subnet_uuid) : undefined;
    if (vn && !subnet) problems.push(`no subnet of ${fq(vn)} holds ${ip}`);
    else if (subnet && !subnet.gateway) problems.push(`subnet ${subnet.cidr} has no gateway`);
  }
  return {
    uuid: vmi.uuid,
    fqName: fq(vmi),
    vmUuid: vm.uuid,
    vnUuid: vn?.uuid,
    mac,
    ip,
    plen: subnet?.plen,
    gateway: subnet?.gateway,
    dns: subnet?.dns,
    securityGroups: refs(vmi.security_group_refs).map((r) => r.uuid),
    portSecurity: vmi.port_security_enabled !== false,
    annotations: annotations(vmi),
    index,
    problems,
  };
}

const PROTO_NUMBERS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, icmp6: 58, 'ipv6-icmp': 58, sctp: 132 };

/** An ACL rule's protocol: 'any' or a number; undefined when unknown. */
export function aclProtocol(p: string | null | undefined): 'any' | number | undefined {
  if (p === undefined || p === null || p === '' || p === 'any') return 'any';
  if (/^\d+$/.test(p)) {
    const n = Number(p);
    return n <= 255 ? n : undefined;
  }
  return PROTO_NUMBERS[p.toLowerCase()];
}

/** One transformer ACL rule seen from the group's member (remote = the other side), or a reason it is skipped. */
export function aclRuleToSgRule(r: AclRuleType, direction: 'ingress' | 'egress'): SgRule | string {
  const m = r.match_condition;
  if (!m) return 'no match condition';
  if (m.ethertype === 'IPv6') return 'IPv6';
  if (r.action_list?.simple_action && r.action_list.simple_action !== 'pass') return `action ${r.action_list.simple_action}`;
  const protocol = aclProtocol(m.protocol);
  if (protocol === undefined) return `unknown protocol ${JSON.stringify(m.protocol)}`;
  const addr = direction === 'ingress' ? m.src_address : m.dst_address;
  let remote: RemoteSpec = { kind: 'any' };
  if (addr?.subnet?.ip_prefix && typeof addr.subnet.ip_prefix_len === 'number') {
    if (!isIpv4(addr.subnet.ip_prefix)) return 'IPv6 subnet';
    const c = parseCidr(`${addr.subnet.ip_prefix}/${addr.subnet.ip_prefix_len}`, false);
    remote = { kind: 'cidr', cidr: `${[c.addr >>> 24, (c.addr >>> 16) & 255, (c.addr >>> 8) & 255, c.addr & 255].join('.')}/${c.len}` };
  } else if (addr?.security_group && addr.security_group !== '-1' && addr.security_group !== 'any') {
    const id = Number(addr.security_group);
    if (!Number.isInteger(id) || id <= 0) return `security group ${JSON.stringify(addr.security_group)} is not an id`;
    remote = { kind: 'group', id };
  } else if (addr?.virtual_network && addr.virtual_network !== 'any') {
    return 'virtual-network addresses are not supported in security groups';
  }
  const dp = m.dst_port;
  const from = dp?.start_port ?? 0;
  const to = dp?.end_port ?? 65535;
  const portful = protocol === 6 || protocol === 17 || protocol === 132;
  const ports = portful && !(from <= 0 && to >= 65535) && from >= 0 && to <= 65535 && from <= to ? { from, to } : undefined;
  return { ...(r.rule_uuid ? { id: r.rule_uuid } : {}), protocol, remote, ...(ports ? { ports } : {}) };
}

function securityGroupConfig(c: ConfigReader, sg: SecurityGroup, problems: string[]): SecurityGroupConfig {
  const acls = c.children(sg.uuid, 'access-control-list') as AccessControlList[];
  const find = (n: string) => acls.find((a) => a.fq_name[a.fq_name.length - 1] === n);
  const rules = (acl: AccessControlList | undefined, dir: 'ingress' | 'egress'): SgRule[] => {
    const out: SgRule[] = [];
    for (const r of acl?.access_control_list_entries?.acl_rule ?? []) {
      const x = aclRuleToSgRule(r, dir);
      if (typeof x === 'string') {
        if (x !== 'IPv6' && x !== 'IPv6 subnet') problems.push(`security group ${fq(sg)}: ${dir} rule ${r.rule_uuid ?? '?'} skipped: ${x}`);
      } else out.push(x);
    }
    return out;
  };
  const ing = find('ingress-access-control-list');
  const egr = find('egress-access-control-list');
  return {
    uuid: sg.uuid,
    fqName: fq(sg),
    id: sg.security_group_id ?? undefined,
    ingress: rules(ing, 'ingress'),
    egress: rules(egr, 'egress'),
    complete: ing !== undefined && egr !== undefined,
  };
}

function mappingProtocol(p: string | null | undefined): PortMapping['protocol'] | undefined {
  const s = (p ?? '').toLowerCase();
  if (s === 'tcp' || s === '6') return 'tcp';
  if (s === 'udp' || s === '17') return 'udp';
  if (s === 'sctp' || s === '132') return 'sctp';
  return undefined;
}

function floatingIpConfig(c: ConfigReader, f: FloatingIp, problems: string[]): FloatingIpConfig | undefined {
  const address = f.floating_ip_address;
  if (!address || !isIpv4(address)) return undefined;
  let kind: FloatingIpConfig['kind'];
  let vnUuid: string | undefined;
  const parent = f.parent_uuid ? c.get(f.parent_uuid) : undefined;
  if (f.parent_type === 'instance-ip') {
    kind = 'vip';
    vnUuid = parent ? refs((parent as InstanceIp).virtual_network_refs)[0]?.uuid : undefined;
  } else {
    kind = 'pool';
    vnUuid = parent?.parent_uuid;
  }
  const mappings: PortMapping[] = [];
  for (const m of f.floating_ip_port_mappings?.port_mappings ?? []) {
    const protocol = mappingProtocol(m.protocol);
    const ok = (p: unknown): p is number => typeof p === 'number' && Number.isInteger(p) && p >= 1 && p <= 65535;
    if (!protocol || !ok(m.src_port) || !ok(m.dst_port)) {
      problems.push(`floating-ip ${address}: port mapping ${JSON.stringify(m)} skipped`);
      continue;
    }
    mappings.push({ protocol, srcPort: m.src_port, dstPort: m.dst_port });
  }
  const members: FloatingIpConfig['members'] = [];
  for (const r of refs(f.virtual_machine_interface_refs)) {
    const vmi = c.get(r.uuid) as VirtualMachineInterface | undefined;
    if (!vmi || vmi.virtual_machine_interface_device_owner === LB_DEVICE_OWNER) continue;
    const ip = interfaceAddress(c, vmi.uuid)?.instance_ip_address ?? undefined;
    if (ip === address) continue;
    members.push({ vmiUuid: vmi.uuid, ip });
  }
  return { uuid: f.uuid, address, kind, vnUuid, mappingsEnabled: f.floating_ip_port_mappings_enable === true, mappings, members };
}

/** The VM name CNI looks a pod up by: <cluster>__<namespace>__<pod> from kube-manager's annotations. */
export function podVmName(vm: VncObject): string | undefined {
  const a = annotations(vm);
  return a.cluster && a.namespace !== undefined && a.name ? `${a.cluster}__${a.namespace}__${a.name}` : undefined;
}

/** Builds the node's view of the config. `node` is the virtual-router name. */
export function nodeConfig(c: ConfigReader, node: string): NodeConfig {
  const problems: string[] = [];
  const gsc = c.getByFqName('global-system-config', [VROUTER_PARENT]) as GlobalSystemConfig | undefined;
  const vr = c.getByFqName('virtual-router', [VROUTER_PARENT, node]) as VirtualRouter | undefined;
  const out: NodeConfig = {
    asn: gsc?.autonomous_system ?? DEFAULT_ASN,
    vrouter: vr ? { uuid: vr.uuid, ip: vr.virtual_router_ip_address ?? undefined } : undefined,
    vms: new Map(),
    interfaces: new Map(),
    networks: new Map(),
    securityGroups: new Map(),
    floatingIps: [],
    problems,
  };
  const network = (uuid: string | undefined): void => {
    if (!uuid || out.networks.has(uuid)) return;
    const vn = c.get(uuid) as VirtualNetwork | undefined;
    const n = vn ? networkConfig(c, vn, problems) : undefined;
    if (n) out.networks.set(uuid, n);
    else if (vn) problems.push(`virtual network ${fq(vn)} has no network id yet`);
  };
  for (const r of refs(vr?.virtual_machine_refs)) {
    const vm = c.get(r.uuid) as VirtualMachine | undefined;
    if (!vm) continue;
    const vmis = (c.backRefs(vm.uuid, 'virtual-machine-interface') as VirtualMachineInterface[]).sort((a, b) => (fq(a) < fq(b) ? -1 : fq(a) > fq(b) ? 1 : 0));
    const podName = podVmName(vm);
    out.vms.set(vm.uuid, {
      uuid: vm.uuid, name: vm.fq_name[vm.fq_name.length - 1], displayName: vm.display_name ?? vm.fq_name[vm.fq_name.length - 1],
      ...(podName ? { podName } : {}), vmiUuids: vmis.map((v) => v.uuid),
    });
    vmis.forEach((vmi, i) => {
      const ann = annotations(vmi);
      const f = interfaceConfig(c, vmi, vm, ann.index ?? `${i}/${vmis.length}`);
      out.interfaces.set(vmi.uuid, f);
      network(f.vnUuid);
      for (const sg of f.securityGroups) {
        if (out.securityGroups.has(sg)) continue;
        const o = c.get(sg) as SecurityGroup | undefined;
        if (o) out.securityGroups.set(sg, securityGroupConfig(c, o, problems));
      }
    });
  }
  for (const f of c.list('floating-ip') as FloatingIp[]) {
    const x = floatingIpConfig(c, f, problems);
    if (!x) continue;
    out.floatingIps.push(x);
    network(x.vnUuid);
  }
  out.floatingIps.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.uuid < b.uuid ? -1 : 1));
  return out;
}

/** The VM of this node a CNI request names: by uuid (pod uid), fq_name, display name or <cluster>__<ns>__<pod>. */
export function findVm(cfg: NodeConfig, name: string): VmConfig | undefined {
  const direct = cfg.vms.get(name);
  if (direct) return direct;
  for (const vm of cfg.vms.values()) if (vm.podName === name || vm.name === name || vm.displayName === name) return vm;
  return undefined;
}
