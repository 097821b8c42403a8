// NetworkPolicy → the security groups it owns (model.ts), in the policy's namespace's project, with
// annotations (kind NetworkPolicy, np=<policy name>). After writing, every pod is re-examined: the
// pods' reconciles attach and detach groups. Groups no longer wanted are deleted once no interface
// refers to them (the reconcile retries until the pods have let go).
import { ownerAnnotations } from '../annotations.js';
import { KEY, type Ctx } from '../context.js';
import { InputError, NotReadyError } from '../errors.js';
import { projectOf } from '../names.js';
import { deleteOwned } from '../namespace.js';
import { entries } from '../sg-rules.js';
import type { ObjectSpec } from '../tx.js';
import { compiledOf, world } from './attach.js';
import { policyGroups } from './model.js';

function enqueueAllPods(ctx: Ctx): void {
  for (const p of ctx.k8s.pods.list()) ctx.enqueue(KEY.pod(p.metadata?.namespace ?? 'default', p.metadata?.name ?? ''));
}

export async function reconcilePolicy(ctx: Ctx, namespace: string, name: string): Promise<void> {
  const key = KEY.policy(namespace, name);
  const np = ctx.k8s.policies.get(namespace, name);
  const owned = ctx.vnc.owned(key, 'security-group');
  const tx = ctx.tx();
  const wanted = new Map<string, ObjectSpec>();
  if (np) {
    const cp = compiledOf(np);
    if (cp instanceof InputError) {
      await ctx.report(np, cp);
      return;
    }
    const project = projectOf(ctx.names, namespace);
    const groups = policyGroups(cp, world(ctx, true));
    for (const [sgName, rules] of groups) {
      wanted.set(sgName, {
        type: 'security-group',
        ...(sgName === cp.mainSg ? { uuid: cp.uid } : {}),
        fq_name: [...project, sgName],
        parent_type: 'project',
        fields: {
          security_group_entries: entries(rules),
          annotations: ownerAnnotations(ctx.owner, 'NetworkPolicy', project[1], namespace, sgName, { np: name }),
        },
      });
    }
    // Identity groups first: the policy's rules name them.
    const order = [...wanted.values()].sort((a, b) => (a.uuid ? 1 : 0) - (b.uuid ? 1 : 0));
    for (const spec of order) await tx.ensure(spec, ctx.vnc.byFq('security-group', spec.fq_name));
    ctx.resolved(np);
  }
  await tx.settle();
  const stale = owned.filter((o) => !wanted.has(o.fq_name[o.fq_name.length - 1]) || (o.fq_name.slice(0, -1).join(':') !== projectOf(ctx.names, namespace).join(':')));
  if (tx.writes > 0 || stale.length > 0) enqueueAllPods(ctx);
  let blocked: NotReadyError | undefined;
  for (const o of stale) {
    // Only after the pods have dropped it; until then the delete is refused and retried.
    if (ctx.vnc.backRefs(o.uuid, 'virtual-machine-interface').length > 0) {
      blocked ??= new NotReadyError(`security group ${o.fq_name.join(':')} still attached to interfaces`);
      continue;
    }
    try {
      await deleteOwned(tx, 'security-group', o);
    } catch (err) {
      if (!(err instanceof NotReadyError)) throw err;
      blocked ??= err;
    }
  }
  await tx.settle();
  if (blocked) throw blocked;
}
