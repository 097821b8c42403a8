// The objects every deployment has after the first start, as the original's db_init: the
// default domain and project, the global system and vrouter configs (AS 64512), the default IPAM,
// the ip-fabric and __link_local__ networks with their default routing instances, the fabric's
// master instance __default__ (parent of bgp-router objects) and the native service appliance set.
// Creating them is idempotent and safe when several API processes start together.
import { RefsExistError } from '../vnc/errors.js';
import type { ConfigService } from './service.js';

export const DEFAULT_AS = 64512;

export const DEFAULT_OBJECTS: readonly (readonly [string, Record<string, unknown>])[] = [
  ['config-root', { fq_name: ['config-root'] }],
  ['domain', { fq_name: ['default-domain'] }],
  ['project', { fq_name: ['default-domain', 'default-project'], parent_type: 'domain' }],
  ['global-system-config', { fq_name: ['default-global-system-config'], autonomous_system: DEFAULT_AS }],
  [
    'global-vrouter-config',
    {
      fq_name: ['default-global-system-config', 'default-global-vrouter-config'],
      parent_type: 'global-system-config',
      encapsulation_priorities: { encapsulation: ['VXLAN', 'MPLSoUDP', 'MPLSoGRE'] },
      vxlan_network_identifier_mode: 'automatic',
      forwarding_mode: 'l2_l3',
    },
  ],
  ['network-ipam', { fq_name: ['default-domain', 'default-project', 'default-network-ipam'], parent_type: 'project' }],
  [
    'virtual-network',
    {
      fq_name: ['default-domain', 'default-project', 'ip-fabric'],
      parent_type: 'project',
      virtual_network_properties: { forwarding_mode: 'l3' },
    },
  ],
  ['routing-instance', { fq_name: ['default-domain', 'default-project', 'ip-fabric', '__default__'], parent_type: 'virtual-network' }],
  ['virtual-network', { fq_name: ['default-domain', 'default-project', '__link_local__'], parent_type: 'project' }],
  ['service-appliance-set', { fq_name: ['default-global-system-config', 'native'], parent_type: 'global-system-config' }],
];

/** Creates whatever default object is missing; returns how many were created. */
export async function ensureDefaults(service: ConfigService): Promise<number> {
  let created = 0;
  for (const [type, body] of DEFAULT_OBJECTS) {
    await service.sync();
    if (service.mirror.uuidByFq(type, (body.fq_name as string[]).join(':'))) continue;
    try {
      await service.create(type, body, { internal: true });
      created++;
    } catch (err) {
      if (!(err instanceof RefsExistError && err.code === 'ALREADY_EXISTS')) throw err;
    }
  }
  return created;
}
