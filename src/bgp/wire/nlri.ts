// NLRI of the four families: IPv4 unicast (RFC 4271 §4.3), VPN-IPv4 with label stacks (RFC 4364 §4.3.4,
// RFC 8277 §2), route-target membership (RFC 4684 §4) and EVPN route types 2 and 5 (RFC 7432 §7.2,
// RFC 9136 §3; other EVPN types are carried opaque). Each NLRI also has a compact binary *route key*,
// the bytes that identify the destination (labels, ESI and gateway excluded, host bits cleared);
// tables index routes by it.
import type { Family } from './constants.js';
import { UpdateSub } from './constants.js';
import { BgpError, updateError } from './errors.js';
import { formatIp, formatMac, fromHex, parseIp, parseIpv4Prefix, parseMac, putU32, toHex, u32At, ipv4At } from './addr.js';
import { formatRd, parseRd } from './rd.js';
import { formatExtCommunity, parseExtCommunity } from './ext-community.js';

export interface InetNlri {
  readonly family: 'inet';
  readonly prefix: string;
}
export interface VpnNlri {
  readonly family: 'inet-vpn';
  readonly rd: string;
  readonly prefix: string;
}
/** prefixLen 96 is one route target of one origin AS; 0 is the default route (every target). */
export interface RtcNlri {
  readonly family: 'route-target';
  readonly originAs: number;
  readonly routeTarget: string | null;
  readonly prefixLen: number;
}
export interface EvpnMacIpNlri {
  readonly family: 'e-vpn';
  readonly routeType: 2;
  readonly rd: string;
  readonly esi: string;
  readonly ethTag: number;
  readonly mac: string;
  readonly ip: string | null;
}
export interface EvpnPrefixNlri {
  readonly family: 'e-vpn';
  readonly routeType: 5;
  readonly rd: string;
  readonly esi: string;
  readonly ethTag: number;
  readonly prefix: string;
  readonly gateway: string;
}
/** Any other EVPN route type, kept as its body bytes (hex). */
export interface EvpnOtherNlri {
  readonly family: 'e-vpn';
  readonly routeType: number;
  readonly body: string;
}
export type EvpnNlri = EvpnMacIpNlri | EvpnPrefixNlri | EvpnOtherNlri;
export type Nlri = InetNlri | VpnNlri | RtcNlri | EvpnNlri;

export const NO_LABEL = -1;
/** Longest route key of a family, in bytes: tables size their key slots by it. */
export const MAX_KEY_LEN: Readonly<Record<Family, number>> = { inet: 5, 'inet-vpn': 13, 'route-target': 13, 'e-vpn': 48 };
export const ZERO_ESI = '00000000000000000000';

/** Reusable output of scanNlri: the route key, the first label and the NLRI's byte range. */
export class NlriScratch {
  readonly key = new Uint8Array(64);
  keyLen = 0;
  /** First label: the 20-bit label of inet-vpn, the raw 24-bit field of e-vpn, NO_LABEL otherwise. */
  label = NO_LABEL;
  labelCount = 0;
  start = 0;
  end = 0;
  /** True for an NLRI that is well framed but not usable (e.g. an EVPN route too long for a key). */
  skip = false;
}

function malformed(message: string): BgpError {
  return updateError('BGP_MALFORMED_NLRI', UpdateSub.INVALID_NETWORK_FIELD, message, 'session-reset');
}

function scanPrefix(b: Uint8Array, off: number, end: number, s: NlriScratch, max: number): number {
  const len = b[off];
  if (len > max) throw malformed(`prefix length ${len} exceeds ${max}`);
  const n = (len + 7) >> 3;
  if (off + 1 + n > end) throw malformed('prefix overruns the NLRI field');
  const k = s.key;
  k[0] = len;
  for (let i = 0; i < n; i++) k[1 + i] = b[off + 1 + i];
  if (len & 7) k[n] &= (0xff << (8 - (len & 7))) & 0xff;
  s.keyLen = 1 + n;
  s.end = off + 1 + n;
  return s.end;
}

