// What a default routing instance carries (pure) — the contract the control node reads
// (docs/transformer.md "Routing-instance contract"):
//   route_target_refs: the network's own allocated target and its route_target_list as both
//     (attr import_export null), import_route_target_list as 'import', export_route_target_list as
//     'export' (a target in both of those lists counts as both), plus, for every connected network,
//     that network's export targets as 'import' (a target already exported here becomes both);
//   routing_instance_refs: the default routing instances of the connected networks (attr {}).
// So the instance's import list = targets with both|import, export list = targets with both|export,
// and the control node needs no policy logic.
import type { InstanceTargetType, VirtualNetwork, VncRef } from '../vnc/schema.js';

export type ImportExport = 'both' | 'import' | 'export';

const list = (l: { route_target?: string[] | null } | null | undefined): string[] => l?.route_target ?? [];

/** The network's configured targets, normalised as the original does. */
export function configuredTargets(vn: VirtualNetwork): { both: Set<string>; imports: Set<string>; exports: Set<string> } {
  const both = new Set(list(vn.route_target_list));
  const imports = new Set(list(vn.import_route_target_list));
  const exports = new Set(list(vn.export_route_target_list));
  for (const t of imports) if (exports.has(t)) both.add(t);
  for (const t of both) {
    imports.delete(t);
    exports.delete(t);
  }
  return { both, imports, exports };
}

/** The targets a network exports: its own allocated target, route_target_list and the export list. */
export function exportTargets(vn: VirtualNetwork, own: string | undefined): string[] {
  const c = configuredTargets(vn);
  const out = new Set<string>(own ? [own] : []);
  for (const t of c.both) out.add(t);
  for (const t of c.exports) out.add(t);
  return [...out].sort();
}

function merge(m: Map<string, ImportExport>, target: string, ie: ImportExport): void {
  const cur = m.get(target);
  if (cur === undefined) m.set(target, ie);
  else if (cur !== ie && cur !== 'both') m.set(target, 'both');
}

/** Desired route_target_refs of a default routing instance, by target name. */
export function desiredTargets(vn: VirtualNetwork, own: string | undefined, peerExports: readonly (readonly string[])[]): Map<string, ImportExport> {
  const m = new Map<string, ImportExport>();
  if (own) merge(m, own, 'both');
  const c = configuredTargets(vn);
  for (const t of c.both) merge(m, t, 'both');
  for (const t of c.imports) merge(m, t, 'import');
  for (const t of c.exports) merge(m, t, 'export');
  for (const exports of peerExports) for (const t of exports) merge(m, t, 'import');
  return m;
}

export function attrToIe(attr: InstanceTargetType | null | undefined): ImportExport {
  const ie = attr?.import_export as string | null | undefined;
  return ie === 'import' || ie === 'export' ? ie : 'both';
}

export const ieToAttr = (ie: ImportExport): InstanceTargetType => ({ import_export: ie === 'both' ? null : ie });

/** The stored route_target_refs as a map by target name. */
export function actualTargets(refs: readonly VncRef<InstanceTargetType>[] | undefined): Map<string, ImportExport> {
  const m = new Map<string, ImportExport>();
  for (const r of refs ?? []) m.set(r.to[r.to.length - 1], attrToIe(r.attr));
  return m;
}

export function sameTargets(a: ReadonlyMap<string, ImportExport>, b: ReadonlyMap<string, ImportExport>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/** Refs to write, sorted by target name (stable output keeps "already in sync" exact). */
export function targetRefs(m: ReadonlyMap<string, ImportExport>): { to: string[]; attr: InstanceTargetType }[] {
  return [...m.keys()].sort().map((t) => ({ to: [t], attr: ieToAttr(m.get(t)!) }));
}
