// What type hooks and the create/update/delete pipelines share while building one plan.
import type { Allocators } from '../alloc/allocators.js';
import type { StoredObject } from '../mirror.js';
import type { Plan } from '../plan.js';

export interface WriteContext {
  readonly plan: Plan;
  readonly alloc: Allocators;
  /** requests made by the API itself (default objects, cascades) may touch system objects */
  readonly internal: boolean;
  /** the fq_names of the system objects that external requests may not delete */
  readonly protectedFq: ReadonlySet<string>;
  /** creates another object in the same plan (e.g. a VN's default routing instance) */
  createNested(type: string, input: Record<string, unknown>): StoredObject;
  /** deletes another object in the same plan */
  deleteNested(uuid: string): void;
}

/** Per-type behaviour: validation, allocation and side objects, called by the pipelines. */
export interface TypeHooks {
  /** before the new object is recorded: validate, allocate, fill server-assigned fields */
  beforeCreate?(ctx: WriteContext, obj: StoredObject): void;
  /** after it is recorded: create owned objects */
  afterCreate?(ctx: WriteContext, obj: StoredObject): void;
  beforeUpdate?(ctx: WriteContext, next: StoredObject, prev: StoredObject): void;
  /** before an object is removed (not called for cascaded derived children) */
  beforeDelete?(ctx: WriteContext, obj: StoredObject): void;
}
