// instance-ip: allocates instance_ip_address from the VN's subnets (or a flat IPAM referenced
// directly) in the create transaction; honours a requested address or refuses it (409); records
// subnet_uuid. Addresses on ip-fabric and __link_local__ are not managed, as in the original.
import { BadRequest } from '../../vnc/errors.js';
import { fqNameToString } from '../../vnc/schema.js';
import { vnSubnets, type SubnetInfo } from '../alloc/ipam.js';
import type { StoredObject } from '../mirror.js';
import type { TypeHooks } from '../write/context.js';
import { assignAddress } from './addresses.js';
import { firstRef } from './common.js';

export const UNMANAGED_NETWORKS = new Set(['default-domain:default-project:ip-fabric', 'default-domain:default-project:__link_local__']);

export const instanceIpHooks: TypeHooks = {
  beforeCreate(ctx, iip) {
    if (iip.instance_ip_family === 'v6') throw new BadRequest('IPv6 instance IPs are not supported', 'INVALID_ADDRESS');
    const vnRef = firstRef(iip, 'virtual_network_refs');
    let subnets: SubnetInfo[];
    let networkFq: string[];
    if (vnRef) {
      if (UNMANAGED_NETWORKS.has(fqNameToString(vnRef.to))) return;
      const vn = ctx.plan.get(vnRef.uuid)!;
      subnets = vnSubnets(vn, (u) => ctx.plan.get(u), { anyMode: !!iip.subnet_uuid || !!iip.instance_ip_address });
      networkFq = vn.fq_name;
    } else {
      const ipamRef = firstRef(iip, 'network_ipam_refs');
      if (!ipamRef) throw new BadRequest('Instance IP needs virtual_network_refs (or network_ipam_refs of a flat-subnet IPAM)', 'MISSING_REF');
      const ipam = ctx.plan.get(ipamRef.uuid)!;
      const pseudo: StoredObject = { uuid: '', fq_name: ipam.fq_name, network_ipam_refs: [{ uuid: ipam.uuid, to: ipam.fq_name, attr: null }] };
      subnets = vnSubnets(pseudo, (u) => ctx.plan.get(u)).filter((s) => s.flat);
      networkFq = ipam.fq_name;
    }
    const wanted = iip.subnet_uuid as string | null | undefined;
    if (wanted) {
      subnets = subnets.filter((s) => s.subnetUuid === wanted);
      if (subnets.length === 0) throw new BadRequest(`Subnet ${wanted} not found in virtual network ${fqNameToString(networkFq)}`, 'INVALID_SUBNET');
    }
    if (subnets.length === 0) throw new BadRequest(`Virtual network ${fqNameToString(networkFq)} has no subnets to allocate from`, 'INVALID_SUBNET');
    const got = assignAddress(ctx, subnets, iip.instance_ip_address, iip.uuid, networkFq);
    iip.instance_ip_address = got.address;
    if (got.subnet.subnetUuid) iip.subnet_uuid = got.subnet.subnetUuid;
  },
  beforeUpdate(_ctx, next, prev) {
    if ((next.instance_ip_address ?? null) !== (prev.instance_ip_address ?? null)) {
      throw new BadRequest('Instance IP Address can not be changed', 'IMMUTABLE_FIELD');
    }
    const a = firstRef(next, 'virtual_network_refs')?.uuid;
    const b = firstRef(prev, 'virtual_network_refs')?.uuid;
    if (a !== b) throw new BadRequest('The virtual network of an instance IP can not be changed', 'IMMUTABLE_FIELD');
  },
};
