// Ingress → loadbalancer with provider `opencontrail` (the 4.x model: the HTTP proxy that serves it
// is a later issue): LB VMI on the cluster network with an address of its own, a listener for
// HTTP/80 (and TERMINATED_HTTPS/443 when spec.tls is set), one pool per (host, path, backend)
// rule whose member is the backend service's clusterIP and port, and a floating IP from the public
// pool (ingress annotation > namespace annotation > [VNC] public_fip_pool) attached to the LB VMI;
// its address is written to the Ingress's status.loadBalancer.ingress.
import type { V1Ingress, V1IngressBackend } from '@kubernetes/client-node';
import { VncError } from '../vnc/errors.js';
import { ownerAnnotations } from './annotations.js';
import { KEY, type Ctx } from './context.js';
import { InputError, NotReadyError } from './errors.js';
import { deleteLoadBalancer, lbGraph, lbIipSpec, lbName, lbVmiSpec, listenerSpecs, loadbalancerSpec, memberSpec, type LbIdentity } from './loadbalancer.js';
import { textOf } from './diff.js';
import { derivedUuid, fqKey, nsDefaultSgName, nsSgName, projectOf, ROLE } from './names.js';
import { fipPoolFor } from './service.js';
import type { ObjectSpec } from './tx.js';

export interface IngressRuleView {
  host: string;
  path: string;
  service: string;
  port: number | string;
}

/** The (host, path, backend) rules of an ingress, default backend first. Pure. */
export function ingressRules(ing: V1Ingress): IngressRuleView[] {
  const out: IngressRuleView[] = [];
  const add = (host: string, path: string, b: V1IngressBackend | undefined): void => {
    const s = b?.service;
    if (!s?.name) return;
    const port = s.port?.number ?? s.port?.name;
    if (port === undefined) return;
    out.push({ host, path, service: s.name, port });
  };
  add('', '', ing.spec?.defaultBackend);
  for (const r of ing.spec?.rules ?? []) for (const p of r.http?.paths ?? []) add(r.host ?? '', p.path ?? '/', p.backend);
  return out;
}

const ruleKey = (r: IngressRuleView): string => `${r.host}|${r.path}|${r.service}|${r.port}`;

