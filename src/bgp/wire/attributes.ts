// Path attributes (RFC 4271 §4.3, §5; RFC 1997 communities; RFC 4360 extended communities; RFC 4456
// ORIGINATOR_ID/CLUSTER_LIST; RFC 6793 4-octet AS with AS4_PATH/AS4_AGGREGATOR) decoded to plain data and
// encoded back. Error handling follows RFC 7606 §7: each attribute names its own action. MP_REACH_NLRI and
// MP_UNREACH_NLRI are framed by update.ts, not here.
import { AS_TRANS, AttrCode, AttrFlag, UpdateSub } from './constants.js';
import { BgpError, updateError, type ErrorAction } from './errors.js';
import { ipv4At, parseIpv4, u32At } from './addr.js';
import { EXT_COMMUNITY_LEN, formatExtCommunity, parseExtCommunity } from './ext-community.js';

export type Origin = 'igp' | 'egp' | 'incomplete';
export type AsPathSegmentType = 'set' | 'sequence' | 'confed-sequence' | 'confed-set';
export interface AsPathSegment {
  readonly type: AsPathSegmentType;
  readonly asns: readonly number[];
}
export interface Aggregator {
  readonly asn: number;
  readonly address: string;
}
/** An attribute this speaker does not interpret, passed on as received (optional transitive ones only). */
export interface RawAttribute {
  readonly flags: number;
  readonly code: number;
  readonly value: Uint8Array;
}

/** Every attribute of a path except the NLRI. nextHop is the IPv4 NEXT_HOP or the MP_REACH next hop. */
export interface PathAttributes {
  readonly origin: Origin;
  readonly asPath: readonly AsPathSegment[];
  readonly nextHop?: string;
  readonly med?: number;
  readonly localPref?: number;
  readonly atomicAggregate?: boolean;
  readonly aggregator?: Aggregator;
  /** "asn:value" (RFC 1997). */
  readonly communities?: readonly string[];
  /** "target:64512:1", "encapsulation:vxlan", "ext:<hex>" … (see ext-community.ts). */
  readonly extCommunities?: readonly string[];
  readonly originatorId?: string;
  readonly clusterList?: readonly string[];
  readonly unknown?: readonly RawAttribute[];
}

export interface AttrCodecOptions {
  /** Both speakers announced the 4-octet AS capability (RFC 6793). */
  readonly as4: boolean;
}

const ORIGINS: readonly Origin[] = ['igp', 'egp', 'incomplete'];
const SEG_TYPES: readonly AsPathSegmentType[] = ['set', 'sequence', 'confed-set', 'confed-sequence'];
const SEG_CODE: Record<AsPathSegmentType, number> = { set: 1, sequence: 2, 'confed-set': 3, 'confed-sequence': 4 };

const WELL_KNOWN_COMMUNITIES: Readonly<Record<string, number>> = {
  'no-export': 0xffffff01,
  'no-advertise': 0xffffff02,
  'no-export-subconfed': 0xffffff03,
  'no-peer': 0xffffff04,
};

