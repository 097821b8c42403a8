// Service → native load balancer (seed 004 appendix B; the svc-monitor native driver's objects):
// loadbalancer, LB VMI (device owner K8S:LOADBALANCER), instance-ip = the clusterIP, a listener and
// pool per port, a member per ready endpoint pod (protocol_port = the resolved targetPort), the VIP
// floating IP under the instance-ip with port mappings, attached to every member's VMI; for type
// LoadBalancer a floating IP from the public pool (service annotation > namespace annotation >
// [VNC] public_fip_pool; loadBalancerIP honoured) whose address goes to status.loadBalancer.ingress;
// externalIPs → floating IPs for exactly those addresses. Headless and ExternalName services get
// nothing. Bad input (annotation, unknown pool, address out of range or taken) → an Event and
// nothing half-created.
import type { V1Endpoints, V1Service } from '@kubernetes/client-node';
import { isIpv4 } from '../common/ip.js';
import { VncError } from '../vnc/errors.js';
import { ownerAnnotations } from './annotations.js';
import { parseFqDictAnnotation } from './config.js';
import { ANNOTATION, KEY, type Ctx } from './context.js';
import { InputError, NotReadyError } from './errors.js';
import { deleteLoadBalancer, lbGraph, lbIipFq, lbIipSpec, lbName, lbVmiSpec, listenerSpecs, loadbalancerSpec, memberSpec, type LbIdentity } from './loadbalancer.js';
import { textOf } from './diff.js';
import { derivedUuid, fqKey, nsDefaultSgName, nsSgName, projectOf, ROLE } from './names.js';
import type { ObjectSpec } from './tx.js';

export interface ServicePortView {
  name: string;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  port: number;
  /** number, port name, or undefined (= port) */
  targetPort?: number | string;
}

export interface MemberView {
  listener: string;
  podUid: string;
  vmiUuid: string;
  port: number;
}

