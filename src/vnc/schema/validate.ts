// Validates the body of a create or update against the registry: every field must be a known
// property (of the right type), a reference field (entries {to|uuid, attr}), or an identity field.
// Back-reference and children fields are accepted and ignored, so a read-modify-write round trip
// works. Errors name the field and the problem.
import { BadRequest } from '../errors.js';
import { FieldError, validateField } from './field-types.js';
import { NAMED_TYPES, type ResourceType } from './registry.js';

const IDENTITY = new Set(['uuid', 'fq_name', 'name', 'href', 'parent_type', 'parent_uuid', 'parent_href']);
const REF_KEYS = new Set(['to', 'uuid', 'href', 'attr']);

/** Back-reference and children fields per type (computed once). */
const derivedFields = new WeakMap<ResourceType, ReadonlySet<string>>();

function derivedOf(rt: ResourceType): ReadonlySet<string> {
  let d = derivedFields.get(rt);
  if (!d) derivedFields.set(rt, (d = new Set([...rt.backRefs.map((b) => b.field), ...rt.children.map((c) => c.field)])));
  return d;
}

export function validateBody(rt: ResourceType, body: Record<string, unknown>): void {
  const derived = derivedOf(rt);
  for (const [key, value] of Object.entries(body)) {
    if (IDENTITY.has(key) || derived.has(key)) continue;
    const prop = rt.props[key];
    if (prop) {
      try {
        validateField(prop, value, key, NAMED_TYPES);
      } catch (err) {
        if (err instanceof FieldError) throw new BadRequest(`Bad property in ${rt.name}: ${err.message}`, 'INVALID_FIELD', { field: err.path });
        throw err;
      }
      continue;
    }
    const ref = rt.refs.get(key);
    if (ref) {
      if (value === null) continue;
      if (!Array.isArray(value)) throw new BadRequest(`Bad reference in ${rt.name}: ${key} must be a list`, 'INVALID_FIELD', { field: key });
      value.forEach((entry: unknown, i) => {
        const path = `${key}[${i}]`;
        if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
          throw new BadRequest(`Bad reference in ${rt.name}: ${path} must be an object {to, uuid, attr}`, 'INVALID_FIELD', { field: path });
        }
        const e = entry as Record<string, unknown>;
        for (const k of Object.keys(e)) {
          if (!REF_KEYS.has(k)) throw new BadRequest(`Bad reference in ${rt.name}: ${path}.${k} is not a reference field (to, uuid, attr)`, 'UNKNOWN_FIELD', { field: `${path}.${k}` });
        }
        if (e.uuid !== undefined && e.uuid !== null && typeof e.uuid !== 'string') {
          throw new BadRequest(`Bad reference in ${rt.name}: ${path}.uuid must be a string`, 'INVALID_FIELD', { field: `${path}.uuid` });
        }
        if (e.to !== undefined && e.to !== null && !(Array.isArray(e.to) && e.to.every((p) => typeof p === 'string'))) {
          throw new BadRequest(`Bad reference in ${rt.name}: ${path}.to must be a list of strings`, 'INVALID_FIELD', { field: `${path}.to` });
        }
        if ((e.uuid === undefined || e.uuid === null) && (e.to === undefined || e.to === null)) {
          throw new BadRequest(`Bad reference in ${rt.name}: ${path} needs uuid or to`, 'INVALID_FIELD', { field: path });
        }
        if (e.attr !== undefined && e.attr !== null) {
          if (!ref.attr) throw new BadRequest(`Bad reference in ${rt.name}: ${path}.attr must be null (${ref.target} references carry no attribute)`, 'INVALID_FIELD', { field: `${path}.attr` });
          try {
            validateField(ref.attr, e.attr, `${path}.attr`, NAMED_TYPES);
          } catch (err) {
            if (err instanceof FieldError) throw new BadRequest(`Bad reference in ${rt.name}: ${err.message}`, 'INVALID_FIELD', { field: err.path });
            throw err;
          }
        }
      });
      continue;
    }
    throw new BadRequest(`Unknown field ${key} in ${rt.name}`, 'UNKNOWN_FIELD', { field: key });
  }
}
