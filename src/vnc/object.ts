// The generic shape of a VNC object on the wire, shared by the server, the client and the cache.
import type { IdPermsType, KeyValuePairs, PermType2 } from './schema/objects.js';

/** A reference (or back-reference, or child link): `to` is the fq_name of the other end. */
export interface VncRef<A = unknown> {
  to: string[];
  uuid: string;
  href?: string;
  attr?: A | null;
}

export type VncObjectBase = {
  uuid: string;
  fq_name: string[];
  name?: string;
  href?: string;
  parent_type?: string;
  parent_uuid?: string;
  parent_href?: string;
  display_name?: string | null;
  id_perms?: IdPermsType | null;
  perms2?: PermType2 | null;
  annotations?: KeyValuePairs | null;
};

/** Any VNC object: the base fields plus properties, `*_refs`, `*_back_refs` and children. */
export type VncObject = VncObjectBase & { [field: string]: unknown };

/** What a create or update sends: fq_name (create) plus any properties and refs. uuid optional. */
export interface VncObjectInput {
  fq_name?: string[];
  uuid?: string;
  parent_type?: string;
  [field: string]: unknown;
}
