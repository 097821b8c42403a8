// The desired datapath state of one compute node: plain, JSON-serialisable data computed by the agent
// from config + BGP (ARCHITECTURE.md decision 7) and rendered by linux/ into the kernel. Nothing here
// knows about `ip` or `nft`; docs/datapath.md describes every field and how it is rendered.

/** The MAC every host-side tap answers with: the pod's gateway neighbour (the vRouter's well-known MAC). */
export const GATEWAY_MAC = '00:00:5e:00:01:00';
/** IANA VXLAN port. */
export const VXLAN_PORT = 4789;
/** VXLAN encapsulation overhead on an IPv4 underlay (outer IP 20 + UDP 8 + VXLAN 8 + inner Ethernet 14). */
export const VXLAN_OVERHEAD = 50;

/** The node's physical (fabric) side. */
export interface Underlay {
  /** the underlay interface VXLAN devices are bound to and LoadBalancer floating-IP traffic arrives on */
  device: string;
  /** the node's underlay address (VXLAN source, and the next hop other nodes use for it) */
  ip: string;
  /** underlay MTU; VXLAN devices get mtu − 50. Read from the kernel when absent. */
  mtu?: number;
}

/** A routing instance: one policy-routing table, reached from its taps and its VN's VXLAN device. */
export interface Vrf {
  /** routing-instance name, e.g. default-domain:k8s-default:k8s-default-pod-network:k8s-default-pod-network */
  name: string;
  /** kernel routing table id; must lie in the renderer's owned table range */
  table: number;
  /** VXLAN network identifier of the VN (the VN id / label); the VXLAN device is vx<vni> */
  vni: number;
  /**
   * What a lookup that matches no route does: 'drop' (default) ends the lookup with an unreachable
   * default route, keeping the VRF isolated; 'main' falls through to the node's main table (fabric SNAT).
   */
  onMiss?: 'drop' | 'main';
  /**
   * The network's policy (the original's VN access-control-list), applied to every connection from or to
   * an interface of this VRF; absent = nothing filtered at the network level.
   */
  policy?: VrfPolicy;
}

export type Protocol = 'tcp' | 'udp' | 'sctp' | 'icmp' | 'any';

export interface PortRange {
  from: number;
  to: number;
}

/**
 * One allow rule of a security group, seen from the interface: for ingress the remote is the packet's
 * source, for egress its destination. At most one of remoteCidr / remoteGroup; neither means any address.
 */
export interface SecurityRule {
  /** optional rule id (the SG rule uuid), shown in introspect and trace */
  id?: string;
  /** 'any', a name, or an IP protocol number 0-255 */
  protocol: Protocol | number;
  /** destination ports (tcp, udp, sctp only); absent = every port */
  ports?: PortRange;
  remoteCidr?: string;
  /** id of an AddressGroup (an SG id → the addresses of its member interfaces) */
  remoteGroup?: string;
}

export interface DirectionPolicy {
  /** what happens to new connections no rule allows */
  default: 'allow' | 'deny';
  rules: SecurityRule[];
}

/** Stateful policy of one interface; replies of allowed connections are always allowed. */
export interface InterfacePolicy {
  /** traffic to the pod */
  ingress: DirectionPolicy;
  /** traffic from the pod */
  egress: DirectionPolicy;
}

/** One side of a VRF policy rule: an address range, or an address group (e.g. a network's members). */
export interface PolicyEndpoint {
  cidr?: string;
  /** id of an AddressGroup */
  group?: string;
}

/**
 * One rule of a VRF policy, matched against the first packet of a connection (source → destination;
 * replies of an accepted connection always pass). Absent src/dst = any address.
 */
export interface VrfPolicyRule {
  /** optional rule id (the policy rule uuid), shown in introspect and trace */
  id?: string;
  action: 'pass' | 'deny';
  /** 'any', a name, or an IP protocol number 0-255 */
  protocol: Protocol | number;
  src?: PolicyEndpoint;
  dst?: PolicyEndpoint;
  /** source / destination ports: tcp, udp, sctp (with protocol 'any' the rule then matches those three only) */
  srcPorts?: PortRange;
  dstPorts?: PortRange;
}

/** An ordered rule list: the first matching rule decides; no match → `default`. */
export interface VrfPolicy {
  rules: VrfPolicyRule[];
  default: 'pass' | 'deny';
}

