// The origin-VN extended community of the original (type 0x80 experimental, sub-type 0x71; 2-byte AS +
// 4-byte VN index, or type 0x82 with a 4-byte AS + 2-byte index). Agents attach it to the routes of their
// interfaces; the control node reads it to know a route's home VRF (its primary table). In the codec's
// text form it is "ext:<16 hex digits>", which is how it reaches us.

const PREFIX_2 = 'ext:8071';
const PREFIX_4 = 'ext:8271';

/** The community for (asn, vn index) in the codec's text form. */
export function originVnCommunity(asn: number, vnIndex: number): string {
  const hex = (n: number, bytes: number) => n.toString(16).padStart(bytes * 2, '0');
  if (asn <= 0xffff) return `${PREFIX_2}${hex(asn, 2)}${hex(vnIndex >>> 0, 4)}`;
  return `${PREFIX_4}${hex(asn >>> 0, 4)}${hex(vnIndex & 0xffff, 2)}`;
}

/** The VN index carried by an origin-VN community, or undefined when the community is another kind. */
export function parseOriginVn(community: string): { asn: number; vnIndex: number } | undefined {
  if (community.length !== 20) return undefined;
  if (community.startsWith(PREFIX_2)) {
    return { asn: parseInt(community.slice(8, 12), 16), vnIndex: parseInt(community.slice(12, 20), 16) };
  }
  if (community.startsWith(PREFIX_4)) {
    return { asn: parseInt(community.slice(8, 16), 16), vnIndex: parseInt(community.slice(16, 20), 16) };
  }
  return undefined;
}

/** The VN index of the first origin-VN community in a list, or -1. */
export function originVnIndex(extCommunities: readonly string[] | undefined): number {
  for (const c of extCommunities ?? []) {
    const o = parseOriginVn(c);
    if (o) return o.vnIndex;
  }
  return -1;
}
