// Command lines for `ip -batch -` and `bridge -batch -` (pure string builders), shared by the renderer's
// planner and the pod plumbing so that both write exactly the same objects.
import { GATEWAY_MAC, VXLAN_PORT, vxlanMac, type LocalInterface } from '../model.js';

/** A namespace given by name lives under /run/netns; a path (CNI_NETNS) is used as is. */
export function netnsPath(ns: string): string {
  return ns.includes('/') ? ns : `/run/netns/${ns}`;
}

export function vxlanAddLine(name: string, vni: number, localIp: string, underlay: string, mtu: number | undefined): string {
  const mtuPart = mtu === undefined ? '' : ` mtu ${mtu}`;
  return `link add ${name} address ${vxlanMac(localIp, vni)}${mtuPart} type vxlan id ${vni} dstport ${VXLAN_PORT} local ${localIp} dev ${underlay} nolearning`;
}

/** Creates the veth pair with the peer born inside the pod namespace under its final name. */
export function tapAddLine(f: LocalInterface, mtu: number): string {
  return `link add ${f.tap} address ${GATEWAY_MAC} mtu ${mtu} type veth peer name ${f.ifname} address ${f.mac} mtu ${mtu} netns ${netnsPath(f.netns)}`;
}

export function linkSetLine(name: string, attrs: { mtu?: number; mac?: string; up?: boolean }): string {
  const parts = [`link set dev ${name}`];
  if (attrs.mtu !== undefined) parts.push(`mtu ${attrs.mtu}`);
  if (attrs.mac !== undefined) parts.push(`address ${attrs.mac}`);
  if (attrs.up) parts.push('up');
  return parts.join(' ');
}

export function neighReplaceLine(dst: string, mac: string, dev: string): string {
  return `neigh replace ${dst} lladdr ${mac} dev ${dev} nud permanent`;
}

export function fdbAppendLine(mac: string, dev: string, dst: string): string {
  return `fdb append ${mac} dev ${dev} dst ${dst} self permanent`;
}

export function fdbDelLine(mac: string, dev: string, dst: string): string {
  return `fdb del ${mac} dev ${dev} dst ${dst} self`;
}

export interface RuleSpec {
  priority: number;
  iif?: string;
  /** a.b.c.d/len */
  dst?: string;
  /** [mark, mask] */
  fwmark?: readonly [number, number];
  /** table id or 'main' */
  table: string;
}

export function ruleSelector(r: RuleSpec): string {
  const parts = [`priority ${r.priority}`];
  if (r.iif !== undefined) parts.push(`iif ${r.iif}`);
  if (r.dst !== undefined) parts.push(`to ${r.dst}`);
  if (r.fwmark !== undefined) parts.push(`fwmark 0x${r.fwmark[0].toString(16)}/0x${r.fwmark[1].toString(16)}`);
  parts.push(`lookup ${r.table}`);
  return parts.join(' ');
}

/** Lines run inside the pod namespace after its end of the veth exists there. */
export function podSideLines(f: LocalInterface): string[] {
  return [
    'link set dev lo up',
    `addr add ${f.ip}/${f.plen} dev ${f.ifname} noprefixroute`,
    `link set dev ${f.ifname} up`,
    `route add ${f.gateway}/32 dev ${f.ifname} scope link`,
    `route add default via ${f.gateway} dev ${f.ifname}`,
    neighReplaceLine(f.gateway, GATEWAY_MAC, f.ifname),
  ];
}
