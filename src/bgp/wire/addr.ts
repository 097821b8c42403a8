// IPv4/IPv6 text ↔ bytes for the codec. bgp/wire may not import src/common (import rule), so this is
// the codec's own small copy; it throws BgpError so that callers see one error type.
import { BgpError } from './errors.js';

function bad(what: string, s: string): BgpError {
  return new BgpError('BGP_BAD_ADDRESS', `invalid ${what}: ${JSON.stringify(s)}`);
}

export function parseIpv4(s: string): number {
  const parts = s.split('.');
  if (parts.length !== 4) throw bad('IPv4 address', s);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) throw bad('IPv4 address', s);
    const v = Number(p);
    if (v > 255) throw bad('IPv4 address', s);
    n = n * 256 + v;
  }
  return n;
}

export function formatIpv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function ipv4At(b: Uint8Array, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

export function u32At(b: Uint8Array, off: number): number {
  return ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
}

export function putU32(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 24) & 255;
  b[off + 1] = (v >>> 16) & 255;
  b[off + 2] = (v >>> 8) & 255;
  b[off + 3] = v & 255;
}

export function parseIpv6(s: string): Uint8Array {
  let text = s;
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const n = parseIpv4(v4[2]);
    text = `${v4[1]}${((n >>> 16) & 0xffff).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) throw bad('IPv6 address', s);
  const parse = (h: string): number[] =>
    h === ''
      ? []
      : h.split(':').map((g) => {
          if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad('IPv6 address', s);
          return parseInt(g, 16);
        });
  const head = parse(halves[0]);
  let groups: number[];
  if (halves.length === 2) {
    const rest = parse(halves[1]);
    if (head.length + rest.length > 7) throw bad('IPv6 address', s);
    groups = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  } else {
    if (head.length !== 8) throw bad('IPv6 address', s);
    groups = head;
  }
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 255;
  });
  return out;
}

export function formatIpv6(b: Uint8Array, off = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[off + i * 2] << 8) | b[off + i * 2 + 1]);
  // longest run of zero groups (length ≥ 2) becomes ::
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** An IPv4 or IPv6 address as bytes (4 or 16). */
export function parseIp(s: string): Uint8Array {
  if (s.includes(':')) return parseIpv6(s);
  const out = new Uint8Array(4);
  putU32(out, 0, parseIpv4(s));
  return out;
}

export function formatIp(b: Uint8Array, off: number, len: number): string {
  return len === 4 ? ipv4At(b, off) : formatIpv6(b, off);
}

/** "a.b.c.d/len" (host bits must be clear) → [address, len]. */
export function parseIpv4Prefix(s: string): [number, number] {
  const slash = s.indexOf('/');
  if (slash < 0) throw bad('IPv4 prefix', s);
  const lenText = s.slice(slash + 1);
  if (!/^\d{1,2}$/.test(lenText)) throw bad('IPv4 prefix', s);
  const len = Number(lenText);
  if (len > 32) throw bad('IPv4 prefix', s);
  const addr = parseIpv4(s.slice(0, slash));
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  if (((addr & mask) >>> 0) !== addr) throw bad('IPv4 prefix (host bits set)', s);
  return [addr, len];
}

export function parseMac(s: string): Uint8Array {
  const parts = s.split(':');
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p))) throw bad('MAC address', s);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export function formatMac(b: Uint8Array, off: number): string {
  const out: string[] = [];
  for (let i = 0; i < 6; i++) out.push(b[off + i].toString(16).padStart(2, '0'));
  return out.join(':');
}

export function toHex(b: Uint8Array, off = 0, end = b.length): string {
  let s = '';
  for (let i = off; i < end; i++) s += b[i].toString(16).padStart(2, '0');
  return s;
}

export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new BgpError('BGP_BAD_HEX', `invalid hex string: ${JSON.stringify(s)}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(i * 2, i * 2 + 2), 16);
  return out;
}
