// Keeps one derived access-control-list (I/O): created under its parent with the transformer's
// mark, updated when its entries differ, deleted when no longer wanted. An ACL of the same name
// that the transformer did not create is never touched (reported as a problem instead).
import { RefsExistError } from '../vnc/errors.js';
import type { AccessControlList, AclEntriesType } from '../vnc/schema.js';
import type { VncObject } from '../vnc/object.js';
import { sameEntries } from './acl-common.js';
import type { Ctx } from './context.js';
import { isDerived, mark } from './marks.js';
import type { ReconcileReport } from './writer.js';

export async function ensureAcl(
  ctx: Ctx,
  report: ReconcileReport,
  parent: VncObject,
  parentType: string,
  name: string,
  entries: AclEntriesType | undefined,
): Promise<void> {
  const fq = [...parent.fq_name, name];
  let existing = ctx.cache.getByFqName('access-control-list', fq) as AccessControlList | undefined;
  if (!existing && entries) {
    try {
      await ctx.writer.create(report, 'access-control-list', { fq_name: fq, parent_type: parentType, access_control_list_entries: entries, ...mark() });
      return;
    } catch (err) {
      if (!(err instanceof RefsExistError && err.code === 'ALREADY_EXISTS')) throw err;
      existing = await ctx.client.readByFqName('access-control-list', fq);
    }
  }
  if (!existing) return;
  if (!isDerived(existing)) {
    report.problems.push(`access-control-list ${fq.join(':')} exists and was not created by the transformer: left alone`);
    return;
  }
  if (!entries) await ctx.writer.delete(report, 'access-control-list', existing);
  else if (!sameEntries(existing.access_control_list_entries, entries)) {
    await ctx.writer.update(report, 'access-control-list', existing, { access_control_list_entries: entries });
  }
}

/** Deletes the derived ACLs under `parent` whose names are not in `keep`. */
export async function dropOtherAcls(ctx: Ctx, report: ReconcileReport, parentUuid: string, keep: readonly string[]): Promise<void> {
  for (const acl of ctx.cache.children(parentUuid, 'access-control-list')) {
    if (isDerived(acl) && !keep.includes(acl.fq_name[acl.fq_name.length - 1])) await ctx.writer.delete(report, 'access-control-list', acl);
  }
}
