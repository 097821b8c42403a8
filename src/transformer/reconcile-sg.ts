// reconcile('sg:<uuid>'): makes a security group's ingress and egress access-control-lists exact
// (sg-acl.ts) and records which other groups its rules name, so their appearance re-runs it.
import type { SecurityGroup } from '../vnc/schema.js';
import { dropOtherAcls, ensureAcl } from './acls.js';
import type { Ctx } from './context.js';
import { EGRESS_ACL, INGRESS_ACL, sgAcls } from './sg-acl.js';
import type { ReconcileReport } from './writer.js';

export async function reconcileSg(ctx: Ctx, uuid: string, report: ReconcileReport): Promise<void> {
  if (ctx.cache.typeOf(uuid) !== 'security-group') {
    ctx.idx.setSgRefs(uuid, new Set());
    return; // its ACLs went with it (derived children)
  }
  const sg = ctx.cache.get(uuid) as SecurityGroup;
  const acls = sgAcls(sg, ctx.world);
  for (const p of acls.problems) report.problems.push(`security-group ${sg.fq_name.join(':')} ${p}`);
  ctx.idx.setSgRefs(uuid, acls.referredGroups);
  await ensureAcl(ctx, report, sg, 'security-group', INGRESS_ACL, acls.ingress);
  await ensureAcl(ctx, report, sg, 'security-group', EGRESS_ACL, acls.egress);
  await dropOtherAcls(ctx, report, uuid, [INGRESS_ACL, EGRESS_ACL]);
}
