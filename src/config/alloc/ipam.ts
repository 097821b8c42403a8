// IP address management as the original's vnc_addr_mgmt: subnets come from a flat-subnet IPAM
// (ipam_subnets on the network-ipam, one pool shared by every VN using it) or from user-defined
// subnets on the VN → IPAM reference attribute (a pool per VN). Defaults: gateway = last-1,
// DNS = last-2 (first+1 / first+2 with addr_from_start); network, broadcast, gateway and DNS
// addresses are never allocated; allocation runs top-down unless addr_from_start.
import { formatCidr, formatIpv4, isIpv4, lastAddr, parseCidr, parseIpv4, cidrContains, cidrOverlaps, type Cidr } from '../../common/ip.js';
import { BadRequest } from '../../vnc/errors.js';
import type { IpamSubnetType, VnSubnetsType } from '../../vnc/schema/objects.js';
import { newUuid } from '../ids.js';
import type { StoredObject } from '../mirror.js';

export interface SubnetInfo {
  /** allocation scope: 'ipam:<uuid>' for a flat IPAM, 'vn:<uuid>' for user-defined subnets */
  readonly scope: string;
  readonly cidr: Cidr;
  readonly gateway: number | undefined;
  readonly dns: number | undefined;
  /** allocatable ranges, inclusive, in allocation order */
  readonly ranges: readonly (readonly [number, number])[];
  readonly dir: 'up' | 'down';
  /** the subnet_uuid an instance-ip allocated here records */
  readonly subnetUuid: string | null;
  readonly flat: boolean;
  readonly ipamUuid: string;
}

const v4 = (s: unknown): number | undefined => (typeof s === 'string' && isIpv4(s) ? parseIpv4(s) : undefined);

/**
 * Validates one ipam_subnets entry and fills what the server assigns: subnet_uuid (when
 * `assignUuid`), default_gateway and dns_server_address. Returns a new entry.
 */
export function normalizeSubnet(entry: IpamSubnetType, where: string, assignUuid: boolean): IpamSubnetType {
  const out: IpamSubnetType = { ...entry };
  if (assignUuid && !out.subnet_uuid) out.subnet_uuid = newUuid();
  if (!out.subnet) return out;
  const { ip_prefix, ip_prefix_len } = out.subnet;
  if (typeof ip_prefix !== 'string' || typeof ip_prefix_len !== 'number') {
    throw new BadRequest(`${where}: subnet needs ip_prefix and ip_prefix_len`, 'INVALID_SUBNET');
  }
  if (ip_prefix.includes(':')) throw new BadRequest(`${where}: IPv6 subnets are not supported (${ip_prefix}/${ip_prefix_len})`, 'INVALID_SUBNET');
  let cidr: Cidr;
  try {
    cidr = parseCidr(`${ip_prefix}/${ip_prefix_len}`);
  } catch (err) {
    throw new BadRequest(`${where}: invalid subnet ${ip_prefix}/${ip_prefix_len}: ${(err as Error).message}`, 'INVALID_SUBNET');
  }
  const last = lastAddr(cidr);
  const size = last - cidr.addr + 1;
  for (const [field, value] of [['default_gateway', out.default_gateway], ['dns_server_address', out.dns_server_address]] as const) {
    if (value === null || value === undefined || value === 'None') continue;
    const n = v4(value);
    if (n === undefined || !cidrContains(cidr, n)) {
      throw new BadRequest(`${where}: ${field} ${value} is not an address in ${formatCidr(cidr)}`, 'INVALID_SUBNET');
    }
  }
  if (size >= 4) {
    if (!out.default_gateway || out.default_gateway === 'None') out.default_gateway = formatIpv4(out.addr_from_start ? cidr.addr + 1 : last - 1);
    if (!out.dns_server_address || out.dns_server_address === 'None') out.dns_server_address = formatIpv4(out.addr_from_start ? cidr.addr + 2 : last - 2);
  }
  for (const pool of out.allocation_pools ?? []) {
    const s = v4(pool.start);
    const e = v4(pool.end);
    if (s === undefined || e === undefined || !cidrContains(cidr, s) || !cidrContains(cidr, e) || e < s) {
      throw new BadRequest(`${where}: allocation pool ${pool.start}-${pool.end} is not a range inside ${formatCidr(cidr)}`, 'INVALID_SUBNET');
    }
  }
  return out;
}

/** Rejects overlapping subnets within one list. */
export function checkNoOverlap(entries: readonly IpamSubnetType[], where: string): void {
  const cidrs = entries.filter((e) => e.subnet).map((e) => parseCidr(`${e.subnet!.ip_prefix}/${e.subnet!.ip_prefix_len}`));
  for (let i = 0; i < cidrs.length; i++) {
    for (let j = i + 1; j < cidrs.length; j++) {
      if (cidrOverlaps(cidrs[i], cidrs[j])) throw new BadRequest(`${where}: subnets ${formatCidr(cidrs[i])} and ${formatCidr(cidrs[j])} overlap`, 'INVALID_SUBNET');
    }
  }
}

