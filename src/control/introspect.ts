// The control node's introspect JSON (port 8083), named after the original's Sandesh requests and with
// the original's field names, plus short aliases: neighbors (BgpNeighborReq), route summary
// (ShowRouteSummaryReq), table names, routes (ShowRouteReq: table, instance, prefix with longest/longer/shorter
// match, family, protocol, source, count), routing instances (ShowRoutingInstanceReq) and node status
// (NodeStatus). Views are computed on request from the live tables; nothing is cached.
import type { IntrospectRoute } from '../common/http.js';
import type { ConnectionStatus } from '../common/health.js';
import type { Route } from '../bgp/rib/table.js';
import { formatNlri } from '../bgp/wire/nlri.js';
import type { Family } from '../bgp/wire/constants.js';
import { NoSuchTableError, NotReadyError } from './errors.js';
import { MASTER_INSTANCE } from './names.js';
import { pathView, tableCounts, type PathView, type TableCounts } from './path-view.js';
import { maskOf, parseRouteQuery, prefixMatches, type RouteQuery } from './route-query.js';
import type { RoutingRuntime, TableRef } from './routing.js';
import { formatTimestamp } from './time-format.js';

export interface NodeStatusView {
  module_id: string;
  state: 'Functional' | 'Non-Functional';
  description: string;
  connections: ConnectionStatus[];
  router_id: string;
  name: string;
  bgp_address: string;
  bgp_port: number;
  autonomous_system: number | null;
  config_revision: number;
  peers: { total: number; established: number };
  routing_instances: number;
  rtc_targets: string[];
  /** While the start's route-selection deferral runs (graceful restart): families held back, peers waited for. */
  selection_deferral: { families: string[]; waiting_for: { peer: string; families: string[] }[]; peer_wait_over: boolean } | null;
  config_problems: { code: string; message: string }[];
}

export interface IntrospectSource {
  /** undefined until the config is synced and the speaker runs */
  runtime(): RoutingRuntime | undefined;
  readonly routerId: string;
  status(): NodeStatusView;
}

export interface NeighborView {
  peer: string;
  peer_address: string;
  peer_port: number;
  peer_asn: number;
  local_asn: number;
  encoding: 'BGP';
  peer_type: 'internal' | 'external';
  router_type: string;
  state: string;
  send_state: string;
  flap_count: number;
  flap_time: string;
  local_address: string | null;
  router_id: string | null;
  hold_time: number | null;
  uptime_ms: number;
  families: string[];
  negotiated_families: string[];
  prefixes: Partial<Record<Family, { in: number; out: number }>>;
  last_error: string | null;
  graceful_restart: { peer_restart_time: number | null; stale_families: string[] };
  config: string | null;
}

export interface RouteView {
  prefix: string;
  last_modified: string;
  last_modified_ms: number;
  paths: PathView[];
}

export interface RouteTableView extends TableCounts {
  routing_instance: string;
  routing_table_name: string;
  routes: RouteView[];
  /** More routes matched than `count` allowed. */
  more: boolean;
}

export interface InstanceView {
  name: string;
  virtual_network: string;
  vn_index: number | null;
  vxlan_id: number | null;
  import_target: string[];
  export_target: string[];
  is_default: boolean;
  external: boolean;
  connections: string[];
  static_routes: { prefix: string; next_hop: string }[];
  /** external instances: prefixes sent as inet routes (gateway-less access), with their next hops */
  inet_exports: { prefix: string; next_hop: string }[];
  tables: { name: string; prefixes: number; paths: number }[];
}

function need(src: IntrospectSource): RoutingRuntime {
  const rt = src.runtime();
  if (!rt) throw new NotReadyError();
  return rt;
}

const contains = (hay: string, needle: string | null): boolean => !needle || hay.includes(needle);

// ---- neighbors ---------------------------------------------------------------------------------

export function neighbors(rt: RoutingRuntime, search: string | null = null): NeighborView[] {
  return rt.speaker.peers()
    .filter((p) => contains(p.name, search) || contains(p.address, search))
    .map((p) => {
      const spec = rt.peerSpec(p.address);
      return {
        peer: p.name,
        peer_address: p.address,
        peer_port: p.port,
        peer_asn: p.asn,
        local_asn: p.localAsn,
        encoding: 'BGP' as const,
        peer_type: p.type,
        router_type: spec?.kind ?? 'unknown',
        state: p.state,
        send_state: p.sendState,
        flap_count: p.flapCount,
        flap_time: p.flapTime === null ? 'n/a' : formatTimestamp(p.flapTime),
        local_address: p.localAddress,
        router_id: p.routerId,
        hold_time: p.holdTime,
        uptime_ms: p.uptimeMs,
        families: [...p.families],
        negotiated_families: [...p.negotiatedFamilies],
        prefixes: p.prefixes,
        last_error: p.lastError,
        graceful_restart: { peer_restart_time: p.gracefulRestart.peerRestartTime, stale_families: [...p.gracefulRestart.staleFamilies] },
        config: spec?.source ?? null,
      };
    })
    .sort((a, b) => (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0));
}

