// From compiled NetworkPolicies to security groups (pure). Two views of one model:
//  - policyGroups(policy): every group a policy owns, with its rules:
//      `<np>__<uid>`                 the policy's rules (ingress: src peer → local; egress: local → dst peer)
//      `<np>__<uid>__ingress__<n>`   identity of the pods matching ingress peer n (no rules)
//      `<np>__<uid>__egress__<n>`    identity of the pods matching egress peer n (no rules)
//      `<np>__<uid>__ports__<sig>`   ingress rules with named ports, as pods resolving them `sig` see them
//      `<np>__<uid>__egress__<n>__<sig>`  egress peer n's pods that resolve the rule's named ports as `sig`
//  - podGroups(pod): the groups one pod's interface carries. Kubernetes semantics: a pod selected by no
//    policy keeps `<cluster>-<ns>-default` (all in, all out); selected for ingress and/or egress, it
//    gets exactly the selecting policies' groups plus an allow-all group for a direction no policy
//    isolates; `<cluster>-<ns>-sg` always (the namespace's identity); identities where it is a peer.
import { createHash } from 'node:crypto';
import { matchesSelector, type Labels } from '../label-selector.js';
import { nsAllowEgressSgName, nsAllowIngressSgName, nsDefaultSgName, nsSgName, projectOf, type ClusterNames } from '../names.js';
import { ALL_PORTS, ANY_V4, ANY_V6, egressRule, ingressRule, sgAddress, subnetAddress, type Address, type PortRange, type Rule } from '../sg-rules.js';
import { identitySgName, splitSgName, variantSgName, type CompiledPolicy, type CompiledRule, type Peer, type PortSpec, type Proto } from './compile.js';

export interface ContainerPortView {
  name?: string;
  containerPort: number;
  protocol?: string;
}

export interface PodView {
  namespace: string;
  name: string;
  labels: Readonly<Record<string, string>>;
  ports: readonly ContainerPortView[];
}

export interface World {
  names: ClusterNames;
  /** namespace name → its labels (with kubernetes.io/metadata.name) */
  namespaces: ReadonlyMap<string, Labels>;
  pods: readonly PodView[];
}

export const PROTOCOL_NUMBER: Record<Proto, string> = { TCP: 'tcp', UDP: 'udp', SCTP: '132' };

interface Resolved {
  protocol: Proto;
  name: string;
  port: number;
}

/** The pod's numbers for the named ports among `specs` (a port that does not resolve matches nothing). */
export function resolveNamed(specs: readonly PortSpec[], pod: PodView): Resolved[] {
  const out: Resolved[] = [];
  const seen = new Set<string>();
  for (const s of specs) {
    if (s.kind !== 'named' || seen.has(`${s.protocol}/${s.name}`)) continue;
    seen.add(`${s.protocol}/${s.name}`);
    const p = pod.ports.find((c) => c.name === s.name && (c.protocol ?? 'TCP') === s.protocol);
    if (p) out.push({ protocol: s.protocol, name: s.name, port: p.containerPort });
  }
  return out.sort((a, b) => `${a.protocol}/${a.name}`.localeCompare(`${b.protocol}/${b.name}`));
}

export function sigOf(res: readonly Resolved[]): string | undefined {
  if (res.length === 0) return undefined;
  const text = res.map((r) => `${r.protocol}/${r.name}=${r.port}`).join(',');
  return createHash('sha1').update(text).digest('hex').slice(0, 10);
}

const namedSpecs = (rules: readonly CompiledRule[] | undefined): PortSpec[] => (rules ?? []).flatMap((r) => r.ports.filter((p) => p.kind === 'named'));

const groupFq = (w: World, cp: CompiledPolicy, name: string): string[] => [...projectOf(w.names, cp.namespace), name];

function nsLabels(w: World, ns: string): Labels {
  return w.namespaces.get(ns) ?? { 'kubernetes.io/metadata.name': ns };
}

export function peerMatchesPod(w: World, cp: CompiledPolicy, peer: Extract<Peer, { kind: 'pods' }>, pod: PodView): boolean {
  const nsOk = peer.namespaceSelector === undefined ? pod.namespace === cp.namespace : w.namespaces.has(pod.namespace) && matchesSelector(peer.namespaceSelector, nsLabels(w, pod.namespace));
  return nsOk && matchesSelector(peer.podSelector, pod.labels);
}

