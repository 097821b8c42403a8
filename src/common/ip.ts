// IPv4 address and CIDR arithmetic on unsigned 32-bit numbers. Pure; used by IPAM, policy
// compilation (ipBlock/except), BGP NLRI and the datapath.

export interface Cidr {
  /** network address as an unsigned 32-bit number */
  readonly addr: number;
  readonly len: number;
}

const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function isIpv4(s: string): boolean {
  const m = IPV4_RE.exec(s);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255 && (o.length === 1 || o[0] !== '0'));
}

export function parseIpv4(s: string): number {
  if (!isIpv4(s)) throw new RangeError(`invalid IPv4 address: ${JSON.stringify(s)}`);
  const [a, b, c, d] = s.split('.').map(Number);
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

export function formatIpv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function maskOf(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** Parses "a.b.c.d/len" (or a bare address as /32). Host bits must be zero unless `strict` is false. */
export function parseCidr(s: string, strict = true): Cidr {
  const [ip, lenStr, ...rest] = s.split('/');
  if (rest.length > 0) throw new RangeError(`invalid CIDR: ${JSON.stringify(s)}`);
  const len = lenStr === undefined ? 32 : Number(lenStr);
  if (!Number.isInteger(len) || len < 0 || len > 32 || (lenStr !== undefined && !/^\d{1,2}$/.test(lenStr))) {
    throw new RangeError(`invalid prefix length in CIDR: ${JSON.stringify(s)}`);
  }
  const addr = parseIpv4(ip);
  const net = (addr & maskOf(len)) >>> 0;
  if (strict && net !== addr) throw new RangeError(`CIDR has host bits set: ${s}`);
  return { addr: net, len };
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.addr)}/${c.len}`;
}

export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.len);
}

export function lastAddr(c: Cidr): number {
  return (c.addr + cidrSize(c) - 1) >>> 0;
}

export function cidrContains(c: Cidr, addr: number): boolean {
  return ((addr & maskOf(c.len)) >>> 0) === c.addr;
}

export function cidrContainsCidr(outer: Cidr, inner: Cidr): boolean {
  return inner.len >= outer.len && cidrContains(outer, inner.addr);
}

export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  return cidrContainsCidr(a, b) || cidrContainsCidr(b, a);
}

/** Exact CIDR subtraction: the minimal list of CIDRs covering `base` minus every `except` block. */
export function subtractCidrs(base: Cidr, excepts: readonly Cidr[]): Cidr[] {
  let parts: Cidr[] = [base];
  for (const ex of excepts) {
    const next: Cidr[] = [];
    for (const p of parts) {
      if (!cidrOverlaps(p, ex)) next.push(p);
      else if (cidrContainsCidr(ex, p)) continue;
      else {
        // ex lies strictly inside p: split p in halves until ex is isolated.
        let cur = p;
        while (cur.len < ex.len) {
          const len = cur.len + 1;
          const lo: Cidr = { addr: cur.addr, len };
          const hi: Cidr = { addr: (cur.addr + cidrSize(lo)) >>> 0, len };
          if (cidrContainsCidr(lo, ex)) {
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
  return parts.sort((a, b) => a.addr - b.addr || a.len - b.len);
}
