// The config objects `tfctl lab up` writes once the config API answers (what the original's
// provision_control / provision_mx scripts and a user on the web UI would do):
//  - graceful restart on in global-system-config (off by default in the original): control nodes keep
//    a restarting agent's routes (stale) until it is back, so an agent restart is hitless,
//  - one bgp-router per control node (router_type control-node, its underlay address and BGP port),
//  - the gateway's bgp-router (router_type router, inet for the public floating-IP routes plus
//    inet-vpn and route-target) linked to every control node by bgp_router_refs (the sessions),
//  - the public network default-domain:default:public (router_external, the lab's public subnet) and
//    its floating-ip-pool public-fip-pool, which kube-manager's public_fip_pool names.
// Virtual-routers are registered by the agents themselves. Idempotent: objects in the wanted state are
// left alone, so a second run writes nothing.
import type { VncClient } from '../vnc/client.js';
import { NoIdError } from '../vnc/errors.js';
import type { VncObjectInput } from '../vnc/object.js';

export const MASTER_RI = ['default-domain', 'default-project', 'ip-fabric', '__default__'];
export const PUBLIC_PROJECT = ['default-domain', 'default'];
export const PUBLIC_NETWORK = [...PUBLIC_PROJECT, 'public'];
export const PUBLIC_POOL = [...PUBLIC_NETWORK, 'public-fip-pool'];
export const DEFAULT_IPAM = ['default-domain', 'default-project', 'default-network-ipam'];

export interface ProvisionSpec {
  readonly asn: number;
  readonly controls: readonly { readonly name: string; readonly address: string; readonly port: number }[];
  readonly gateway: { readonly name: string; readonly address: string; readonly port: number };
  /** public floating-IP subnet, e.g. 198.51.100.0/24 */
  readonly publicSubnet: string;
  /** graceful restart: seconds a restarting peer's routes are kept; 0 leaves it off */
  readonly gracefulRestartTime?: number;
}

export interface ProvisionWrite {
  readonly type: string;
  readonly fq_name: string;
  readonly action: 'created' | 'updated';
}

/** The objects as the API takes them, in creation order. Pure. */
export function provisionObjects(s: ProvisionSpec): { type: string; body: VncObjectInput & { fq_name: string[] } }[] {
  const [ip, len] = s.publicSubnet.split('/');
  const gr = s.gracefulRestartTime ?? 0;
  return [
    ...(gr > 0
      ? [{
        type: 'global-system-config',
        body: {
          fq_name: ['default-global-system-config'],
          graceful_restart_parameters: { enable: true, restart_time: gr, end_of_rib_timeout: 30, bgp_helper_enable: true, xmpp_helper_enable: true },
        },
      }]
      : []),
    ...s.controls.map((c) => ({
      type: 'bgp-router',
      body: {
        fq_name: [...MASTER_RI, c.name],
        parent_type: 'routing-instance',
        bgp_router_parameters: {
          router_type: 'control-node', vendor: 'contrail', address: c.address, identifier: c.address,
          autonomous_system: s.asn, port: c.port, hold_time: 90,
          address_families: { family: ['route-target', 'inet-vpn', 'e-vpn'] },
        },
      },
    })),
    {
      type: 'bgp-router',
      body: {
        fq_name: [...MASTER_RI, s.gateway.name],
        parent_type: 'routing-instance',
        bgp_router_parameters: {
          router_type: 'router', vendor: 'bird', address: s.gateway.address, identifier: s.gateway.address,
          autonomous_system: s.asn, port: s.gateway.port, hold_time: 90,
          address_families: { family: ['inet', 'inet-vpn', 'route-target'] },
        },
        bgp_router_refs: s.controls.map((c) => ({ to: [...MASTER_RI, c.name], attr: { session: [] } })),
      },
    },
    { type: 'project', body: { fq_name: [...PUBLIC_PROJECT], parent_type: 'domain' } },
    {
      type: 'virtual-network',
      body: {
        fq_name: [...PUBLIC_NETWORK],
        parent_type: 'project',
        router_external: true,
        virtual_network_properties: { forwarding_mode: 'l3' },
        network_ipam_refs: [{ to: [...DEFAULT_IPAM], attr: { ipam_subnets: [{ subnet: { ip_prefix: ip, ip_prefix_len: Number(len) } }] } }],
      },
    },
    { type: 'floating-ip-pool', body: { fq_name: [...PUBLIC_POOL], parent_type: 'virtual-network' } },
  ];
}

/** Does the stored object already carry every wanted field (refs compared by target name)? Pure. */
export function inWantedState(have: Record<string, unknown>, want: Record<string, unknown>): boolean {
  for (const [k, v] of Object.entries(want)) {
    if (k === 'fq_name' || k === 'parent_type') continue;
    if (k.endsWith('_refs')) {
      const names = (x: unknown): string[] => (Array.isArray(x) ? x.map((r) => ((r as { to: string[] }).to ?? []).join(':')).sort() : []);
      if (JSON.stringify(names(have[k])) !== JSON.stringify(names(v))) return false;
      continue;
    }
    if (!covers(have[k], v)) return false;
  }
  return true;
}

function covers(have: unknown, want: unknown): boolean {
  if (want === null || typeof want !== 'object') return have === want;
  if (Array.isArray(want)) return Array.isArray(have) && have.length === want.length && want.every((w, i) => covers(have[i], w));
  if (have === null || typeof have !== 'object') return false;
  return Object.entries(want).every(([k, v]) => covers((have as Record<string, unknown>)[k], v));
}

/** Writes what is missing or different; returns the writes made. */
export async function provision(client: VncClient, s: ProvisionSpec): Promise<ProvisionWrite[]> {
  const writes: ProvisionWrite[] = [];
  for (const { type, body } of provisionObjects(s)) {
    let have: Record<string, unknown> | undefined;
    try {
      have = await client.readByFqName(type, body.fq_name);
    } catch (err) {
      if (!(err instanceof NoIdError)) throw err;
    }
    if (!have) {
      await client.create(type, body);
      writes.push({ type, fq_name: body.fq_name.join(':'), action: 'created' });
    } else if (type !== 'project' && !inWantedState(have, body)) {
      const { fq_name: _f, parent_type: _p, ...fields } = body;
      await client.update(type, String(have.uuid), fields);
      writes.push({ type, fq_name: body.fq_name.join(':'), action: 'updated' });
    }
  }
  return writes;
}