/** A service that gets a load balancer: not headless, not ExternalName. */
export function isBalanced(svc: V1Service | undefined): svc is V1Service {
  if (!svc?.metadata?.uid) return false;
  if (svc.spec?.type === 'ExternalName') return false;
  const ip = svc.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

export function servicePorts(svc: V1Service): ServicePortView[] {
  return (svc.spec?.ports ?? []).map((p) => ({
    name: p.name ?? '',
    protocol: (p.protocol ?? 'TCP') as ServicePortView['protocol'],
    port: p.port,
    targetPort: p.targetPort === undefined || p.targetPort === null ? undefined : /^\d+$/.test(String(p.targetPort)) ? Number(p.targetPort) : String(p.targetPort),
  }));
}

export const listenerKey = (p: Pick<ServicePortView, 'protocol' | 'port'>): string => `${p.protocol}/${p.port}`;

/** The endpoint port standing for a service port in one subset (by name; a lone port matches). */
function endpointPort(sp: ServicePortView, ports: readonly { name?: string; port: number; protocol?: string }[], lone: boolean): number | undefined {
  const m = ports.find((p) => (p.name ?? '') === sp.name && (p.protocol ?? 'TCP') === sp.protocol) ?? (lone && ports.length === 1 && (ports[0].protocol ?? 'TCP') === sp.protocol ? ports[0] : undefined);
  return m?.port;
}

/** Members per service port from the Endpoints' ready addresses, and the resolved targetPort per port. Pure. */
export function membersFromEndpoints(ports: readonly ServicePortView[], ep: V1Endpoints | undefined, vmiOf: (podUid: string) => string | undefined): { members: MemberView[]; targetPorts: Map<string, number> } {
  const members: MemberView[] = [];
  const targetPorts = new Map<string, number>();
  for (const sp of ports) if (typeof sp.targetPort === 'number') targetPorts.set(listenerKey(sp), sp.targetPort);
  for (const sp of ports) if (sp.targetPort === undefined) targetPorts.set(listenerKey(sp), sp.port);
  const seen = new Set<string>();
  for (const subset of ep?.subsets ?? []) {
    for (const sp of ports) {
      const port = endpointPort(sp, subset.ports ?? [], ports.length === 1);
      if (port === undefined) continue;
      if (!targetPorts.has(listenerKey(sp))) targetPorts.set(listenerKey(sp), port);
      for (const a of subset.addresses ?? []) {
        const ref = a.targetRef;
        if (ref?.kind !== 'Pod' || !ref.uid) continue;
        const vmi = vmiOf(ref.uid);
        if (!vmi) continue;
        const k = `${listenerKey(sp)}/${ref.uid}`;
        if (seen.has(k)) continue;
        seen.add(k);
        members.push({ listener: listenerKey(sp), podUid: ref.uid, vmiUuid: vmi, port });
      }
    }
  }
  return { members, targetPorts };
}

/** The public pool for a service: annotation on the service > on the namespace > configuration. */
export function fipPoolFor(ctx: Ctx, annotations: (Record<string, string> | undefined)[]): string[] | undefined {
  for (const a of annotations) {
    const v = a?.[ANNOTATION.fipPool];
    if (v === undefined || v.trim() === '') continue;
    try {
      return parseFqDictAnnotation(v, ['domain', 'project', 'network', 'name'], ctx.names.domain);
    } catch (err) {
      throw new InputError('KM_BAD_ANNOTATION', 'InvalidAnnotation', `annotation ${ANNOTATION.fipPool}: ${(err as Error).message}`);
    }
  }
  return ctx.cfg.publicFipPool ? [...ctx.cfg.publicFipPool] : undefined;
}

export interface ExternalWant {
  /** requested addresses (loadBalancerIP, externalIPs) */
  addresses: string[];
  /** one address from the pool (type LoadBalancer without loadBalancerIP / externalIPs) */
  auto: boolean;
}

export function externalWanted(svc: V1Service): ExternalWant {
  const ext = [...(svc.spec?.externalIPs ?? [])];
  const lbIp = svc.spec?.loadBalancerIP;
  const isLb = svc.spec?.type === 'LoadBalancer';
  if (isLb && lbIp) ext.push(lbIp);
  for (const ip of ext) if (!isIpv4(ip)) throw new InputError('KM_BAD_ADDRESS', 'InvalidExternalIP', `external address ${JSON.stringify(ip)} is not an IPv4 address`);
  const addresses = [...new Set(ext)].sort();
  return { addresses, auto: isLb && addresses.length === 0 };
}

export const externalFipName = (id: LbIdentity, ip: string | undefined): string => `${lbName(id)}${ip ?? ''}-externalIP`;

function fipFields(project: readonly string[], vmis: readonly string[][], mappings: { protocol: string; src_port: number; dst_port: number }[], display: string, address?: string): Record<string, unknown> {
  return {
    display_name: display,
    project_refs: [{ to: [...project] }],
    virtual_machine_interface_refs: vmis.map((to) => ({ to })),
    floating_ip_port_mappings: { port_mappings: mappings },
    floating_ip_port_mappings_enable: true,
    floating_ip_traffic_direction: 'ingress',
    ...(address ? { floating_ip_address: address } : {}),
  };
}

const WRITE_INPUT_CODES = new Set(['SUBNET_EXHAUSTED', 'INVALID_SUBNET', 'INVALID_ADDRESS', 'IP_IN_USE']);

async function syncStatus(ctx: Ctx, svc: V1Service, ips: string[]): Promise<void> {
  const have = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter((x) => x !== '').sort();
  if (JSON.stringify(have) === JSON.stringify(ips)) return;
  await ctx.k8s.patchServiceStatus(svc.metadata!.namespace!, svc.metadata!.name!, ips.map((ip) => ({ ip })));
}

export async function reconcileService(ctx: Ctx, namespace: string, name: string): Promise<void> {
  const key = KEY.service(namespace, name);
  const svc = ctx.k8s.services.get(namespace, name);
  const want = isBalanced(svc) ? svc : undefined;
  const tx = ctx.tx();
  for (const lb of ctx.vnc.owned(key, 'loadbalancer')) if (lb.uuid !== want?.metadata?.uid) await deleteLoadBalancer(ctx.vnc, tx, lb);
  if (!want) {
    await tx.settle();
    if (svc) {
      if ((svc.status?.loadBalancer?.ingress ?? []).length > 0) await syncStatus(ctx, svc, []);
      ctx.resolved(svc);
    }
    return;
  }
  const project = projectOf(ctx.names, namespace);
  const id: LbIdentity = { uid: want.metadata!.uid!, name, namespace, project };
  const sgs = [
    [...project, nsSgName(ctx.names, namespace)],
    [...project, nsDefaultSgName(ctx.names, namespace)],
  ];
  for (const sg of sgs) if (!ctx.vnc.byFq('security-group', sg)) throw new NotReadyError(`security group ${sg.join(':')} not created yet`);

  // Everything user-supplied is checked before the first write.
  let ext: ExternalWant;
  let pool: string[] | undefined;
  try {
    ext = externalWanted(want);
    const nsObj = ctx.k8s.namespaces.get(undefined, namespace);
    pool = ext.addresses.length > 0 || ext.auto ? fipPoolFor(ctx, [want.metadata?.annotations, nsObj?.metadata?.annotations]) : undefined;
    if ((ext.addresses.length > 0 || ext.auto) && !pool) throw new InputError('KM_NO_FIP_POOL', 'NoFloatingIpPool', 'the service needs an external address but no floating IP pool is configured (annotation opencontrail.org/fip-pool or [VNC] public_fip_pool)');
    if (pool && !ctx.vnc.byFq('floating-ip-pool', pool)) {
      ctx.waitForObject('floating-ip-pool', pool, key);
      throw new InputError('KM_FIP_POOL_NOT_FOUND', 'FloatingIpPoolNotFound', `floating IP pool ${pool.join(':')} does not exist`);
    }
  } catch (err) {
    await tx.settle();
    if (err instanceof InputError) return ctx.report(want, err);
    throw err;
  }

  const ports = servicePorts(want);
  const vmiOf = (podUid: string): string | undefined => {
    const u = derivedUuid(podUid, ROLE.podVmi);
    return ctx.vnc.getTyped('virtual-machine-interface', u) ? u : undefined;
  };
  const { members, targetPorts } = membersFromEndpoints(ports, ctx.k8s.endpoints.get(namespace, name), vmiOf);
  const memberVmiFqs = [...new Set(members.map((m) => m.vmiUuid))].sort().map((u) => ctx.vnc.get(u)!.fq_name);
  const mappings = ports
    .filter((p) => targetPorts.has(listenerKey(p)))
    .map((p) => ({ protocol: p.protocol, src_port: p.port, dst_port: targetPorts.get(listenerKey(p))! }));
  const clusterIp = want.spec!.clusterIP!;
  const annotations = ownerAnnotations(ctx.owner, 'Service', project[1], namespace, name);

  const lbHave = ctx.vnc.getTyped('loadbalancer', id.uid);
  try {
    // The annotated loadbalancer exists before anything that hangs off it.
    if (!lbHave) await tx.ensure(loadbalancerSpec(id, 'native', clusterIp, false, annotations));
    const vmi = await tx.ensure(lbVmiSpec(id, ctx.cluster.network, sgs, 'K8S:LOADBALANCER'));
    const iipSpec = lbIipSpec(id, ctx.cluster.network, clusterIp);
    const iipHave = ctx.vnc.getTyped('instance-ip', iipSpec.uuid!);
    if (iipHave && iipHave.instance_ip_address !== clusterIp) {
      for (const f of ctx.vnc.children(iipHave.uuid, 'floating-ip')) await tx.delete('floating-ip', f.uuid);
      await tx.delete('instance-ip', iipHave.uuid);
      await tx.settle();
    }
    await tx.ensure(iipSpec, iipHave && iipHave.instance_ip_address === clusterIp ? iipHave : undefined);
    await tx.ensure(loadbalancerSpec(id, 'native', clusterIp, true, annotations));

    // Listeners, pools and members per port.
    const wantedIds = new Set<string>();
    for (const p of ports) {
      if (p.protocol === 'SCTP') continue; // no SCTP listener type in the LB schema; the port mapping covers it
      const { listener, pool: poolSpec } = listenerSpecs(id, { protocol: p.protocol, port: p.port });
      await tx.ensure(listener);
      const poolObj = await tx.ensure(poolSpec);
      wantedIds.add(listener.uuid!).add(poolObj.uuid);
      for (const m of members.filter((x) => x.listener === listenerKey(p))) {
        const spec = memberSpec(poolSpec, derivedUuid(id.uid, ROLE.member(p.protocol, p.port, m.podUid)), m.port, { vm: m.podUid, vmi: m.vmiUuid });
        await tx.ensure(spec);
        wantedIds.add(spec.uuid!);
      }
    }
    const lbObj = ctx.vnc.getTyped('loadbalancer', id.uid) ?? ({ uuid: id.uid, fq_name: [] });
    const g = lbGraph(ctx.vnc, lbObj);
    for (const m of g.members) if (!wantedIds.has(m.uuid)) await tx.delete('loadbalancer-member', m.uuid);
    for (const p of g.pools) if (!wantedIds.has(p.uuid)) await tx.delete('loadbalancer-pool', p.uuid);
    for (const l of g.listeners) if (!wantedIds.has(l.uuid)) await tx.delete('loadbalancer-listener', l.uuid);

    // The VIP's floating IP, attached to every member.
    const vipUuid = derivedUuid(id.uid, ROLE.lbVipFip);
    await tx.ensure({
      type: 'floating-ip',
      uuid: vipUuid,
      fq_name: [...lbIipFq(id), vipUuid],
      parent_type: 'instance-ip',
      fields: fipFields(project, memberVmiFqs, mappings, vipUuid),
    });

    // External floating IPs: exactly the requested addresses, or one from the pool.
    const wantedExt = new Map<string, ObjectSpec>();
    if (pool) {
      const targets = [...memberVmiFqs, vmi.fq_name].sort((a, b) => fqKey(a).localeCompare(fqKey(b)));
      const add = (ip: string | undefined): void => {
        const nameExt = externalFipName(id, ip);
        const uuid = derivedUuid(id.uid, ROLE.externalFip(ip ?? 'auto'));
        wantedExt.set(uuid, { type: 'floating-ip', uuid, fq_name: [...pool, nameExt], parent_type: 'floating-ip-pool', fields: fipFields(project, targets, mappings, nameExt, ip) });
      };
      for (const ip of ext.addresses) add(ip);
      if (ext.auto) add(undefined);
    }
    const extIps: string[] = [];
    for (const spec of wantedExt.values()) {
      const have = ctx.vnc.getTyped('floating-ip', spec.uuid!);
      const obj = await tx.ensure(spec, have && fqKey(have.fq_name) === fqKey(spec.fq_name) ? have : undefined);
      extIps.push(textOf(obj.floating_ip_address));
    }
    for (const f of ctx.vnc.backRefs(vmi.uuid, 'floating-ip')) if (!wantedExt.has(f.uuid)) await tx.delete('floating-ip', f.uuid);
    await tx.settle();
    await syncStatus(ctx, want, want.spec?.type === 'LoadBalancer' ? extIps.filter((x) => x !== '').sort() : []);
    ctx.resolved(want);
  } catch (err) {
    if (err instanceof VncError && WRITE_INPUT_CODES.has(err.code)) {
      // Nothing half-created: a new load balancer goes entirely, an existing one loses what this pass added.
      await tx.settle();
      const created = !lbHave ? ctx.vnc.getTyped('loadbalancer', id.uid) : undefined;
      if (created) await deleteLoadBalancer(ctx.vnc, tx, created);
      else await tx.rollback();
      await tx.settle();
      if (err.code === 'SUBNET_EXHAUSTED') ctx.waitForAddresses(key);
      await ctx.report(want, new InputError('KM_ADDRESS_ALLOCATION', 'AddressAllocationFailed', `service ${namespace}/${name}: ${err.message}`));
      return;
    }
    throw err;
  }
}