/** Expected flags (optional, transitive) and the RFC 7606 action for a malformed instance, per attribute. */
const RULES: Readonly<Record<number, { optional: boolean; transitive: boolean; action: ErrorAction; name: string }>> = {
  [AttrCode.ORIGIN]: { optional: false, transitive: true, action: 'treat-as-withdraw', name: 'ORIGIN' },
  [AttrCode.AS_PATH]: { optional: false, transitive: true, action: 'treat-as-withdraw', name: 'AS_PATH' },
  [AttrCode.NEXT_HOP]: { optional: false, transitive: true, action: 'treat-as-withdraw', name: 'NEXT_HOP' },
  [AttrCode.MED]: { optional: true, transitive: false, action: 'treat-as-withdraw', name: 'MULTI_EXIT_DISC' },
  [AttrCode.LOCAL_PREF]: { optional: false, transitive: true, action: 'treat-as-withdraw', name: 'LOCAL_PREF' },
  [AttrCode.ATOMIC_AGGREGATE]: { optional: false, transitive: true, action: 'attribute-discard', name: 'ATOMIC_AGGREGATE' },
  [AttrCode.AGGREGATOR]: { optional: true, transitive: true, action: 'attribute-discard', name: 'AGGREGATOR' },
  [AttrCode.COMMUNITIES]: { optional: true, transitive: true, action: 'treat-as-withdraw', name: 'COMMUNITIES' },
  [AttrCode.ORIGINATOR_ID]: { optional: true, transitive: false, action: 'treat-as-withdraw', name: 'ORIGINATOR_ID' },
  [AttrCode.CLUSTER_LIST]: { optional: true, transitive: false, action: 'treat-as-withdraw', name: 'CLUSTER_LIST' },
  [AttrCode.MP_REACH_NLRI]: { optional: true, transitive: false, action: 'session-reset', name: 'MP_REACH_NLRI' },
  [AttrCode.MP_UNREACH_NLRI]: { optional: true, transitive: false, action: 'session-reset', name: 'MP_UNREACH_NLRI' },
  [AttrCode.EXTENDED_COMMUNITIES]: { optional: true, transitive: true, action: 'treat-as-withdraw', name: 'EXTENDED_COMMUNITIES' },
  [AttrCode.AS4_PATH]: { optional: true, transitive: true, action: 'attribute-discard', name: 'AS4_PATH' },
  [AttrCode.AS4_AGGREGATOR]: { optional: true, transitive: true, action: 'attribute-discard', name: 'AS4_AGGREGATOR' },
};

export function attributeName(code: number): string {
  return RULES[code]?.name ?? `attribute ${code}`;
}

export function isKnownAttribute(code: number): boolean {
  return RULES[code] !== undefined;
}

/** The rule-checked flags of a known attribute; a mismatch is the attribute's own kind of error (RFC 7606 §3.c). */
export function checkFlags(code: number, flags: number, raw: Uint8Array): BgpError | undefined {
  const r = RULES[code];
  if (!r) return undefined;
  const optional = (flags & AttrFlag.OPTIONAL) !== 0;
  const transitive = (flags & AttrFlag.TRANSITIVE) !== 0;
  if (optional !== r.optional || transitive !== r.transitive) {
    return updateError('BGP_ATTRIBUTE_FLAGS', UpdateSub.ATTRIBUTE_FLAGS, `${r.name} has flags 0x${flags.toString(16)}`, r.action, raw);
  }
  return undefined;
}

function attrError(code: number, message: string, raw: Uint8Array, subcode: number = UpdateSub.ATTRIBUTE_LENGTH): BgpError {
  const r = RULES[code];
  return updateError('BGP_MALFORMED_ATTRIBUTE', subcode, `${r.name}: ${message}`, r.action, raw);
}

function decodeAsPath(b: Uint8Array, off: number, end: number, size: 2 | 4): AsPathSegment[] | undefined {
  const segs: AsPathSegment[] = [];
  let p = off;
  while (p < end) {
    if (p + 2 > end) return undefined;
    const t = b[p];
    const n = b[p + 1];
    if (t < 1 || t > 4 || n === 0 || p + 2 + n * size > end) return undefined;
    const asns: number[] = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const q = p + 2 + i * size;
      asns[i] = size === 4 ? u32At(b, q) : (b[q] << 8) | b[q + 1];
    }
    segs.push({ type: SEG_TYPES[t - 1], asns });
    p += 2 + n * size;
  }
  return segs;
}

/** Number of ASes a path counts for in the decision process (RFC 4271 §9.1.2.2 a; confederation segments count 0). */
export function asPathLength(path: readonly AsPathSegment[]): number {
  let n = 0;
  for (const s of path) n += s.type === 'sequence' ? s.asns.length : s.type === 'set' ? 1 : 0;
  return n;
}

