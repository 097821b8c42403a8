// security-group: security_group_id is allocated from 8000001 up in the create transaction
// (configured_security_group_id, when set, is used instead), and policy rules get rule_uuids.
import { PermissionDenied, ServiceUnavailableError } from '../../vnc/errors.js';
import { SG_ID_POOL } from '../keys.js';
import type { StoredObject } from '../mirror.js';
import type { TypeHooks, WriteContext } from '../write/context.js';
import { fillRuleUuids } from './common.js';

export const SG_ID_MIN = 8_000_001;
export const SG_ID_MAX = 4_294_967_295;

function assignId(ctx: WriteContext, sg: StoredObject): void {
  const configured = sg.configured_security_group_id as number | null | undefined;
  if (configured) {
    sg.security_group_id = configured;
    return;
  }
  const id = ctx.alloc.nextId(SG_ID_POOL, SG_ID_MIN, SG_ID_MAX);
  if (id === undefined) throw new ServiceUnavailableError('No security group ID left', 'ID_EXHAUSTED');
  ctx.plan.allocate(SG_ID_POOL, String(id), sg.uuid);
  sg.security_group_id = id;
}

export const securityGroupHooks: TypeHooks = {
  beforeCreate(ctx, sg) {
    if (sg.security_group_id !== undefined && sg.security_group_id !== null) {
      throw new PermissionDenied('Cannot set the security group ID', 'SG_ID_READONLY');
    }
    assignId(ctx, sg);
    fillRuleUuids(sg, 'security_group_entries');
  },
  beforeUpdate(ctx, next, prev) {
    const cfgChanged = (next.configured_security_group_id ?? 0) !== (prev.configured_security_group_id ?? 0);
    if (!cfgChanged && (next.security_group_id ?? null) !== (prev.security_group_id ?? null)) {
      throw new PermissionDenied('Cannot set the security group ID', 'SG_ID_READONLY');
    }
    if (cfgChanged) {
      for (const k of ctx.plan.mirror.allocationKeysOf(prev.uuid)) ctx.plan.rawDelete(k);
      assignId(ctx, next);
    }
    fillRuleUuids(next, 'security_group_entries');
  },
};
