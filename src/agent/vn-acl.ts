// A virtual network's access-control-list as the agent enforces it (pure): the transformer writes it as
// the child `<vn fq_name>:<vn name>` of the network (docs/transformer.md, rule 3) — the network's policy
// rules in order, pass within the network, deny between the networks the policies name, pass any → any —
// and the agent turns each ACL rule into the datapath's VRF policy rules (model.ts): a network address
// becomes the address group `vn<network id>` (its members: the local interfaces of that network and every
// route whose origin-VN community names it — the original's way of classifying a flow's source and
// destination network), a subnet list one rule per subnet, a bidirectional rule (`<>`) the rule plus its
// mirror (addresses and ports swapped). IPv6 rules are left out silently; rules the datapath cannot
// enforce (security-group addresses, unexpanded policy addresses, unknown protocols) are left out with a
// problem; a rule naming a network that does not exist matches nothing and is left out.
import { isIpv4, parseCidr, formatCidr } from '../common/ip.js';
import type { ConfigReader } from './config-view.js';
import type { AccessControlList, AclRuleType, AddressType, PortType, VirtualNetwork } from '../vnc/schema.js';

export type AclEndpoint = { kind: 'any' } | { kind: 'network'; fqName: string; index: number } | { kind: 'cidrs'; cidrs: string[] };

export interface VnAclRule {
  id?: string;
  action: 'pass' | 'deny';
  /** 'any' or an IP protocol number */
  protocol: 'any' | number;
  src: AclEndpoint;
  dst: AclEndpoint;
  srcPorts?: { from: number; to: number };
  dstPorts?: { from: number; to: number };
  /** `<>`: the mirror of the rule (addresses and ports swapped) matches too */
  bidirectional: boolean;
}

const PROTO_NUMBERS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, icmp6: 58, 'ipv6-icmp': 58, sctp: 132 };

function protocolOf(p: string | null | undefined): 'any' | number | undefined {
  if (p === undefined || p === null || p === '' || p === 'any') return 'any';
  if (/^\d+$/.test(p)) return Number(p) <= 255 ? Number(p) : undefined;
  return PROTO_NUMBERS[p.toLowerCase()];
}

function portRange(p: PortType | null | undefined): { from: number; to: number } | undefined {
  const from = p?.start_port ?? -1;
  const to = p?.end_port ?? -1;
  const f = from < 0 ? 0 : from;
  const t = to < 0 ? 65535 : to;
  if (f === 0 && t >= 65535) return undefined;
  return f <= t && t <= 65535 ? { from: f, to: t } : undefined;
}

/** An ACL address as an endpoint, 'skip' (matches nothing we can name: drop the rule), or a problem. */
function endpoint(c: ConfigReader, a: AddressType | null | undefined): AclEndpoint | 'skip' | 'ipv6' | { problem: string } {
  const subnets = [...(a?.subnet ? [a.subnet] : []), ...(a?.subnet_list ?? [])];
  if (subnets.length > 0) {
    const cidrs: string[] = [];
    for (const s of subnets) {
      if (!s.ip_prefix || typeof s.ip_prefix_len !== 'number') return { problem: 'a subnet without prefix' };
      if (!isIpv4(s.ip_prefix)) return 'ipv6';
      cidrs.push(formatCidr(parseCidr(`${s.ip_prefix}/${s.ip_prefix_len}`, false)));
    }
    return { kind: 'cidrs', cidrs };
  }
  if (a?.security_group && a.security_group !== '-1' && a.security_group !== 'any') return { problem: 'security-group addresses are not supported in network policies' };
  if (a?.network_policy) return { problem: `policy address ${a.network_policy} was not expanded` };
  const vn = a?.virtual_network;
  if (!vn || vn === 'any') return { kind: 'any' };
  const net = c.getByFqName('virtual-network', vn.split(':')) as VirtualNetwork | undefined;
  const index = net?.virtual_network_network_id;
  return typeof index === 'number' && index > 0 ? { kind: 'network', fqName: vn, index } : 'skip';
}

/** One transformer ACL rule as a VnAclRule, undefined to leave it out silently, or a problem. */
export function aclRuleToVnRule(c: ConfigReader, r: AclRuleType): VnAclRule | undefined | { problem: string } {
  const m = r.match_condition;
  if (!m) return { problem: 'no match condition' };
  if (m.ethertype === 'IPv6') return undefined;
  const action = r.action_list?.simple_action;
  if (action !== 'pass' && action !== 'deny') return { problem: `action ${JSON.stringify(action ?? null)} is not supported` };
  const protocol = protocolOf(m.protocol);
  if (protocol === undefined) return { problem: `unknown protocol ${JSON.stringify(m.protocol)}` };
  const src = endpoint(c, m.src_address);
  const dst = endpoint(c, m.dst_address);
  for (const e of [src, dst]) {
    if (e === 'ipv6' || e === 'skip') return undefined;
    if ('problem' in e) return e;
  }
  const portful = protocol === 'any' || protocol === 6 || protocol === 17 || protocol === 132;
  const srcPorts = portful ? portRange(m.src_port) : undefined;
  const dstPorts = portful ? portRange(m.dst_port) : undefined;
  return {
    ...(r.rule_uuid ? { id: r.rule_uuid } : {}),
    action,
    protocol,
    src: src as AclEndpoint,
    dst: dst as AclEndpoint,
    ...(srcPorts ? { srcPorts } : {}),
    ...(dstPorts ? { dstPorts } : {}),
    bidirectional: (r.direction ?? '<>') === '<>',
  };
}

/** The network's ACL rules, or undefined when the transformer wrote none (the network has no policy). */
export function vnAclConfig(c: ConfigReader, vn: VirtualNetwork, problems: string[]): VnAclRule[] | undefined {
  const name = vn.fq_name[vn.fq_name.length - 1];
  const acl = (c.children(vn.uuid, 'access-control-list') as AccessControlList[]).find((a) => a.fq_name[a.fq_name.length - 1] === name);
  if (!acl) return undefined;
  const out: VnAclRule[] = [];
  for (const r of acl.access_control_list_entries?.acl_rule ?? []) {
    const x = aclRuleToVnRule(c, r);
    if (x === undefined) continue;
    if ('problem' in x) problems.push(`network ${vn.fq_name.join(':')}: ACL rule ${r.rule_uuid ?? '?'} left out: ${x.problem}`);
    else out.push(x);
  }
  return out;
}