// ---- route summary -----------------------------------------------------------------------------

export function routeSummary(rt: RoutingRuntime, search: string | null = null): (TableCounts & { name: string })[] {
  return rt.tables().filter((t) => contains(t.name, search)).map((t) => ({ name: t.name, ...tableCounts(rt, t) }));
}

// ---- routes ------------------------------------------------------------------------------------

function selectTables(rt: RoutingRuntime, q: RouteQuery): TableRef[] {
  let tables = rt.tables();
  if (q.table !== undefined) {
    tables = tables.filter((t) => t.name === q.table);
    if (tables.length === 0) throw new NoSuchTableError('routing_table', q.table);
  }
  if (q.instance !== undefined) {
    tables = tables.filter((t) => t.instance === q.instance);
    if (tables.length === 0 && !rt.tables().some((t) => t.instance === q.instance)) throw new NoSuchTableError('routing_instance', q.instance);
  }
  if (q.family) tables = tables.filter((t) => t.family === q.family);
  // an IPv4 prefix filter only makes sense in tables of IPv4 prefixes (as ist.py does)
  if (q.prefix && q.prefix.kind !== 'text' && q.table === undefined) tables = tables.filter((t) => t.family === 'inet' || t.family === 'inet-vpn');
  return tables;
}

function pathMatches(q: RouteQuery, v: PathView): boolean {
  if (q.protocol !== undefined) {
    const want = q.protocol.toLowerCase();
    const ok = want === 'xmpp' ? v.peer_type === 'agent' : v.protocol.toLowerCase() === want || v.protocol.toLowerCase().startsWith(`${want} `);
    if (!ok) return false;
  }
  if (q.source !== undefined && v.source !== q.source && v.peer_address !== q.source) return false;
  return true;
}

const prefixOf = (r: Route): string => formatNlri(r.nlri);
const lpmProbes = (addr: number): number[][] => Array.from({ length: 33 }, (_, i) => [(addr & maskOf(32 - i)) >>> 0, 32 - i]);

/** The routes of a table that pass the prefix filter, with the VPN destination id where it matters. */
function* candidates(t: TableRef, q: RouteQuery): Generator<{ route: Route; dest: number | undefined }> {
  const f = q.prefix;
  const table = t.table;
  const vpn = t.family === 'inet-vpn' || t.family === 'e-vpn';
  if (f && t.family === 'inet' && (f.kind === 'longest' || f.kind === 'exact')) {
    // direct lookups instead of a walk
    const lookups = 'address' in f ? lpmProbes(f.address) : [[f.network, f.length]];
    for (const [net, len] of lookups) {
      const prefix = `${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${len}`;
      const r = table.get({ family: 'inet', prefix });
      if (r) {
        yield { route: r, dest: undefined };
        return;
      }
    }
    return;
  }
  if (!f && !vpn) {
    for (const r of table.routes()) yield { route: r, dest: undefined };
    return;
  }
  const matched: { route: Route; dest: number | undefined; len: number }[] = [];
  let best = -1;
  for (let d = 0; d < table.idLimit; d++) {
    if (table.ecmpCountAt(d) === 0) continue;
    const r = table.get(table.keyAt(d));
    if (!r) continue;
    const text = prefixOf(r);
    if (f && !prefixMatches(f, text)) continue;
    const dest = vpn ? d : undefined;
    if (f?.kind === 'longest') {
      const len = Number(text.slice(text.lastIndexOf('/') + 1));
      if (len < best) continue;
      if (len > best) matched.length = 0;
      best = len;
      matched.push({ route: r, dest, len });
      continue;
    }
    yield { route: r, dest };
  }
  for (const m of matched) yield m;
}