/** RFC 6793 §4.2.3: rebuild the true path from a 2-octet AS_PATH and an AS4_PATH. */
function mergeAs4Path(asPath: readonly AsPathSegment[], as4Path: readonly AsPathSegment[]): AsPathSegment[] {
  const total = asPathLength(asPath);
  const extra = total - asPathLength(as4Path);
  if (extra < 0) return [...asPath];
  const out: AsPathSegment[] = [];
  let need = extra;
  for (const s of asPath) {
    if (need <= 0) break;
    if (s.type === 'sequence') {
      const take = s.asns.slice(0, need);
      out.push({ type: 'sequence', asns: take });
      need -= take.length;
    } else if (s.type === 'set') {
      out.push(s);
      need -= 1;
    } else out.push(s);
  }
  return [...out, ...as4Path];
}

export interface AttrDecodeResult {
  readonly attrs: PathAttributes;
  /** The attribute-discard errors met; the routes stand. */
  readonly discarded: readonly BgpError[];
  /** Set when RFC 7606 says every NLRI of the UPDATE is withdrawn. */
  readonly withdraw: BgpError | undefined;
}

interface Mutable {
  origin?: Origin;
  asPath?: AsPathSegment[];
  nextHop?: string;
  med?: number;
  localPref?: number;
  atomicAggregate?: boolean;
  aggregator?: Aggregator;
  communities?: string[];
  extCommunities?: string[];
  originatorId?: string;
  clusterList?: string[];
  unknown?: RawAttribute[];
}

/**
 * Decodes the attributes in b[start, end), skipping MP_REACH_NLRI / MP_UNREACH_NLRI (update.ts frames them).
 * Attribute framing must have been checked by the caller. Throws a session-reset BgpError for the faults
 * RFC 7606 still resets sessions for (unrecognized well-known attribute).
 */
