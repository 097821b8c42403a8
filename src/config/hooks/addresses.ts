// Address assignment for instance IPs and floating IPs inside the create transaction: a requested
// address is honoured when it lies in one of the candidate subnets and is free (409 otherwise);
// without one, the first free address of the first subnet with room, top-down.
import { formatCidr, formatIpv4, isIpv4, parseIpv4 } from '../../common/ip.js';
import { BadRequest, RefsExistError } from '../../vnc/errors.js';
import { fqNameRepr } from '../../vnc/schema.js';
import { subnetOf, type SubnetInfo } from '../alloc/ipam.js';
import { ipPool } from '../keys.js';
import type { WriteContext } from '../write/context.js';

export interface Assigned {
  address: string;
  subnet: SubnetInfo;
}

export function assignAddress(
  ctx: WriteContext,
  subnets: readonly SubnetInfo[],
  requested: unknown,
  owner: string,
  networkFq: readonly string[],
): Assigned {
  if (requested !== undefined && requested !== null) {
    if (typeof requested !== 'string' || !isIpv4(requested)) {
      throw new BadRequest(`Requested IP address ${JSON.stringify(requested)} is not an IPv4 address (IPv6 is not supported)`, 'INVALID_ADDRESS');
    }
    const n = parseIpv4(requested);
    const subnet = subnetOf(subnets, n);
    if (!subnet) {
      throw new BadRequest(`Requested IP address ${requested} is not in any subnet of virtual network ${fqNameRepr(networkFq)}`, 'INVALID_ADDRESS');
    }
    const pool = ipPool(subnet.scope);
    if (n === subnet.gateway || n === subnet.dns || ctx.plan.isTaken(pool, requested)) {
      throw new RefsExistError('IP address already in use', 'IP_IN_USE', { address: requested });
    }
    ctx.plan.allocate(pool, requested, owner);
    return { address: requested, subnet };
  }
  for (const subnet of subnets) {
    const pool = ipPool(subnet.scope);
    const reserved = new Set([subnet.gateway, subnet.dns].filter((x): x is number => x !== undefined));
    for (const [lo, hi] of subnet.ranges) {
      const [a, b] = lo <= hi ? [lo, hi] : [hi, lo];
      const n = ctx.alloc.nextAddress(pool, a, b, subnet.dir, reserved);
      if (n === undefined) continue;
      const address = formatIpv4(n);
      ctx.plan.allocate(pool, address, owner);
      return { address, subnet };
    }
  }
  throw new BadRequest(
    `Virtual-Network(${fqNameRepr(networkFq)}) has exhausted subnet(${fqNameRepr(subnets.map((s) => formatCidr(s.cidr)))})`,
    'SUBNET_EXHAUSTED',
  );
}