function info(entry: IpamSubnetType, scope: string, flat: boolean, ipamUuid: string, subnetUuid: string | null): SubnetInfo | undefined {
  if (!entry.subnet?.ip_prefix || entry.subnet.ip_prefix_len === null || entry.subnet.ip_prefix_len === undefined) return undefined;
  const cidr = parseCidr(`${entry.subnet.ip_prefix}/${entry.subnet.ip_prefix_len}`, false);
  const last = lastAddr(cidr);
  const dir = entry.addr_from_start ? 'up' : 'down';
  let ranges: [number, number][] =
    entry.allocation_pools && entry.allocation_pools.length > 0
      ? entry.allocation_pools.map((p) => [parseIpv4(p.start!), parseIpv4(p.end!)] as [number, number])
      : [[cidr.addr + 1, last - 1]];
  ranges = ranges
    .map(([s, e]): [number, number] => [Math.max(s, cidr.addr + 1), Math.min(e, last - 1)])
    .filter(([s, e]) => s <= e)
    .sort((a, b) => (dir === 'up' ? a[0] - b[0] : b[0] - a[0]));
  return { scope, cidr, gateway: v4(entry.default_gateway), dns: v4(entry.dns_server_address), ranges, dir, subnetUuid, flat, ipamUuid };
}

export type AllocationMode = 'user-defined-subnet-preferred' | 'user-defined-subnet-only' | 'flat-subnet-preferred' | 'flat-subnet-only';

interface SubnetLists {
  /** the IPAM objects the lists were computed from, in reference order */
  readonly ipams: readonly (StoredObject | undefined)[];
  readonly user: readonly SubnetInfo[];
  readonly flat: readonly SubnetInfo[];
}

/**
 * Parsed subnets per VN object. Stored objects are immutable (a change makes a new object), so a
 * VN's lists stay valid while the VN and its IPAM objects are the same objects: every instance-ip
 * create on a network reuses them instead of re-parsing its subnets.
 */
const listsCache = new WeakMap<StoredObject, SubnetLists>();

function subnetLists(vn: StoredObject, getIpam: (uuid: string) => StoredObject | undefined): SubnetLists {
  const refs = (vn.network_ipam_refs as { uuid: string; attr?: VnSubnetsType | null }[] | undefined) ?? [];
  const ipams = refs.map((r) => getIpam(r.uuid));
  const hit = listsCache.get(vn);
  if (hit && hit.ipams.length === ipams.length && hit.ipams.every((o, i) => o === ipams[i])) return hit;
  const user: SubnetInfo[] = [];
  const flat: SubnetInfo[] = [];
  refs.forEach((ref, k) => {
    const ipam = ipams[k];
    if (!ipam) return;
    const attrSubnets = ref.attr?.ipam_subnets ?? [];
    if (ipam.ipam_subnet_method === 'flat-subnet') {
      const marker = attrSubnets.find((s) => !s.subnet) ?? attrSubnets[0];
      const subnets = (ipam.ipam_subnets as { subnets?: IpamSubnetType[] } | undefined)?.subnets ?? [];
      for (const s of subnets) {
        const i = info(s, `ipam:${ipam.uuid}`, true, ipam.uuid, marker?.subnet_uuid ?? s.subnet_uuid ?? null);
        if (i) flat.push(i);
      }
    } else {
      for (const s of attrSubnets) {
        const i = info(s, `vn:${vn.uuid}`, false, ipam.uuid, s.subnet_uuid ?? null);
        if (i) user.push(i);
      }
    }
  });
  const lists = { ipams, user, flat };
  listsCache.set(vn, lists);
  return lists;
}

/**
 * The subnets a VN allocates from, in preference order (address_allocation_mode): its IPAM
 * references in order, flat-subnet IPAMs contributing the IPAM's subnets, user-defined ones the
 * subnets on the reference attribute.
 */
export function vnSubnets(vn: StoredObject, getIpam: (uuid: string) => StoredObject | undefined, opts: { anyMode?: boolean } = {}): SubnetInfo[] {
  const { user, flat } = subnetLists(vn, getIpam);
  // An explicit subnet (instance-ip subnet_uuid) may come from any subnet: the seed's cluster-network
  // is user-defined-subnet-only, yet its pods get addresses from the flat pod-ipam by subnet_uuid.
  if (opts.anyMode) return [...user, ...flat];
  switch (vn.address_allocation_mode as AllocationMode | null | undefined) {
    case 'flat-subnet-only':
      return [...flat];
    case 'user-defined-subnet-only':
      return [...user];
    case 'flat-subnet-preferred':
      return [...flat, ...user];
    default:
      return [...user, ...flat];
  }
}

/** The subnet of `subnets` that contains `addr`, if any. */
export function subnetOf(subnets: readonly SubnetInfo[], addr: number): SubnetInfo | undefined {
  return subnets.find((s) => cidrContains(s.cidr, addr));
}
