// Pod → virtual-machine `<pod>__<pod-uid>` (uuid = pod uid), virtual-machine-interface
// `<pod>__<vmi-uuid>` in the namespace's project on the pod's network with the namespace's security
// groups (and those NetworkPolicies attach), instance-ip `<pod>__<iip-uuid>` from the network's
// pod-ipam subnet, and the virtual-router `<spec.nodeName>` → VM reference (seed 004 A.4). The
// network: pod annotation `opencontrail.org/network` > namespace annotation > the namespace's
// isolated `<ns>-vn` > cluster-network. The virtual-router link is made by the node's key (node.ts). Objects of an older pod of the same name, of a deleted or
// finished pod, are removed (instance IPs first, the VM last).
import type { V1Pod } from '@kubernetes/client-node';
import { RefsExistError, VncError } from '../vnc/errors.js';
import type { VncObject } from '../vnc/object.js';
import { ownerAnnotations } from './annotations.js';
import { parseFqDictAnnotation } from './config.js';
import { ANNOTATION, KEY, type Ctx } from './context.js';
import { InputError, NotReadyError } from './errors.js';
import { derivedUuid, displayName, fqKey, isolatedVnName, makeName, nsDefaultSgName, nsSgName, podVmName, projectOf, ROLE } from './names.js';
import { namespaceNetworking } from './namespace.js';
import { podPolicySecurityGroups } from './network-policy/attach.js';
import type { ObjectSpec, Tx } from './tx.js';
import { refsOf } from './vnc-state.js';

export const VIRTUAL_ROUTER_PARENT = 'default-global-system-config';

export interface PodNetwork {
  vn: string[];
  /** subnet_uuid of the VN's pod-ipam subnet (undefined: allocate as the VN's mode says) */
  subnetUuid?: string;
}

