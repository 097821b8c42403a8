// The security-group extended community of the original (type 0x80 experimental, sub-type 0x04: 2-byte
// AS + 4-byte security_group_id): an agent attaches one per group of an interface to the interface's
// route, so every other agent learns which addresses carry a group (the remote side of a rule naming a
// group) from routes alone. In the codec's text form it is "ext:8004<4 hex AS><8 hex id>"; a 4-byte AS
// is written as AS_TRANS (23456), since the id needs the 4 bytes. Pure.
import { originVnCommunity, originVnIndex } from '../control/origin-vn.js';

const PREFIX = 'ext:8004';
const AS_TRANS = 23456;

export function sgCommunity(asn: number, sgId: number): string {
  const as = asn <= 0xffff ? asn : AS_TRANS;
  return `${PREFIX}${as.toString(16).padStart(4, '0')}${(sgId >>> 0).toString(16).padStart(8, '0')}`;
}

/** Security-group ids carried by a route's extended communities. */
export function sgIdsOf(extCommunities: readonly string[] | undefined): number[] {
  const out: number[] = [];
  for (const c of extCommunities ?? []) if (c.length === 20 && c.startsWith(PREFIX)) out.push(parseInt(c.slice(12), 16));
  return out;
}

export { originVnCommunity, originVnIndex };
