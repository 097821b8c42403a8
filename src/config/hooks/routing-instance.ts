// routing-instance: default routing instances belong to their VN; only the API creates, changes
// the flag of, or deletes them (409 otherwise), as the original's _check_default_routing_instance.
import type { TypeHooks } from '../write/context.js';
import { systemResource } from './common.js';

export const routingInstanceHooks: TypeHooks = {
  beforeCreate(ctx, obj) {
    if (obj.routing_instance_is_default === true && !ctx.internal) throw systemResource(obj);
  },
  beforeUpdate(ctx, next, prev) {
    if (!ctx.internal && (next.routing_instance_is_default ?? false) !== (prev.routing_instance_is_default ?? false)) throw systemResource(prev);
  },
  beforeDelete(ctx, obj) {
    if (obj.routing_instance_is_default === true && !ctx.internal) throw systemResource(obj);
  },
};
