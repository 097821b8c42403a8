// What the Linux renderer owns in a node's network namespace, so that a resync removes exactly what is
// not desired and nothing else: links by name prefix and kind, routing tables by id range, policy rules
// by priority range, nftables table `ip tf`, and two packet-mark bits.

export interface Ownership {
  /** host-side veth prefix (links of kind veth whose name starts with it are ours) */
  tapPrefix: string;
  /** VXLAN device prefix (links of kind vxlan named <prefix><vni> are ours) */
  vxlanPrefix: string;
  /** routing tables [min, max] (inclusive) holding VRFs */
  tableRange: readonly [number, number];
  /** policy-rule priorities [min, max]: every rule with a priority in it is ours */
  priorityRange: readonly [number, number];
  /** nftables table (family ip) */
  nftTable: string;
  /** packet/conntrack mark bit sending replies of floating-IP connections to the main table */
  fipReplyMark: number;
  /** packet mark bit letting replies of masqueraded (fabric SNAT) connections back into their VRF */
  snatReplyMark: number;
}

export const DEFAULT_OWNERSHIP: Ownership = {
  tapPrefix: 'tap',
  vxlanPrefix: 'vx',
  tableRange: [1000, 99_999],
  priorityRange: [1000, 1299],
  nftTable: 'tf',
  fipReplyMark: 0x0010_0000,
  snatReplyMark: 0x0020_0000,
};

/** Rule priorities inside the owned range (relative order matters: marks, then taps/VXLAN, then local). */
export interface RulePriorities {
  /** fwmark <bit> lookup main: replies of floating-IP connections leave through the underlay */
  fipReply: number;
  /** iif <tap|vx> lookup <vrf table> */
  iif: number;
  /** iif lo to <pod>, iif <underlay> to <fip member>, iif <underlay> fwmark <snat> to <pod>: traffic to local pods from outside the VRF */
  to: number;
}

export function rulePriorities(o: Ownership): RulePriorities {
  const base = o.priorityRange[0];
  return { fipReply: base, iif: base + 100, to: base + 200 };
}

export function resolveOwnership(partial: Partial<Ownership> = {}): Ownership {
  const o = { ...DEFAULT_OWNERSHIP, ...partial };
  const name = /^[a-z][a-z0-9]{0,5}$/;
  if (!name.test(o.tapPrefix) || !name.test(o.vxlanPrefix) || o.tapPrefix.startsWith(o.vxlanPrefix) || o.vxlanPrefix.startsWith(o.tapPrefix)) {
    throw new RangeError(`ownership: tap/vxlan prefixes must be distinct lowercase words of ≤ 6 characters`);
  }
  const [tmin, tmax] = o.tableRange;
  if (!Number.isInteger(tmin) || !Number.isInteger(tmax) || tmin < 256 || tmax < tmin || tmax > 0x7fffffff) {
    throw new RangeError(`ownership: table range must be integers within 256..2^31-1`);
  }
  const [pmin, pmax] = o.priorityRange;
  if (!Number.isInteger(pmin) || !Number.isInteger(pmax) || pmin < 1 || pmax < pmin + 200 || pmax >= 32766) {
    throw new RangeError(`ownership: priority range must span at least 201 priorities within 1..32765`);
  }
  if (!/^[a-z][a-z0-9_]{0,30}$/.test(o.nftTable)) throw new RangeError('ownership: bad nftables table name');
  for (const m of [o.fipReplyMark, o.snatReplyMark]) {
    if (!Number.isInteger(m) || m <= 0 || m > 0x4000_0000 || (m & (m - 1)) !== 0) throw new RangeError('ownership: marks must be single bits below 2^31');
  }
  if (o.fipReplyMark === o.snatReplyMark) throw new RangeError('ownership: fipReplyMark and snatReplyMark must differ');
  return o;
}
