// Resolves the reference fields of a request against the plan: each entry names its target by
// uuid or by fq_name (`to`); the stored entry always has both, plus the validated attr.
import { NoIdError, BadRequest } from '../../vnc/errors.js';
import { fqNameRepr, type ResourceType } from '../../vnc/schema.js';
import type { Plan } from '../plan.js';

export interface StoredRef {
  to: string[];
  uuid: string;
  attr: unknown;
}

export function resolveRefs(plan: Plan, rt: ResourceType, input: Record<string, unknown>, out: Record<string, unknown>, op: 'create' | 'update'): void {
  for (const r of rt.refs.values()) {
    if (!(r.field in input)) continue;
    const list = (input[r.field] ?? []) as { to?: string[] | null; uuid?: string | null; attr?: unknown }[];
    const seen = new Set<string>();
    const refs: StoredRef[] = [];
    for (const e of list) {
      let uuid = e.uuid ?? undefined;
      if (uuid) {
        const t = plan.typeOf(uuid);
        if (t !== r.target) {
          throw new NoIdError(`Bad reference in ${op}: ${r.target} ${uuid} not found`, 'REF_NOT_FOUND', { field: r.field, uuid });
        }
      } else {
        uuid = plan.uuidByFq(r.target, e.to ?? []);
        if (!uuid) {
          throw new NoIdError(`Bad reference in ${op}: ${r.target} ${fqNameRepr(e.to ?? [])} not found`, 'REF_NOT_FOUND', { field: r.field, to: e.to });
        }
      }
      if (seen.has(uuid)) throw new BadRequest(`Bad reference in ${op}: ${r.field} lists ${r.target} ${uuid} twice`, 'DUPLICATE_REF');
      seen.add(uuid);
      const target = plan.get(uuid)!;
      refs.push({ to: target.fq_name, uuid, attr: e.attr ?? null });
    }
    if (refs.length > 0) out[r.field] = refs;
    else delete out[r.field];
  }
}
