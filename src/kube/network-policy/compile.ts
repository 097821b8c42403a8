// A NetworkPolicy checked and reduced to what the security-group model needs (the 4.x SG model of
// the seeds, with the full Kubernetes semantics the original lacked): policyTypes (defaulted as the
// apiserver does), peers classified as ipBlock (CIDR minus except, exact), "all pods of selected
// namespaces" (addressed by the namespaces' `<cluster>-<ns>-sg`), or pod selections (addressed by an
// identity group `<np>__<uid>__ingress__<n>` attached to the pods that match), ports as protocol +
// range (port..endPort) or a named port resolved per pod. Pure; a policy the apiserver would reject
// becomes an InputError (Event on the policy), never a partial rule set.
import type { V1NetworkPolicy, V1NetworkPolicyPeer, V1NetworkPolicyPort } from '@kubernetes/client-node';
import { errorMessage } from '../../common/errors.js';
import { parseAnyCidr, subtractAnyCidrs, type AnyCidr } from '../../common/ip6.js';
import { InputError } from '../errors.js';
import { validateSelector, isEmptySelector, type LabelSelector } from '../label-selector.js';
import { makeName } from '../names.js';

export type Proto = 'TCP' | 'UDP' | 'SCTP';

export type PortSpec =
  | { protocol: Proto; kind: 'all' }
  | { protocol: Proto; kind: 'range'; start: number; end: number }
  | { protocol: Proto; kind: 'named'; name: string };

export type Peer =
  | { kind: 'ipBlock'; cidrs: AnyCidr[] }
  | { kind: 'ownNamespace' }
  | { kind: 'namespaces'; selector: LabelSelector }
  | {
      kind: 'pods';
      /** undefined: the policy's namespace */
      namespaceSelector?: LabelSelector;
      podSelector: LabelSelector;
      index: number;
      /** stands for "every pod" only to resolve named ports of a rule without peers */
      namedOnly?: boolean;
    };

export interface CompiledRule {
  /** empty: every source (ingress) or destination (egress), inside or outside the cluster */
  peers: Peer[];
  /** empty: every port of every protocol */
  ports: PortSpec[];
}

export interface CompiledPolicy {
  namespace: string;
  name: string;
  uid: string;
  podSelector: LabelSelector;
  /** undefined when the policy does not isolate ingress; [] = deny every ingress */
  ingress?: CompiledRule[];
  egress?: CompiledRule[];
  /** `<np>__<uid>`, attached to the selected pods */
  mainSg: string;
}

const PROTOS: readonly Proto[] = ['TCP', 'UDP', 'SCTP'];
const IANA_SVC_NAME = /^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$/;

const bad = (msg: string): never => {
  throw new InputError('KM_INVALID_POLICY', 'InvalidNetworkPolicy', msg);
};

function compilePort(p: V1NetworkPolicyPort, where: string): PortSpec {
  const protocol = (p.protocol ?? 'TCP') as Proto;
  if (!PROTOS.includes(protocol)) bad(`${where}.protocol: unsupported protocol ${JSON.stringify(p.protocol)} (TCP, UDP or SCTP)`);
  const port = p.port as number | string | undefined | null;
  if (port === undefined || port === null) {
    if (p.endPort !== undefined && p.endPort !== null) bad(`${where}.endPort: requires a numeric port`);
    return { protocol, kind: 'all' };
  }
  if (typeof port === 'number' || /^\d+$/.test(port)) {
    const start = Number(port);
    if (!Number.isInteger(start) || start < 1 || start > 65535) bad(`${where}.port: ${port} is not in 1..65535`);
    const end = p.endPort ?? start;
    if (!Number.isInteger(end) || end < start || end > 65535) bad(`${where}.endPort: ${p.endPort} must be in ${start}..65535`);
    return { protocol, kind: 'range', start, end };
  }
  if (!IANA_SVC_NAME.test(port)) bad(`${where}.port: ${JSON.stringify(port)} is neither a number nor a port name`);
  if (p.endPort !== undefined && p.endPort !== null) bad(`${where}.endPort: not allowed with a named port`);
  return { protocol, kind: 'named', name: port };
}

