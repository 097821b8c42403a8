// The update (PUT) pipeline: properties present in the body replace the stored ones; for each
// reference field present, the whole reference set of that field is replaced; absent fields are
// untouched. Identity fields cannot change.
import { BadRequest, NoIdError } from '../../vnc/errors.js';
import { fqNameToString, validateBody } from '../../vnc/schema.js';
import type { IdPermsType, PermType2 } from '../../vnc/schema/objects.js';
import { timestamp } from '../ids.js';
import type { StoredObject } from '../mirror.js';
import type { TypeHooks, WriteContext } from './context.js';
import { requireObject, requireType } from './create.js';
import { updateIdPerms, updatePerms2 } from './perms.js';
import { resolveRefs } from './refs.js';

export function requireExisting(ctx: WriteContext, type: string, uuid: string): StoredObject {
  const t = ctx.plan.typeOf(uuid);
  const obj = t === type ? ctx.plan.get(uuid) : undefined;
  if (!obj) throw new NoIdError(`No ${type} object found for id ${uuid}`, 'NO_ID', { uuid });
  return obj;
}

export function planUpdate(ctx: WriteContext, hooks: (type: string) => TypeHooks, type: string, uuid: string, body: unknown): StoredObject {
  const rt = requireType(type);
  const input = requireObject(body, rt.name);
  validateBody(rt, input);
  const prev = requireExisting(ctx, rt.name, uuid);
  if (input.uuid !== undefined && input.uuid !== null && input.uuid !== uuid) {
    throw new BadRequest(`Bad Request, uuid in body (${JSON.stringify(input.uuid)}) does not match ${uuid}`, 'IMMUTABLE_FIELD');
  }
  if (Array.isArray(input.fq_name) && fqNameToString(input.fq_name as string[]) !== fqNameToString(prev.fq_name)) {
    throw new BadRequest(`Bad Request, fq_name cannot be changed (${fqNameToString(prev.fq_name)})`, 'IMMUTABLE_FIELD');
  }
  if (typeof input.parent_type === 'string' && input.parent_type !== 'config-root' && input.parent_type !== prev.parent_type) {
    throw new BadRequest(`Bad Request, parent_type cannot be changed (${prev.parent_type ?? 'none'})`, 'IMMUTABLE_FIELD');
  }
  const next: StoredObject = { ...prev };
  for (const [k, v] of Object.entries(input)) {
    if (k === 'id_perms' || k === 'perms2' || !(k in rt.props) || v === undefined) continue;
    next[k] = v;
  }
  next.id_perms = updateIdPerms(prev.id_perms as IdPermsType, input.id_perms as IdPermsType | null | undefined, timestamp());
  next.perms2 = updatePerms2(prev.perms2 as PermType2, input.perms2 as PermType2 | null | undefined);
  resolveRefs(ctx.plan, rt, input, next, 'update');
  hooks(rt.name).beforeUpdate?.(ctx, next, prev);
  ctx.plan.put(next);
  return next;
}

/** Records a changed copy of an existing object (ref-update, prop-collection, relaxed-ref cleanup). */
export function touch(next: StoredObject, prev: StoredObject): StoredObject {
  next.id_perms = updateIdPerms(prev.id_perms as IdPermsType, undefined, timestamp());
  return next;
}
