// How the transformer recognises what it derived. Every object it creates carries
// id_perms.creator = 'tf-schema-transformer'; a route target allocated for one virtual network also
// carries the annotation tf-transformer-owner = <vn uuid>. The transformer deletes or rewrites only
// objects with that mark, plus the two reference fields it owns on default routing instances
// (route_target_refs, routing_instance_refs), which the original's schema transformer owns as well.
import type { VncObject } from '../vnc/object.js';

export const CREATOR = 'tf-schema-transformer';
export const OWNER_KEY = 'tf-transformer-owner';

export function isDerived(obj: VncObject | undefined): boolean {
  return obj?.id_perms?.creator === CREATOR;
}

/** The virtual network a derived route target was allocated for (undefined: shared or not ours). */
export function ownerOf(obj: VncObject): string | undefined {
  if (!isDerived(obj)) return undefined;
  return obj.annotations?.key_value_pair?.find((kv) => kv.key === OWNER_KEY)?.value ?? undefined;
}

/** The fields that mark a create as ours. */
export function mark(owner?: string): Record<string, unknown> {
  return {
    id_perms: { creator: CREATOR },
    ...(owner === undefined ? {} : { annotations: { key_value_pair: [{ key: OWNER_KEY, value: owner }] } }),
  };
}
