// What the control node needs from the config objects, as plain data (pure functions, no I/O):
//  - one InstanceSpec per routing instance (import/export targets as the transformer wrote them on
//    route_target_refs, VN index, VXLAN id, whether its network is external),
//  - the speaker's identity (ASN and graceful-restart settings of global-system-config),
//  - one PeerSpec per BGP session: every virtual-router (an agent: iBGP route-reflector client, accepted
//    only from its virtual_router_ip_address), other control nodes (bgp-router router_type control-node:
//    full mesh when ibgp_auto_mesh, else along bgp_router_refs) and gateways (router / external-control-node
//    bgp-routers linked to ours by bgp_router_refs, with their address families).
// Objects that cannot be used are reported as ConfigProblems and left out; nothing is half-applied.
import { isFamily, type Family } from '../bgp/wire/constants.js';
import { parseIp } from '../bgp/wire/addr.js';
import { parseExtCommunity } from '../bgp/wire/ext-community.js';
import type { BgpRouter, GlobalSystemConfig, RoutingInstance, VirtualNetwork, VirtualRouter, VncRef } from '../vnc/schema.js';
import { ConfigProblem } from './errors.js';
import { MASTER_INSTANCE } from './names.js';

export const DEFAULT_ASN = 64512;
/** BGP port of a control node whose bgp-router has none (ARCHITECTURE.md: control nodes listen on 1179). */
export const DEFAULT_CONTROL_PORT = 1179;

export interface InstanceSpec {
  /** fq_name joined by ':' */
  readonly name: string;
  readonly uuid: string;
  /** The parent virtual network's fq_name joined by ':' */
  readonly virtualNetwork: string;
  /** virtual_network_network_id of the parent network, or null */
  readonly vnIndex: number | null;
  /** VXLAN id: the network's vxlan_network_identifier, else its network id */
  readonly vxlanId: number | null;
  /** Targets this instance imports (import_export '' / null / 'import'), sorted */
  readonly importTargets: readonly string[];
  /** Targets this instance exports (import_export '' / null / 'export'), sorted */
  readonly exportTargets: readonly string[];
  readonly isDefault: boolean;
  /** The parent network is router_external: its routes also go out as inet routes (gateway-less access) */
  readonly external: boolean;
  /** Connected instances (routing_instance_refs), informational: the transformer already put their targets in the import list */
  readonly connections: readonly string[];
  readonly staticRoutes: readonly StaticRouteSpec[];
}

export interface StaticRouteSpec {
  readonly prefix: string;
  readonly nextHop: string;
  /** Extra targets the exported VPN route carries besides the instance's export targets */
  readonly routeTargets: readonly string[];
  readonly communities: readonly string[];
}

export interface GracefulRestartSettings {
  readonly enable: boolean;
  /** Seconds peers keep our routes after we go away (restart_time, default 300) */
  readonly restartTime: number;
  /** Seconds to wait for a restarted peer's End-of-RIB (end_of_rib_timeout, default 300) */
  readonly endOfRibTimeout: number;
  /** Help agents (xmpp_helper_enable; unset counts as on when GR is enabled) */
  readonly agentHelper: boolean;
  /** Help BGP peers: control nodes and gateways (bgp_helper_enable; unset counts as on) */
  readonly bgpHelper: boolean;
}

export interface SpeakerSettings {
  readonly asn: number;
  readonly gracefulRestart: GracefulRestartSettings;
  readonly ibgpAutoMesh: boolean;
  readonly alwaysCompareMed: boolean;
}

export type PeerKind = 'agent' | 'control-node' | 'router' | 'external-control-node';

export interface PeerSpec {
  readonly address: string;
  readonly kind: PeerKind;
  readonly name: string;
  readonly asn: number;
  /** Remote port for our outgoing connections; agents connect to us (passive) */
  readonly port: number;
  readonly families: readonly Family[];
  readonly passive: boolean;
  readonly rrClient: boolean;
  /** Hold time proposed on this session, seconds (undefined: the speaker's) */
  readonly holdTime: number | undefined;
  readonly gracefulRestart: boolean;
  /** fq_name of the config object the session comes from */
  readonly source: string;
}