export const selects = (cp: CompiledPolicy, pod: PodView): boolean => pod.namespace === cp.namespace && matchesSelector(cp.podSelector, pod.labels);

interface Addr {
  address: Address;
  ethertype: 'IPv4' | 'IPv6';
}

/** The addresses a peer stands for in rules with numeric ports. */
function peerAddresses(w: World, cp: CompiledPolicy, peer: Peer, dir: 'ingress' | 'egress'): Addr[] {
  switch (peer.kind) {
    case 'ipBlock':
      return peer.cidrs.map((c) => ({ address: subnetAddress(c.prefix, c.len), ethertype: c.family === 4 ? 'IPv4' : 'IPv6' }));
    case 'ownNamespace':
      return [{ address: sgAddress([...projectOf(w.names, cp.namespace), nsSgName(w.names, cp.namespace)]), ethertype: 'IPv4' }];
    case 'namespaces':
      return [...w.namespaces.keys()]
        .filter((ns) => matchesSelector(peer.selector, nsLabels(w, ns)))
        .sort()
        .map((ns) => ({ address: sgAddress([...projectOf(w.names, ns), nsSgName(w.names, ns)]), ethertype: 'IPv4' }));
    case 'pods':
      return peer.namedOnly ? [] : [{ address: sgAddress(groupFq(w, cp, identitySgName(cp, dir, peer.index))), ethertype: 'IPv4' }];
  }
}

const ruleAddresses = (w: World, cp: CompiledPolicy, r: CompiledRule, dir: 'ingress' | 'egress'): Addr[] =>
  r.peers.length === 0 || r.peers.every((p) => p.kind === 'pods' && p.namedOnly)
    ? [
        { address: ANY_V4, ethertype: 'IPv4' },
        { address: ANY_V6, ethertype: 'IPv6' },
      ]
    : r.peers.flatMap((p) => peerAddresses(w, cp, p, dir));

/** (protocol, range) pairs of the numeric ports of a rule; a rule without ports means everything. */
function numericPorts(r: CompiledRule): { protocol: string; range: PortRange }[] {
  if (r.ports.length === 0) return [{ protocol: 'any', range: ALL_PORTS }];
  const out: { protocol: string; range: PortRange }[] = [];
  for (const p of r.ports) {
    if (p.kind === 'all') out.push({ protocol: PROTOCOL_NUMBER[p.protocol], range: ALL_PORTS });
    else if (p.kind === 'range') out.push({ protocol: PROTOCOL_NUMBER[p.protocol], range: { start_port: p.start, end_port: p.end } });
  }
  return out;
}

