// How one path of one table reads in introspect: protocol and source, primary or secondary (and which
// table holds the primary), origin VN, encapsulations, label, AS path — the fields of the original's
// ShowRoutePath. In this system agents send VPN routes, so the route as received sits in bgp.l3vpn.0
// and every VRF holds a replicated copy; the display follows the original instead: the copy in the
// VRF of the route's origin VN (origin-VN extended community) is the primary path, the VPN route and
// the other VRFs' copies are secondary. Without an origin VN the VPN route is the primary.
import type { Path } from '../bgp/rib/table.js';
import { LOCAL_SOURCE, type SourceRegistry } from '../bgp/rib/sources.js';
import type { AsPathSegment, PathAttributes } from '../bgp/wire/attributes.js';
import type { Family } from '../bgp/wire/constants.js';
import { originVnIndex } from './origin-vn.js';
import type { RoutingRuntime, TableRef } from './routing.js';
import { STATIC_PATH_ID } from './static-routes.js';
import { formatTimestamp } from './time-format.js';
import { MASTER_TABLES } from './names.js';

export interface PathView {
  protocol: string;
  source: string;
  peer_address: string | null;
  peer_type: string;
  last_modified: string;
  last_modified_ms: number;
  local_preference: number;
  med: number;
  as_path: string;
  next_hop: string;
  label: number;
  origin_vn: string;
  primary: boolean;
  primary_table: string;
  secondary_tables: string[];
  communities: string[];
  tunnel_encap: string[];
  best: boolean;
  ecmp: boolean;
  stale: boolean;
  feasible: boolean;
}

const vnMemo = new WeakMap<PathAttributes, number>();
function vnOf(a: PathAttributes): number {
  let v = vnMemo.get(a);
  if (v === undefined) {
    v = originVnIndex(a.extCommunities);
    vnMemo.set(a, v);
  }
  return v;
}

export function asPathText(segs: readonly AsPathSegment[]): string {
  if (segs.length === 0) return 'None';
  return segs.map((s) => (s.type === 'sequence' ? s.asns.join(' ') : `{${s.asns.join(' ')}}`)).join(' ');
}

export function encapsOf(a: PathAttributes): string[] {
  const out: string[] = [];
  for (const c of a.extCommunities ?? []) if (c.startsWith('encapsulation:')) out.push(c.slice(14));
  return out;
}

export interface Classification {
  readonly primary: boolean;
  readonly primaryTable: string;
}

/** Primary or secondary for a path of a table (see the module header). */
export function classify(rt: RoutingRuntime, t: TableRef, p: Path): Classification {
  const vpnFamily = t.family === 'inet-vpn' || t.family === 'e-vpn';
  if (t.vrf) {
    if (p.source === LOCAL_SOURCE && p.pathId === STATIC_PATH_ID) return { primary: true, primaryTable: t.name };
    const vn = vnOf(p.attrs);
    const home = vn >= 0 ? rt.vrfByVnIndex(vn) : undefined;
    if (home === t.vrf) return { primary: true, primaryTable: t.name };
    const vpnName = MASTER_TABLES[t.family === 'e-vpn' ? 'e-vpn' : 'inet-vpn'];
    return { primary: false, primaryTable: home ? (t.family === 'e-vpn' ? home.evpn.name : home.inet.name) : vpnName };
  }
  if (vpnFamily) {
    const vn = vnOf(p.attrs);
    const home = vn >= 0 ? rt.vrfByVnIndex(vn) : undefined;
    if (home) return { primary: false, primaryTable: t.family === 'e-vpn' ? home.evpn.name : home.inet.name };
  }
  return { primary: true, primaryTable: t.name };
}

export interface PathContext {
  readonly rt: RoutingRuntime;
  readonly table: TableRef;
  readonly sources: SourceRegistry;
  readonly routerId: string;
  /** The VPN destination id of a VPN table's route (for its secondary tables). */
  readonly vpnDest?: number;
}