function scanVpn(b: Uint8Array, off: number, end: number, s: NlriScratch, withdraw: boolean): number {
  let bits = b[off];
  let p = off + 1;
  let count = 0;
  for (;;) {
    if (bits < 24 + 64) throw malformed(`VPN NLRI length ${b[off]} too short`);
    if (p + 3 > end) throw malformed('VPN NLRI overruns the field');
    const raw = (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];
    if (count === 0) s.label = raw >>> 4;
    count++;
    p += 3;
    bits -= 24;
    // A withdrawal carries one label field (often 0x800000, RFC 8277 §2.4); a stack ends at bottom-of-stack.
    if (withdraw || raw & 1 || raw === 0x800000 || bits < 24 + 64 || count === 8) break;
  }
  bits -= 64;
  if (bits > 32) throw malformed(`VPN prefix length ${bits} exceeds 32`);
  const n = (bits + 7) >> 3;
  if (p + 8 + n > end) throw malformed('VPN NLRI overruns the field');
  const k = s.key;
  k[0] = bits;
  for (let i = 0; i < 8 + n; i++) k[1 + i] = b[p + i];
  if (bits & 7) k[8 + n] &= (0xff << (8 - (bits & 7))) & 0xff;
  s.keyLen = 9 + n;
  s.labelCount = count;
  s.end = p + 8 + n;
  return s.end;
}

function copyInto(k: Uint8Array, at: number, b: Uint8Array, from: number, n: number): number {
  for (let i = 0; i < n; i++) k[at + i] = b[from + i];
  return at + n;
}

function scanEvpn(b: Uint8Array, off: number, end: number, s: NlriScratch): number {
  if (off + 2 > end) throw malformed('EVPN NLRI header overruns the field');
  const type = b[off];
  const len = b[off + 1];
  const body = off + 2;
  if (body + len > end) throw malformed('EVPN NLRI overruns the field');
  s.end = body + len;
  const k = s.key;
  k[0] = type;
  if (type === 2) {
    // RD(8) ESI(10) EthTag(4) MACLen(1) MAC(6) IPLen(1) IP(0|4|16) Label1(3) [Label2(3)]
    if (len < 33) return skip(s);
    const ipBits = b[body + 29];
    const ipBytes = ipBits >> 3;
    if (b[body + 22] !== 48 || (ipBits !== 0 && ipBits !== 32 && ipBits !== 128)) return skip(s);
    if (len !== 33 + ipBytes && len !== 36 + ipBytes) return skip(s);
    let at = copyInto(k, 1, b, body, 8);
    at = copyInto(k, at, b, body + 18, 4 + 1 + 6 + 1 + ipBytes);
    s.keyLen = at;
    const l = body + 30 + ipBytes;
    s.label = (b[l] << 16) | (b[l + 1] << 8) | b[l + 2];
    s.labelCount = len === 36 + ipBytes ? 2 : 1;
    return s.end;
  }
  if (type === 5) {
    // RD(8) ESI(10) EthTag(4) PrefixLen(1) Prefix(4|16) GW(4|16) Label(3)
    if (len !== 34 && len !== 58) return skip(s);
    const ipBytes = len === 34 ? 4 : 16;
    const plen = b[body + 22];
    if (plen > ipBytes * 8) return skip(s);
    let at = copyInto(k, 1, b, body, 8);
    at = copyInto(k, at, b, body + 18, 4 + 1 + ipBytes);
    for (let bit = plen; bit < ipBytes * 8; bit++) k[at - ipBytes + (bit >> 3)] &= ~(0x80 >> (bit & 7));
    s.keyLen = at;
    const l = body + 23 + ipBytes * 2;
    s.label = (b[l] << 16) | (b[l + 1] << 8) | b[l + 2];
    s.labelCount = 1;
    return s.end;
  }
  if (1 + len > MAX_KEY_LEN['e-vpn']) return skip(s);
  s.keyLen = copyInto(k, 1, b, body, len);
  return s.end;
}