function dedupe(rules: Rule[]): Rule[] {
  const seen = new Set<string>();
  return rules.filter((r) => {
    const k = JSON.stringify(r);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Every security group the policy owns, by name, with its rules. */
export function policyGroups(cp: CompiledPolicy, w: World): Map<string, Rule[]> {
  const groups = new Map<string, Rule[]>();
  const main: Rule[] = [];
  const ingressNamed = namedSpecs(cp.ingress);
  for (const r of cp.ingress ?? []) {
    for (const a of ruleAddresses(w, cp, r, 'ingress')) for (const p of numericPorts(r)) main.push(ingressRule(p.protocol, a.ethertype, a.address, p.range));
    for (const peer of r.peers) if (peer.kind === 'pods') groups.set(identitySgName(cp, 'ingress', peer.index), []);
  }
  for (const r of cp.egress ?? []) {
    const named = r.ports.filter((p) => p.kind === 'named');
    if (r.ports.length === 0 || named.length < r.ports.length) {
      for (const a of ruleAddresses(w, cp, r, 'egress')) for (const p of numericPorts(r)) main.push(egressRule(p.protocol, a.ethertype, a.address, p.range));
    }
    for (const peer of r.peers) {
      if (peer.kind !== 'pods') continue;
      if (!peer.namedOnly) groups.set(identitySgName(cp, 'egress', peer.index), []);
      if (named.length === 0) continue;
      // One identity per way the peer's pods resolve the rule's named ports.
      const bySig = new Map<string, Resolved[]>();
      for (const pod of w.pods) {
        if (!peerMatchesPod(w, cp, peer, pod)) continue;
        const res = resolveNamed(named, pod);
        const sig = sigOf(res);
        if (sig) bySig.set(sig, res);
      }
      for (const [sig, res] of [...bySig].sort(([a], [b]) => a.localeCompare(b))) {
        const name = splitSgName(cp, peer.index, sig);
        groups.set(name, []);
        for (const x of res) main.push(egressRule(PROTOCOL_NUMBER[x.protocol], 'IPv4', sgAddress(groupFq(w, cp, name)), { start_port: x.port, end_port: x.port }));
      }
    }
  }
  groups.set(cp.mainSg, dedupe(main));
  if (ingressNamed.length > 0) {
    // Ingress named ports resolve on the selected (destination) pod: one group per resolution.
    const bySig = new Map<string, Resolved[]>();
    for (const pod of w.pods) {
      if (!selects(cp, pod)) continue;
      const res = resolveNamed(ingressNamed, pod);
      const sig = sigOf(res);
      if (sig) bySig.set(sig, res);
    }
    for (const [sig, res] of bySig) {
      const rules: Rule[] = [];
      for (const r of cp.ingress ?? []) {
        const wanted = new Set(r.ports.filter((p) => p.kind === 'named').map((p) => `${p.protocol}/${(p as { name: string }).name}`));
        const ports = res.filter((x) => wanted.has(`${x.protocol}/${x.name}`));
        if (ports.length === 0) continue;
        for (const a of ruleAddresses(w, cp, r, 'ingress')) for (const x of ports) rules.push(ingressRule(PROTOCOL_NUMBER[x.protocol], a.ethertype, a.address, { start_port: x.port, end_port: x.port }));
      }
      groups.set(variantSgName(cp, sig), dedupe(rules));
    }
  }
  return groups;
}

/** fq_names of the security groups the pod's interface should carry. */
export function podGroups(pod: PodView, policies: readonly CompiledPolicy[], w: World): string[][] {
  const project = projectOf(w.names, pod.namespace);
  const selecting = policies.filter((cp) => selects(cp, pod));
  const ingressIsolated = selecting.some((cp) => cp.ingress !== undefined);
  const egressIsolated = selecting.some((cp) => cp.egress !== undefined);
  const out: string[][] = [];
  if (!ingressIsolated && !egressIsolated) out.push([...project, nsDefaultSgName(w.names, pod.namespace)]);
  out.push([...project, nsSgName(w.names, pod.namespace)]);
  if (ingressIsolated || egressIsolated) {
    if (!ingressIsolated) out.push([...project, nsAllowIngressSgName(w.names, pod.namespace)]);
    if (!egressIsolated) out.push([...project, nsAllowEgressSgName(w.names, pod.namespace)]);
    for (const cp of selecting) {
      out.push(groupFq(w, cp, cp.mainSg));
      const sig = sigOf(resolveNamed(namedSpecs(cp.ingress), pod));
      if (sig) out.push(groupFq(w, cp, variantSgName(cp, sig)));
    }
  }
  for (const cp of policies) {
    for (const r of cp.ingress ?? []) {
      for (const peer of r.peers) if (peer.kind === 'pods' && peerMatchesPod(w, cp, peer, pod)) out.push(groupFq(w, cp, identitySgName(cp, 'ingress', peer.index)));
    }
    for (const r of cp.egress ?? []) {
      const named = r.ports.filter((p) => p.kind === 'named');
      for (const peer of r.peers) {
        if (peer.kind !== 'pods' || !peerMatchesPod(w, cp, peer, pod)) continue;
        if (!peer.namedOnly) out.push(groupFq(w, cp, identitySgName(cp, 'egress', peer.index)));
        const sig = named.length > 0 ? sigOf(resolveNamed(named, pod)) : undefined;
        if (sig) out.push(groupFq(w, cp, splitSgName(cp, peer.index, sig)));
      }
    }
  }
  const seen = new Set<string>();
  return out.filter((fq) => {
    const k = fq.join(':');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
