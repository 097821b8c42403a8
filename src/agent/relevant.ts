// Which config changes can concern this node (pure over the cache): the agent follows whole types, so most
// events of a large cluster are about pods of other nodes; those need no recompute of the node's model.
// A virtual-router concerns the node when it is its own; a virtual-machine when the node's virtual-router
// references it; an interface when its virtual machine does, or when a floating IP names it (a service
// member anywhere: ClusterIP DNAT happens at the source node); an instance-ip when its interface concerns
// the node, or when it holds a floating IP (a service VIP). Every other type (networks, IPAMs, instances,
// groups, ACLs, floating IPs, pools, the global config) always does. An update concerns the node when the
// old or the new version does, so a pod that leaves the node is seen leaving.
import type { ConfigReader } from './config-view.js';
import type { VncObject } from '../vnc/object.js';
import { VROUTER_PARENT } from './config-view.js';

const refUuids = (v: unknown): string[] => (Array.isArray(v) ? (v as { uuid: string }[]).map((r) => r.uuid) : []);

function ownVms(c: ConfigReader, node: string): Set<string> {
  return new Set(refUuids(c.getByFqName('virtual-router', [VROUTER_PARENT, node])?.virtual_machine_refs));
}

function interfaceConcerns(c: ConfigReader, vmi: VncObject, vms: () => Set<string>): boolean {
  if (c.backRefs(vmi.uuid, 'floating-ip').length > 0) return true;
  const own = vms();
  return refUuids(vmi.virtual_machine_refs).some((u) => own.has(u));
}

export function concernsNode(c: ConfigReader, node: string, type: string, obj: VncObject): boolean {
  let vms: Set<string> | undefined;
  const own = () => (vms ??= ownVms(c, node));
  switch (type) {
    case 'virtual-router':
      return obj.fq_name[0] === VROUTER_PARENT && obj.fq_name[1] === node;
    case 'virtual-machine':
      return own().has(obj.uuid);
    case 'virtual-machine-interface':
      return interfaceConcerns(c, obj, own);
    case 'instance-ip': {
      if (c.children(obj.uuid, 'floating-ip').length > 0) return true;
      return refUuids(obj.virtual_machine_interface_refs).some((u) => {
        const vmi = c.get(u);
        return vmi !== undefined && interfaceConcerns(c, vmi, own);
      });
    }
    default:
      return true;
  }
}
