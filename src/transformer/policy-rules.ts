// How a virtual network reads its network policies (pure), as the original's
// VirtualNetworkST.policy_to_acl_rule: policies in the order of their reference's sequence
// (major, minor), rules in rule_sequence order; for each rule the (source, destination) address
// pairs that concern this network, with `local` resolved to the network and policy addresses
// (`network_policy: <fq>`) expanded to the networks attached to that policy.
import type { AddressType, NetworkPolicy, PolicyRuleType, SequenceType, VirtualNetwork } from '../vnc/schema.js';
import { fqStr, type World } from './world.js';

export interface AttachedPolicy {
  policy: NetworkPolicy;
  sequence: SequenceType | null;
}

const seqKey = (s: SequenceType | null | undefined): [number, number] => [s?.major ?? Number.MAX_SAFE_INTEGER, s?.minor ?? Number.MAX_SAFE_INTEGER];

function cmpSeq(a: SequenceType | null | undefined, b: SequenceType | null | undefined): number {
  const [am, an] = seqKey(a);
  const [bm, bn] = seqKey(b);
  return am - bm || an - bn;
}

/** The network's policies that exist, ordered by the reference sequence, then by fq_name. */
export function attachedPolicies(vn: VirtualNetwork, world: World): AttachedPolicy[] {
  const out: AttachedPolicy[] = [];
  for (const ref of vn.network_policy_refs ?? []) {
    const policy = world.policy(ref.uuid);
    if (policy) out.push({ policy, sequence: ref.attr?.sequence ?? null });
  }
  return out.sort((a, b) => cmpSeq(a.sequence, b.sequence) || fqStr(a.policy.fq_name).localeCompare(fqStr(b.policy.fq_name)));
}

/** The policy's rules in rule_sequence order (rules without one keep their place after those with one). */
export function orderedRules(policy: NetworkPolicy): PolicyRuleType[] {
  const rules = policy.network_policy_entries?.policy_rule ?? [];
  return rules
    .map((r, i) => ({ r, i }))
    .sort((a, b) => cmpSeq(a.r.rule_sequence, b.r.rule_sequence) || a.i - b.i)
    .map((x) => x.r);
}

export interface AddressPair {
  src: AddressType;
  dst: AddressType;
}

const isMe = (self: string, vn: string | null | undefined): boolean => vn === self || vn === 'any';

function attachedNames(world: World, policyFq: string): string[] {
  const p = world.policyByFq(policyFq);
  return p ? world.vnsAttachedTo(p.uuid).map((v) => fqStr(v.fq_name)).sort() : [];
}

function expand(world: World, addr: AddressType): AddressType[] {
  if (addr.network_policy) return attachedNames(world, addr.network_policy).map((vn) => ({ virtual_network: vn }));
  return [addr];
}

const clean = (a: AddressType): AddressType => {
  const out: AddressType = {};
  if (a.virtual_network) out.virtual_network = a.virtual_network;
  if (a.security_group) out.security_group = a.security_group;
  if (a.network_policy) out.network_policy = a.network_policy;
  if (a.subnet) out.subnet = a.subnet;
  if (a.subnet_list?.length) out.subnet_list = a.subnet_list;
  return out;
};

const hasSubnet = (a: AddressType): boolean => !!a.subnet || !!a.subnet_list?.length;

/**
 * The address pairs of `rule` that concern the network `self` (its fq_name string), in the
 * original's order (source addresses outer, destination inner, policy addresses expanded in name
 * order). Policy addresses used are added to `usedPolicies` (the caller's dependencies).
 */
export function rulePairs(self: string, rule: PolicyRuleType, world: World, usedPolicies?: Set<string>): AddressPair[] {
  const out: AddressPair[] = [];
  for (const s0 of rule.src_addresses ?? []) {
    for (const d0 of rule.dst_addresses ?? []) {
      let s = clean(s0);
      let d = clean(d0);
      if (s.virtual_network === 'local') s = { ...s, virtual_network: self };
      if (d.virtual_network === 'local') d = { ...d, virtual_network: self };
      if (s.network_policy) usedPolicies?.add(s.network_policy);
      if (d.network_policy) usedPolicies?.add(d.network_policy);
      if (isMe(self, s.virtual_network) || isMe(self, d.virtual_network)) {
        // this network is a side already
      } else if (!d.virtual_network && d.network_policy) {
        if (!attachedNames(world, d.network_policy).includes(self)) continue;
        d = { virtual_network: self };
      } else if (!s.virtual_network && s.network_policy) {
        if (!attachedNames(world, s.network_policy).includes(self)) continue;
        s = { virtual_network: self };
      } else if (!(!s.virtual_network && !d.virtual_network && !s.network_policy && !d.network_policy && hasSubnet(s) && hasSubnet(d))) {
        continue;
      }
      for (const sa of expand(world, s)) for (const da of expand(world, d)) out.push({ src: sa, dst: da });
    }
  }
  return out;
}

/** Rules the transformer acts on: an action, and no service chain or mirroring (not supported). */
export function usableRule(rule: PolicyRuleType): boolean {
  const a = rule.action_list;
  if (!a?.simple_action) return false;
  return !(a.apply_service?.length || a.mirror_to?.analyzer_name);
}
