// network-ipam: validates and completes ipam_subnets (flat-subnet IPAMs carry their subnets here),
// and refuses removing a subnet whose addresses are in use.
import { cidrContains, formatCidr, parseCidr, parseIpv4 } from '../../common/ip.js';
import { BadRequest, RefsExistError } from '../../vnc/errors.js';
import type { IpamSubnetType } from '../../vnc/schema/objects.js';
import { checkNoOverlap, normalizeSubnet } from '../alloc/ipam.js';
import { ipPool } from '../keys.js';
import type { StoredObject } from '../mirror.js';
import type { TypeHooks } from '../write/context.js';

const subnetsOf = (o: StoredObject): IpamSubnetType[] => (o.ipam_subnets as { subnets?: IpamSubnetType[] } | null | undefined)?.subnets ?? [];

function normalize(ipam: StoredObject): void {
  const list = subnetsOf(ipam);
  if (list.length > 0 && ipam.ipam_subnet_method !== 'flat-subnet') {
    throw new BadRequest('ipam_subnets on a network-ipam need ipam_subnet_method flat-subnet', 'INVALID_SUBNET');
  }
  if (list.length === 0) return;
  const out = list.map((s, i) => {
    if (!s.subnet) throw new BadRequest(`ipam_subnets.subnets[${i}]: subnet is required`, 'INVALID_SUBNET');
    return normalizeSubnet(s, `ipam_subnets.subnets[${i}]`, false);
  });
  checkNoOverlap(out, 'ipam_subnets');
  ipam.ipam_subnets = { ...(ipam.ipam_subnets as object), subnets: out };
}

export const networkIpamHooks: TypeHooks = {
  beforeCreate(_ctx, ipam) {
    normalize(ipam);
  },
  beforeUpdate(ctx, next, prev) {
    if ((next.ipam_subnet_method ?? null) !== (prev.ipam_subnet_method ?? null) && ctx.plan.mirror.backRefs(prev.uuid).size > 0) {
      throw new BadRequest('ipam_subnet_method cannot change while virtual networks use the IPAM', 'IMMUTABLE_FIELD');
    }
    normalize(next);
    const keep = new Set(subnetsOf(next).map((s) => `${s.subnet!.ip_prefix}/${s.subnet!.ip_prefix_len}`));
    const used = ctx.plan.mirror.allocations(ipPool(`ipam:${prev.uuid}`));
    for (const s of subnetsOf(prev)) {
      const c = `${s.subnet!.ip_prefix}/${s.subnet!.ip_prefix_len}`;
      if (keep.has(c)) continue;
      const cidr = parseCidr(c, false);
      for (const addr of used.keys()) {
        if (cidrContains(cidr, parseIpv4(addr))) throw new RefsExistError(`Cannot delete IP block ${formatCidr(cidr)}: address ${addr} is in use`, 'SUBNET_IN_USE');
      }
    }
  },
};
