// reconcile('vn:<uuid>'): makes a virtual network's derived state exact — the route_target_refs and
// routing_instance_refs of its default routing instance (ri-refs.ts) and its access-control-list
// (vn-acl.ts) — then records what it found and touches the networks that depend on it.
import { RefsExistError } from '../vnc/errors.js';
import type { RoutingInstance, VirtualNetwork } from '../vnc/schema.js';
import { dropOtherAcls, ensureAcl } from './acls.js';
import { connectivity } from './connectivity.js';
import type { Ctx } from './context.js';
import type { VnFacts } from './indexes.js';
import { isDerived, mark } from './marks.js';
import { actualTargets, desiredTargets, exportTargets, sameTargets, targetRefs } from './ri-refs.js';
import { needsTarget } from './route-targets.js';
import { vnAcl } from './vn-acl.js';
import { fqStr } from './world.js';
import type { ReconcileReport } from './writer.js';

const nameOf = (fq: readonly string[]): string => fq[fq.length - 1];

export function defaultInstance(ctx: Ctx, vn: VirtualNetwork): RoutingInstance | undefined {
  const ri = ctx.cache.getByFqName('routing-instance', [...vn.fq_name, nameOf(vn.fq_name)]) as RoutingInstance | undefined;
  return ri?.routing_instance_is_default ? ri : undefined;
}

const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean => a.size === b.size && [...a].every((x) => b.has(x));

function dependents(ctx: Ctx, facts: VnFacts, withListers: boolean, out: Set<string>): void {
  for (const n of facts.names) {
    const u = n === '*' ? undefined : ctx.world.vnByFq(n);
    if (u) out.add(u.uuid);
  }
  for (const u of facts.connected) out.add(u);
  if (withListers) {
    for (const u of ctx.idx.listersOf(facts.fq)) out.add(u);
    for (const u of ctx.idx.anyHoldersIn(facts.project)) out.add(u);
  }
}

function publish(ctx: Ctx, uuid: string, next: VnFacts | undefined): void {
  const prev = ctx.idx.facts(uuid);
  ctx.idx.setFacts(uuid, next);
  if (prev && next && prev.fq === next.fq && prev.exports === next.exports && sameSet(prev.names, next.names) && sameSet(prev.connected, next.connected)) return;
  const touch = new Set<string>();
  if (prev) dependents(ctx, prev, !next, touch);
  if (next) dependents(ctx, next, !prev, touch);
  touch.delete(uuid);
  for (const u of touch) ctx.touch('vn', u);
}

async function ensureTargetsExist(ctx: Ctx, report: ReconcileReport, names: Iterable<string>): Promise<void> {
  for (const name of names) {
    if (ctx.cache.getByFqName('route-target', [name])) continue;
    try {
      await ctx.writer.create(report, 'route-target', { fq_name: [name], ...mark() });
    } catch (err) {
      if (!(err instanceof RefsExistError && err.code === 'ALREADY_EXISTS')) throw err;
    }
  }
}

async function reconcileInstance(ctx: Ctx, report: ReconcileReport, vn: VirtualNetwork, ri: RoutingInstance, own: string, connected: ReadonlySet<string>): Promise<void> {
  const asn = ctx.asn();
  const peers = [...connected]
    .map((u) => ctx.world.vn(u))
    .filter((p): p is VirtualNetwork => !!p)
    .sort((a, b) => fqStr(a.fq_name).localeCompare(fqStr(b.fq_name)));
  const peerExports = peers.map((p) => (needsTarget(p) ? exportTargets(p, ctx.idx.ownTarget(p.uuid, asn)?.name) : []));
  const desired = desiredTargets(vn, own, peerExports);
  const actual = actualTargets(ri.route_target_refs);
  const desiredConn = peers.map((p) => defaultInstance(ctx, p)).filter((r): r is RoutingInstance => !!r);
  const actualConn = (ri.routing_instance_refs ?? []).map((r) => fqStr(r.to)).sort();
  const fields: Record<string, unknown> = {};
  if (!sameTargets(desired, actual)) {
    await ensureTargetsExist(ctx, report, desired.keys());
    fields.route_target_refs = targetRefs(desired);
  }
  const connFq = desiredConn.map((r) => fqStr(r.fq_name)).sort();
  if (connFq.join('\n') !== actualConn.join('\n')) fields.routing_instance_refs = desiredConn.map((r) => ({ to: r.fq_name, attr: {} }));
  if (Object.keys(fields).length === 0) return;
  await ctx.writer.update(report, 'routing-instance', ri, fields);
  for (const r of ri.route_target_refs ?? []) {
    const name = r.to[r.to.length - 1];
    if (!desired.has(name) && isDerived(ctx.cache.get(r.uuid))) ctx.touch('rt', r.uuid);
  }
}

export async function reconcileVn(ctx: Ctx, uuid: string, report: ReconcileReport): Promise<void> {
  const vn = ctx.world.vn(uuid);
  if (!vn) {
    // Its instance and ACL went with it (derived children); its targets are collected once the
    // networks that imported them have let go.
    publish(ctx, uuid, undefined);
    for (const t of ctx.idx.ownedTargets(uuid)) ctx.touch('rt', t.uuid);
    return;
  }
  const withTarget = needsTarget(vn);
  const conn = connectivity(vn, ctx.world);
  const connected = withTarget ? conn.connected : new Set<string>();
  const own = withTarget ? ctx.idx.ownTarget(uuid, ctx.asn()) : undefined;
  const ri = defaultInstance(ctx, vn);
  if (withTarget && ri) {
    if (own) await reconcileInstance(ctx, report, vn, ri, own.name, connected);
    else ctx.touch('alloc', uuid); // the allocation touches this key again when done
  }
  const acl = vnAcl(vn, ctx.world);
  for (const p of acl.problems) report.problems.push(`${p.policy} rule ${p.rule_uuid ?? '?'}: ${p.problem}`);
  const aclName = nameOf(vn.fq_name);
  await ensureAcl(ctx, report, vn, 'virtual-network', aclName, acl.entries);
  await dropOtherAcls(ctx, report, uuid, acl.entries ? [aclName] : []);
  publish(ctx, uuid, {
    fq: fqStr(vn.fq_name),
    project: vn.parent_uuid,
    names: conn.wanted.names,
    usedPolicies: conn.wanted.usedPolicies,
    exports: withTarget ? exportTargets(vn, own?.name).join(',') : '',
    connected,
  });
}
