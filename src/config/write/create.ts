// The create pipeline: validate the body, resolve the parent, check uniqueness, fill defaults,
// resolve references, run the type's hooks (allocation, default children) and record the object
// in the plan. Messages follow the original's api_server.
import { BadRequest, RefsExistError } from '../../vnc/errors.js';
import { findType, fqNameRepr, validateBody, type ResourceType } from '../../vnc/schema.js';
import { isUuid, newUuid, timestamp } from '../ids.js';
import { TYPE_FIELD, type StoredObject } from '../mirror.js';
import type { IdPermsType, PermType2 } from '../../vnc/schema/objects.js';
import { createIdPerms, createPerms2 } from './perms.js';
import { resolveRefs } from './refs.js';
import type { TypeHooks, WriteContext } from './context.js';
import { NoIdError } from '../../vnc/errors.js';

// eslint-disable-next-line no-control-regex -- these are exactly the characters XML forbids in names
const NAME_RE_ILLEGAL_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

export function requireType(type: string): ResourceType {
  const rt = findType(type);
  if (!rt) throw new NoIdError(`Resource type '${type}' not found`, 'UNKNOWN_TYPE');
  return rt;
}

export function requireObject(body: unknown, what: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequest(`Bad Request, ${what} must be a JSON object`, 'BAD_BODY');
  }
  return body as Record<string, unknown>;
}

function checkFqName(rt: ResourceType, fq: unknown): string[] {
  if (!Array.isArray(fq) || fq.length === 0) throw new BadRequest('Bad Request, no fq_name in POST body', 'MISSING_FQ_NAME');
  if (!fq.every((p) => typeof p === 'string' && p.length > 0)) {
    throw new BadRequest(`Bad Request, fq_name must be a list of non-empty strings: ${JSON.stringify(fq)}`, 'INVALID_NAME');
  }
  const name = fq[fq.length - 1] as string;
  if (NAME_RE_ILLEGAL_XML.test(name)) throw new BadRequest('Bad Request, name has illegal xml characters', 'INVALID_NAME');
  if (rt.name !== 'route-target' && name.includes(':')) {
    throw new BadRequest(`Bad Request, name has one of invalid chars [':']: ${JSON.stringify(name)}`, 'INVALID_NAME');
  }
  return fq as string[];
}

function resolveParent(ctx: WriteContext, rt: ResourceType, input: Record<string, unknown>, fq: string[]): { parent_type?: string; parent_uuid?: string } {
  let parentType = input.parent_type as string | undefined | null;
  if (parentType === 'config-root') parentType = undefined;
  if (parentType !== undefined && parentType !== null && typeof parentType !== 'string') {
    throw new BadRequest('Bad Request, parent_type must be a string', 'BAD_PARENT');
  }
  if (parentType && !rt.parents.includes(parentType)) {
    throw new BadRequest(`Invalid parent type: ${parentType}. Allowed types: [${rt.parents.map((p) => `'${p}'`).join(', ') || "'config-root'"}]`, 'BAD_PARENT');
  }
  if (rt.parents.length === 0) {
    if (fq.length !== 1) throw new BadRequest(`Invalid fq-name of an object with no parent: ${fqNameRepr(fq)}`, 'BAD_PARENT');
    return {};
  }
  if (fq.length < 2) throw new BadRequest(`Invalid fq-name for object with parent_type ${parentType ?? rt.parents[0]}: ${fqNameRepr(fq)}`, 'BAD_PARENT');
  const parentFq = fq.slice(0, -1);
  let pt = parentType ?? rt.parents[0];
  if (!parentType && rt.parents.length > 1) {
    const found = rt.parents.filter((t) => ctx.plan.uuidByFq(t, parentFq));
    if (found.length !== 1) {
      throw new BadRequest(`Missing parent type: None. Allowed types: [${rt.parents.map((p) => `'${p}'`).join(', ')}]`, 'BAD_PARENT');
    }
    pt = found[0];
  }
  const parentUuid = ctx.plan.uuidByFq(pt, parentFq);
  if (!parentUuid) throw new BadRequest(`Parent ${fqNameRepr(parentFq)} type ${pt} does not exist`, 'BAD_PARENT');
  return { parent_type: pt, parent_uuid: parentUuid };
}

export function planCreate(ctx: WriteContext, hooks: (type: string) => TypeHooks, type: string, body: unknown): StoredObject {
  const rt = requireType(type);
  const input = requireObject(body, rt.name);
  validateBody(rt, input);
  const fq = checkFqName(rt, input.fq_name);
  const existing = ctx.plan.uuidByFq(rt.name, fq);
  if (existing) throw new RefsExistError(`${fqNameRepr(fq)} already exists with uuid: ${existing}`, 'ALREADY_EXISTS', { uuid: existing });
  const parent = resolveParent(ctx, rt, input, fq);
  let uuid = input.uuid as string | undefined | null;
  if (uuid !== undefined && uuid !== null) {
    if (!isUuid(uuid)) throw new BadRequest(`Invalid UUID format: ${String(uuid)}`, 'INVALID_UUID');
    const other = ctx.plan.get(uuid);
    if (other || ctx.plan.typeOf(uuid)) throw new RefsExistError(`${uuid} already exists with fq_name: ${fqNameRepr(other?.fq_name ?? [])}`, 'ALREADY_EXISTS', { uuid });
  } else {
    uuid = newUuid();
  }
  const now = timestamp();
  const obj: StoredObject = { uuid, fq_name: fq, ...parent };
  obj[TYPE_FIELD] = rt.name;
  for (const [k, v] of Object.entries(input)) {
    if (k in rt.props && v !== undefined) obj[k] = v;
  }
  obj.display_name = (input.display_name) ?? fq[fq.length - 1];
  obj.id_perms = createIdPerms(uuid, input.id_perms as IdPermsType | null | undefined, now);
  obj.perms2 = createPerms2(input.perms2 as PermType2 | null | undefined);
  resolveRefs(ctx.plan, rt, input, obj, 'create');
  const h = hooks(rt.name);
  h.beforeCreate?.(ctx, obj);
  ctx.plan.put(obj);
  h.afterCreate?.(ctx, obj);
  return obj;
}
