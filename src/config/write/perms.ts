// id_perms and perms2 defaults, as the original fills them on create and keeps them on update.
import type { IdPermsType, PermType2 } from '../../vnc/schema/objects.js';
import { timestamp, uuidHalves } from '../ids.js';

export function createIdPerms(uuid: string, given: IdPermsType | null | undefined, now = timestamp()): IdPermsType {
  const g = given ?? {};
  return {
    enable: g.enable ?? true,
    description: g.description ?? null,
    creator: g.creator ?? null,
    created: now,
    uuid: uuidHalves(uuid),
    user_visible: g.user_visible ?? true,
    last_modified: now,
    permissions: {
      owner: 'cloud-admin',
      owner_access: 7,
      other_access: 7,
      group: 'cloud-admin-group',
      group_access: 7,
      ...(g.permissions ?? {}),
    },
  };
}

/** Update: caller-settable fields may change; uuid and created stay; last_modified moves. */
export function updateIdPerms(prev: IdPermsType, given: IdPermsType | null | undefined, now = timestamp()): IdPermsType {
  const g = given ?? {};
  return {
    ...prev,
    ...(g.enable !== undefined && g.enable !== null ? { enable: g.enable } : {}),
    ...(g.description !== undefined ? { description: g.description } : {}),
    ...(g.user_visible !== undefined && g.user_visible !== null ? { user_visible: g.user_visible } : {}),
    ...(g.permissions ? { permissions: { ...prev.permissions, ...g.permissions } } : {}),
    uuid: prev.uuid,
    created: prev.created,
    last_modified: now,
  };
}

export function createPerms2(given: PermType2 | null | undefined): PermType2 {
  const g = given ?? {};
  return {
    owner: g.owner ?? 'cloud-admin',
    owner_access: g.owner_access ?? 7,
    global_access: g.global_access ?? 0,
    share: g.share ?? [],
  };
}

export function updatePerms2(prev: PermType2, given: PermType2 | null | undefined): PermType2 {
  if (!given) return prev;
  return {
    owner: given.owner ?? prev.owner,
    owner_access: given.owner_access ?? prev.owner_access,
    global_access: given.global_access ?? prev.global_access,
    share: given.share ?? prev.share,
  };
}
