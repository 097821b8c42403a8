// The native load-balancer object graph shared by Services and Ingresses (seed 004 appendix B):
// loadbalancer `<name>__<uid>` (uuid = the Kubernetes uid) → LB VMI `<name>__<vmi-uuid>` on the
// cluster network with the namespace's security groups, its instance-ip, listeners and pools
// `<lb>-<PROTO>-<port>-<listener-uuid>`, members, floating IPs. Creation and deletion orders keep
// every un-annotated object reachable from the annotated loadbalancer, so a crash at any point
// leaves nothing that a later reconcile cannot find.
import type { VncObject } from '../vnc/object.js';
import { OPENCONTRAIL_SAS, NATIVE_SAS } from './cluster.js';
import { derivedUuid, makeName, ROLE } from './names.js';
import type { ObjectSpec, Tx } from './tx.js';
import type { VncState } from './vnc-state.js';
import { refsOf } from './vnc-state.js';

export type LbProtocol = 'TCP' | 'UDP' | 'HTTP' | 'HTTPS' | 'TERMINATED_HTTPS';

export interface LbIdentity {
  uid: string;
  /** Kubernetes object name (service or ingress) */
  name: string;
  namespace: string;
  project: readonly string[];
}

export const lbName = (id: LbIdentity): string => makeName(id.name, id.uid);
export const lbVmiUuid = (id: Pick<LbIdentity, 'uid'>): string => derivedUuid(id.uid, ROLE.lbVmi);
export const lbIipUuid = (id: Pick<LbIdentity, 'uid'>): string => derivedUuid(id.uid, ROLE.lbIip);
export const lbVmiFq = (id: LbIdentity): string[] => [...id.project, makeName(id.name, lbVmiUuid(id))];
export const lbIipFq = (id: LbIdentity): string[] => [makeName(id.name, lbIipUuid(id))];

export function loadbalancerSpec(id: LbIdentity, provider: 'native' | 'opencontrail', vip: string | undefined, withVmi: boolean, annotations: unknown): ObjectSpec {
  return {
    type: 'loadbalancer',
    uuid: id.uid,
    fq_name: [...id.project, lbName(id)],
    parent_type: 'project',
    fields: {
      display_name: makeName(id.namespace, id.name),
      loadbalancer_provider: provider,
      service_appliance_set_refs: [{ to: provider === 'native' ? NATIVE_SAS : OPENCONTRAIL_SAS }],
      loadbalancer_properties: { provisioning_status: 'ACTIVE', operating_status: 'ONLINE', admin_state: true, vip_address: vip ?? null, vip_subnet_id: null, status: null },
      ...(withVmi ? { virtual_machine_interface_refs: [{ to: lbVmiFq(id) }] } : {}),
      annotations,
    },
  };
}

export function lbVmiSpec(id: LbIdentity, vn: readonly string[], securityGroups: readonly (readonly string[])[], deviceOwner: string): ObjectSpec {
  return {
    type: 'virtual-machine-interface',
    uuid: lbVmiUuid(id),
    fq_name: lbVmiFq(id),
    parent_type: 'project',
    fields: {
      display_name: makeName(id.namespace, id.name),
      virtual_network_refs: [{ to: [...vn] }],
      security_group_refs: securityGroups.map((to) => ({ to: [...to] })),
      virtual_machine_interface_device_owner: deviceOwner,
      port_security_enabled: true,
    },
  };
}

export function lbIipSpec(id: LbIdentity, vn: readonly string[], address: string | undefined): ObjectSpec {
  return {
    type: 'instance-ip',
    uuid: lbIipUuid(id),
    fq_name: lbIipFq(id),
    fields: {
      display_name: id.name,
      virtual_network_refs: [{ to: [...vn] }],
      virtual_machine_interface_refs: [{ to: lbVmiFq(id) }],
      ...(address ? { instance_ip_address: address } : {}),
    },
  };
}

export interface ListenerPort {
  protocol: LbProtocol;
  port: number;
}

