// Namespace → project (multi-tenant), the namespace's two security groups `<cluster>-<ns>-default`
// (allow all, seed 004 A.2) and `<cluster>-<ns>-sg` (the namespace's identity, no rules), the
// isolated network `<ns>-vn` when `opencontrail.org/isolation: "true"` (seed 004 A.3), and, while
// the namespace has NetworkPolicies, the one-direction allow-all groups for pods isolated in the
// other direction only. A namespace that is gone loses all of it once nothing refers to it.
import type { V1Namespace } from '@kubernetes/client-node';
import { RefsExistError } from '../vnc/errors.js';
import type { VncObject } from '../vnc/object.js';
import { isOwned, ownerAnnotations } from './annotations.js';
import { parseFqDictAnnotation } from './config.js';
import { ANNOTATION, KEY, type Ctx } from './context.js';
import { InputError, NotReadyError } from './errors.js';
import { isolatedVnName, nsAllowEgressSgName, nsAllowIngressSgName, nsDefaultSgName, nsSgName, projectOf } from './names.js';
import { allowAllRules, allowEgressRules, allowIngressRules, entries } from './sg-rules.js';
import type { ObjectSpec, Tx } from './tx.js';

export interface NamespaceNetworking {
  isolated: boolean;
  /** fq_name of the VN named by `opencontrail.org/network`, if any */
  network?: string[];
  /** `opencontrail.org/ip_fabric_snat`, when given: fabric SNAT on the namespace's pod network */
  fabricSnat?: boolean;
}

export function isTrue(v: string | undefined): boolean {
  return v !== undefined && /^true$/i.test(v.trim());
}

/** Reads the namespace's networking annotations; InputError on a malformed one. Pure. */
export function namespaceNetworking(ns: V1Namespace, domain: string): NamespaceNetworking {
  const a = ns.metadata?.annotations ?? {};
  const out: NamespaceNetworking = { isolated: isTrue(a[ANNOTATION.isolation]) };
  const flag = (key: string): boolean | undefined => {
    const v = a[key]?.trim();
    if (v === undefined || v === '') return undefined;
    if (/^true$/i.test(v)) return true;
    if (/^false$/i.test(v)) return false;
    throw new InputError('KM_BAD_ANNOTATION', 'InvalidAnnotation', `annotation ${key}: expected "true" or "false", got ${JSON.stringify(v)}`);
  };
  if (flag(ANNOTATION.ipFabricForwarding)) {
    throw new InputError('KM_UNSUPPORTED', 'UnsupportedAnnotation', `annotation ${ANNOTATION.ipFabricForwarding}: "true" is not supported (pods get overlay addresses; ${ANNOTATION.ipFabricSnat} gives them outbound access through their node)`);
  }
  const snat = flag(ANNOTATION.ipFabricSnat);
  if (snat !== undefined) out.fabricSnat = snat;
  const net = a[ANNOTATION.network];
  if (net !== undefined && net.trim() !== '') {
    try {
      out.network = parseFqDictAnnotation(net, ['domain', 'project', 'name'], domain);
    } catch (err) {
      throw new InputError('KM_BAD_ANNOTATION', 'InvalidAnnotation', `annotation ${ANNOTATION.network}: ${(err as Error).message}`);
    }
  }
  return out;
}

/** The objects a namespace should have, by role. Pure. */
export function namespaceSpecs(ctx: Pick<Ctx, 'cfg' | 'names' | 'owner' | 'cluster'>, name: string, net: NamespaceNetworking, hasPolicies: boolean): Record<string, ObjectSpec | undefined> {
  const project = projectOf(ctx.names, name);
  const ann = (objName: string, extra: Record<string, string> = {}) => ownerAnnotations(ctx.owner, 'Namespace', project[1], name, objName, extra);
  const sg = (sgName: string, description: string, rules: ReturnType<typeof allowAllRules> | undefined): ObjectSpec => ({
    type: 'security-group',
    fq_name: [...project, sgName],
    parent_type: 'project',
    fields: {
      ...(rules ? { security_group_entries: entries(rules) } : {}),
      id_perms: { description },
      annotations: ann(sgName),
    },
  });
  return {
    project: ctx.names.clusterProject
      ? undefined
      : { type: 'project', fq_name: project, parent_type: 'domain', fields: { annotations: ann(name, { isolated: net.isolated ? 'True' : 'False' }) } },
    defaultSg: sg(nsDefaultSgName(ctx.names, name), 'Default security group', allowAllRules()),
    nsSg: sg(nsSgName(ctx.names, name), 'Namespace security group', undefined),
    allowIngress: hasPolicies ? sg(nsAllowIngressSgName(ctx.names, name), 'Allow all ingress (pods isolated for egress only)', allowIngressRules()) : undefined,
    allowEgress: hasPolicies ? sg(nsAllowEgressSgName(ctx.names, name), 'Allow all egress (pods isolated for ingress only)', allowEgressRules()) : undefined,
    vn:
      net.isolated && !net.network
        ? {
            type: 'virtual-network',
            fq_name: [...project, isolatedVnName(name)],
            parent_type: 'project',
            fields: {
              virtual_network_properties: { forwarding_mode: 'l3' },
              address_allocation_mode: 'flat-subnet-only',
              port_security_enabled: true,
              fabric_snat: fabricSnatField(net, ctx.cfg),
              network_ipam_refs: [{ to: ctx.cluster.podIpam, attr: { ipam_subnets: [{ subnet: null, enable_dhcp: true }] } }],
              annotations: ann(name, { isolated: 'True' }),
            },
          }
        : undefined,
  };
}