function compilePeer(p: V1NetworkPolicyPeer, where: string, next: () => number): Peer {
  const hasIp = !!p.ipBlock;
  const hasSel = !!p.podSelector || !!p.namespaceSelector;
  if (hasIp && hasSel) bad(`${where}: ipBlock cannot be combined with podSelector or namespaceSelector`);
  if (hasIp) {
    const cidr = p.ipBlock!.cidr;
    let base: AnyCidr;
    try {
      base = parseAnyCidr(cidr);
    } catch (err) {
      return bad(`${where}.ipBlock.cidr: ${errorMessage(err)}`);
    }
    const excepts = p.ipBlock!.except ?? [];
    for (const [i, e] of excepts.entries()) {
      let ex: AnyCidr;
      try {
        ex = parseAnyCidr(e);
      } catch (err) {
        return bad(`${where}.ipBlock.except[${i}]: ${errorMessage(err)}`);
      }
      if (ex.family !== base.family) bad(`${where}.ipBlock.except[${i}]: ${e} is not in the family of ${cidr}`);
      if (subtractAnyCidrs(`${ex.prefix}/${ex.len}`, [`${base.prefix}/${base.len}`]).length > 0) bad(`${where}.ipBlock.except[${i}]: ${e} must be inside ${cidr}`);
    }
    return { kind: 'ipBlock', cidrs: subtractAnyCidrs(`${base.prefix}/${base.len}`, excepts) };
  }
  if (!hasSel) bad(`${where}: a peer needs ipBlock, podSelector or namespaceSelector`);
  validateSelector(p.podSelector, `${where}.podSelector`);
  validateSelector(p.namespaceSelector, `${where}.namespaceSelector`);
  const pods = p.podSelector as LabelSelector | undefined;
  const nss = p.namespaceSelector as LabelSelector | undefined;
  if (!pods || isEmptySelector(pods)) return nss ? { kind: 'namespaces', selector: nss } : { kind: 'ownNamespace' };
  return { kind: 'pods', namespaceSelector: nss, podSelector: pods, index: next() };
}

/** Egress rules with named ports need the destination pods to be told apart by how they resolve them. */
function withNamedPortPeers(rule: CompiledRule, next: () => number): CompiledRule {
  if (!rule.ports.some((p) => p.kind === 'named')) return rule;
  if (rule.peers.length === 0) return { ...rule, peers: [{ kind: 'pods', namespaceSelector: {}, podSelector: {}, index: next(), namedOnly: true }] };
  return {
    ...rule,
    peers: rule.peers.map((p): Peer => {
      if (p.kind === 'ownNamespace') return { kind: 'pods', podSelector: {}, index: next() };
      if (p.kind === 'namespaces') return { kind: 'pods', namespaceSelector: p.selector, podSelector: {}, index: next() };
      return p;
    }),
  };
}

export function compilePolicy(np: V1NetworkPolicy): CompiledPolicy {
  const namespace = np.metadata?.namespace ?? 'default';
  const name = np.metadata?.name ?? '';
  const uid = np.metadata?.uid ?? '';
  const spec = np.spec;
  if (!spec) bad('spec is required');
  validateSelector(spec!.podSelector, 'spec.podSelector');
  const types = spec!.policyTypes ?? (spec!.egress ? ['Ingress', 'Egress'] : ['Ingress']);
  for (const t of types) if (t !== 'Ingress' && t !== 'Egress') bad(`spec.policyTypes: unknown type ${JSON.stringify(t)}`);
  let ingressIndex = 0;
  let egressIndex = 0;
  const nextIn = () => ++ingressIndex;
  const nextOut = () => ++egressIndex;
  const out: CompiledPolicy = { namespace, name, uid, podSelector: (spec!.podSelector as LabelSelector | undefined) ?? {}, mainSg: makeName(name, uid) };
  if (types.includes('Ingress')) {
    out.ingress = (spec!.ingress ?? []).map((r, i) => ({
      // Listed objects carry `_from` (client-node's model), watched ones the wire's `from`.
      peers: (r._from ?? (r as { from?: V1NetworkPolicyPeer[] }).from ?? []).map((p, j) => compilePeer(p, `spec.ingress[${i}].from[${j}]`, nextIn)),
      ports: (r.ports ?? []).map((p, j) => compilePort(p, `spec.ingress[${i}].ports[${j}]`)),
    }));
  }
  if (types.includes('Egress')) {
    out.egress = (spec!.egress ?? []).map((r, i) =>
      withNamedPortPeers(
        {
          peers: (r.to ?? []).map((p, j) => compilePeer(p, `spec.egress[${i}].to[${j}]`, nextOut)),
          ports: (r.ports ?? []).map((p, j) => compilePort(p, `spec.egress[${i}].ports[${j}]`)),
        },
        nextOut,
      ),
    );
  }
  return out;
}

export const identitySgName = (cp: CompiledPolicy, dir: 'ingress' | 'egress', index: number): string => makeName(cp.mainSg, dir, index);
export const splitSgName = (cp: CompiledPolicy, index: number, sig: string): string => makeName(cp.mainSg, 'egress', index, sig);
export const variantSgName = (cp: CompiledPolicy, sig: string): string => makeName(cp.mainSg, 'ports', sig);