async function syncStatus(ctx: Ctx, ing: V1Ingress, ips: string[]): Promise<void> {
  const have = (ing.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter((x) => x !== '').sort();
  if (JSON.stringify(have) === JSON.stringify(ips)) return;
  await ctx.k8s.patchIngressStatus(ing.metadata!.namespace!, ing.metadata!.name!, ips.map((ip) => ({ ip })));
}

export async function reconcileIngress(ctx: Ctx, namespace: string, name: string): Promise<void> {
  const key = KEY.ingress(namespace, name);
  const ing = ctx.k8s.ingresses.get(namespace, name);
  const tx = ctx.tx();
  for (const lb of ctx.vnc.owned(key, 'loadbalancer')) if (lb.uuid !== ing?.metadata?.uid) await deleteLoadBalancer(ctx.vnc, tx, lb);
  if (!ing?.metadata?.uid) {
    await tx.settle();
    return;
  }
  const project = projectOf(ctx.names, namespace);
  const id: LbIdentity = { uid: ing.metadata.uid, name, namespace, project };
  const sgs = [
    [...project, nsSgName(ctx.names, namespace)],
    [...project, nsDefaultSgName(ctx.names, namespace)],
  ];
  for (const sg of sgs) if (!ctx.vnc.byFq('security-group', sg)) throw new NotReadyError(`security group ${sg.join(':')} not created yet`);
  let pool: string[] | undefined;
  try {
    pool = fipPoolFor(ctx, [ing.metadata.annotations, ctx.k8s.namespaces.get(undefined, namespace)?.metadata?.annotations]);
    if (!pool) throw new InputError('KM_NO_FIP_POOL', 'NoFloatingIpPool', 'an ingress needs a floating IP pool (annotation opencontrail.org/fip-pool or [VNC] public_fip_pool)');
    if (!ctx.vnc.byFq('floating-ip-pool', pool)) {
      ctx.waitForObject('floating-ip-pool', pool, key);
      throw new InputError('KM_FIP_POOL_NOT_FOUND', 'FloatingIpPoolNotFound', `floating IP pool ${pool.join(':')} does not exist`);
    }
  } catch (err) {
    await tx.settle();
    if (err instanceof InputError) return ctx.report(ing, err);
    throw err;
  }
  const annotations = ownerAnnotations(ctx.owner, 'Ingress', project[1], namespace, name);
  const lbHave = ctx.vnc.getTyped('loadbalancer', id.uid);
  try {
    if (!lbHave) await tx.ensure(loadbalancerSpec(id, 'opencontrail', undefined, false, annotations));
    const vmi = await tx.ensure(lbVmiSpec(id, ctx.cluster.network, sgs, 'K8S:LOADBALANCER'));
    const iip = await tx.ensure(lbIipSpec(id, ctx.cluster.network, undefined));
    const vip = textOf(iip.instance_ip_address);
    await tx.ensure(loadbalancerSpec(id, 'opencontrail', vip, true, annotations));

    const wanted = new Set<string>();
    const listeners = [{ protocol: 'HTTP' as const, port: 80 }, ...((ing.spec?.tls ?? []).length > 0 ? [{ protocol: 'TERMINATED_HTTPS' as const, port: 443 }] : [])];
    for (const lp of listeners) {
      const { listener } = listenerSpecs(id, lp);
      await tx.ensure(listener);
      wanted.add(listener.uuid!);
      for (const r of ingressRules(ing)) {
        const svc = ctx.k8s.services.get(namespace, r.service);
        const svcPort = (svc?.spec?.ports ?? []).find((p) => (typeof r.port === 'number' ? p.port === r.port : p.name === r.port));
        const poolUuid = derivedUuid(id.uid, ROLE.ingressPool(`${lp.protocol}/${lp.port}/${ruleKey(r)}`));
        const poolSpec: ObjectSpec = {
          type: 'loadbalancer-pool',
          uuid: poolUuid,
          fq_name: [...project, `${lbName(id)}-${lp.protocol}-${lp.port}-${poolUuid}`],
          parent_type: 'project',
          fields: {
            display_name: `${lbName(id)}-${lp.protocol}-${lp.port}-${poolUuid}`,
            loadbalancer_pool_properties: { protocol: 'HTTP', admin_state: true, loadbalancer_method: 'ROUND_ROBIN', session_persistence: null, status: null, subnet_id: null },
            loadbalancer_pool_custom_attributes: { key_value_pair: [{ key: 'host', value: r.host }, { key: 'path', value: r.path }] },
            loadbalancer_listener_refs: [{ to: listener.fq_name }],
          },
        };
        await tx.ensure(poolSpec);
        wanted.add(poolUuid);
        const clusterIp = svc?.spec?.clusterIP;
        if (svc && svcPort && clusterIp && clusterIp !== 'None') {
          const m = memberSpec(poolSpec, derivedUuid(id.uid, ROLE.ingressMember(`${lp.protocol}/${lp.port}/${ruleKey(r)}`)), svcPort.port, { service: `${namespace}/${r.service}` }, clusterIp);
          await tx.ensure(m);
          wanted.add(m.uuid!);
        }
      }
    }
    const lbObj = ctx.vnc.getTyped('loadbalancer', id.uid);
    if (lbObj) {
      const g = lbGraph(ctx.vnc, lbObj);
      for (const m of g.members) if (!wanted.has(m.uuid)) await tx.delete('loadbalancer-member', m.uuid);
      for (const p of g.pools) if (!wanted.has(p.uuid)) await tx.delete('loadbalancer-pool', p.uuid);
      for (const l of g.listeners) if (!wanted.has(l.uuid)) await tx.delete('loadbalancer-listener', l.uuid);
    }

    const fipUuid = derivedUuid(id.uid, ROLE.externalFip('auto'));
    const fipName = `${lbName(id)}-externalIP`;
    const fipSpec: ObjectSpec = {
      type: 'floating-ip',
      uuid: fipUuid,
      fq_name: [...pool, fipName],
      parent_type: 'floating-ip-pool',
      fields: {
        display_name: fipName,
        project_refs: [{ to: [...project] }],
        virtual_machine_interface_refs: [{ to: vmi.fq_name }],
        floating_ip_traffic_direction: 'ingress',
      },
    };
    const have = ctx.vnc.getTyped('floating-ip', fipUuid);
    if (have && fqKey(have.fq_name) !== fqKey(fipSpec.fq_name)) await tx.delete('floating-ip', have.uuid);
    const fip = await tx.ensure(fipSpec, have && fqKey(have.fq_name) === fqKey(fipSpec.fq_name) ? have : undefined);
    for (const f of ctx.vnc.backRefs(vmi.uuid, 'floating-ip')) if (f.uuid !== fipUuid) await tx.delete('floating-ip', f.uuid);
    await tx.settle();
    await syncStatus(ctx, ing, [textOf(fip.floating_ip_address)].filter((x) => x !== ''));
    ctx.resolved(ing);
  } catch (err) {
    if (err instanceof VncError && ['SUBNET_EXHAUSTED', 'INVALID_SUBNET', 'INVALID_ADDRESS', 'IP_IN_USE'].includes(err.code)) {
      await tx.settle();
      const created = !lbHave ? ctx.vnc.getTyped('loadbalancer', id.uid) : undefined;
      if (created) await deleteLoadBalancer(ctx.vnc, tx, created);
      else await tx.rollback();
      await tx.settle();
      if (err.code === 'SUBNET_EXHAUSTED') ctx.waitForAddresses(key);
      await ctx.report(ing, new InputError('KM_ADDRESS_ALLOCATION', 'AddressAllocationFailed', `ingress ${namespace}/${name}: ${err.message}`));
      return;
    }
    throw err;
  }
}