function skip(s: NlriScratch): number {
  s.skip = true;
  s.keyLen = 0;
  return s.end;
}

/** Frames one NLRI at b[off] without building its key; returns the offset after it or throws like scanNlri. */
export function skipNlri(family: Family, b: Uint8Array, off: number, end: number, withdraw: boolean, s: NlriScratch): number {
  if (family === 'inet' || family === 'route-target') {
    const len = b[off];
    if (len > (family === 'inet' ? 32 : 96)) throw malformed(`prefix length ${len} exceeds ${family === 'inet' ? 32 : 96}`);
    const next = off + 1 + ((len + 7) >> 3);
    if (next > end) throw malformed('prefix overruns the NLRI field');
    return next;
  }
  return scanNlri(family, b, off, end, s, withdraw);
}

/**
 * Reads one NLRI at b[off] (off < end) into `s` and returns the offset after it. Throws a session-reset
 * BgpError when the NLRI cannot be framed (RFC 7606 §5.3).
 */
export function scanNlri(family: Family, b: Uint8Array, off: number, end: number, s: NlriScratch, withdraw: boolean): number {
  s.start = off;
  s.skip = false;
  s.label = NO_LABEL;
  s.labelCount = 0;
  switch (family) {
    case 'inet':
      return scanPrefix(b, off, end, s, 32);
    case 'route-target': {
      // RFC 4684 §4: length 0 (default) or 32..96; anything between is framed but not a usable route.
      const next = scanPrefix(b, off, end, s, 96);
      if (s.key[0] > 0 && s.key[0] < 32) return skip(s);
      return next;
    }
    case 'inet-vpn':
      return scanVpn(b, off, end, s, withdraw);
    case 'e-vpn':
      return scanEvpn(b, off, end, s);
  }
}

// ---- objects ↔ wire ------------------------------------------------------------------------------

export interface LabeledNlri {
  readonly nlri: Nlri;
  /** inet-vpn: 20-bit MPLS labels (a stack); e-vpn: raw 24-bit label fields (VNI for VXLAN); else empty. */
  readonly labels: readonly number[];
}

function prefixBytes(prefix: string): [number, Uint8Array] {
  const [addr, len] = parseIpv4Prefix(prefix);
  const out = new Uint8Array(4);
  putU32(out, 0, addr);
  return [len, out.subarray(0, (len + 7) >> 3)];
}

function formatPrefixKey(k: Uint8Array, off: number, len: number): string {
  const b = new Uint8Array(4);
  for (let i = 0; i < (len + 7) >> 3; i++) b[i] = k[off + i];
  return `${ipv4At(b, 0)}/${len}`;
}

function bytesOfEsi(esi: string): Uint8Array {
  if (esi === '0' || esi === '') return new Uint8Array(10);
  const b = fromHex(esi.replace(/[:.]/g, ''));
  if (b.length !== 10) throw new BgpError('BGP_BAD_NLRI', `invalid ESI: ${JSON.stringify(esi)}`);
  return b;
}

function label3(v: number, out: Uint8Array, off: number): void {
  out[off] = (v >>> 16) & 255;
  out[off + 1] = (v >>> 8) & 255;
  out[off + 2] = v & 255;
}

function checkLabel(v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new BgpError('BGP_BAD_LABEL', `invalid label ${v}`);
}

