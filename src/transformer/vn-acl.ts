// A virtual network's access-control-list (pure), as the original's VirtualNetworkST.evaluate with
// its default logical_routers_enabled: the ACL rules of the network's policies in order (policy
// sequence, rule sequence; deny rules included), then pass within the network, then for every
// policy-derived rule a deny between the same networks on any protocol and port (so a rule that
// passes some ports between two networks blocks the others), then pass any → any (reachability
// between unconnected networks is already prevented by routing). A rule whose match condition
// repeats an earlier rule's is left out (it could never apply). A network without policies has
// no ACL. Protocol names become numbers, `local` the network's fq_name, policy addresses the
// networks attached to that policy, missing or -1 ports 0-65535.
import type { AclEntriesType, AclRuleType, AddressType, VirtualNetwork } from '../vnc/schema.js';
import { ANY_PORT, IMPLICIT_ALLOW_UUID, ports, pushUnique } from './acl-common.js';
import { attachedPolicies, orderedRules, rulePairs, usableRule } from './policy-rules.js';
import { protocolToAcl } from './protocols.js';
import { fqStr, type World } from './world.js';

export interface AclProblem {
  policy: string;
  rule_uuid: string | null;
  problem: string;
}

export interface VnAcl {
  /** undefined: the network has no policies, so no ACL */
  entries: AclEntriesType | undefined;
  problems: AclProblem[];
}

const withoutSubnets = (a: AddressType): AddressType => (a.virtual_network ? { virtual_network: a.virtual_network } : a);

export function vnAcl(vn: VirtualNetwork, world: World): VnAcl {
  const policies = attachedPolicies(vn, world);
  const problems: AclProblem[] = [];
  if (policies.length === 0) return { entries: undefined, problems };
  const self = fqStr(vn.fq_name);
  const rules: AclRuleType[] = [];
  const seen = new Set<string>();
  for (const { policy } of policies) {
    for (const rule of orderedRules(policy)) {
      const where = { policy: fqStr(policy.fq_name), rule_uuid: rule.rule_uuid ?? null };
      if (!usableRule(rule)) {
        problems.push({ ...where, problem: 'rule has no simple_action, or asks for a service chain or mirroring (not supported): ignored' });
        continue;
      }
      const protocol = protocolToAcl(rule.protocol, rule.ethertype);
      if (protocol === undefined) {
        problems.push({ ...where, problem: `unknown protocol ${JSON.stringify(rule.protocol)}: rule ignored` });
        continue;
      }
      for (const { src, dst } of rulePairs(self, rule, world)) {
        for (const sp of ports(rule.src_ports)) {
          for (const dp of ports(rule.dst_ports)) {
            pushUnique(rules, seen, {
              match_condition: { protocol, src_address: src, src_port: sp, dst_address: dst, dst_port: dp, ...(rule.ethertype ? { ethertype: rule.ethertype } : {}) },
              action_list: { simple_action: rule.action_list!.simple_action },
              rule_uuid: rule.rule_uuid ?? null,
              direction: rule.direction ?? '<>',
            });
          }
        }
      }
    }
  }
  const policyRules = [...rules];
  const own: AddressType = { virtual_network: self };
  const any: AddressType = { virtual_network: 'any' };
  pushUnique(rules, seen, {
    match_condition: { protocol: 'any', src_address: own, src_port: ANY_PORT, dst_address: own, dst_port: ANY_PORT },
    action_list: { simple_action: 'pass' },
    rule_uuid: IMPLICIT_ALLOW_UUID,
    direction: '<>',
  });
  for (const r of policyRules) {
    pushUnique(rules, seen, {
      match_condition: { protocol: 'any', src_address: withoutSubnets(r.match_condition!.src_address!), src_port: ANY_PORT, dst_address: withoutSubnets(r.match_condition!.dst_address!), dst_port: ANY_PORT },
      action_list: { simple_action: 'deny' },
      rule_uuid: r.rule_uuid ?? null,
      direction: r.direction ?? '<>',
    });
  }
  pushUnique(rules, seen, {
    match_condition: { protocol: 'any', src_address: any, src_port: ANY_PORT, dst_address: any, dst_port: ANY_PORT },
    action_list: { simple_action: 'pass' },
    rule_uuid: IMPLICIT_ALLOW_UUID,
    direction: '<>',
  });
  return { entries: { dynamic: false, acl_rule: rules }, problems };
}