export function listenerSpecs(id: LbIdentity, p: ListenerPort): { listener: ObjectSpec; pool: ObjectSpec } {
  const listenerUuid = derivedUuid(id.uid, ROLE.listener(p.protocol, p.port));
  const poolUuid = derivedUuid(id.uid, ROLE.pool(p.protocol, p.port));
  const name = `${lbName(id)}-${p.protocol}-${p.port}-${listenerUuid}`;
  const fq = [...id.project, name];
  return {
    listener: {
      type: 'loadbalancer-listener',
      uuid: listenerUuid,
      fq_name: fq,
      parent_type: 'project',
      fields: {
        display_name: name,
        loadbalancer_listener_properties: { protocol: p.protocol, protocol_port: p.port, admin_state: true, connection_limit: null, default_tls_container: null, sni_containers: [] },
        loadbalancer_refs: [{ to: [...id.project, lbName(id)] }],
      },
    },
    pool: {
      type: 'loadbalancer-pool',
      uuid: poolUuid,
      fq_name: fq,
      parent_type: 'project',
      fields: {
        display_name: name,
        loadbalancer_pool_properties: { protocol: p.protocol === 'TERMINATED_HTTPS' ? 'HTTP' : p.protocol, admin_state: true, loadbalancer_method: null, session_persistence: null, status: null, subnet_id: null },
        loadbalancer_listener_refs: [{ to: fq }],
      },
    },
  };
}

export function memberSpec(pool: ObjectSpec, uuid: string, port: number, annotations: Record<string, string>, address: string | null = null): ObjectSpec {
  return {
    type: 'loadbalancer-member',
    uuid,
    fq_name: [...pool.fq_name, uuid],
    parent_type: 'loadbalancer-pool',
    fields: {
      display_name: uuid,
      loadbalancer_member_properties: { weight: 1, admin_state: true, address, protocol_port: port, status: null, status_description: null },
      annotations: { key_value_pair: Object.entries(annotations).map(([key, value]) => ({ key, value })) },
    },
  };
}

/** Every object of a loadbalancer graph present in the cache, by kind. */
export function lbGraph(state: VncState, lb: VncObject): { listeners: VncObject[]; pools: VncObject[]; members: VncObject[]; vmis: VncObject[]; iips: VncObject[]; fips: VncObject[] } {
  const listeners = state.backRefs(lb.uuid, 'loadbalancer-listener');
  const pools = listeners.flatMap((l) => state.backRefs(l.uuid, 'loadbalancer-pool'));
  const members = pools.flatMap((p) => state.children(p.uuid, 'loadbalancer-member'));
  const vmis = new Map<string, VncObject>();
  for (const r of refsOf(lb, 'virtual_machine_interface_refs')) {
    const v = state.getTyped('virtual-machine-interface', r.uuid);
    if (v) vmis.set(v.uuid, v);
  }
  const derived = state.getTyped('virtual-machine-interface', derivedUuid(lb.uuid, ROLE.lbVmi));
  if (derived) vmis.set(derived.uuid, derived);
  const iips = new Map<string, VncObject>();
  for (const v of vmis.values()) for (const i of state.backRefs(v.uuid, 'instance-ip')) iips.set(i.uuid, i);
  const derivedIip = state.getTyped('instance-ip', derivedUuid(lb.uuid, ROLE.lbIip));
  if (derivedIip) iips.set(derivedIip.uuid, derivedIip);
  const fips = new Map<string, VncObject>();
  for (const v of vmis.values()) for (const f of state.backRefs(v.uuid, 'floating-ip')) fips.set(f.uuid, f);
  for (const i of iips.values()) for (const f of state.children(i.uuid, 'floating-ip')) fips.set(f.uuid, f);
  return { listeners, pools, members, vmis: [...vmis.values()], iips: [...iips.values()], fips: [...fips.values()] };
}

/** Deletes a loadbalancer and everything hanging off it; the annotated loadbalancer goes last. */
export async function deleteLoadBalancer(state: VncState, tx: Tx, lb: VncObject): Promise<void> {
  const g = lbGraph(state, lb);
  for (const m of g.members) await tx.delete('loadbalancer-member', m.uuid);
  for (const p of g.pools) await tx.delete('loadbalancer-pool', p.uuid);
  for (const l of g.listeners) await tx.delete('loadbalancer-listener', l.uuid);
  for (const f of g.fips) await tx.delete('floating-ip', f.uuid);
  for (const i of g.iips) await tx.delete('instance-ip', i.uuid);
  if (refsOf(lb, 'virtual_machine_interface_refs').length > 0) await tx.update('loadbalancer', lb.uuid, { virtual_machine_interface_refs: [] });
  for (const v of g.vmis) await tx.delete('virtual-machine-interface', v.uuid);
  await tx.delete('loadbalancer', lb.uuid);
}
