// Security-group rule builders in the shape of seed 004 A.2 (PolicyRuleType: direction '>',
// 'local' for the interface's own side, subnets for CIDRs, security groups by fq_name string). Pure.

export interface Address {
  security_group?: string;
  subnet?: { ip_prefix: string; ip_prefix_len: number };
}

export interface PortRange {
  start_port: number;
  end_port: number;
}

export interface Rule {
  direction: '>';
  protocol: string;
  ethertype: 'IPv4' | 'IPv6';
  src_addresses: Address[];
  src_ports: PortRange[];
  dst_addresses: Address[];
  dst_ports: PortRange[];
  [k: string]: unknown;
}

export const ALL_PORTS: PortRange = { start_port: 0, end_port: 65535 };
export const LOCAL: Address = { security_group: 'local' };
export const ANY_V4: Address = { subnet: { ip_prefix: '0.0.0.0', ip_prefix_len: 0 } };
export const ANY_V6: Address = { subnet: { ip_prefix: '::', ip_prefix_len: 0 } };

export const sgAddress = (fq: readonly string[]): Address => ({ security_group: fq.join(':') });
export const subnetAddress = (prefix: string, len: number): Address => ({ subnet: { ip_prefix: prefix, ip_prefix_len: len } });

export function ingressRule(protocol: string, ethertype: 'IPv4' | 'IPv6', src: Address, dstPorts: PortRange): Rule {
  return { direction: '>', protocol, ethertype, src_addresses: [src], src_ports: [ALL_PORTS], dst_addresses: [LOCAL], dst_ports: [dstPorts] };
}

export function egressRule(protocol: string, ethertype: 'IPv4' | 'IPv6', dst: Address, dstPorts: PortRange): Rule {
  return { direction: '>', protocol, ethertype, src_addresses: [LOCAL], src_ports: [ALL_PORTS], dst_addresses: [dst], dst_ports: [dstPorts] };
}

/** `<cluster>-<ns>-default`: everything in, everything out (seed 004 A.2, in its order). */
export const allowAllRules = (): Rule[] => [...allowIngressRules(), ...allowEgressRules()];
export const allowIngressRules = (): Rule[] => [ingressRule('any', 'IPv4', ANY_V4, ALL_PORTS), ingressRule('any', 'IPv6', ANY_V6, ALL_PORTS)];
export const allowEgressRules = (): Rule[] => [egressRule('any', 'IPv4', ANY_V4, ALL_PORTS), egressRule('any', 'IPv6', ANY_V6, ALL_PORTS)];

export const entries = (rules: readonly Rule[]): { policy_rule: Rule[] } => ({ policy_rule: [...rules] });
