// The lab's network as plain data (pure): which network namespaces exist, which veth joins what, which
// address each end has, and which routes each namespace needs. Every namespace name starts with the
// lab prefix; interface names are local to their namespace, so two labs with different prefixes never
// collide on the host. The underlay is a bridge inside its own namespace (the "fabric" switch), so
// nothing touches the host's own links.
//
//   tfl-ext (203.0.113.2) ── tfl-gw (203.0.113.1 | 10.0.0.1) ──┐
//                                                              tfl-fabric: bridge br0
//   tfl-ctl1 (10.0.0.11), tfl-ctl2 (10.0.0.12) ───────────────┤
//   tfl-node1 (10.0.0.101), tfl-node2 (10.0.0.102), … ─────────┘
import { LabOptionError } from './errors.js';
import { formatIpv4, isIpv4, parseCidr, parseIpv4, type Cidr } from '../common/ip.js';

export interface TopologyOptions {
  /** namespace prefix, default "tfl-" */
  readonly prefix?: string;
  /** compute nodes, default 2 */
  readonly nodes?: number;
  /** control nodes, default 2 */
  readonly controls?: number;
  /** underlay subnet (/24 or larger), default 10.0.0.0/24 */
  readonly underlay?: string;
  /** gateway ↔ external client subnet, default 203.0.113.0/24 */
  readonly external?: string;
  /** public floating-IP subnet, default 198.51.100.0/24 */
  readonly publicSubnet?: string;
}

export type NodeRole = 'node' | 'control' | 'gateway' | 'external' | 'fabric';

export interface NamespaceSpec {
  readonly name: string;
  readonly role: NodeRole;
  /** node1, control1, gateway, external, fabric */
  readonly host: string;
  /** address on the underlay (nodes, controls, gateway) */
  readonly underlayIp?: string;
  /** default route (nodes, controls, external) */
  readonly defaultVia?: string;
  /** sysctls to set inside (key=value) */
  readonly sysctls: readonly string[];
}

export interface VethSpec {
  /** end A: namespace and interface name */
  readonly a: { readonly netns: string; readonly ifname: string; readonly address?: string };
  readonly b: { readonly netns: string; readonly ifname: string; readonly address?: string };
  /** enslave end A to this bridge (in A's namespace) */
  readonly bridge?: string;
}

export interface Topology {
  readonly prefix: string;
  readonly fabric: NamespaceSpec;
  readonly gateway: NamespaceSpec;
  readonly external: NamespaceSpec;
  readonly nodes: readonly NamespaceSpec[];
  readonly controls: readonly NamespaceSpec[];
  /** every namespace, fabric first (creation order) */
  readonly namespaces: readonly NamespaceSpec[];
  readonly veths: readonly VethSpec[];
  readonly bridge: string;
  readonly underlay: string;
  readonly externalSubnet: string;
  readonly publicSubnet: string;
  /** the prefix that pod namespaces of node k start with: <prefix>p<k>- */
  podNetnsPrefix(nodeIndex: number): string;
}

export const UNDERLAY_IF = 'eth0';
export const EXTERNAL_IF = 'eth1';
export const BRIDGE = 'br0';
const NAME_RE = /^[a-z][a-z0-9-]{0,11}$/;

const cidrWith = (c: Cidr, host: number): string => formatIpv4((c.addr + host) >>> 0);

function checkCidr(name: string, v: string, maxLen: number): Cidr {
  let c: Cidr;
  try {
    c = parseCidr(v);
  } catch (err) {
    throw new LabOptionError(`${name}: ${(err as Error).message}`, name);
  }
  if (c.len > maxLen) throw new LabOptionError(`${name} must be a /${maxLen} or larger, got ${v}`, name);
  return c;
}

function checkCount(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new LabOptionError(`${name} must be an integer from ${min} to ${max}, got ${v}`, name);
  return v;
}

