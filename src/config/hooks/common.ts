// Helpers shared by the type hooks.
import { RefsExistError } from '../../vnc/errors.js';
import { fqNameToString } from '../../vnc/schema.js';
import { newUuid } from '../ids.js';
import { objType, type StoredObject } from '../mirror.js';
import type { PolicyEntriesType } from '../../vnc/schema/objects.js';

/** The original's CANNOT_MODIFY_MSG: "Cannot modify system resource Routing Instance a:b:c(uuid)". */
export function systemResource(obj: StoredObject): RefsExistError {
  const title = objType(obj)
    .split('-')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join(' ');
  return new RefsExistError(`Cannot modify system resource ${title} ${fqNameToString(obj.fq_name)}(${obj.uuid})`, 'SYSTEM_RESOURCE');
}

/** Gives every policy rule without one a rule_uuid, as the original does. */
export function fillRuleUuids(obj: StoredObject, field: string): void {
  const entries = obj[field] as PolicyEntriesType | null | undefined;
  if (!entries?.policy_rule?.some((r) => !r.rule_uuid)) return;
  obj[field] = { ...entries, policy_rule: entries.policy_rule.map((r) => (r.rule_uuid ? r : { ...r, rule_uuid: newUuid() })) };
}

export function firstRef(obj: StoredObject, field: string): { uuid: string; to: string[] } | undefined {
  const list = obj[field] as { uuid: string; to: string[] }[] | undefined | null;
  return list?.[0];
}