/** A pod that should have no VNC objects: gone, finished, or on the host's network. */
export function podWantsInterface(pod: V1Pod | undefined): pod is V1Pod {
  if (!pod?.metadata?.uid) return false;
  if (pod.spec?.hostNetwork) return false;
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

/** Decides the pod's network; InputError for malformed annotations, NotReady for a missing namespace VN. */
export function podNetwork(ctx: Ctx, pod: V1Pod): PodNetwork {
  const nsName = pod.metadata?.namespace ?? 'default';
  const podAnn = pod.metadata?.annotations?.[ANNOTATION.network];
  let vn: string[] | undefined;
  if (podAnn !== undefined && podAnn.trim() !== '') {
    try {
      vn = parseFqDictAnnotation(podAnn, ['domain', 'project', 'name'], ctx.names.domain);
    } catch (err) {
      throw new InputError('KM_BAD_ANNOTATION', 'InvalidAnnotation', `annotation ${ANNOTATION.network}: ${(err as Error).message}`);
    }
  }
  if (!vn) {
    const ns = ctx.k8s.namespaces.get(undefined, nsName);
    if (!ns) throw new NotReadyError(`namespace ${nsName} not seen yet`);
    const net = namespaceNetworking(ns, ctx.names.domain);
    if (net.network) vn = net.network;
    else if (net.isolated) vn = [...projectOf(ctx.names, nsName), isolatedVnName(nsName)];
    else vn = [...ctx.cluster.network];
  }
  const vnObj = ctx.vnc.byFq('virtual-network', vn);
  if (!vnObj) {
    const custom = fqKey(vn) !== fqKey(ctx.cluster.network) && fqKey(vn) !== fqKey([...projectOf(ctx.names, nsName), isolatedVnName(nsName)]);
    if (custom) throw new InputError('KM_NETWORK_NOT_FOUND', 'NetworkNotFound', `virtual network ${vn.join(':')} (annotation ${ANNOTATION.network}) does not exist`);
    throw new NotReadyError(`virtual network ${vn.join(':')} not created yet`);
  }
  const podIpamRef = refsOf(vnObj, 'network_ipam_refs').find((r) => fqKey(r.to) === fqKey(ctx.cluster.podIpam));
  const subnets = (podIpamRef?.attr as { ipam_subnets?: { subnet_uuid?: string }[] } | null | undefined)?.ipam_subnets ?? [];
  return { vn, subnetUuid: subnets[0]?.subnet_uuid ?? undefined };
}

/** The VM, VMI and instance-ip a pod should have. Pure given its inputs. */
export function podSpecs(ctx: Pick<Ctx, 'names' | 'owner'>, pod: V1Pod, net: PodNetwork, securityGroups: readonly (readonly string[])[]): { vm: ObjectSpec; vmi: ObjectSpec; iip: ObjectSpec } {
  const ns = pod.metadata!.namespace ?? 'default';
  const name = pod.metadata!.name!;
  const uid = pod.metadata!.uid!;
  const project = projectOf(ctx.names, ns);
  const ann = (extra: Record<string, string> = {}) => ownerAnnotations(ctx.owner, 'Pod', project[1], ns, name, extra);
  const vmFq = [podVmName(name, uid)];
  const vmiUuid = derivedUuid(uid, ROLE.podVmi);
  const iipUuid = derivedUuid(uid, ROLE.podIip);
  const vmiFq = [...project, makeName(name, vmiUuid)];
  return {
    vm: {
      type: 'virtual-machine',
      uuid: uid,
      fq_name: vmFq,
      fields: {
        display_name: displayName(ns, name),
        server_type: 'container',
        annotations: ann({ labels: JSON.stringify(pod.metadata?.labels ?? {}), k8s_uuid: uid }),
      },
    },
    vmi: {
      type: 'virtual-machine-interface',
      uuid: vmiUuid,
      fq_name: vmiFq,
      parent_type: 'project',
      fields: {
        display_name: displayName(ns, name),
        virtual_network_refs: [{ to: net.vn }],
        virtual_machine_refs: [{ to: vmFq }],
        security_group_refs: securityGroups.map((to) => ({ to: [...to] })),
        port_security_enabled: true,
        annotations: ann(),
      },
    },
    iip: {
      type: 'instance-ip',
      uuid: iipUuid,
      fq_name: [makeName(name, iipUuid)],
      fields: {
        display_name: displayName(ns, name),
        virtual_network_refs: [{ to: net.vn }],
        virtual_machine_interface_refs: [{ to: vmiFq }],
        ...(net.subnetUuid ? { subnet_uuid: net.subnetUuid } : {}),
        annotations: ann(),
      },
    },
  };
}

/** Every owned pod object of one VM: its interfaces' instance IPs, interfaces, router links, the VM. */
export async function deletePodObjects(ctx: Ctx, tx: Tx, vmUuid: string, extra: VncObject[] = []): Promise<void> {
  const vmis = new Map<string, VncObject>();
  for (const v of ctx.vnc.backRefs(vmUuid, 'virtual-machine-interface')) vmis.set(v.uuid, v);
  for (const o of extra) if (ctx.vnc.cache.typeOf(o.uuid) === 'virtual-machine-interface') vmis.set(o.uuid, o);
  const derivedVmi = ctx.vnc.getTyped('virtual-machine-interface', derivedUuid(vmUuid, ROLE.podVmi));
  if (derivedVmi) vmis.set(derivedVmi.uuid, derivedVmi);
  const iips = new Map<string, VncObject>();
  for (const o of extra) if (ctx.vnc.cache.typeOf(o.uuid) === 'instance-ip') iips.set(o.uuid, o);
  for (const vmi of vmis.values()) for (const i of ctx.vnc.backRefs(vmi.uuid, 'instance-ip')) iips.set(i.uuid, i);
  for (const i of iips.values()) await tx.delete('instance-ip', i.uuid);
  for (const vmi of vmis.values()) {
    // Service floating IPs that still point at this interface let go of it (their service's
    // reconcile would too, once its endpoints change).
    for (const fip of ctx.vnc.backRefs(vmi.uuid, 'floating-ip')) await tx.refDelete('floating-ip', fip.uuid, 'virtual-machine-interface', vmi.uuid);
    try {
      await tx.delete('virtual-machine-interface', vmi.uuid);
    } catch (err) {
      if (err instanceof RefsExistError) throw new NotReadyError(`interface ${vmi.fq_name.join(':')} is still in use: ${err.message}`);
      throw err;
    }
  }
  for (const vr of ctx.vnc.backRefs(vmUuid, 'virtual-router')) await tx.refDelete('virtual-router', vr.uuid, 'virtual-machine', vmUuid);
  await tx.delete('virtual-machine', vmUuid);
}

const ALLOCATION_CODES = new Set(['SUBNET_EXHAUSTED', 'INVALID_SUBNET', 'INVALID_ADDRESS', 'IP_IN_USE']);

export async function reconcilePod(ctx: Ctx, namespace: string, name: string): Promise<void> {
  const key = KEY.pod(namespace, name);
  const pod = ctx.k8s.pods.get(namespace, name);
  const want = podWantsInterface(pod) ? pod : undefined;
  const uid = want?.metadata?.uid;
  const tx = ctx.tx();
  const owned = ctx.vnc.owned(key);
  // Objects of any other incarnation of this pod (deleted, finished, replaced under the same name).
  const staleVms = owned.filter((o) => ctx.vnc.cache.typeOf(o.uuid) === 'virtual-machine' && o.uuid !== uid);
  const vmOf = (o: VncObject): string | undefined => {
    const t = ctx.vnc.cache.typeOf(o.uuid);
    if (t === 'virtual-machine') return o.uuid;
    if (t === 'virtual-machine-interface') return refsOf(o, 'virtual_machine_refs')[0]?.uuid;
    if (t === 'instance-ip') {
      const vmi = ctx.vnc.get(refsOf(o, 'virtual_machine_interface_refs')[0]?.uuid ?? '');
      return vmi ? refsOf(vmi, 'virtual_machine_refs')[0]?.uuid : undefined;
    }
    return undefined;
  };
  const strays = owned.filter((o) => ctx.vnc.cache.typeOf(o.uuid) !== 'virtual-machine' && vmOf(o) !== uid);
  for (const vm of staleVms) await deletePodObjects(ctx, tx, vm.uuid, strays.filter((s) => vmOf(s) === vm.uuid));
  const orphans = strays.filter((s) => !staleVms.some((vm) => vm.uuid === vmOf(s)));
  for (const o of orphans.filter((x) => ctx.vnc.cache.typeOf(x.uuid) === 'instance-ip')) await tx.delete('instance-ip', o.uuid);
  for (const o of orphans.filter((x) => ctx.vnc.cache.typeOf(x.uuid) === 'virtual-machine-interface')) await tx.delete('virtual-machine-interface', o.uuid);
  await tx.settle();
  if (!want) {
    if (pod) ctx.resolved(pod);
    return;
  }

  let net: PodNetwork;
  try {
    net = podNetwork(ctx, want);
  } catch (err) {
    await tx.settle();
    if (err instanceof InputError) {
      await ctx.report(want, err);
      if (err.code === 'KM_NETWORK_NOT_FOUND') {
        const vn = parseNetworkForWait(ctx, want);
        if (vn) ctx.waitForObject('virtual-network', vn, key);
      }
      return;
    }
    throw err;
  }
  const project = projectOf(ctx.names, namespace);
  const nsSgs = [
    [...project, nsDefaultSgName(ctx.names, namespace)],
    [...project, nsSgName(ctx.names, namespace)],
  ];
  const groups = podPolicySecurityGroups(ctx, want) ?? nsSgs;
  // Policy groups appear when their policy's reconcile has written them; it re-enqueues every pod.
  for (const sg of groups) if (!ctx.vnc.byFq('security-group', sg)) throw new NotReadyError(`security group ${sg.join(':')} not created yet`);
  const specs = podSpecs(ctx, want, net, groups);

  // An interface or address on another network is replaced (an instance IP cannot move).
  const vmiHave = ctx.vnc.getTyped('virtual-machine-interface', specs.vmi.uuid!);
  const iipHave = ctx.vnc.getTyped('instance-ip', specs.iip.uuid!);
  const onOtherVn = (o: VncObject | undefined): boolean => !!o && fqKey(refsOf(o, 'virtual_network_refs')[0]?.to ?? []) !== fqKey(net.vn);
  if (onOtherVn(iipHave) || onOtherVn(vmiHave)) {
    if (iipHave) await tx.delete('instance-ip', iipHave.uuid);
    if (onOtherVn(vmiHave)) {
      for (const fip of ctx.vnc.backRefs(vmiHave!.uuid, 'floating-ip')) await tx.refDelete('floating-ip', fip.uuid, 'virtual-machine-interface', vmiHave!.uuid);
      await tx.delete('virtual-machine-interface', vmiHave!.uuid);
    }
    await tx.settle();
  }

  try {
    await tx.ensureAll([{ spec: specs.vm }, { spec: specs.vmi, actual: onOtherVn(vmiHave) ? undefined : vmiHave }, { spec: specs.iip, actual: onOtherVn(iipHave) ? undefined : iipHave }]);
  } catch (err) {
    if (err instanceof VncError && ALLOCATION_CODES.has(err.code)) {
      // Nothing half-created: the VM and interface made in this pass go again.
      await tx.rollback();
      await tx.settle();
      ctx.waitForAddresses(key);
      await ctx.report(want, new InputError('KM_ADDRESS_ALLOCATION', 'AddressAllocationFailed', `no address for the pod on ${net.vn.join(':')}: ${err.message}`));
      return;
    }
    throw err;
  }

  await tx.settle();
  // The virtual-router link is the node's key (one write links every pod of a burst); it links a
  // VM once its pod's objects are complete, which the cache now shows.
  const nodeName = want.spec?.nodeName;
  if (nodeName) {
    const vr = ctx.vnc.byFq('virtual-router', [VIRTUAL_ROUTER_PARENT, nodeName]);
    if (vr && !refsOf(vr, 'virtual_machine_refs').some((r) => r.uuid === uid)) ctx.enqueue(KEY.node(nodeName));
  }
  ctx.resolved(want);
}

function parseNetworkForWait(ctx: Ctx, pod: V1Pod): string[] | undefined {
  try {
    return podNetworkName(ctx, pod);
  } catch {
    return undefined;
  }
}

/** The fq_name of the network the annotations name (no existence check). */
function podNetworkName(ctx: Ctx, pod: V1Pod): string[] | undefined {
  const a = pod.metadata?.annotations?.[ANNOTATION.network];
  if (a) return parseFqDictAnnotation(a, ['domain', 'project', 'name'], ctx.names.domain);
  const ns = ctx.k8s.namespaces.get(undefined, pod.metadata?.namespace ?? 'default');
  return ns ? namespaceNetworking(ns, ctx.names.domain).network : undefined;
}
