// Route-target allocation and collection (I/O). A network's own target is created by fq_name
// `target:<asn>:<n>` with the lowest number the cache shows free; a 409 means another transformer
// took it first, so the next number is tried — two transformer instances never share a number.
// The target is marked with its owner network, so a restart finds it again instead of allocating
// anew, and duplicates from a race resolve to the lowest number. A derived target nobody needs any
// more (owner gone, superseded after an ASN change, no network lists it) is deleted once no
// routing instance refers to it; its number is then free for reuse.
import { RefsExistError, ServiceUnavailableError } from '../vnc/errors.js';
import type { RouteTarget, VirtualNetwork } from '../vnc/schema.js';
import type { Ctx } from './context.js';
import { isDerived, mark, ownerOf } from './marks.js';
import { lowestFree, rtName } from './route-target.js';
import type { ReconcileReport } from './writer.js';

export const LINK_LOCAL = 'default-domain:default-project:__link_local__';

/** Every network gets a target except __link_local__ (as the original). */
export const needsTarget = (vn: VirtualNetwork): boolean => vn.fq_name.join(':') !== LINK_LOCAL;

const MAX_ATTEMPTS = 64;

export async function reconcileAlloc(ctx: Ctx, vnUuid: string, report: ReconcileReport): Promise<void> {
  const vn = ctx.world.vn(vnUuid);
  const asn = ctx.asn();
  if (!vn || !needsTarget(vn)) {
    for (const t of ctx.idx.ownedTargets(vnUuid)) ctx.touch('rt', t.uuid);
    return;
  }
  const own = ctx.idx.ownTarget(vnUuid, asn);
  if (own) {
    for (const t of ctx.idx.ownedTargets(vnUuid)) if (t.uuid !== own.uuid) ctx.touch('rt', t.uuid);
    return;
  }
  const taken = new Set<number>();
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const used = ctx.idx.usedNumbers(asn);
    for (const n of taken) used.add(n);
    const n = lowestFree(asn, used);
    if (n === undefined) throw new ServiceUnavailableError(`no route target number left for ASN ${asn}`, 'RT_EXHAUSTED');
    const name = rtName(asn, n);
    ctx.idx.reserved.add(name);
    try {
      const obj = await ctx.writer.create(report, 'route-target', { fq_name: [name], ...mark(vnUuid) });
      ctx.idx.addPending(vnUuid, { uuid: obj.uuid, name });
      ctx.idx.reserved.delete(name);
      for (const t of ctx.idx.ownedTargets(vnUuid)) if (t.uuid !== obj.uuid) ctx.touch('rt', t.uuid);
      ctx.touch('vn', vnUuid);
      return;
    } catch (err) {
      ctx.idx.reserved.delete(name);
      if (err instanceof RefsExistError && err.code === 'ALREADY_EXISTS') {
        taken.add(n);
        continue;
      }
      throw err;
    }
  }
  throw new ServiceUnavailableError(`route target allocation for ${vn.fq_name.join(':')} lost ${MAX_ATTEMPTS} races in a row`, 'RT_CONTENDED');
}

/** Whether a derived target is still wanted by anyone. */
function needed(ctx: Ctx, rt: RouteTarget): boolean {
  const owner = ownerOf(rt);
  if (owner) {
    const vn = ctx.world.vn(owner);
    return !!vn && needsTarget(vn) && ctx.idx.ownTarget(owner, ctx.asn())?.uuid === rt.uuid;
  }
  const name = rt.fq_name[0];
  for (const vn of ctx.cache.list('virtual-network') as VirtualNetwork[]) {
    for (const l of [vn.route_target_list, vn.import_route_target_list, vn.export_route_target_list]) {
      if (l?.route_target?.includes(name)) return true;
    }
  }
  return false;
}

export async function reconcileTargetGc(ctx: Ctx, rtUuid: string, report: ReconcileReport): Promise<void> {
  if (ctx.cache.typeOf(rtUuid) !== 'route-target') return;
  const rt = ctx.cache.get(rtUuid) as RouteTarget;
  if (!isDerived(rt) || needed(ctx, rt)) return;
  const referrers = ctx.cache.backRefs(rtUuid);
  if (referrers.length > 0) {
    // The referring instances drop it when their networks are reconciled; their update events
    // bring this key back.
    for (const r of referrers) if (r.parent_uuid && ctx.cache.typeOf(r.uuid) === 'routing-instance') ctx.touch('vn', r.parent_uuid);
    return;
  }
  // A 409 here means a reference the cache does not show yet: the queue retries with backoff.
  await ctx.writer.delete(report, 'route-target', rt);
  ctx.idx.dropPending(rtUuid);
}