export function decodeAttributes(b: Uint8Array, start: number, end: number, opts: AttrCodecOptions): AttrDecodeResult {
  const m: Mutable = {};
  const discarded: BgpError[] = [];
  let withdraw: BgpError | undefined;
  let as4Path: AsPathSegment[] | undefined;
  let as4Agg: Aggregator | undefined;
  const seen = new Set<number>();
  const fail = (e: BgpError): void => {
    if (e.action === 'session-reset') throw e;
    if (e.action === 'treat-as-withdraw') withdraw ??= e;
    else discarded.push(e);
  };
  let p = start;
  while (p < end) {
    const flags = b[p];
    const code = b[p + 1];
    const ext = (flags & AttrFlag.EXTENDED_LENGTH) !== 0;
    const len = ext ? (b[p + 2] << 8) | b[p + 3] : b[p + 2];
    const v = p + (ext ? 4 : 3);
    const raw = b.subarray(p, v + len);
    p = v + len;
    if (code === AttrCode.MP_REACH_NLRI || code === AttrCode.MP_UNREACH_NLRI) continue;
    if (seen.has(code)) {
      discarded.push(updateError('BGP_DUPLICATE_ATTRIBUTE', UpdateSub.MALFORMED_ATTRIBUTE_LIST, `duplicate ${attributeName(code)}`, 'attribute-discard', raw));
      continue;
    }
    seen.add(code);
    if (!isKnownAttribute(code)) {
      if ((flags & AttrFlag.OPTIONAL) === 0) {
        throw updateError('BGP_UNRECOGNIZED_WELL_KNOWN', UpdateSub.UNRECOGNIZED_WELL_KNOWN, `unrecognized well-known attribute ${code}`, 'session-reset', raw);
      }
      if (flags & AttrFlag.TRANSITIVE) {
        (m.unknown ??= []).push({ flags: flags | AttrFlag.PARTIAL, code, value: b.slice(v, v + len) });
      }
      continue;
    }
    const flagErr = checkFlags(code, flags, raw);
    if (flagErr) {
      fail(flagErr);
      continue;
    }
    switch (code) {
      case AttrCode.ORIGIN:
        if (len !== 1) fail(attrError(code, `length ${len}`, raw));
        else if (b[v] > 2) fail(attrError(code, `value ${b[v]}`, raw, UpdateSub.INVALID_ORIGIN));
        else m.origin = ORIGINS[b[v]];
        break;
      case AttrCode.AS_PATH: {
        const segs = decodeAsPath(b, v, v + len, opts.as4 ? 4 : 2);
        if (!segs) fail(attrError(code, 'malformed segments', raw, UpdateSub.MALFORMED_AS_PATH));
        else m.asPath = segs;
        break;
      }
      case AttrCode.NEXT_HOP:
        if (len !== 4) fail(attrError(code, `length ${len}`, raw));
        else m.nextHop = ipv4At(b, v);
        break;
      case AttrCode.MED:
        if (len !== 4) fail(attrError(code, `length ${len}`, raw));
        else m.med = u32At(b, v);
        break;
      case AttrCode.LOCAL_PREF:
        if (len !== 4) fail(attrError(code, `length ${len}`, raw));
        else m.localPref = u32At(b, v);
        break;
      case AttrCode.ATOMIC_AGGREGATE:
        if (len !== 0) fail(attrError(code, `length ${len}`, raw));
        else m.atomicAggregate = true;
        break;
      case AttrCode.AGGREGATOR: {
        const size = opts.as4 ? 4 : 2;
        if (len !== size + 4) fail(attrError(code, `length ${len}`, raw));
        else m.aggregator = { asn: size === 4 ? u32At(b, v) : (b[v] << 8) | b[v + 1], address: ipv4At(b, v + size) };
        break;
      }
      case AttrCode.COMMUNITIES:
        if (len === 0 || len % 4 !== 0) fail(attrError(code, `length ${len}`, raw));
        else {
          const cs: string[] = [];
          for (let i = 0; i < len; i += 4) cs.push(`${(b[v + i] << 8) | b[v + i + 1]}:${(b[v + i + 2] << 8) | b[v + i + 3]}`);
          m.communities = cs;
        }
        break;
      case AttrCode.ORIGINATOR_ID:
        if (len !== 4) fail(attrError(code, `length ${len}`, raw));
        else m.originatorId = ipv4At(b, v);
        break;
      case AttrCode.CLUSTER_LIST:
        if (len === 0 || len % 4 !== 0) fail(attrError(code, `length ${len}`, raw));
        else {
          const ids: string[] = [];
          for (let i = 0; i < len; i += 4) ids.push(ipv4At(b, v + i));
          m.clusterList = ids;
        }
        break;
      case AttrCode.EXTENDED_COMMUNITIES:
        if (len === 0 || len % EXT_COMMUNITY_LEN !== 0) fail(attrError(code, `length ${len}`, raw));
        else {
          const xs: string[] = [];
          for (let i = 0; i < len; i += EXT_COMMUNITY_LEN) xs.push(formatExtCommunity(b, v + i));
          m.extCommunities = xs;
        }
        break;
      case AttrCode.AS4_PATH: {
        if (opts.as4) break; // a NEW speaker ignores AS4_PATH from a NEW speaker (RFC 6793 §4.1)
        const segs = decodeAsPath(b, v, v + len, 4);
        if (!segs || segs.some((s) => s.type.startsWith('confed'))) fail(attrError(code, 'malformed segments', raw, UpdateSub.MALFORMED_AS_PATH));
        else as4Path = segs;
        break;
      }
      case AttrCode.AS4_AGGREGATOR:
        if (opts.as4) break;
        if (len !== 8) fail(attrError(code, `length ${len}`, raw));
        else as4Agg = { asn: u32At(b, v), address: ipv4At(b, v + 4) };
        break;
    }
  }
  if (as4Path && m.asPath) {
    // RFC 6793 §4.2.3: AS4_PATH is used only when AGGREGATOR is absent or carries AS_TRANS.
    if (!m.aggregator || m.aggregator.asn === AS_TRANS) m.asPath = mergeAs4Path(m.asPath, as4Path);
  }
  if (as4Agg && m.aggregator && m.aggregator.asn === AS_TRANS) m.aggregator = as4Agg;
  // Unknown attributes in type-code order, as they are sent on (RFC 4271 §5): one canonical form per set.
  m.unknown?.sort((x, y) => x.code - y.code);
  const attrs: PathAttributes = { ...m, origin: m.origin ?? 'incomplete', asPath: m.asPath ?? [] };
  return { attrs, discarded, withdraw };
}