/** Validates the options and lays out the lab's namespaces, links and addresses. Pure. */
export function planTopology(o: TopologyOptions = {}): Topology {
  const prefix = o.prefix ?? 'tfl-';
  if (!NAME_RE.test(prefix)) throw new LabOptionError(`prefix must be 1-12 lower-case letters, digits or "-", starting with a letter, got ${JSON.stringify(prefix)}`, 'prefix');
  const nodes = checkCount('nodes', o.nodes ?? 2, 1, 64);
  const controls = checkCount('controls', o.controls ?? 2, 1, 4);
  const underlay = checkCidr('underlay', o.underlay ?? '10.0.0.0/24', 24);
  const external = checkCidr('external', o.external ?? '203.0.113.0/24', 30);
  const pub = checkCidr('publicSubnet', o.publicSubnet ?? '198.51.100.0/24', 30);
  for (const [a, b] of [[underlay, external], [underlay, pub], [external, pub]] as const) {
    const lo = Math.min(a.len, b.len);
    const mask = lo === 0 ? 0 : (0xffffffff << (32 - lo)) >>> 0;
    if (((a.addr & mask) >>> 0) === ((b.addr & mask) >>> 0)) throw new LabOptionError('the underlay, external and public subnets must not overlap', 'underlay');
  }
  const gwIp = cidrWith(underlay, 1);
  const ns = (s: string): string => `${prefix}${s}`;
  const fabric: NamespaceSpec = { name: ns('fabric'), role: 'fabric', host: 'fabric', sysctls: [] };
  const gateway: NamespaceSpec = {
    name: ns('gw'), role: 'gateway', host: 'gateway', underlayIp: gwIp,
    sysctls: ['net.ipv4.ip_forward=1', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0', 'net.ipv4.fib_multipath_hash_policy=1'],
  };
  const externalNs: NamespaceSpec = { name: ns('ext'), role: 'external', host: 'external', defaultVia: cidrWith(external, 1), sysctls: [] };
  const controlNs = Array.from({ length: controls }, (_, i): NamespaceSpec => ({
    name: ns(`ctl${i + 1}`), role: 'control', host: `control${i + 1}`, underlayIp: cidrWith(underlay, 11 + i), defaultVia: gwIp, sysctls: [],
  }));
  const nodeNs = Array.from({ length: nodes }, (_, i): NamespaceSpec => ({
    name: ns(`node${i + 1}`), role: 'node', host: `node${i + 1}`, underlayIp: cidrWith(underlay, 101 + i), defaultVia: gwIp,
    sysctls: ['net.ipv4.ip_forward=1'],
  }));
  const len = underlay.len;
  const attach = (n: NamespaceSpec, port: string): VethSpec => ({
    a: { netns: fabric.name, ifname: port },
    b: { netns: n.name, ifname: UNDERLAY_IF, address: `${n.underlayIp}/${len}` },
    bridge: BRIDGE,
  });
  const veths: VethSpec[] = [
    attach(gateway, 'gw'),
    ...controlNs.map((c, i) => attach(c, `ctl${i + 1}`)),
    ...nodeNs.map((n, i) => attach(n, `node${i + 1}`)),
    {
      a: { netns: gateway.name, ifname: EXTERNAL_IF, address: `${cidrWith(external, 1)}/${external.len}` },
      b: { netns: externalNs.name, ifname: UNDERLAY_IF, address: `${cidrWith(external, 2)}/${external.len}` },
    },
  ];
  return {
    prefix,
    fabric,
    gateway,
    external: externalNs,
    nodes: nodeNs,
    controls: controlNs,
    namespaces: [fabric, gateway, externalNs, ...controlNs, ...nodeNs],
    veths,
    bridge: BRIDGE,
    underlay: `${formatIpv4(underlay.addr)}/${underlay.len}`,
    externalSubnet: `${formatIpv4(external.addr)}/${external.len}`,
    publicSubnet: `${formatIpv4(pub.addr)}/${pub.len}`,
    podNetnsPrefix: (k: number) => `${prefix}p${k}-`,
  };
}

/**
 * Is `name` a namespace this lab (prefix) creates: its fixed namespaces and the kubelets' pod
 * namespaces (<prefix>p<k>-<uid>)? Used by `lab down` so that it deletes nothing else. Pure.
 */
export function isLabNetns(prefix: string, name: string): boolean {
  if (!name.startsWith(prefix)) return false;
  const rest = name.slice(prefix.length);
  return /^(fabric|gw|ext|ctl\d+|node\d+|p\d+-[0-9a-f-]+)$/.test(rest);
}

/** The `ip -batch` lines that build one namespace's side of the lab (after the links exist). Pure. */
export function addressLines(t: Topology, n: NamespaceSpec): string[] {
  const lines: string[] = [];
  for (const v of t.veths) {
    for (const end of [v.a, v.b]) {
      if (end.netns !== n.name) continue;
      if (end.address) lines.push(`address add ${end.address} dev ${end.ifname}`);
      lines.push(`link set dev ${end.ifname} up`);
    }
  }
  if (n.defaultVia) lines.push(`route replace default via ${n.defaultVia}`);
  return lines;
}

/** The fabric namespace's batch: the bridge, then every veth created from its side. Pure. */
export function fabricLines(t: Topology): string[] {
  const lines = [`link add ${t.bridge} type bridge stp_state 0 forward_delay 0`, `link set dev ${t.bridge} up`];
  for (const v of t.veths) {
    if (v.a.netns !== t.fabric.name) continue;
    lines.push(`link add ${v.a.ifname} type veth peer name ${v.b.ifname} netns ${v.b.netns}`);
    if (v.bridge) lines.push(`link set dev ${v.a.ifname} master ${v.bridge}`);
    lines.push(`link set dev ${v.a.ifname} up`);
  }
  return lines;
}

/** Links created from another namespace than the fabric (gateway ↔ external). Pure. */
export function otherLinkLines(t: Topology, n: NamespaceSpec): string[] {
  return t.veths
    .filter((v) => v.a.netns === n.name && n.name !== t.fabric.name)
    .map((v) => `link add ${v.a.ifname} type veth peer name ${v.b.ifname} netns ${v.b.netns}`);
}

/** Parses an IPv4 address or throws a LabOptionError naming the option. */
export function checkIp(name: string, v: string): string {
  if (!isIpv4(v)) throw new LabOptionError(`${name} must be an IPv4 address, got ${JSON.stringify(v)}`, name);
  parseIpv4(v);
  return v;
}
