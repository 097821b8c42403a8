// A security group's ingress and egress access-control-lists (pure), as the original's
// SecurityGroupST.policy_to_acl_rule: a rule whose destination is `local` goes to the ingress ACL,
// one whose source is `local` to the egress ACL; `local` becomes the group's own id, `any` -1,
// another group's fq_name that group's id (a rule naming a group that does not exist yet is left
// out until it does); protocol names become numbers (per ethertype), missing ports 0-65535; every
// rule passes.
import type { AclEntriesType, AclRuleType, AddressType, SecurityGroup } from '../vnc/schema.js';
import { ports, pushUnique } from './acl-common.js';
import { protocolToAcl } from './protocols.js';
import { fqStr, type World } from './world.js';

export interface SgAcls {
  ingress: AclEntriesType;
  egress: AclEntriesType;
  problems: string[];
  /** fq_names of other groups the rules name (the caller's dependencies) */
  referredGroups: Set<string>;
}

export const INGRESS_ACL = 'ingress-access-control-list';
export const EGRESS_ACL = 'egress-access-control-list';

export function sgAcls(sg: SecurityGroup, world: World): SgAcls {
  const ingress: AclRuleType[] = [];
  const egress: AclRuleType[] = [];
  const seenIn = new Set<string>();
  const seenOut = new Set<string>();
  const problems: string[] = [];
  const referredGroups = new Set<string>();
  const self = fqStr(sg.fq_name);
  const ownId = sg.security_group_id;

  /** The address as the ACL carries it, or undefined when a named group is unknown. */
  const convert = (a: AddressType): AddressType | undefined => {
    const out: AddressType = {};
    if (a.virtual_network) out.virtual_network = a.virtual_network;
    if (a.subnet) out.subnet = a.subnet;
    if (a.subnet_list?.length) out.subnet_list = a.subnet_list;
    const g = a.security_group;
    if (g) {
      if (g === 'local' || g === self) out.security_group = String(ownId);
      else if (g === 'any') out.security_group = '-1';
      else {
        referredGroups.add(g);
        const other = world.sgByFq(g);
        if (!other?.security_group_id) return undefined;
        out.security_group = String(other.security_group_id);
      }
    }
    return out;
  };

  for (const rule of sg.security_group_entries?.policy_rule ?? []) {
    const protocol = protocolToAcl(rule.protocol, rule.ethertype);
    if (protocol === undefined) {
      problems.push(`rule ${rule.rule_uuid ?? '?'}: unknown protocol ${JSON.stringify(rule.protocol)}: ignored`);
      continue;
    }
    for (const s0 of rule.src_addresses ?? []) {
      const src = convert(s0);
      if (!src) continue;
      for (const sp of ports(rule.src_ports)) {
        for (const d0 of rule.dst_addresses ?? []) {
          const dst = convert(d0);
          if (!dst) continue;
          const toIngress = d0.security_group === 'local';
          const toEgress = s0.security_group === 'local';
          if (!toIngress && !toEgress) {
            problems.push(`rule ${rule.rule_uuid ?? '?'}: neither source nor destination is 'local': ignored`);
            continue;
          }
          for (const dp of ports(rule.dst_ports)) {
            const acl: AclRuleType = {
              match_condition: { protocol, src_address: src, src_port: sp, dst_address: dst, dst_port: dp, ...(rule.ethertype ? { ethertype: rule.ethertype } : {}) },
              action_list: { simple_action: 'pass' },
              rule_uuid: rule.rule_uuid ?? null,
              direction: rule.direction ?? '>',
            };
            if (toIngress) pushUnique(ingress, seenIn, acl);
            else pushUnique(egress, seenOut, acl);
          }
        }
      }
    }
  }
  return { ingress: { dynamic: false, acl_rule: ingress }, egress: { dynamic: false, acl_rule: egress }, problems, referredGroups };
}