// ---- encoding -----------------------------------------------------------------------------------

function header(flags: number, code: number, len: number): number[] {
  return len > 255 ? [flags | AttrFlag.EXTENDED_LENGTH, code, len >> 8, len & 255] : [flags, code, len];
}

function attr(flags: number, code: number, value: ArrayLike<number>): Uint8Array {
  if (value.length > 0xffff) throw new BgpError('BGP_ATTRIBUTE_TOO_LONG', `${attributeName(code)} is longer than 65535 bytes`);
  const h = header(flags & ~AttrFlag.EXTENDED_LENGTH, code, value.length);
  const out = new Uint8Array(h.length + value.length);
  out.set(h, 0);
  out.set(value, h.length);
  return out;
}

function u32(v: number, what: string): number[] {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new BgpError('BGP_BAD_ATTRIBUTE', `invalid ${what}: ${v}`);
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}

function ipBytes(s: string): number[] {
  return u32(parseIpv4(s), 'address');
}

function encodeAsPath(path: readonly AsPathSegment[], size: 2 | 4): number[] {
  const out: number[] = [];
  for (const s of path) {
    const code = SEG_CODE[s.type];
    if (code === undefined) throw new BgpError('BGP_BAD_ATTRIBUTE', `invalid AS_PATH segment type ${String(s.type)}`);
    for (let i = 0; i < s.asns.length; i += 255) {
      const chunk = s.asns.slice(i, i + 255);
      out.push(code, chunk.length);
      for (const a of chunk) {
        const v = u32(a, 'AS number');
        if (size === 4) out.push(...v);
        else {
          const a2 = a > 0xffff ? AS_TRANS : a;
          out.push(a2 >> 8, a2 & 255);
        }
      }
    }
  }
  return out;
}

export function parseCommunity(s: string): number {
  const named = WELL_KNOWN_COMMUNITIES[s];
  if (named !== undefined) return named;
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(s);
  if (!m || Number(m[1]) > 0xffff || Number(m[2]) > 0xffff) throw new BgpError('BGP_BAD_ATTRIBUTE', `invalid community ${JSON.stringify(s)}`);
  return ((Number(m[1]) << 16) | Number(m[2])) >>> 0;
}

export interface AttrEncodeOptions extends AttrCodecOptions {
  /** Write the NEXT_HOP attribute (IPv4 unicast NLRI field); MP families carry it in MP_REACH_NLRI. */
  readonly nextHopAttribute: boolean;
}

