// The delete pipeline. Non-derived children or non-relaxed back-references refuse the delete (409
// with the original's messages). Derived children (a VN's routing instances, ACLs) are deleted in
// the same transaction, and references to them are dropped from their referrers, as the original
// does for a VN's default routing instance. Relaxed back-references are dropped from the referrers.
import { RefsExistError } from '../../vnc/errors.js';
import { findType, refFieldName } from '../../vnc/schema.js';
import { objType, type StoredObject } from '../mirror.js';
import type { TypeHooks, WriteContext } from './context.js';
import { requireExisting, touch } from './update.js';

export type Href = (type: string, uuid: string) => string;

/** Derived children of `obj`, recursively (the objects a delete cascades to). */
function cascade(ctx: WriteContext, obj: StoredObject, out: StoredObject[], blocking: string[], href: Href): void {
  const rt = findType(objType(obj))!;
  for (const [child, childType] of ctx.plan.mirror.children(obj.uuid)) {
    if (ctx.plan.isDeleted(child)) continue;
    const derived = rt.children.find((c) => c.child === childType)?.derived ?? false;
    const co = ctx.plan.get(child);
    if (!co) continue;
    if (derived) {
      out.push(co);
      cascade(ctx, co, out, blocking, href);
    } else {
      blocking.push(href(childType, child));
    }
  }
}

function dropRef(ctx: WriteContext, fromUuid: string, toUuid: string): void {
  const from = ctx.plan.get(fromUuid);
  const toType = ctx.plan.typeOf(toUuid);
  if (!from || !toType) return;
  const field = refFieldName(toType);
  const list = (from[field] as { uuid: string }[] | undefined) ?? [];
  const next: StoredObject = { ...from, [field]: list.filter((r) => r.uuid !== toUuid) };
  if ((next[field] as unknown[]).length === 0) delete next[field];
  ctx.plan.put(touch(next, from));
}

export function planDelete(ctx: WriteContext, hooks: (type: string) => TypeHooks, type: string, uuid: string, href: Href): StoredObject {
  const obj = requireExisting(ctx, type, uuid);
  hooks(type).beforeDelete?.(ctx, obj);
  const doomed: StoredObject[] = [];
  const blockingChildren: string[] = [];
  cascade(ctx, obj, doomed, blockingChildren, href);
  if (blockingChildren.length > 0) {
    throw new RefsExistError(`Delete when children still present: [${blockingChildren.map((h) => `'${h}'`).join(', ')}]`, 'CHILDREN_EXIST');
  }
  const doomedSet = new Set([obj.uuid, ...doomed.map((d) => d.uuid)]);
  const blockingRefs: string[] = [];
  for (const [from, br] of ctx.plan.mirror.backRefs(obj.uuid)) {
    if (doomedSet.has(from) || ctx.plan.isDeleted(from) || br.relaxed) continue;
    blockingRefs.push(href(br.type, from));
  }
  if (blockingRefs.length > 0) {
    throw new RefsExistError(`Delete when resource still referred: [${blockingRefs.map((h) => `'${h}'`).join(', ')}]`, 'REFS_EXIST');
  }
  // Relaxed referrers of the object, and every referrer of a cascaded child, lose the reference.
  for (const [from, br] of ctx.plan.mirror.backRefs(obj.uuid)) {
    if (br.relaxed && !doomedSet.has(from) && !ctx.plan.isDeleted(from)) dropRef(ctx, from, obj.uuid);
  }
  for (const d of doomed) {
    for (const from of ctx.plan.mirror.backRefs(d.uuid).keys()) {
      if (!doomedSet.has(from) && !ctx.plan.isDeleted(from)) dropRef(ctx, from, d.uuid);
    }
  }
  for (const d of [...doomed].reverse()) ctx.plan.remove(d);
  ctx.plan.remove(obj);
  return obj;
}