export function showRoutes(rt: RoutingRuntime, routerId: string, q: RouteQuery): RouteTableView[] {
  const out: RouteTableView[] = [];
  const sources = rt.speaker.sources;
  for (const t of selectTables(rt, q)) {
    const routes: RouteView[] = [];
    let more = false;
    for (const { route, dest } of candidates(t, q)) {
      const views = route.paths.map((p, i) => pathView({ rt, table: t, sources, routerId, ...(dest !== undefined ? { vpnDest: dest } : {}) }, p, i, route.ecmpCount));
      const paths = views.filter((v) => pathMatches(q, v));
      if (paths.length === 0) continue;
      if (routes.length >= q.count) {
        more = true;
        break;
      }
      const last = Math.max(...route.paths.map((p) => p.lastModified));
      routes.push({ prefix: prefixOf(route), last_modified: formatTimestamp(last), last_modified_ms: last, paths });
    }
    if (routes.length === 0 && (q.prefix || q.protocol || q.source) && q.table === undefined) continue;
    routes.sort((a, b) => comparePrefixes(a.prefix, b.prefix));
    out.push({ routing_instance: t.instance, routing_table_name: t.name, ...tableCounts(rt, t), routes, more });
  }
  return out;
}

/** Orders "a.b.c.d/n" numerically (VPN: by RD text, then prefix), other keys as text. */
export function comparePrefixes(a: string, b: string): number {
  const split = (s: string): [string, number, number] => {
    const m = /^(.*?)(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(s);
    if (!m) return [s, 0, 0];
    return [m[1], ((Number(m[2]) << 24) | (Number(m[3]) << 16) | (Number(m[4]) << 8) | Number(m[5])) >>> 0, Number(m[6])];
  };
  const [ra, na, la] = split(a);
  const [rb, nb, lb] = split(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (na !== nb) return na - nb;
  if (la !== lb) return la - lb;
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- routing instances -------------------------------------------------------------------------

export function routingInstances(rt: RoutingRuntime, search: string | null = null): InstanceView[] {
  const out: InstanceView[] = [];
  const masterTables = rt.tables().filter((t) => !t.vrf);
  if (contains(MASTER_INSTANCE, search)) {
    out.push({
      name: MASTER_INSTANCE, virtual_network: 'default-domain:default-project:ip-fabric', vn_index: null, vxlan_id: null,
      import_target: [], export_target: [], is_default: true, external: false, connections: [], static_routes: [], inet_exports: [],
      tables: masterTables.map((t) => ({ name: t.name, prefixes: t.table.size, paths: t.table.pathCount })),
    });
  }
  for (const v of rt.vrfs()) {
    if (!contains(v.name, search)) continue;
    const s = v.spec;
    out.push({
      name: v.name, virtual_network: s.virtualNetwork, vn_index: s.vnIndex, vxlan_id: s.vxlanId,
      import_target: [...s.importTargets], export_target: [...s.exportTargets], is_default: s.isDefault, external: s.external,
      connections: [...s.connections], static_routes: s.staticRoutes.map((r) => ({ prefix: r.prefix, next_hop: r.nextHop })),
      inet_exports: [...rt.inetExports(v)].map(([prefix, nhs]) => ({ prefix, next_hop: nhs[0], next_hops: nhs })).sort((a, b) => comparePrefixes(a.prefix, b.prefix)),
      tables: v.tables().map((t) => ({ name: t.name, prefixes: t.size, paths: t.pathCount })),
    });
  }
  return out;
}

// ---- the HTTP routes -----------------------------------------------------------------------------

export function introspectRoutes(src: IntrospectSource): Record<string, IntrospectRoute> {
  const nei: IntrospectRoute = (u) => ({ neighbors: neighbors(need(src), u.searchParams.get('search_string')) });
  const summary: IntrospectRoute = (u) => ({ tables: routeSummary(need(src), u.searchParams.get('search_string')) });
  const routes: IntrospectRoute = (u) => ({ tables: showRoutes(need(src), src.routerId, parseRouteQuery(u.searchParams)) });
  const instances: IntrospectRoute = (u) => ({ instances: routingInstances(need(src), u.searchParams.get('search_string')) });
  const status: IntrospectRoute = () => src.status();
  const tables: IntrospectRoute = () => ({ tables: need(src).tables().map((t) => ({ name: t.name, routing_instance: t.instance, family: t.family, prefixes: t.table.size, paths: t.table.pathCount })) });
  return {
    '/Snh_BgpNeighborReq': nei,
    '/neighbors': nei,
    '/Snh_ShowRouteSummaryReq': summary,
    '/route-summary': summary,
    '/Snh_ShowRouteTablesReq': tables,
    '/route-tables': tables,
    '/Snh_ShowRouteReq': routes,
    '/routes': routes,
    '/Snh_ShowRoutingInstanceReq': instances,
    '/routing-instances': instances,
    '/Snh_SandeshUVECacheReq': status,
    '/status': status,
  };
}