/** A pod (VMI) plugged into this node: host-side tap, peer `ifname` inside the pod's netns. */
export interface LocalInterface {
  /** host-side veth name, e.g. tap + first 11 characters of the VMI uuid (≤ 15 characters) */
  tap: string;
  /** the pod's network namespace: a path (CNI_NETNS) or a name under /run/netns */
  netns: string;
  /** interface name inside the pod (CNI_IFNAME) */
  ifname: string;
  /** the pod-side MAC (the VMI's mac_addresses) */
  mac: string;
  ip: string;
  /** prefix length reported to the pod (the subnet's); the pod reaches everything through the gateway */
  plen: number;
  /** the subnet gateway address the pod routes through (e.g. 10.47.255.254) */
  gateway: string;
  /** MTU of both veth ends; defaults to the VXLAN MTU (underlay − 50) */
  mtu?: number;
  /** name of the Vrf this interface belongs to */
  vrf: string;
  /** absent = no filtering */
  policy?: InterfacePolicy;
  /** VMI uuid (informational) */
  uuid?: string;
}

/** A local next hop (an interface on this node) or a remote one (a node reached over VXLAN). */
export type NextHop = LocalNextHop | RemoteNextHop;

export interface LocalNextHop {
  /** tap name of a LocalInterface */
  interface: string;
  weight?: number;
}

export interface RemoteNextHop {
  /** underlay address of the remote node (BGP next hop) */
  node: string;
  /** VXLAN id from the route's label; the packet leaves through vx<vni> */
  vni: number;
  weight?: number;
}

/**
 * A route in a VRF. Several next hops make an ECMP route. Every LocalInterface also gets an implicit
 * host route `<ip>/32 → tap` in its VRF unless a route for that prefix is given here.
 */
export interface Route {
  vrf: string;
  prefix: string;
  nexthops: NextHop[];
}

/** An SG id and the addresses of the interfaces that carry it (nft set, shared by every rule using it). */
export interface AddressGroup {
  id: string;
  /** addresses or CIDRs */
  addresses: string[];
}

export interface NatMember {
  ip: string;
  /** target port (the port mapping's dst_port) */
  port: number;
}

export interface NatPort {
  protocol: 'tcp' | 'udp' | 'sctp';
  /** the declared port (src_port of the floating IP's port mapping) */
  port: number;
  /** flows are spread over members by a hash of the source address and port */
  members: NatMember[];
}

/** A ClusterIP service: DNAT at the source node (vip:port → member ip:targetPort). */
export interface ServiceNat {
  vip: string;
  ports: NatPort[];
  /** drop traffic to the VIP on undeclared ports (default true: floating_ip_port_mappings_enable) */
  dropUndeclared?: boolean;
}

/**
 * A LoadBalancer floating IP at a node hosting members: traffic arriving on the underlay for ip:port is
 * DNATed to a local member; members must be local interfaces.
 */
export interface FloatingIpNat {
  ip: string;
  ports: NatPort[];
  dropUndeclared?: boolean;
}

/** Fabric SNAT: masquerade traffic from these sources leaving through the underlay (or outInterface). */
export interface SnatRule {
  sources: string[];
  outInterface?: string;
}

export interface NodeState {
  underlay: Underlay;
  vrfs: Vrf[];
  interfaces: LocalInterface[];
  routes: Route[];
  addressGroups: AddressGroup[];
  services: ServiceNat[];
  floatingIps: FloatingIpNat[];
  snat: SnatRule[];
}

/** A node state with nothing in it: rendering it removes everything the renderer owns. */
export function emptyNodeState(underlay: Underlay = { device: 'lo', ip: '127.0.0.1' }): NodeState {
  return { underlay, vrfs: [], interfaces: [], routes: [], addressGroups: [], services: [], floatingIps: [], snat: [] };
}

export function vxlanDeviceName(vni: number): string {
  return `vx${vni}`;
}

/**
 * The MAC of a node's VXLAN device for a VNI, derived from (node address, VNI) so that every node can
 * compute every other node's MAC without exchanging it: 02:<vni low byte>:<node ip as 4 bytes>.
 * Unique within one VNI's segment (node addresses are unique), locally administered and unicast.
 */
export function vxlanMac(nodeIp: string, vni: number): string {
  const octets = nodeIp.split('.').map(Number);
  return ['02', vni & 0xff, ...octets].map((b) => (typeof b === 'string' ? b : b.toString(16).padStart(2, '0'))).join(':');
}

export function isRemoteNextHop(nh: NextHop): nh is RemoteNextHop {
  return (nh as RemoteNextHop).node !== undefined;
}
