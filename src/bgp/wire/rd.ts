// Route distinguishers (RFC 4364 §4.2): 8 bytes, types 0 (2-octet AS:4-octet number), 1 (IPv4:2-octet
// number) and 2 (4-octet AS:2-octet number). Text forms "64512:1", "10.0.0.1:3", "4200000000:7"; a type-2
// RD whose AS fits in 16 bits is written "64512L:7" so that text → bytes → text is exact.
import { BgpError } from './errors.js';
import { ipv4At, parseIpv4, putU32, toHex, fromHex, u32At } from './addr.js';

export const RD_LEN = 8;

function bad(s: string): BgpError {
  return new BgpError('BGP_BAD_RD', `invalid route distinguisher: ${JSON.stringify(s)}`);
}

/** Parses "<admin>:<assigned>" into 8 bytes written at out[off]. */
export function writeAdminAssigned(s: string, out: Uint8Array, off: number, err: (s: string) => BgpError): void {
  const colon = s.lastIndexOf(':');
  if (colon <= 0) throw err(s);
  const admin = s.slice(0, colon);
  const numText = s.slice(colon + 1);
  if (!/^\d+$/.test(numText)) throw err(s);
  const num = Number(numText);
  if (admin.includes('.')) {
    if (num > 0xffff) throw err(s);
    out[off] = 0; out[off + 1] = 1;
    putU32(out, off + 2, parseIpv4(admin));
    out[off + 6] = num >> 8; out[off + 7] = num & 255;
    return;
  }
  const four = admin.endsWith('L');
  const asText = four ? admin.slice(0, -1) : admin;
  if (!/^\d+$/.test(asText)) throw err(s);
  const asn = Number(asText);
  if (asn > 0xffffffff) throw err(s);
  if (!four && asn <= 0xffff) {
    if (num > 0xffffffff) throw err(s);
    out[off] = 0; out[off + 1] = 0;
    out[off + 2] = asn >> 8; out[off + 3] = asn & 255;
    putU32(out, off + 4, num);
    return;
  }
  if (num > 0xffff) throw err(s);
  out[off] = 0; out[off + 1] = 2;
  putU32(out, off + 2, asn);
  out[off + 6] = num >> 8; out[off + 7] = num & 255;
}

export function parseRd(s: string): Uint8Array {
  const out = new Uint8Array(RD_LEN);
  if (s.startsWith('raw:')) {
    const b = fromHex(s.slice(4));
    if (b.length !== RD_LEN) throw bad(s);
    return b;
  }
  writeAdminAssigned(s, out, 0, bad);
  return out;
}

export function formatRd(b: Uint8Array, off = 0): string {
  const type = (b[off] << 8) | b[off + 1];
  switch (type) {
    case 0:
      return `${(b[off + 2] << 8) | b[off + 3]}:${u32At(b, off + 4)}`;
    case 1:
      return `${ipv4At(b, off + 2)}:${(b[off + 6] << 8) | b[off + 7]}`;
    case 2: {
      const asn = u32At(b, off + 2);
      return `${asn}${asn <= 0xffff ? 'L' : ''}:${(b[off + 6] << 8) | b[off + 7]}`;
    }
    default:
      return `raw:${toHex(b, off, off + RD_LEN)}`;
  }
}