export interface SelfIdentity {
  /** Our bgp-router's name (last fq_name element) */
  readonly name: string;
  readonly address: string;
}

/** Families an agent session carries: VPN routes both ways, route-target membership, EVPN. */
export const AGENT_FAMILIES: readonly Family[] = ['inet-vpn', 'route-target', 'e-vpn'];
/** Default families toward another control node (the original's: route-target, inet-vpn, e-vpn, …). */
export const CONTROL_NODE_FAMILIES: readonly Family[] = ['inet-vpn', 'route-target', 'e-vpn'];
/** Default families toward a router (the original's default neighbour families). */
export const ROUTER_FAMILIES: readonly Family[] = ['inet', 'inet-vpn'];

const fq = (o: { fq_name: readonly string[] }): string => o.fq_name.join(':');

function validIp(s: unknown): s is string {
  if (typeof s !== 'string' || s === '') return false;
  try {
    parseIp(s);
    return true;
  } catch {
    return false;
  }
}

function validTarget(t: string): boolean {
  try {
    parseExtCommunity(t);
    return t.startsWith('target:');
  } catch {
    return false;
  }
}

// ---- routing instances -------------------------------------------------------------------------

/**
 * The instance specs of every routing instance but the master one. An instance whose targets cannot be
 * parsed keeps the good ones and reports the bad ones.
 */
