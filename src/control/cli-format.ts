// `tfctl ctr …` text output from the introspect JSON, in the layouts of ist.py (seed 001): the status
// lines and connection table, the neighbour table, the route summary table, the table-name list, and
// `route show`: per table `<table>: N destinations, N routes (N primary, N secondary, N infeasible)`,
// then each prefix with its age and last_modified, each path as
// `[protocol|source] age: …, localpref: …, nh: …, encap: […], label: …, AS path: …`. Pure functions:
// the caller passes the clock.
import { prettyTable } from '../common/pretty-table.js';
import type { InstanceView, NeighborView, NodeStatusView, RouteTableView } from './introspect.js';
import type { TableCounts } from './path-view.js';
import { formatAge } from './time-format.js';

export interface FormatOptions {
  readonly maxWidth?: number;
}

/** A Python list repr, as ist.py prints encapsulations: ['gre', 'udp'] */
export function pyList(items: readonly string[]): string {
  return `[${items.map((s) => `'${s}'`).join(', ')}]`;
}

export function formatStatus(s: NodeStatusView, o: FormatOptions = {}): string {
  const lines = [`module_id: ${s.module_id}`, `state: ${s.state}`, s.description ? `description: ${s.description}` : 'description'];
  lines.push(prettyTable(
    ['type', 'name', 'server_addrs', 'status', 'description'],
    s.connections.map((c) => [c.type, c.name, c.server_addrs.join('\n'), c.status, c.description ?? '']),
    o,
  ));
  return lines.join('\n');
}

export function formatNeighbors(list: readonly NeighborView[], o: FormatOptions = {}): string {
  return prettyTable(
    ['peer', 'peer_address', 'peer_asn', 'encoding', 'peer_type', 'state', 'send_state', 'flap_count', 'flap_time'],
    list.map((n) => [n.peer, n.peer_address, n.peer_asn, n.encoding, n.peer_type, n.state, n.send_state, n.flap_count, n.flap_time]),
    o,
  );
}

export function formatRouteSummary(tables: readonly (TableCounts & { name: string })[], o: FormatOptions = {}): string {
  return prettyTable(
    ['name', 'prefixes', 'paths', 'primary_paths', 'secondary_paths', 'infeasible_paths'],
    tables.map((t) => [t.name, t.prefixes, t.paths, t.primary_paths, t.secondary_paths, t.infeasible_paths]),
    o,
  );
}

export function formatRouteTables(tables: readonly { name: string }[]): string {
  return tables.map((t) => `name: ${t.name}`).join('\n');
}

export function formatInstances(list: readonly InstanceView[], o: FormatOptions = {}): string {
  return prettyTable(
    ['name', 'vn_index', 'vxlan_id', 'import_target', 'export_target'],
    list.map((i) => [i.name, i.vn_index ?? 'n/a', i.vxlan_id ?? 'n/a', i.import_target.join('\n'), i.export_target.join('\n')]),
    o,
  );
}

export interface RouteFormatOptions {
  /** wall clock (ms) the ages are computed against */
  readonly now: number;
  /** the `detail` mode of ist.py: primary table, origin VN, communities, last modified per path */
  readonly detail?: boolean;
}

const INDENT = '    ';

export function formatRoutes(tables: readonly RouteTableView[], o: RouteFormatOptions): string {
  const out: string[] = [];
  for (const t of tables) {
    out.push('');
    out.push(`${t.routing_table_name}: ${t.prefixes} destinations, ${t.paths} routes (${t.primary_paths} primary, ${t.secondary_paths} secondary, ${t.infeasible_paths} infeasible)`);
    for (const r of t.routes) {
      out.push('');
      out.push(`${r.prefix}, age: ${formatAge(o.now - r.last_modified_ms)}, last_modified: ${r.last_modified}`);
      for (const p of r.paths) {
        out.push(`${INDENT}[${p.protocol}|${p.source}] age: ${formatAge(o.now - p.last_modified_ms)}, localpref: ${p.local_preference}, nh: ${p.next_hop}, encap: ${pyList(p.tunnel_encap)}, label: ${p.label}, AS path: ${p.as_path}`);
        if (o.detail) {
          out.push(`${INDENT}${INDENT}primary table: ${p.primary_table}, origin vn: ${p.origin_vn}, secondary tables: ${pyList(p.secondary_tables)}`);
          out.push(`${INDENT}${INDENT}communities: ${pyList(p.communities)}`);
          out.push(`${INDENT}${INDENT}last modified: ${p.last_modified}${p.stale ? ', stale' : ''}${p.best ? ', best' : p.ecmp ? ', ecmp' : ''}`);
        }
      }
    }
    if (t.more) out.push('', `(more routes in ${t.routing_table_name}: narrow the query or raise --count)`);
  }
  return out.join('\n');
}
