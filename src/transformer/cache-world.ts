// The World of the rule modules over the informer cache. `listersOf` comes from the transformer's
// own index of what each network's policies name (it needs every network's policies evaluated).
import type { VncCache } from '../vnc/cache.js';
import type { LogicalRouter, NetworkPolicy, VirtualMachineInterface, VirtualNetwork } from '../vnc/schema.js';
import type { World } from './world.js';

const split = (fq: string): string[] => fq.split(':');

export function cacheWorld(cache: VncCache, listersOf: (fq: string) => Iterable<string>): World {
  const typed = <T>(uuid: string, type: string): T | undefined => (cache.typeOf(uuid) === type ? (cache.get(uuid) as T) : undefined);
  return {
    vn: (uuid) => typed<VirtualNetwork>(uuid, 'virtual-network'),
    vnByFq: (fq) => cache.getByFqName('virtual-network', split(fq)),
    policy: (uuid) => typed<NetworkPolicy>(uuid, 'network-policy'),
    policyByFq: (fq) => cache.getByFqName('network-policy', split(fq)),
    vnsAttachedTo: (policyUuid) => cache.backRefs(policyUuid, 'virtual-network'),
    vnsInProject: (projectUuid) => cache.children(projectUuid, 'virtual-network'),
    listersOf,
    routersOf(vnUuid) {
      const out = new Map<string, LogicalRouter>();
      for (const vmi of cache.backRefs(vnUuid, 'virtual-machine-interface')) {
        for (const lr of cache.backRefs(vmi.uuid, 'logical-router')) out.set(lr.uuid, lr);
      }
      return [...out.values()];
    },
    routerVns(lr) {
      const out = new Map<string, VirtualNetwork>();
      for (const ref of lr.virtual_machine_interface_refs ?? []) {
        const vmi = typed<VirtualMachineInterface>(ref.uuid, 'virtual-machine-interface');
        for (const vnRef of vmi?.virtual_network_refs ?? []) {
          const vn = typed<VirtualNetwork>(vnRef.uuid, 'virtual-network');
          if (vn) out.set(vn.uuid, vn);
        }
      }
      return [...out.values()];
    },
    sgByFq: (fq) => cache.getByFqName('security-group', split(fq)),
  };
}
