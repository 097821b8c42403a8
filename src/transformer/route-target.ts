// Route target names and number ranges (pure). A transformer-allocated route target is
// `target:<global ASN>:<n>` with n from 8000001 up to 2^24-1 for a 2-byte ASN and from 8001 up to
// 2^15-1 for a 4-byte ASN (the original's BGP_RTGT_MIN/MAX_ID ranges; lower numbers stay free for
// user route targets).

export interface RtRange {
  readonly min: number;
  readonly max: number;
}

export function rtRange(asn: number): RtRange {
  return asn > 0xffff ? { min: 8001, max: (1 << 15) - 1 } : { min: 8_000_001, max: (1 << 24) - 1 };
}

export const rtName = (asn: number, n: number): string => `target:${asn}:${n}`;

/** `target:<asn>:<n>` with a numeric ASN → its parts; anything else (e.g. target:10.0.0.1:5) → undefined. */
export function parseRt(name: string): { asn: number; n: number } | undefined {
  const m = /^target:(\d+):(\d+)$/.exec(name);
  return m ? { asn: Number(m[1]), n: Number(m[2]) } : undefined;
}

/** Whether `name` is in the transformer's allocation range for `asn`. */
export function inRange(name: string, asn: number): boolean {
  const p = parseRt(name);
  if (!p || p.asn !== asn) return false;
  const r = rtRange(asn);
  return p.n >= r.min && p.n <= r.max;
}

/** The lowest number of the range for `asn` not in `used`, or undefined when the range is full. */
export function lowestFree(asn: number, used: ReadonlySet<number>): number | undefined {
  const r = rtRange(asn);
  for (let n = r.min; n <= r.max; n++) if (!used.has(n)) return n;
  return undefined;
}
