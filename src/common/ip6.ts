// IPv6 addresses and CIDRs as 128-bit bigints, and family-generic CIDR parsing and exact subtraction
// (NetworkPolicy ipBlock `except`). IPv4 arithmetic stays in ip.ts. Pure.
import { formatCidr, isIpv4, parseCidr, subtractCidrs } from './ip.js';

export interface Cidr6 {
  readonly addr: bigint;
  readonly len: number;
}

const ALL = (1n << 128n) - 1n;
const mask6 = (len: number): bigint => (len === 0 ? 0n : (ALL << BigInt(128 - len)) & ALL);

export function parseIpv6(s: string): bigint {
  const bad = (): never => {
    throw new RangeError(`invalid IPv6 address: ${JSON.stringify(s)}`);
  };
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.split('::').length > 2) bad();
  let text = s;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    // an embedded IPv4 address (::ffff:10.1.2.3) becomes two hex groups
    if (!isIpv4(tail)) bad();
    const o = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const parse = (p: string): number[] =>
    p === ''
      ? []
      : p.split(':').map((g) => {
          if (!/^[0-9a-fA-F]{1,4}$/.test(g)) bad();
          return parseInt(g, 16);
        });
  const compressed = text.includes('::');
  const [head, rest] = compressed ? text.split('::') : [text, ''];
  const h = parse(head);
  const r = parse(rest);
  const given = h.length + r.length;
  if (compressed ? given > 7 : given !== 8) bad();
  const groups = [...h, ...new Array<number>(8 - given).fill(0), ...r];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** RFC 5952 text: lower case, longest run of zero groups (length ≥ 2) as '::'. */
export function formatIpv6(n: bigint): string {
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function parseCidr6(s: string, strict = true): Cidr6 {
  const [ip, lenStr, ...rest] = s.split('/');
  if (rest.length > 0) throw new RangeError(`invalid CIDR: ${JSON.stringify(s)}`);
  const len = lenStr === undefined ? 128 : Number(lenStr);
  if (!Number.isInteger(len) || len < 0 || len > 128 || (lenStr !== undefined && !/^\d{1,3}$/.test(lenStr))) throw new RangeError(`invalid prefix length in CIDR: ${JSON.stringify(s)}`);
  const addr = parseIpv6(ip);
  const net = addr & mask6(len);
  if (strict && net !== addr) throw new RangeError(`CIDR has host bits set: ${s}`);
  return { addr: net, len };
}

export const formatCidr6 = (c: Cidr6): string => `${formatIpv6(c.addr)}/${c.len}`;

const contains6 = (outer: Cidr6, inner: Cidr6): boolean => inner.len >= outer.len && (inner.addr & mask6(outer.len)) === outer.addr;

export function subtractCidrs6(base: Cidr6, excepts: readonly Cidr6[]): Cidr6[] {
  let parts: Cidr6[] = [base];
  for (const ex of excepts) {
    const next: Cidr6[] = [];
    for (const p of parts) {
      if (!contains6(p, ex) && !contains6(ex, p)) next.push(p);
      else if (contains6(ex, p)) continue;
      else {
        let cur = p;
        while (cur.len < ex.len) {
          const len = cur.len + 1;
          const lo: Cidr6 = { addr: cur.addr, len };
          const hi: Cidr6 = { addr: cur.addr | (1n << BigInt(128 - len)), len };
          if (contains6(lo, ex)) {
            next.push(hi);
            cur = lo;
          } else {
            next.push(lo);
            cur = hi;
          }
        }
      }
    }
    parts = next;
  }
  return parts.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : a.len - b.len));
}

export type Family = 4 | 6;

/** A CIDR of either family, validated and canonical ("10.0.0.0/24", "2001:db8::/32"). */
export interface AnyCidr {
  family: Family;
  prefix: string;
  len: number;
}

export function parseAnyCidr(s: string): AnyCidr {
  if (s.includes(':')) {
    const c = parseCidr6(s);
    return { family: 6, prefix: formatIpv6(c.addr), len: c.len };
  }
  const c = parseCidr(s);
  const [prefix] = formatCidr(c).split('/');
  return { family: 4, prefix, len: c.len };
}

/** `base` minus every `except` block (same family; blocks outside base are ignored). */
export function subtractAnyCidrs(base: string, excepts: readonly string[]): AnyCidr[] {
  if (base.includes(':')) {
    const b = parseCidr6(base);
    const ex = excepts.map((e) => parseCidr6(e));
    return subtractCidrs6(b, ex).map((c) => ({ family: 6, prefix: formatIpv6(c.addr), len: c.len }));
  }
  const b = parseCidr(base);
  const ex = excepts.map((e) => parseCidr(e));
  return subtractCidrs(b, ex).map((c) => ({ family: 4, prefix: formatCidr(c).split('/')[0], len: c.len }));
}
