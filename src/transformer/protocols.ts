// Protocol names of policy and security-group rules → the IP protocol numbers ACLs carry (as
// decimal strings, 'any' stays 'any'), as the original's protocol_policy_to_acl: for IPv6 rules
// 'icmp' means ICMPv6 (58).

const IPV4: Readonly<Record<string, string>> = {
  any: 'any',
  icmp: '1',
  igmp: '2',
  tcp: '6',
  egp: '8',
  igp: '9',
  udp: '17',
  rdp: '27',
  ipv6: '41',
  rsvp: '46',
  gre: '47',
  esp: '50',
  ah: '51',
  icmp6: '58',
  'ipv6-icmp': '58',
  ospf: '89',
  pim: '103',
  vrrp: '112',
  sctp: '132',
  udplite: '136',
};

/** The ACL protocol for a rule's protocol, or undefined when the name is unknown. */
export function protocolToAcl(protocol: string | null | undefined, ethertype: string | null | undefined): string | undefined {
  if (protocol === null || protocol === undefined || protocol === '') return 'any';
  if (/^\d+$/.test(protocol)) {
    const n = Number(protocol);
    return n <= 255 ? String(n) : undefined;
  }
  const p = protocol.toLowerCase();
  if (ethertype === 'IPv6' && p === 'icmp') return '58';
  return IPV4[p];
}
