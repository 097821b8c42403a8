// An in-memory World for the transformer's pure rule modules: plain objects in, the same answers
// the cache-backed World gives (listersOf evaluated over every network, as the live index
// converges to).
import type { VncObject } from '../../src/vnc/object.js';
import type { LogicalRouter, NetworkPolicy, SecurityGroup, VirtualMachineInterface, VirtualNetwork } from '../../src/vnc/schema.js';
import { wanted } from '../../src/transformer/connectivity.js';
import { fqStr, type World } from '../../src/transformer/world.js';

export interface MemObjects {
  vns?: VirtualNetwork[];
  policies?: NetworkPolicy[];
  sgs?: SecurityGroup[];
  routers?: LogicalRouter[];
  vmis?: VirtualMachineInterface[];
}

export function memWorld(o: MemObjects): World {
  const vns = o.vns ?? [];
  const policies = o.policies ?? [];
  const byUuid = new Map<string, VncObject>([...vns, ...policies, ...(o.sgs ?? []), ...(o.routers ?? []), ...(o.vmis ?? [])].map((x) => [x.uuid, x]));
  const world: World = {
    vn: (u) => vns.find((v) => v.uuid === u),
    vnByFq: (fq) => vns.find((v) => fqStr(v.fq_name) === fq),
    policy: (u) => policies.find((p) => p.uuid === u),
    policyByFq: (fq) => policies.find((p) => fqStr(p.fq_name) === fq),
    vnsAttachedTo: (pu) => vns.filter((v) => (v.network_policy_refs ?? []).some((r) => r.uuid === pu)),
    vnsInProject: (pu) => vns.filter((v) => v.parent_uuid === pu),
    listersOf: (fq) => vns.filter((v) => wanted(v, world).names.has(fq)).map((v) => v.uuid),
    routersOf: (vu) =>
      (o.routers ?? []).filter((lr) => (lr.virtual_machine_interface_refs ?? []).some((r) => ((byUuid.get(r.uuid) as VirtualMachineInterface | undefined)?.virtual_network_refs ?? []).some((n) => n.uuid === vu))),
    routerVns: (lr) =>
      (lr.virtual_machine_interface_refs ?? []).flatMap((r) => ((byUuid.get(r.uuid) as VirtualMachineInterface | undefined)?.virtual_network_refs ?? []).map((n) => byUuid.get(n.uuid) as VirtualNetwork)),
    sgByFq: (fq) => (o.sgs ?? []).find((s) => fqStr(s.fq_name) === fq),
  };
  return world;
}

let seq = 0;
const id = (): string => `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`;

export function vn(fq: string, extra: Partial<VirtualNetwork> = {}, policies: NetworkPolicy[] = []): VirtualNetwork {
  const parts = fq.split(':');
  return {
    uuid: id(),
    fq_name: parts,
    parent_uuid: `project:${parts.slice(0, -1).join(':')}`,
    network_policy_refs: policies.map((p, i) => ({ to: p.fq_name, uuid: p.uuid, attr: { sequence: { major: i, minor: 0 } } })),
    ...extra,
  };
}

export function policy(fq: string, rules: NonNullable<NetworkPolicy['network_policy_entries']>['policy_rule']): NetworkPolicy {
  return { uuid: id(), fq_name: fq.split(':'), network_policy_entries: { policy_rule: rules } };
}