/** Wire bytes of one NLRI. A withdrawal of inet-vpn carries the label field 0x800000 (RFC 8277 §2.4). */
export function encodeNlri(nlri: Nlri, labels: readonly number[] = [], withdraw = false): Uint8Array {
  switch (nlri.family) {
    case 'inet':
    case 'route-target': {
      let len: number;
      let body: Uint8Array;
      if (nlri.family === 'inet') [len, body] = prefixBytes(nlri.prefix);
      else if (nlri.prefixLen === 0) [len, body] = [0, new Uint8Array(0)];
      else {
        len = nlri.prefixLen;
        if (!Number.isInteger(len) || len < 32 || len > 96) throw new BgpError('BGP_BAD_NLRI', `invalid RTC prefix length ${len}`);
        if (!Number.isInteger(nlri.originAs) || nlri.originAs < 0 || nlri.originAs > 0xffffffff) throw new BgpError('BGP_BAD_NLRI', `invalid RTC origin AS ${nlri.originAs}`);
        const full = new Uint8Array(12);
        putU32(full, 0, nlri.originAs);
        if (nlri.routeTarget !== null) full.set(parseExtCommunity(nlri.routeTarget), 4);
        if (len & 7) full[(len - 1) >> 3] &= (0xff << (8 - (len & 7))) & 0xff;
        for (let i = (len + 7) >> 3; i < 12; i++) full[i] = 0;
        body = full.subarray(0, (len + 7) >> 3);
      }
      const out = new Uint8Array(1 + body.length);
      out[0] = len;
      out.set(body, 1);
      return out;
    }
    case 'inet-vpn': {
      const [len, body] = prefixBytes(nlri.prefix);
      const stack = withdraw ? [-1] : labels.length ? labels : [0];
      const out = new Uint8Array(1 + 3 * stack.length + 8 + body.length);
      out[0] = 24 * stack.length + 64 + len;
      stack.forEach((l, i) => {
        if (l === -1) label3(0x800000, out, 1);
        else {
          checkLabel(l, 0xfffff);
          label3((l << 4) | (i === stack.length - 1 ? 1 : 0), out, 1 + 3 * i);
        }
      });
      out.set(parseRd(nlri.rd), 1 + 3 * stack.length);
      out.set(body, 1 + 3 * stack.length + 8);
      return out;
    }
    case 'e-vpn':
      return encodeEvpn(nlri, labels);
  }
}

