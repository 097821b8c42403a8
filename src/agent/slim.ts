// What the agent keeps of the objects it follows. The change feed filters by type, so the agent's cache
// holds every pod's virtual-machine, interface and instance-ip of the cluster, almost all of them on other
// nodes. Of those three types it keeps only the fields config-view.ts reads (for any object: a pod of
// another node may become a service member, or be scheduled here), of their references only the uuid and
// attribute, and one copy of the strings many objects repeat (fq_name prefixes — domain, project —,
// annotation keys and the values of the annotations every pod carries, the uuids of networks and security
// groups they reference). The other types are few (networks, groups, ACLs, instances, floating IPs) and
// kept whole. docs/agent.md "Config at scale" has the figures.
import type { VncObject, VncRef } from '../vnc/object.js';
import type { KeyValuePair } from '../vnc/schema.js';

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
/** Annotations whose values repeat across pods (one copy kept). */
const SHARED_VALUES = new Set(['cluster', 'namespace', 'kind', 'owner', 'project']);
/** References whose targets are few (one copy of the uuid kept). */
const SHARED_REFS = new Set(['virtual_network_refs', 'security_group_refs']);
/** Bound on the strings kept for sharing. */
const MAX_SHARED = 200_000;

const NO_NAME: string[] = Object.freeze([]) as unknown as string[];

export type Slimmer = (obj: VncObject, type: string) => VncObject;

/** A projection for the agent's VncCache (its `project` option), with its own table of shared strings. */
export function createSlimmer(): Slimmer {
  const shared = new Map<string, string>();
  const one = (s: string): string => {
    const have = shared.get(s);
    if (have !== undefined) return have;
    if (shared.size < MAX_SHARED) shared.set(s, s);
    return s;
  };
  const refs = (field: string, v: unknown): unknown => {
    if (!Array.isArray(v)) return v;
    const share = SHARED_REFS.has(field);
    return (v as VncRef<unknown>[]).map((r) => ({ to: NO_NAME, uuid: share ? one(r.uuid) : r.uuid, attr: r.attr ?? null }));
  };
  const pairs = (kvs: readonly KeyValuePair[], keep?: ReadonlySet<string>): KeyValuePair[] =>
    kvs
      .filter((kv) => typeof kv.key === 'string' && (!keep || keep.has(kv.key)))
      .map((kv) => ({ key: one(kv.key!), value: typeof kv.value === 'string' && SHARED_VALUES.has(kv.key!) ? one(kv.value) : kv.value }));

  return (obj, type) => {
    const keep = KEEP[type];
    if (!keep) return obj;
    const fq = obj.fq_name;
    const out: VncObject = { uuid: obj.uuid, fq_name: fq.map((p, i) => (i < fq.length - 1 ? one(p) : p)) };
    if (obj.parent_type !== undefined) out.parent_type = one(obj.parent_type);
    if (obj.parent_uuid !== undefined) out.parent_uuid = one(obj.parent_uuid);
    const lm = obj.id_perms?.last_modified;
    if (lm) out.id_perms = { last_modified: lm };
    for (const k of keep) {
      const v = obj[k];
      if (v === undefined || v === null) continue;
      out[k] = k.endsWith('_refs') ? refs(k, v) : v;
    }
    const kvs = obj.annotations?.key_value_pair;
    if (kvs) out.annotations = { key_value_pair: pairs(kvs, type === 'virtual-machine' ? VM_ANNOTATIONS : undefined) };
    return out;
  };
}

/** The object reduced to what the agent reads (a slimmer of its own; tests and one-off use). */
export function slimForAgent(obj: VncObject, type: string): VncObject {
  return createSlimmer()(obj, type);
}
