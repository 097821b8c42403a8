// What the agent keeps of the objects it follows (pure). The change feed filters by type, so the agent's
// cache holds every pod's virtual-machine, interface and instance-ip of the cluster, almost all of them on
// other nodes. Of those three types it keeps only the fields config-view.ts reads (for any object: a pod
// of another node may become a service member or move here), and of their references only the uuid and
// attribute. The other types are few (networks, groups, ACLs, instances, floating IPs) and kept whole.
// docs/agent.md "Config at scale" has the figures.
import type { VncObject, VncRef } from '../vnc/object.js';

const KEEP: Readonly<Record<string, readonly string[]>> = {
  'virtual-machine': ['display_name', 'annotations'],
  'virtual-machine-interface': [
    'annotations', 'virtual_machine_interface_mac_addresses', 'virtual_machine_interface_device_owner', 'port_security_enabled',
    'virtual_network_refs', 'virtual_machine_refs', 'security_group_refs',
  ],
  'instance-ip': ['instance_ip_address', 'instance_ip_secondary', 'subnet_uuid', 'virtual_network_refs', 'virtual_machine_interface_refs'],
};

/** Annotation keys read from virtual machines (the pod's name as kube-manager records it). */
const VM_ANNOTATIONS = new Set(['cluster', 'namespace', 'name']);

const NO_NAME: readonly string[] = Object.freeze([]);

function slimRefs(v: unknown): unknown {
  if (!Array.isArray(v)) return v;
  return (v as VncRef<unknown>[]).map((r) => ({ to: NO_NAME, uuid: r.uuid, attr: r.attr ?? null }));
}

/** The object reduced to what the agent reads (VncCache `project` option); other types unchanged. */
export function slimForAgent(obj: VncObject, type: string): VncObject {
  const keep = KEEP[type];
  if (!keep) return obj;
  const out: VncObject = { uuid: obj.uuid, fq_name: obj.fq_name };
  if (obj.parent_type !== undefined) out.parent_type = obj.parent_type;
  if (obj.parent_uuid !== undefined) out.parent_uuid = obj.parent_uuid;
  const lm = obj.id_perms?.last_modified;
  if (lm) out.id_perms = { last_modified: lm };
  for (const k of keep) {
    const v = obj[k];
    if (v === undefined || v === null) continue;
    out[k] = k.endsWith('_refs') ? slimRefs(v) : v;
  }
  if (type === 'virtual-machine' && obj.annotations?.key_value_pair) {
    out.annotations = { key_value_pair: obj.annotations.key_value_pair.filter((kv) => kv.key !== undefined && kv.key !== null && VM_ANNOTATIONS.has(kv.key)) };
  }
  return out;
}