function encodeEvpn(nlri: EvpnNlri, labels: readonly number[]): Uint8Array {
  const parts: number[] = [];
  const push = (b: ArrayLike<number>): void => {
    for (let i = 0; i < b.length; i++) parts.push(b[i]);
  };
  const u32 = (v: number): number[] => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  const lab = (v: number): number[] => {
    checkLabel(v, 0xffffff);
    return [(v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  };
  if ('body' in nlri) {
    push(fromHex(nlri.body));
  } else if (nlri.routeType === 2) {
    push(parseRd(nlri.rd));
    push(bytesOfEsi(nlri.esi));
    push(u32(nlri.ethTag));
    parts.push(48);
    push(parseMac(nlri.mac));
    const ip = nlri.ip === null ? new Uint8Array(0) : parseIp(nlri.ip);
    parts.push(ip.length * 8);
    push(ip);
    const ls = labels.length ? labels.slice(0, 2) : [0];
    for (const l of ls) push(lab(l));
  } else {
    push(parseRd(nlri.rd));
    push(bytesOfEsi(nlri.esi));
    push(u32(nlri.ethTag));
    const slash = nlri.prefix.lastIndexOf('/');
    if (slash < 0) throw new BgpError('BGP_BAD_NLRI', `invalid EVPN prefix ${JSON.stringify(nlri.prefix)}`);
    const ip = parseIp(nlri.prefix.slice(0, slash));
    const plen = Number(nlri.prefix.slice(slash + 1));
    if (!Number.isInteger(plen) || plen < 0 || plen > ip.length * 8) throw new BgpError('BGP_BAD_NLRI', `invalid EVPN prefix ${JSON.stringify(nlri.prefix)}`);
    const gw = parseIp(nlri.gateway);
    if (gw.length !== ip.length) throw new BgpError('BGP_BAD_NLRI', 'EVPN gateway and prefix differ in address family');
    parts.push(plen);
    push(ip);
    push(gw);
    push(lab(labels[0] ?? 0));
  }
  const type = nlri.routeType;
  if (parts.length > 255) throw new BgpError('BGP_BAD_NLRI', 'EVPN NLRI too long');
  return Uint8Array.from([type, parts.length, ...parts]);
}

/**
 * Decodes one NLRI at b[off]; returns the object, its labels and the next offset. `skip` marks an NLRI that
 * is well framed but unusable (RTC length 1..31, malformed EVPN body): receivers ignore it.
 */
export function decodeNlri(family: Family, b: Uint8Array, off: number, end: number, withdraw = false): LabeledNlri & { next: number; skip: boolean } {
  const s = new NlriScratch();
  const next = scanNlri(family, b, off, end, s, withdraw);
  if (s.skip) {
    return { nlri: family === 'e-vpn' ? { family, routeType: b[off], body: toHex(b, off + 2, next) } : nlriFromKey(family, Uint8Array.of(0)), labels: [], next, skip: true };
  }
  const key = s.key.subarray(0, s.keyLen);
  switch (family) {
    case 'inet':
    case 'route-target':
      return { nlri: nlriFromKey(family, key), labels: [], next, skip: false };
    case 'inet-vpn': {
      const labels: number[] = [];
      if (!withdraw) for (let i = 0; i < s.labelCount; i++) labels.push(((b[off + 1 + 3 * i] << 16) | (b[off + 2 + 3 * i] << 8) | b[off + 3 + 3 * i]) >>> 4);
      return { nlri: nlriFromKey(family, key), labels, next, skip: false };
    }
    case 'e-vpn':
      return { ...decodeEvpn(b, off), next, skip: false };
  }
}

function decodeEvpn(b: Uint8Array, off: number): LabeledNlri {
  const type = b[off];
  const len = b[off + 1];
  const p = off + 2;
  const lab = (at: number): number => (b[at] << 16) | (b[at + 1] << 8) | b[at + 2];
  const s = new NlriScratch();
  scanEvpn(b, off, off + 2 + len, s);
  if (type === 2 && !s.skip) {
    const ipBytes = b[p + 29] >> 3;
    const labels = [lab(p + 30 + ipBytes)];
    if (s.labelCount === 2) labels.push(lab(p + 33 + ipBytes));
    return {
      nlri: {
        family: 'e-vpn', routeType: 2, rd: formatRd(b, p), esi: toHex(b, p + 8, p + 18), ethTag: u32At(b, p + 18),
        mac: formatMac(b, p + 23), ip: ipBytes ? formatIp(b, p + 30, ipBytes) : null,
      },
      labels,
    };
  }
  if (type === 5 && !s.skip) {
    const ipBytes = len === 34 ? 4 : 16;
    const pb = new Uint8Array(16);
    for (let i = 0; i < ipBytes; i++) pb[i] = s.key[1 + 8 + 4 + 1 + i];
    return {
      nlri: {
        family: 'e-vpn', routeType: 5, rd: formatRd(b, p), esi: toHex(b, p + 8, p + 18), ethTag: u32At(b, p + 18),
        prefix: `${formatIp(pb, 0, ipBytes)}/${b[p + 22]}`, gateway: formatIp(b, p + 23 + ipBytes, ipBytes),
      },
      labels: [lab(p + 23 + ipBytes * 2)],
    };
  }
  return { nlri: { family: 'e-vpn', routeType: type, body: toHex(b, p, p + len) }, labels: [] };
}

/** The route key of an NLRI object. */
export function nlriKey(nlri: Nlri): Uint8Array {
  const wire = encodeNlri(nlri, [], false);
  const s = new NlriScratch();
  scanNlri(nlri.family, wire, 0, wire.length, s, false);
  if (s.skip) throw new BgpError('BGP_BAD_NLRI', `unusable ${nlri.family} NLRI`);
  return s.key.slice(0, s.keyLen);
}

/**
 * The NLRI a route key stands for. For e-vpn the key lacks the ESI and the gateway (they are not part of the
 * route's identity): they read as zero; the full NLRI travels with the path.
 */
export function nlriFromKey(family: Family, key: Uint8Array): Nlri {
  switch (family) {
    case 'inet':
      return { family, prefix: formatPrefixKey(key, 1, key[0]) };
    case 'inet-vpn':
      return { family, rd: formatRd(key, 1), prefix: formatPrefixKey(key, 9, key[0]) };
    case 'route-target': {
      const len = key[0];
      if (len === 0) return { family, originAs: 0, routeTarget: null, prefixLen: 0 };
      const full = new Uint8Array(12);
      full.set(key.subarray(1, 1 + ((len + 7) >> 3)));
      return { family, originAs: u32At(full, 0), routeTarget: len > 32 ? formatExtCommunity(full, 4) : null, prefixLen: len };
    }
    case 'e-vpn': {
      const type = key[0];
      if (type === 2) {
        const ipBytes = key[1 + 8 + 4 + 1 + 6] >> 3;
        return {
          family, routeType: 2, rd: formatRd(key, 1), esi: ZERO_ESI, ethTag: u32At(key, 9), mac: formatMac(key, 14),
          ip: ipBytes ? formatIp(key, 21, ipBytes) : null,
        };
      }
      if (type === 5) {
        const ipBytes = key.length - 14;
        return {
          family, routeType: 5, rd: formatRd(key, 1), esi: ZERO_ESI, ethTag: u32At(key, 9),
          prefix: `${formatIp(key, 14, ipBytes)}/${key[13]}`, gateway: ipBytes === 4 ? '0.0.0.0' : '::',
        };
      }
      return { family, routeType: type, body: toHex(key, 1) };
    }
  }
}

/**
 * Wire bytes of the NLRI a key stands for, with one label (inet-vpn) — the fast path for building UPDATEs
 * from a table. Not for e-vpn (whose wire form carries fields outside the key).
 */
export function wireFromKey(family: Family, key: Uint8Array, keyOff: number, keyLen: number, label: number, withdraw: boolean, out: Uint8Array, off: number): number {
  if (family === 'inet-vpn') {
    out[off] = key[keyOff] + 24 + 64;
    label3(withdraw || label < 0 ? 0x800000 : ((label << 4) | 1) >>> 0, out, off + 1);
    for (let i = 1; i < keyLen; i++) out[off + 3 + i] = key[keyOff + i];
    return off + 3 + keyLen;
  }
  for (let i = 0; i < keyLen; i++) out[off + i] = key[keyOff + i];
  return off + keyLen;
}

/** Display form: "10.0.0.0/24", "64512:1:10.0.0.0/24", "64512:target:64512:1", "2-<rd>-<tag>-<mac>,<ip>". */
export function formatNlri(nlri: Nlri): string {
  switch (nlri.family) {
    case 'inet':
      return nlri.prefix;
    case 'inet-vpn':
      return `${nlri.rd}:${nlri.prefix}`;
    case 'route-target':
      if (nlri.prefixLen === 0) return 'default';
      return nlri.prefixLen === 96 ? `${nlri.originAs}:${nlri.routeTarget}` : `${nlri.originAs}:${nlri.routeTarget}/${nlri.prefixLen}`;
    case 'e-vpn':
      if ('body' in nlri) return `${nlri.routeType}-${nlri.body}`;
      if (nlri.routeType === 2) return `2-${nlri.rd}-${nlri.ethTag}-${nlri.mac},${nlri.ip ?? '0.0.0.0'}`;
      return `5-${nlri.rd}-${nlri.ethTag}-${nlri.prefix}`;
  }
}