/** Encodes every attribute except MP_REACH/MP_UNREACH, ordered by type code. Throws BgpError on bad values. */
export function encodeAttributes(a: PathAttributes, opts: AttrEncodeOptions): Uint8Array {
  const parts: [number, Uint8Array][] = [];
  const wk = AttrFlag.TRANSITIVE;
  const ot = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE;
  const on = AttrFlag.OPTIONAL;
  const origin = ORIGINS.indexOf(a.origin);
  if (origin < 0) throw new BgpError('BGP_BAD_ATTRIBUTE', `invalid origin ${String(a.origin)}`);
  parts.push([AttrCode.ORIGIN, attr(wk, AttrCode.ORIGIN, [origin])]);
  parts.push([AttrCode.AS_PATH, attr(wk, AttrCode.AS_PATH, encodeAsPath(a.asPath, opts.as4 ? 4 : 2))]);
  if (!opts.as4 && a.asPath.some((s) => s.asns.some((x) => x > 0xffff))) {
    const as4 = a.asPath.filter((s) => !s.type.startsWith('confed'));
    parts.push([AttrCode.AS4_PATH, attr(ot, AttrCode.AS4_PATH, encodeAsPath(as4, 4))]);
  }
  if (opts.nextHopAttribute) {
    if (a.nextHop === undefined) throw new BgpError('BGP_BAD_ATTRIBUTE', 'NEXT_HOP missing');
    parts.push([AttrCode.NEXT_HOP, attr(wk, AttrCode.NEXT_HOP, ipBytes(a.nextHop))]);
  }
  if (a.med !== undefined) parts.push([AttrCode.MED, attr(on, AttrCode.MED, u32(a.med, 'MED'))]);
  if (a.localPref !== undefined) parts.push([AttrCode.LOCAL_PREF, attr(wk, AttrCode.LOCAL_PREF, u32(a.localPref, 'LOCAL_PREF'))]);
  if (a.atomicAggregate) parts.push([AttrCode.ATOMIC_AGGREGATE, attr(wk, AttrCode.ATOMIC_AGGREGATE, [])]);
  if (a.aggregator) {
    const { asn, address } = a.aggregator;
    if (opts.as4) parts.push([AttrCode.AGGREGATOR, attr(ot, AttrCode.AGGREGATOR, [...u32(asn, 'AS number'), ...ipBytes(address)])]);
    else {
      const a2 = asn > 0xffff ? AS_TRANS : asn;
      parts.push([AttrCode.AGGREGATOR, attr(ot, AttrCode.AGGREGATOR, [a2 >> 8, a2 & 255, ...ipBytes(address)])]);
      if (asn > 0xffff) parts.push([AttrCode.AS4_AGGREGATOR, attr(ot, AttrCode.AS4_AGGREGATOR, [...u32(asn, 'AS number'), ...ipBytes(address)])]);
    }
  }
  if (a.communities?.length) parts.push([AttrCode.COMMUNITIES, attr(ot, AttrCode.COMMUNITIES, a.communities.flatMap((c) => u32(parseCommunity(c), 'community')))]);
  if (a.originatorId !== undefined) parts.push([AttrCode.ORIGINATOR_ID, attr(on, AttrCode.ORIGINATOR_ID, ipBytes(a.originatorId))]);
  if (a.clusterList?.length) parts.push([AttrCode.CLUSTER_LIST, attr(on, AttrCode.CLUSTER_LIST, a.clusterList.flatMap(ipBytes))]);
  if (a.extCommunities?.length) {
    const v = new Uint8Array(a.extCommunities.length * EXT_COMMUNITY_LEN);
    a.extCommunities.forEach((x, i) => v.set(parseExtCommunity(x), i * EXT_COMMUNITY_LEN));
    parts.push([AttrCode.EXTENDED_COMMUNITIES, attr(ot, AttrCode.EXTENDED_COMMUNITIES, v)]);
  }
  for (const u of a.unknown ?? []) {
    if (isKnownAttribute(u.code) || !Number.isInteger(u.code) || u.code < 0 || u.code > 255) {
      throw new BgpError('BGP_BAD_ATTRIBUTE', `unknown attribute with known or invalid code ${u.code}`);
    }
    parts.push([u.code, attr(u.flags, u.code, u.value)]);
  }
  parts.sort((x, y) => x[0] - y[0]);
  let total = 0;
  for (const [, b] of parts) total += b.length;
  const out = new Uint8Array(total);
  let off = 0;
  for (const [, b] of parts) {
    out.set(b, off);
    off += b.length;
  }
  return out;
}
