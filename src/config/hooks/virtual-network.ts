// virtual-network: allocates virtual_network_network_id (1..2^24-1, also the VNI) in the create
// transaction, validates and completes the subnets on its IPAM references (subnet_uuid, gateway,
// DNS), refuses removing a subnet that still has addresses in use, and creates/deletes its default
// routing instance (fq_name = VN fq_name + [VN name], routing_instance_is_default).
import { formatCidr, parseCidr, parseIpv4, cidrContains } from '../../common/ip.js';
import { BadRequest, PermissionDenied, RefsExistError, ServiceUnavailableError } from '../../vnc/errors.js';
import { fqNameRepr } from '../../vnc/schema.js';
import type { IpamSubnetType, VnSubnetsType } from '../../vnc/schema/objects.js';
import { normalizeSubnet, checkNoOverlap } from '../alloc/ipam.js';
import { VN_ID_POOL, ipPool } from '../keys.js';
import type { StoredObject } from '../mirror.js';
import type { TypeHooks, WriteContext } from '../write/context.js';

export const VN_ID_MIN = 1;
export const VN_ID_MAX = 16_777_215;

type IpamRef = { uuid: string; to: string[]; attr: VnSubnetsType | null };

const cidrOf = (s: IpamSubnetType): string | undefined => (s.subnet ? `${s.subnet.ip_prefix}/${s.subnet.ip_prefix_len}` : undefined);

function normalizeIpamRefs(ctx: WriteContext, vn: StoredObject, prev?: StoredObject): void {
  const refs = (vn.network_ipam_refs as IpamRef[] | undefined) ?? [];
  const prevUuids = new Map<string, string>();
  for (const r of (prev?.network_ipam_refs as IpamRef[] | undefined) ?? []) {
    for (const s of r.attr?.ipam_subnets ?? []) {
      if (s.subnet_uuid) prevUuids.set(`${r.uuid}|${cidrOf(s) ?? 'flat'}`, s.subnet_uuid);
    }
  }
  const userSubnets: IpamSubnetType[] = [];
  vn.network_ipam_refs = refs.map((r) => {
    const ipam = ctx.plan.get(r.uuid);
    const flat = ipam?.ipam_subnet_method === 'flat-subnet';
    const entries = (r.attr?.ipam_subnets ?? []).map((s, i) => {
      const where = `network_ipam_refs[${fqNameRepr(r.to)}].attr.ipam_subnets[${i}]`;
      if (flat && s.subnet) throw new BadRequest(`${where}: network-ipam ${fqNameRepr(r.to)} is flat-subnet; subnets belong on the IPAM, not on the reference`, 'INVALID_SUBNET');
      const keep = prevUuids.get(`${r.uuid}|${cidrOf(s) ?? 'flat'}`);
      const n = normalizeSubnet(s.subnet_uuid || !keep ? s : { ...s, subnet_uuid: keep }, where, true);
      if (n.subnet) userSubnets.push(n);
      return n;
    });
    if (flat && entries.length === 0) entries.push(normalizeSubnet({ subnet: null, enable_dhcp: true }, 'flat', true));
    return { ...r, attr: { ...(r.attr ?? {}), ipam_subnets: entries } };
  });
  checkNoOverlap(userSubnets, `virtual-network ${fqNameRepr(vn.fq_name)}`);
  if ((vn.network_ipam_refs as IpamRef[]).length === 0) delete vn.network_ipam_refs;
}

/** Refuses dropping a subnet or a flat IPAM that still has addresses allocated for this VN. */
function checkRemovedSubnets(ctx: WriteContext, next: StoredObject, prev: StoredObject): void {
  const cidrs = (o: StoredObject) =>
    new Set(((o.network_ipam_refs as IpamRef[] | undefined) ?? []).flatMap((r) => (r.attr?.ipam_subnets ?? []).map(cidrOf).filter((c): c is string => !!c)));
  const ipams = (o: StoredObject) => new Set(((o.network_ipam_refs as IpamRef[] | undefined) ?? []).map((r) => r.uuid));
  const nextCidrs = cidrs(next);
  const userPool = ctx.plan.mirror.allocations(ipPool(`vn:${prev.uuid}`));
  for (const c of cidrs(prev)) {
    if (nextCidrs.has(c)) continue;
    const cidr = parseCidr(c, false);
    for (const addr of userPool.keys()) {
      if (cidrContains(cidr, parseIpv4(addr))) {
        throw new RefsExistError(`Cannot delete IP block ${formatCidr(cidr)}: address ${addr} is in use`, 'SUBNET_IN_USE');
      }
    }
  }
  const nextIpams = ipams(next);
  for (const ipamUuid of ipams(prev)) {
    if (nextIpams.has(ipamUuid) || ctx.plan.get(ipamUuid)?.ipam_subnet_method !== 'flat-subnet') continue;
    for (const [addr, owner] of ctx.plan.mirror.allocations(ipPool(`ipam:${ipamUuid}`))) {
      const o = ctx.plan.get(owner);
      const vnRef = (o?.virtual_network_refs as { uuid: string }[] | undefined)?.[0]?.uuid;
      if (vnRef === prev.uuid) throw new RefsExistError(`Cannot remove network-ipam ${ipamUuid}: address ${addr} of this network is in use`, 'SUBNET_IN_USE');
    }
  }
}

export const virtualNetworkHooks: TypeHooks = {
  beforeCreate(ctx, vn) {
    if (vn.virtual_network_network_id !== undefined && vn.virtual_network_network_id !== null) {
      throw new PermissionDenied('Cannot set the virtual network ID', 'VN_ID_READONLY');
    }
    const id = ctx.alloc.nextId(VN_ID_POOL, VN_ID_MIN, VN_ID_MAX);
    if (id === undefined) throw new ServiceUnavailableError('No virtual network ID left', 'ID_EXHAUSTED');
    ctx.plan.allocate(VN_ID_POOL, String(id), vn.uuid);
    vn.virtual_network_network_id = id;
    normalizeIpamRefs(ctx, vn);
  },
  afterCreate(ctx, vn) {
    const name = vn.fq_name[vn.fq_name.length - 1];
    ctx.createNested('routing-instance', {
      fq_name: [...vn.fq_name, name],
      parent_type: 'virtual-network',
      routing_instance_is_default: true,
    });
  },
  beforeUpdate(ctx, next, prev) {
    if ((next.virtual_network_network_id ?? null) !== (prev.virtual_network_network_id ?? null)) {
      throw new PermissionDenied('Cannot update the virtual network ID', 'VN_ID_READONLY');
    }
    if (next.network_ipam_refs !== prev.network_ipam_refs) {
      normalizeIpamRefs(ctx, next, prev);
      checkRemovedSubnets(ctx, next, prev);
    }
  },
};