/** fabric_snat of a pod network: the namespace's annotation, else [KUBERNETES] ip_fabric_snat; null = off. */
export function fabricSnatField(net: NamespaceNetworking, cfg: Pick<Ctx['cfg'], 'ipFabricSnat'>): true | null {
  return (net.fabricSnat ?? cfg.ipFabricSnat) ? true : null;
}

/** Creates or updates `spec` unless an object of that name exists that we do not own. */
async function ensureOwned(ctx: Ctx, tx: Tx, spec: ObjectSpec): Promise<VncObject> {
  const have = tx.state.byFq(spec.type, spec.fq_name);
  if (have && !isOwned(have, ctx.owner)) {
    ctx.log.debug({ type: spec.type, fq_name: spec.fq_name.join(':') }, 'exists and is not ours: used as is');
    return have;
  }
  return tx.ensure(spec, have);
}

/** Deletes an owned object; one still referred to or with children makes the reconcile retry. */
export async function deleteOwned(tx: Tx, type: string, obj: VncObject): Promise<void> {
  try {
    await tx.delete(type, obj.uuid);
  } catch (err) {
    if (err instanceof RefsExistError) throw new NotReadyError(`${type} ${obj.fq_name.join(':')} is still in use: ${err.message}`);
    throw err;
  }
}

const DELETE_ORDER = ['security-group', 'virtual-network', 'project'];

export async function reconcileNamespace(ctx: Ctx, name: string): Promise<void> {
  const ns = ctx.k8s.namespaces.get(undefined, name);
  const key = KEY.namespace(name);
  const tx = ctx.tx();
  const owned = ctx.vnc.owned(key);
  if (!ns) {
    let blocked: NotReadyError | undefined;
    for (const type of DELETE_ORDER) {
      for (const o of owned.filter((x) => ctx.vnc.cache.typeOf(x.uuid) === type)) {
        try {
          await deleteOwned(tx, type, o);
        } catch (err) {
          if (!(err instanceof NotReadyError)) throw err;
          blocked ??= err;
        }
      }
    }
    await tx.settle();
    if (blocked) throw blocked;
    return;
  }
  let net: NamespaceNetworking;
  try {
    net = namespaceNetworking(ns, ctx.names.domain);
  } catch (err) {
    if (err instanceof InputError) {
      await ctx.report(ns, err);
      net = { isolated: isTrue(ns.metadata?.annotations?.[ANNOTATION.isolation]) };
    } else throw err;
  }
  if (net.network && !ctx.vnc.byFq('virtual-network', net.network)) {
    await ctx.report(ns, new InputError('KM_NETWORK_NOT_FOUND', 'NetworkNotFound', `annotation ${ANNOTATION.network}: virtual network ${net.network.join(':')} does not exist`));
    ctx.waitForObject('virtual-network', net.network, key);
  }
  const hasPolicies = ctx.k8s.policies.list(name).length > 0;
  const specs = namespaceSpecs(ctx, name, net, hasPolicies);
  // The default namespace speaks for the cluster's pod network (the original's rule), when we made it.
  if (name === 'default' && !ctx.cfg.clusterNetwork) {
    const vn = tx.state.byFq('virtual-network', ctx.cluster.network);
    if (vn) await tx.ensure({ type: 'virtual-network', fq_name: [...ctx.cluster.network], fields: { fabric_snat: fabricSnatField(net, ctx.cfg) } }, vn);
  }
  if (specs.project) await ensureOwned(ctx, tx, specs.project);
  for (const role of ['defaultSg', 'nsSg', 'allowIngress', 'allowEgress', 'vn'] as const) {
    const spec = specs[role];
    if (spec) await ensureOwned(ctx, tx, spec);
  }
  // Objects of a role the namespace no longer needs (isolation turned off, last policy gone).
  const wanted = new Set(Object.values(specs).filter((s): s is ObjectSpec => !!s).map((s) => `${s.type}:${s.fq_name.join(':')}`));
  let blocked: NotReadyError | undefined;
  for (const o of owned) {
    const type = ctx.vnc.cache.typeOf(o.uuid) ?? '';
    if (wanted.has(`${type}:${o.fq_name.join(':')}`)) continue;
    try {
      await deleteOwned(tx, type, o);
    } catch (err) {
      if (!(err instanceof NotReadyError)) throw err;
      blocked ??= err;
    }
  }
  await tx.settle();
  if (tx.writes > 0) {
    for (const p of ctx.k8s.pods.list(name)) ctx.enqueue(KEY.pod(name, p.metadata?.name ?? ''));
    for (const s of ctx.k8s.services.list(name)) ctx.enqueue(KEY.service(name, s.metadata?.name ?? ''));
    for (const i of ctx.k8s.ingresses.list(name)) ctx.enqueue(KEY.ingress(name, i.metadata?.name ?? ''));
  }
  if (blocked) throw blocked;
}