export function instanceSpecs(
  instances: readonly RoutingInstance[],
  networks: readonly VirtualNetwork[],
  problems: ConfigProblem[] = [],
): InstanceSpec[] {
  const vnByUuid = new Map(networks.map((v) => [v.uuid, v]));
  const vnByFq = new Map(networks.map((v) => [fq(v), v]));
  const out: InstanceSpec[] = [];
  for (const ri of instances) {
    const name = fq(ri);
    if (name === MASTER_INSTANCE) continue;
    const vnFq = ri.fq_name.slice(0, -1).join(':');
    const vn = (ri.parent_uuid ? vnByUuid.get(ri.parent_uuid) : undefined) ?? vnByFq.get(vnFq);
    const imports = new Set<string>();
    const exports = new Set<string>();
    for (const ref of (ri.route_target_refs ?? []) as VncRef<{ import_export?: string | null }>[]) {
      const t = ref.to[ref.to.length - 1];
      if (!validTarget(t)) {
        problems.push(new ConfigProblem('routing-instance', name, `route target ${JSON.stringify(t)} is not target:<asn|ip>:<n>; ignored`));
        continue;
      }
      const ie = ref.attr?.import_export ?? '';
      if (ie === '' || ie === 'import') imports.add(t);
      if (ie === '' || ie === 'export') exports.add(t);
    }
    const statics: StaticRouteSpec[] = [];
    for (const r of ri.static_route_entries?.route ?? []) {
      if (!r.prefix || !validPrefix(r.prefix) || !validIp(r.next_hop)) {
        problems.push(new ConfigProblem('routing-instance', name, `static route ${JSON.stringify(r)} needs an IPv4 prefix and a next-hop address; ignored`));
        continue;
      }
      const rts = (r.route_target ?? []).filter((t) => {
        if (validTarget(t)) return true;
        problems.push(new ConfigProblem('routing-instance', name, `static route target ${JSON.stringify(t)} is invalid; ignored`));
        return false;
      });
      statics.push({ prefix: normalizePrefix(r.prefix), nextHop: r.next_hop, routeTargets: rts, communities: r.community ?? [] });
    }
    const vnIndex = vn?.virtual_network_network_id ?? null;
    out.push({
      name,
      uuid: ri.uuid,
      virtualNetwork: vn ? fq(vn) : vnFq,
      vnIndex,
      vxlanId: vn?.virtual_network_properties?.vxlan_network_identifier ?? vnIndex,
      importTargets: [...imports].sort(),
      exportTargets: [...exports].sort(),
      isDefault: ri.routing_instance_is_default === true,
      external: vn?.router_external === true,
      connections: (ri.routing_instance_refs ?? []).map((r) => r.to.join(':')).sort(),
      staticRoutes: statics,
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function validPrefix(p: string): boolean {
  const m = /^(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?$/.exec(p);
  return !!m && validIp(m[1]) && (m[2] === undefined || Number(m[2]) <= 32);
}

/** "10.1.2.3" → "10.1.2.3/32"; host bits cleared. */
export function normalizePrefix(p: string): string {
  const [addr, len = '32'] = p.split('/');
  const n = Number(len);
  const a = addr.split('.').map(Number);
  const v = ((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) >>> 0;
  const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
  const m = (v & mask) >>> 0;
  return `${m >>> 24}.${(m >>> 16) & 255}.${(m >>> 8) & 255}.${m & 255}/${n}`;
}

/**
 * The targets an operator configured on networks (route_target_list, export_route_target_list): the
 * targets meant for routers outside the cluster (the original reserves numbers below 8000000 for them).
 * A router session without route-target membership gets the VPN routes carrying one of these.
 */
export function gatewayTargets(networks: readonly VirtualNetwork[]): string[] {
  const out = new Set<string>();
  for (const vn of networks) {
    for (const l of [vn.route_target_list, vn.export_route_target_list]) for (const t of l?.route_target ?? []) if (validTarget(t)) out.add(t);
  }
  return [...out].sort();
}

// ---- speaker identity ----------------------------------------------------------------------------

export function speakerSettings(gsc: GlobalSystemConfig | undefined): SpeakerSettings {
  const gr = gsc?.graceful_restart_parameters;
  const enable = gr?.enable === true;
  return {
    asn: gsc?.autonomous_system ?? DEFAULT_ASN,
    gracefulRestart: {
      enable,
      restartTime: gr?.restart_time ?? 300,
      endOfRibTimeout: gr?.end_of_rib_timeout ?? 300,
      agentHelper: enable && gr?.xmpp_helper_enable !== false,
      bgpHelper: enable && gr?.bgp_helper_enable !== false,
    },
    ibgpAutoMesh: gsc?.ibgp_auto_mesh !== false,
    alwaysCompareMed: gsc?.bgp_always_compare_med === true,
  };
}

export function sameSettings(a: SpeakerSettings, b: SpeakerSettings): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

// ---- peers -----------------------------------------------------------------------------------------

function routerFamilies(b: BgpRouter, fallback: readonly Family[], name: string, problems: ConfigProblem[]): Family[] {
  const listed = b.bgp_router_parameters?.address_families?.family ?? [];
  if (listed.length === 0) return [...fallback];
  const out: Family[] = [];
  for (const f of listed) {
    if (isFamily(f)) out.push(f);
    else problems.push(new ConfigProblem('bgp-router', name, `address family ${f} is not supported by this control node; left out of the session`));
  }
  return out;
}

/** Is there a bgp_router_refs link between a and b, in either direction? */
function linked(a: BgpRouter, b: BgpRouter): boolean {
  return (a.bgp_router_refs ?? []).some((r) => r.uuid === b.uuid || fq({ fq_name: r.to }) === fq(b)) ||
    (b.bgp_router_refs ?? []).some((r) => r.uuid === a.uuid || fq({ fq_name: r.to }) === fq(a));
}

/** Session attributes on the link between us and a peer (hold time, passive), if any. */
function sessionAttrs(self: BgpRouter | undefined, peer: BgpRouter): { holdTime?: number; passive?: boolean } {
  const refs = [...(self?.bgp_router_refs ?? []).filter((r) => r.uuid === peer.uuid), ...(peer.bgp_router_refs ?? []).filter((r) => self && r.uuid === self.uuid)];
  for (const r of refs) {
    for (const s of r.attr?.session ?? []) {
      for (const a of s.attributes ?? []) {
        if (a.bgp_router && a.bgp_router !== peer.fq_name[peer.fq_name.length - 1]) continue;
        return { ...(a.hold_time ? { holdTime: a.hold_time } : {}), ...(a.passive ? { passive: true } : {}) };
      }
    }
  }
  return {};
}

/**
 * The sessions this control node should have. `self` is our bgp-router object (it may not exist yet: then
 * only agents and auto-meshed control nodes are peers). A peer address may appear once: a later object
 * with an address already taken (or our own address) is reported and skipped.
 */
export function peerSpecs(input: {
  readonly self: SelfIdentity;
  readonly settings: SpeakerSettings;
  readonly bgpRouters: readonly BgpRouter[];
  readonly virtualRouters: readonly VirtualRouter[];
}, problems: ConfigProblem[] = []): PeerSpec[] {
  const { self, settings } = input;
  const gr = settings.gracefulRestart;
  const taken = new Map<string, string>([[self.address, 'this control node']]);
  const out: PeerSpec[] = [];
  const add = (p: PeerSpec, type: string): void => {
    const owner = taken.get(p.address);
    if (owner !== undefined) {
      problems.push(new ConfigProblem(type, p.source, `address ${p.address} is already used by ${owner}; no session`));
      return;
    }
    taken.set(p.address, p.source);
    out.push(p);
  };
  const routers = [...input.bgpRouters].sort((a, b) => (fq(a) < fq(b) ? -1 : 1));
  const me = findSelf(routers, self.name);
  for (const b of routers) {
    if (b === me) continue;
    const name = fq(b);
    const p = b.bgp_router_parameters ?? {};
    const type = p.router_type ?? 'router';
    if (type !== 'control-node' && type !== 'router' && type !== 'external-control-node') continue; // bgpaas: not ours
    if (p.admin_down) continue;
    if (!validIp(p.address)) {
      problems.push(new ConfigProblem('bgp-router', name, `address ${JSON.stringify(p.address ?? null)} is not an IP address; no session`));
      continue;
    }
    const meshed = type === 'control-node' && settings.ibgpAutoMesh;
    if (!meshed && !(me && linked(me, b))) continue;
    const asn = p.autonomous_system ?? settings.asn;
    if (!Number.isInteger(asn) || asn < 1 || asn > 0xffffffff) {
      problems.push(new ConfigProblem('bgp-router', name, `autonomous_system ${asn} is out of range; no session`));
      continue;
    }
    const fallback = type === 'control-node' ? CONTROL_NODE_FAMILIES : ROUTER_FAMILIES;
    const families = routerFamilies(b, fallback, name, problems);
    if (families.length === 0) {
      problems.push(new ConfigProblem('bgp-router', name, 'no supported address family; no session'));
      continue;
    }
    const attrs = sessionAttrs(me, b);
    const hold = attrs.holdTime ?? (p.hold_time || undefined);
    add({
      address: p.address,
      kind: type,
      name: b.fq_name[b.fq_name.length - 1],
      asn,
      // a control node without a port listens where `tfctl serve control` does by default
      port: p.port || (type === 'control-node' ? DEFAULT_CONTROL_PORT : 179),
      families,
      passive: attrs.passive ?? false,
      rrClient: false,
      holdTime: hold !== undefined && (hold === 0 || hold >= 3) ? hold : undefined,
      gracefulRestart: gr.bgpHelper,
      source: name,
    }, 'bgp-router');
  }
  for (const vr of [...input.virtualRouters].sort((a, b) => (fq(a) < fq(b) ? -1 : 1))) {
    const name = fq(vr);
    const address = vr.virtual_router_ip_address;
    if (!validIp(address)) {
      problems.push(new ConfigProblem('virtual-router', name, `virtual_router_ip_address ${JSON.stringify(address ?? null)} is not an IP address; sessions from it are refused`));
      continue;
    }
    add({
      address,
      kind: 'agent',
      name: vr.fq_name[vr.fq_name.length - 1],
      asn: settings.asn,
      port: 179,
      families: AGENT_FAMILIES,
      passive: true,
      rrClient: true,
      holdTime: undefined,
      gracefulRestart: gr.agentHelper,
      source: name,
    }, 'virtual-router');
  }
  return out;
}

export function samePeer(a: PeerSpec, b: PeerSpec): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Our own bgp-router object (by name under the master instance), if configured. */
export function findSelf(bgpRouters: readonly BgpRouter[], name: string): BgpRouter | undefined {
  return bgpRouters.find((b) => b.fq_name[b.fq_name.length - 1] === name && fq(b).startsWith(`${MASTER_INSTANCE}:`));
}
