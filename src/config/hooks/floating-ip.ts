// floating-ip: under a floating-ip-pool the address comes from the pool's VN (restricted to the
// pool's floating_ip_pool_subnets when given), allocated in the same address space as that VN's
// instance IPs; under an instance-ip (a service VIP, seed 004 B.2) it is the parent's address.
import { BadRequest } from '../../vnc/errors.js';
import { vnSubnets } from '../alloc/ipam.js';
import type { TypeHooks } from '../write/context.js';
import { assignAddress } from './addresses.js';

export const floatingIpHooks: TypeHooks = {
  beforeCreate(ctx, fip) {
    if (fip.floating_ip_address_family === 'v6') throw new BadRequest('IPv6 floating IPs are not supported', 'INVALID_ADDRESS');
    if (fip.parent_type === 'instance-ip') {
      const parent = ctx.plan.get(fip.parent_uuid!)!;
      if (fip.floating_ip_address === undefined || fip.floating_ip_address === null) fip.floating_ip_address = parent.instance_ip_address ?? null;
      return;
    }
    const pool = ctx.plan.get(fip.parent_uuid!)!;
    const vn = ctx.plan.get(pool.parent_uuid!)!;
    let subnets = vnSubnets(vn, (u) => ctx.plan.get(u));
    const only = (pool.floating_ip_pool_subnets as { subnet_uuid?: string[] } | null | undefined)?.subnet_uuid ?? [];
    if (only.length > 0) subnets = subnets.filter((s) => s.subnetUuid !== null && only.includes(s.subnetUuid));
    const got = assignAddress(ctx, subnets, fip.floating_ip_address, fip.uuid, vn.fq_name);
    fip.floating_ip_address = got.address;
  },
  beforeUpdate(_ctx, next, prev) {
    if ((next.floating_ip_address ?? null) !== (prev.floating_ip_address ?? null)) {
      throw new BadRequest('Floating IP address can not be changed', 'IMMUTABLE_FIELD');
    }
  },
};
