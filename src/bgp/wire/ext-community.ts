// Extended communities (RFC 4360) as text: route targets and route origins in their three forms
// (RFC 4360 §4, RFC 5668), the tunnel encapsulation community (RFC 9012 §4.1, type 0x03 sub-type 0x0c),
// and every other community as "ext:<16 hex digits>" so that it passes through unchanged.
import { BgpError } from './errors.js';
import { ipv4At, toHex, fromHex, u32At } from './addr.js';
import { writeAdminAssigned } from './rd.js';

export const EXT_COMMUNITY_LEN = 8;

/** Tunnel types of RFC 9012 / IANA "BGP Tunnel Encapsulation Attribute Tunnel Types", named as the original. */
export const TUNNEL_TYPES: Readonly<Record<string, number>> = {
  gre: 2,
  vxlan: 8,
  nvgre: 9,
  mpls: 10,
  'mpls-in-gre': 11,
  'vxlan-gpe': 12,
  udp: 13,
};
const TUNNEL_NAMES = new Map(Object.entries(TUNNEL_TYPES).map(([k, v]) => [v, k]));

function bad(s: string): BgpError {
  return new BgpError('BGP_BAD_EXT_COMMUNITY', `invalid extended community: ${JSON.stringify(s)}`);
}

/** "target:64512:1" | "target:10.0.0.1:5" | "target:70000:5" | "target:64512L:5" | "origin:…" |
 *  "encapsulation:vxlan" | "encapsulation:13" | "ext:0102030405060708" → 8 bytes. */
export function parseExtCommunity(s: string): Uint8Array {
  const out = new Uint8Array(EXT_COMMUNITY_LEN);
  const colon = s.indexOf(':');
  if (colon < 0) throw bad(s);
  const kind = s.slice(0, colon);
  const rest = s.slice(colon + 1);
  switch (kind) {
    case 'target':
    case 'origin': {
      writeAdminAssigned(rest, out, 0, () => bad(s));
      // RD types 0/1/2 map onto extended community types 0x00/0x01/0x02 (transitive).
      out[0] = out[1];
      out[1] = kind === 'target' ? 0x02 : 0x03;
      return out;
    }
    case 'encapsulation': {
      const t = /^\d+$/.test(rest) ? Number(rest) : TUNNEL_TYPES[rest];
      if (t === undefined || t > 0xffff) throw bad(s);
      out[0] = 0x03;
      out[1] = 0x0c;
      out[6] = t >> 8;
      out[7] = t & 255;
      return out;
    }
    case 'ext': {
      const b = fromHex(rest);
      if (b.length !== EXT_COMMUNITY_LEN) throw bad(s);
      return b;
    }
    default:
      throw bad(s);
  }
}

export function formatExtCommunity(b: Uint8Array, off = 0): string {
  const type = b[off];
  const sub = b[off + 1];
  if ((sub === 0x02 || sub === 0x03) && type <= 0x02) {
    const kind = sub === 0x02 ? 'target' : 'origin';
    if (type === 0x00) return `${kind}:${(b[off + 2] << 8) | b[off + 3]}:${u32At(b, off + 4)}`;
    if (type === 0x01) return `${kind}:${ipv4At(b, off + 2)}:${(b[off + 6] << 8) | b[off + 7]}`;
    const asn = u32At(b, off + 2);
    return `${kind}:${asn}${asn <= 0xffff ? 'L' : ''}:${(b[off + 6] << 8) | b[off + 7]}`;
  }
  if (type === 0x03 && sub === 0x0c && b[off + 2] === 0 && b[off + 3] === 0 && b[off + 4] === 0 && b[off + 5] === 0) {
    const t = (b[off + 6] << 8) | b[off + 7];
    return `encapsulation:${TUNNEL_NAMES.get(t) ?? String(t)}`;
  }
  return `ext:${toHex(b, off, off + EXT_COMMUNITY_LEN)}`;
}

/** True for the route-target sub-type of the three transitive admin types. */
export function isRouteTargetAt(b: Uint8Array, off: number): boolean {
  return b[off + 1] === 0x02 && b[off] <= 0x02;
}
