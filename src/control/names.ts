// Names the control node shares with the original: the master routing instance, the table names of
// the master instance and of every VRF, and the introspect module id.
import type { Family } from '../bgp/wire/constants.js';

/** The fabric's master instance: holds inet.0, bgp.l3vpn.0, bgp.rtarget.0 and bgp.evpn.0. */
export const MASTER_INSTANCE = 'default-domain:default-project:ip-fabric:__default__';
export const MASTER_FQ_NAME: readonly string[] = MASTER_INSTANCE.split(':');

/** Tables of the master instance (the BGP speaker's own tables), in display order. */
export const MASTER_TABLES: Readonly<Record<Family, string>> = {
  inet: 'inet.0',
  'inet-vpn': 'bgp.l3vpn.0',
  'route-target': 'bgp.rtarget.0',
  'e-vpn': 'bgp.evpn.0',
};

export const MODULE_ID = 'contrail-control';

/** VRF table families (the original's `<ri>.inet.0` and `<ri>.evpn.0`). */
export type VrfFamily = 'inet' | 'evpn';

export function vrfTableName(instance: string, family: VrfFamily): string {
  return `${instance}.${family}.0`;
}

/** Splits a table name into its instance and family part: `a:b:c:d.inet.0` → [a:b:c:d, inet]. */
export function splitTableName(table: string): { instance: string; family: string } | undefined {
  for (const [f, name] of Object.entries(MASTER_TABLES)) if (table === name) return { instance: MASTER_INSTANCE, family: f };
  const m = /^(.+)\.(inet|evpn)\.0$/.exec(table);
  return m ? { instance: m[1], family: m[2] === 'evpn' ? 'e-vpn' : 'inet' } : undefined;
}