export function pathView(c: PathContext, p: Path, index: number, ecmpCount: number): PathView {
  const a = p.attrs;
  const src = c.sources.get(p.source);
  const local = p.source === LOCAL_SOURCE;
  const kind = c.rt.sourceKind(p.source);
  const cls = classify(c.rt, c.table, p);
  const vn = vnOf(a);
  const home = vn >= 0 ? c.rt.vrfByVnIndex(vn) : undefined;
  const secondary: string[] = [];
  if (cls.primary) {
    if (c.table.vrf && !local) {
      // the VRF's copies elsewhere: every VRF the VPN route went to, and the VPN table
      const fam = c.table.family === 'e-vpn' ? 'e-vpn' : 'inet-vpn';
      secondary.push(MASTER_TABLES[fam]);
      for (const v of c.rt.importedInto(fam, p.pathId)) if (v !== c.table.vrf) secondary.push(fam === 'e-vpn' ? v.evpn.name : v.inet.name);
    } else if (c.vpnDest !== undefined) {
      const fam = c.table.family as 'inet-vpn' | 'e-vpn';
      for (const v of c.rt.importedInto(fam, c.vpnDest)) secondary.push(fam === 'e-vpn' ? v.evpn.name : v.inet.name);
    }
  }
  return {
    protocol: local ? (p.pathId === STATIC_PATH_ID && c.table.vrf ? 'StaticRoute' : 'Local') : 'BGP',
    source: local ? 'None' : src.name,
    peer_address: local ? null : src.address,
    peer_type: local ? 'local' : (kind ?? src.kind),
    last_modified: formatTimestamp(p.lastModified),
    last_modified_ms: p.lastModified,
    local_preference: src.kind === 'ebgp' ? 100 : (a.localPref ?? 100),
    med: a.med ?? 0,
    as_path: asPathText(a.asPath),
    next_hop: a.nextHop ?? c.routerId,
    label: p.label < 0 ? 0 : p.label,
    origin_vn: home ? home.spec.virtualNetwork : vn >= 0 ? `vn-index:${vn}` : 'unresolved',
    primary: cls.primary,
    primary_table: cls.primaryTable,
    secondary_tables: secondary,
    communities: [...(a.communities ?? []), ...(a.extCommunities ?? [])],
    tunnel_encap: encapsOf(a),
    best: index === 0 && ecmpCount > 0,
    ecmp: index < ecmpCount,
    // a VRF copy is as stale as the VPN path it was imported from (graceful restart of its peer)
    stale: p.stale || (c.table.vrf !== undefined && !local && (c.rt.speaker.table(c.table.family === 'e-vpn' ? 'e-vpn' : 'inet-vpn').bestAt(p.pathId)?.stale ?? false)),
    feasible: p.feasible,
  };
}

/** Counts of a table as the route summary shows them. */
export interface TableCounts {
  prefixes: number;
  paths: number;
  primary_paths: number;
  secondary_paths: number;
  infeasible_paths: number;
}

export function tableCounts(rt: RoutingRuntime, t: TableRef): TableCounts {
  const counts: TableCounts = { prefixes: t.table.size, paths: t.table.pathCount, primary_paths: 0, secondary_paths: 0, infeasible_paths: 0 };
  if (t.family === 'route-target' || (t.family === 'inet' && !t.vrf)) {
    // master inet.0 and bgp.rtarget.0 hold primaries only: no classification needed
    let infeasible = 0;
    for (const r of t.table.routes()) for (const p of r.paths) if (!p.feasible) infeasible++;
    counts.primary_paths = counts.paths - infeasible;
    counts.infeasible_paths = infeasible;
    return counts;
  }
  for (const r of t.table.routes()) {
    for (const p of r.paths) {
      if (!p.feasible) counts.infeasible_paths++;
      else if (classify(rt, t, p).primary) counts.primary_paths++;
      else counts.secondary_paths++;
    }
  }
  return counts;
}

export const FAMILY_OF_TABLE: Readonly<Record<string, Family>> = { 'inet.0': 'inet', 'bgp.l3vpn.0': 'inet-vpn', 'bgp.rtarget.0': 'route-target', 'bgp.evpn.0': 'e-vpn' };
