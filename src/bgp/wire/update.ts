// UPDATE (RFC 4271 §4.3) with MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760 §3-4), End-of-RIB markers
// (RFC 4724 §2) and the error handling of RFC 7606. Two ways in: scanUpdate frames a message without
// allocating (the receive path interns attribute bytes and walks NLRI in place); decodeUpdate gives the
// whole message as objects (tests, tools, the fuzz test). encodeUpdate / assembleUpdate build messages.
import { Buffer } from 'node:buffer';
import { AttrCode, AttrFlag, HEADER_LEN, MAX_MESSAGE_LEN, MsgType, UpdateSub, familyAfiSafi, familyOf, type Family } from './constants.js';
import { BgpError, updateError } from './errors.js';
import { formatIp, parseIp } from './addr.js';
import { checkFlags, decodeAttributes, encodeAttributes, type AttrCodecOptions, type PathAttributes } from './attributes.js';
import { NlriScratch, decodeNlri, encodeNlri, skipNlri, type LabeledNlri, type Nlri } from './nlri.js';

/** Reusable result of scanUpdate: byte ranges into the message. */
export class UpdateScan {
  withdrawnStart = 0;
  withdrawnEnd = 0;
  attrStart = 0;
  attrEnd = 0;
  nlriStart = 0;
  nlriEnd = 0;
  /** Bit n set when attribute type n (1..31) is present. */
  present = 0;
  /** Number of attributes other than MP_REACH_NLRI / MP_UNREACH_NLRI. */
  pathAttrCount = 0;
  hasReach = false;
  reachFamily: Family | undefined = undefined;
  reachAfi = 0;
  reachSafi = 0;
  reachAttrStart = 0;
  reachAttrEnd = 0;
  nextHopStart = 0;
  nextHopLen = 0;
  reachStart = 0;
  reachEnd = 0;
  hasUnreach = false;
  unreachFamily: Family | undefined = undefined;
  unreachAfi = 0;
  unreachSafi = 0;
  unreachAttrStart = 0;
  unreachAttrEnd = 0;
  unreachStart = 0;
  unreachEnd = 0;
  /** End-of-RIB marker for this family (RFC 4724 §2), else undefined. */
  endOfRib: Family | undefined = undefined;
  /** A framing-level treat-as-withdraw (missing mandatory attribute, unusable next hop). */
  withdrawError: BgpError | undefined = undefined;
}

function listError(message: string): BgpError {
  return updateError('BGP_MALFORMED_ATTRIBUTE_LIST', UpdateSub.MALFORMED_ATTRIBUTE_LIST, message, 'session-reset');
}
function mpError(message: string): BgpError {
  return updateError('BGP_MALFORMED_MP_ATTRIBUTE', UpdateSub.OPTIONAL_ATTRIBUTE, message, 'session-reset');
}

const scratch = new NlriScratch();

function checkNlriField(family: Family, b: Uint8Array, start: number, end: number, withdraw: boolean): void {
  let p = start;
  while (p < end) p = skipNlri(family, b, p, end, withdraw, scratch);
}

/** Next-hop lengths this speaker reads, per family: 4/16 bytes, or 12/24 with a leading zero RD for VPN. */
function nextHopOk(family: Family | undefined, len: number): boolean {
  if (family === 'inet-vpn') return len === 12 || len === 24 || len === 48;
  return len === 4 || len === 16 || len === 32;
}

/**
 * Frames an UPDATE message (header included, b[off, off+len)) into `s`. Every NLRI is framed once so that
 * nothing of a message that must reset the session is ever applied. Throws session-reset BgpErrors.
 */
export function scanUpdate(b: Uint8Array, off: number, len: number, s: UpdateScan): void {
  const end = off + len;
  const body = off + HEADER_LEN;
  s.present = 0;
  s.pathAttrCount = 0;
  s.hasReach = s.hasUnreach = false;
  s.reachFamily = s.unreachFamily = s.endOfRib = undefined;
  s.withdrawError = undefined;
  s.reachStart = s.reachEnd = s.unreachStart = s.unreachEnd = s.nextHopLen = 0;
  if (body + 4 > end) throw listError('UPDATE shorter than 23 bytes');
  const wlen = (b[body] << 8) | b[body + 1];
  s.withdrawnStart = body + 2;
  s.withdrawnEnd = s.withdrawnStart + wlen;
  if (s.withdrawnEnd + 2 > end) throw listError('withdrawn routes length overruns the message');
  const alen = (b[s.withdrawnEnd] << 8) | b[s.withdrawnEnd + 1];
  s.attrStart = s.withdrawnEnd + 2;
  s.attrEnd = s.attrStart + alen;
  if (s.attrEnd > end) throw listError('total path attribute length overruns the message');
  s.nlriStart = s.attrEnd;
  s.nlriEnd = end;
  let p = s.attrStart;
  let count = 0;
  while (p < s.attrEnd) {
    if (p + 3 > s.attrEnd) throw listError('attribute header overruns the attribute list');
    const flags = b[p];
    const code = b[p + 1];
    const ext = (flags & AttrFlag.EXTENDED_LENGTH) !== 0;
    if (ext && p + 4 > s.attrEnd) throw listError('attribute header overruns the attribute list');
    const alen2 = ext ? (b[p + 2] << 8) | b[p + 3] : b[p + 2];
    const v = p + (ext ? 4 : 3);
    if (v + alen2 > s.attrEnd) throw listError(`attribute ${code} overruns the attribute list`);
    count++;
    if (code < 32) s.present |= 1 << code;
    if (code !== AttrCode.MP_REACH_NLRI && code !== AttrCode.MP_UNREACH_NLRI) s.pathAttrCount++;
    else {
      const flagErr = checkFlags(code, flags, b.subarray(p, v + alen2));
      if (flagErr) throw flagErr;
      if (code === AttrCode.MP_REACH_NLRI) {
        if (s.hasReach) throw listError('duplicate MP_REACH_NLRI');
        if (alen2 < 5) throw mpError('MP_REACH_NLRI shorter than 5 bytes');
        s.hasReach = true;
        s.reachAttrStart = p;
        s.reachAttrEnd = v + alen2;
        s.reachAfi = (b[v] << 8) | b[v + 1];
        s.reachSafi = b[v + 2];
        s.reachFamily = familyOf(s.reachAfi, s.reachSafi);
        s.nextHopLen = b[v + 3];
        s.nextHopStart = v + 4;
        s.reachStart = v + 4 + s.nextHopLen + 1;
        s.reachEnd = v + alen2;
        if (s.reachStart > s.reachEnd) throw mpError('MP_REACH_NLRI next hop overruns the attribute');
      } else {
        if (s.hasUnreach) throw listError('duplicate MP_UNREACH_NLRI');
        if (alen2 < 3) throw mpError('MP_UNREACH_NLRI shorter than 3 bytes');
        s.hasUnreach = true;
        s.unreachAttrStart = p;
        s.unreachAttrEnd = v + alen2;
        s.unreachAfi = (b[v] << 8) | b[v + 1];
        s.unreachSafi = b[v + 2];
        s.unreachFamily = familyOf(s.unreachAfi, s.unreachSafi);
        s.unreachStart = v + 3;
        s.unreachEnd = v + alen2;
      }
    }
    p = v + alen2;
  }
  // Frame every NLRI before anything is applied (RFC 7606 §5.3: unframeable NLRI resets the session).
  checkNlriField('inet', b, s.withdrawnStart, s.withdrawnEnd, true);
  checkNlriField('inet', b, s.nlriStart, s.nlriEnd, false);
  if (s.reachFamily) checkNlriField(s.reachFamily, b, s.reachStart, s.reachEnd, false);
  if (s.unreachFamily) checkNlriField(s.unreachFamily, b, s.unreachStart, s.unreachEnd, true);

  if (wlen === 0 && alen === 0 && s.nlriEnd === s.nlriStart) s.endOfRib = 'inet';
  else if (count === 1 && s.hasUnreach && s.unreachStart === s.unreachEnd && wlen === 0 && s.nlriEnd === s.nlriStart) {
    s.endOfRib = s.unreachFamily;
  }
  const reaches = s.nlriEnd > s.nlriStart || (s.reachFamily !== undefined && s.reachEnd > s.reachStart);
  if (reaches) {
    const missing = !(s.present & (1 << AttrCode.ORIGIN))
      ? AttrCode.ORIGIN
      : !(s.present & (1 << AttrCode.AS_PATH))
        ? AttrCode.AS_PATH
        : s.nlriEnd > s.nlriStart && !(s.present & (1 << AttrCode.NEXT_HOP))
          ? AttrCode.NEXT_HOP
          : 0;
    if (missing) {
      s.withdrawError = updateError('BGP_MISSING_WELL_KNOWN', UpdateSub.MISSING_WELL_KNOWN, `missing well-known attribute ${missing}`, 'treat-as-withdraw', Uint8Array.of(missing));
    } else if (s.reachFamily !== undefined && s.reachEnd > s.reachStart && !nextHopOk(s.reachFamily, s.nextHopLen)) {
      s.withdrawError = updateError('BGP_BAD_NEXT_HOP', UpdateSub.OPTIONAL_ATTRIBUTE, `next hop length ${s.nextHopLen} unusable for ${s.reachFamily}`, 'treat-as-withdraw');
    }
  }
}

/** The MP_REACH next hop as text (a VPN next hop's zero RD dropped; of two IPv6 next hops, the global one). */
export function mpNextHop(b: Uint8Array, s: UpdateScan): string | undefined {
  const n = s.nextHopLen;
  const at = s.nextHopStart;
  if (!s.hasReach) return undefined;
  if (n === 4 || n === 32 || n === 16) return formatIp(b, at, n === 4 ? 4 : 16);
  if (n === 12) return formatIp(b, at + 8, 4);
  if (n === 24 || n === 48) return formatIp(b, at + 8, 16);
  return undefined;
}

function latin1(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
}

/**
 * A string naming the path attributes of the UPDATE exactly: the attribute bytes without the MP
 * attributes, plus the MP next hop and the AS-size mode. Equal strings decode to equal attributes, so
 * a table interns on it and decodes each distinct set once.
 */
export function attributeKey(b: Uint8Array, s: UpdateScan, as4: boolean, forMp: boolean): string {
  let key = as4 ? '4' : '2';
  let p = s.attrStart;
  const cuts: [number, number][] = [];
  if (s.hasReach) cuts.push([s.reachAttrStart, s.reachAttrEnd]);
  if (s.hasUnreach) cuts.push([s.unreachAttrStart, s.unreachAttrEnd]);
  if (cuts.length === 2 && cuts[0][0] > cuts[1][0]) cuts.reverse();
  for (const [a, z] of cuts) {
    if (a > p) key += latin1(b, p, a);
    p = z;
  }
  if (s.attrEnd > p) key += latin1(b, p, s.attrEnd);
  if (forMp && s.hasReach) key += '|' + latin1(b, s.nextHopStart, s.nextHopStart + s.nextHopLen);
  return key;
}

/**
 * Decodes the attributes of a scanned UPDATE. forMp: the attributes of the MP_REACH routes (nextHop is
 * the MP next hop); else of the IPv4 NLRI field (nextHop is NEXT_HOP).
 */
export function updateAttributes(b: Uint8Array, s: UpdateScan, opts: AttrCodecOptions, forMp: boolean): ReturnType<typeof decodeAttributes> {
  const r = decodeAttributes(b, s.attrStart, s.attrEnd, opts);
  if (!forMp) return r;
  const nh = mpNextHop(b, s);
  const { nextHop: _ignored, ...rest } = r.attrs;
  return { ...r, attrs: nh === undefined ? rest : { ...rest, nextHop: nh } };
}

export interface UpdateMessage {
  readonly type: 'update';
  /** Withdrawn NLRI of every family; under treat-as-withdraw also the NLRI the UPDATE announced. */
  readonly withdrawn: readonly Nlri[];
  readonly announced: readonly LabeledNlri[];
  /** Undefined when the UPDATE carries no path attributes. nextHop: the MP next hop when MP_REACH is present. */
  readonly attrs: PathAttributes | undefined;
  /** NEXT_HOP of the IPv4 NLRI field when one UPDATE carries both it and MP_REACH_NLRI. */
  readonly inetNextHop?: string;
  readonly endOfRib?: Family;
  /** MP families present in the message that this speaker does not carry (ignored). */
  readonly unsupported: readonly { readonly afi: number; readonly safi: number }[];
  readonly treatAsWithdraw?: BgpError;
  readonly discarded: readonly BgpError[];
}

function collect(family: Family, b: Uint8Array, start: number, end: number, withdraw: boolean): LabeledNlri[] {
  const out: LabeledNlri[] = [];
  let p = start;
  while (p < end) {
    const r = decodeNlri(family, b, p, end, withdraw);
    if (!r.skip) out.push({ nlri: r.nlri, labels: r.labels });
    p = r.next;
  }
  return out;
}

/** Decodes a whole UPDATE (header included) into objects. Throws session-reset BgpErrors. */
export function decodeUpdate(b: Uint8Array, off: number, len: number, opts: AttrCodecOptions): UpdateMessage {
  const s = new UpdateScan();
  scanUpdate(b, off, len, s);
  const withdrawn: Nlri[] = collect('inet', b, s.withdrawnStart, s.withdrawnEnd, true).map((x) => x.nlri);
  if (s.unreachFamily) withdrawn.push(...collect(s.unreachFamily, b, s.unreachStart, s.unreachEnd, true).map((x) => x.nlri));
  let announced: LabeledNlri[] = collect('inet', b, s.nlriStart, s.nlriEnd, false);
  if (s.reachFamily) announced.push(...collect(s.reachFamily, b, s.reachStart, s.reachEnd, false));
  const unsupported: { afi: number; safi: number }[] = [];
  if (s.hasReach && !s.reachFamily) unsupported.push({ afi: s.reachAfi, safi: s.reachSafi });
  if (s.hasUnreach && !s.unreachFamily) unsupported.push({ afi: s.unreachAfi, safi: s.unreachSafi });
  let attrs: PathAttributes | undefined;
  let discarded: readonly BgpError[] = [];
  let treat = s.withdrawError;
  let inetNextHop: string | undefined;
  if (s.pathAttrCount > 0 || s.hasReach) {
    const r = updateAttributes(b, s, opts, s.hasReach);
    attrs = r.attrs;
    discarded = r.discarded;
    treat ??= r.withdraw;
    if (s.hasReach && s.nlriEnd > s.nlriStart) inetNextHop = decodeAttributes(b, s.attrStart, s.attrEnd, opts).attrs.nextHop;
  }
  if (treat) {
    withdrawn.push(...announced.map((x) => x.nlri));
    announced = [];
  }
  return {
    type: 'update', withdrawn, announced, attrs, unsupported, discarded,
    ...(s.endOfRib ? { endOfRib: s.endOfRib } : {}),
    ...(inetNextHop !== undefined ? { inetNextHop } : {}),
    ...(treat ? { treatAsWithdraw: treat } : {}),
  };
}

// ---- encoding -----------------------------------------------------------------------------------

/** MP_REACH next-hop bytes for a family: VPN next hops carry a zero RD (RFC 4364 §4.3.2). */
export function encodeMpNextHop(family: Family, nextHop: string): Uint8Array {
  const ip = parseIp(nextHop);
  if (family !== 'inet-vpn') return ip;
  const out = new Uint8Array(8 + ip.length);
  out.set(ip, 8);
  return out;
}

export interface UpdateParts {
  /** IPv4 unicast withdrawn-routes field. */
  readonly withdrawn?: Uint8Array;
  /** Encoded path attributes without MP attributes (see encodeAttributes). */
  readonly attrs?: Uint8Array;
  readonly mpReach?: { readonly family: Family; readonly nextHop: Uint8Array; readonly nlri: Uint8Array };
  readonly mpUnreach?: { readonly family: Family; readonly nlri: Uint8Array };
  /** IPv4 unicast NLRI field. */
  readonly nlri?: Uint8Array;
}

/** Bytes an UPDATE needs beyond its NLRI: header, lengths, attributes and the MP attribute headers. */
export function updateOverhead(attrLen: number, nextHopLen: number, mp: boolean): number {
  return HEADER_LEN + 4 + attrLen + (mp ? 4 + 3 + 1 + nextHopLen + 1 : 0);
}

/** Builds one UPDATE message from encoded parts. Throws BgpError when it would exceed 4096 bytes. */
export function assembleUpdate(p: UpdateParts): Uint8Array {
  const attrParts: Uint8Array[] = [];
  if (p.mpUnreach) {
    const [afi, safi] = familyAfiSafi(p.mpUnreach.family);
    attrParts.push(mpAttr(AttrCode.MP_UNREACH_NLRI, [afi >> 8, afi & 255, safi], p.mpUnreach.nlri));
  }
  if (p.mpReach) {
    const [afi, safi] = familyAfiSafi(p.mpReach.family);
    const nh = p.mpReach.nextHop;
    attrParts.push(mpAttr(AttrCode.MP_REACH_NLRI, [afi >> 8, afi & 255, safi, nh.length, ...nh, 0], p.mpReach.nlri));
  }
  if (p.attrs) attrParts.push(p.attrs);
  const withdrawn = p.withdrawn ?? new Uint8Array(0);
  const nlri = p.nlri ?? new Uint8Array(0);
  let attrLen = 0;
  for (const a of attrParts) attrLen += a.length;
  const total = HEADER_LEN + 2 + withdrawn.length + 2 + attrLen + nlri.length;
  if (total > MAX_MESSAGE_LEN) throw new BgpError('BGP_MESSAGE_TOO_LONG', `UPDATE of ${total} bytes exceeds ${MAX_MESSAGE_LEN}`);
  const out = new Uint8Array(total);
  out.fill(0xff, 0, 16);
  out[16] = total >> 8;
  out[17] = total & 255;
  out[18] = MsgType.UPDATE;
  let o = HEADER_LEN;
  out[o++] = withdrawn.length >> 8;
  out[o++] = withdrawn.length & 255;
  out.set(withdrawn, o);
  o += withdrawn.length;
  out[o++] = attrLen >> 8;
  out[o++] = attrLen & 255;
  for (const a of attrParts) {
    out.set(a, o);
    o += a.length;
  }
  out.set(nlri, o);
  return out;
}

function mpAttr(code: number, head: number[], nlri: Uint8Array): Uint8Array {
  const len = head.length + nlri.length;
  const ext = len > 255;
  const out = new Uint8Array((ext ? 4 : 3) + len);
  out[0] = AttrFlag.OPTIONAL | (ext ? AttrFlag.EXTENDED_LENGTH : 0);
  out[1] = code;
  let o = 2;
  if (ext) out[o++] = len >> 8;
  out[o++] = len & 255;
  out.set(head, o);
  out.set(nlri, o + head.length);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const x of parts) n += x.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const x of parts) {
    out.set(x, o);
    o += x.length;
  }
  return out;
}

export interface UpdateInput {
  readonly withdrawn?: readonly Nlri[];
  readonly announced?: readonly LabeledNlri[];
  /** Required when anything is announced; nextHop is required too. */
  readonly attrs?: PathAttributes;
}

/**
 * Encodes one UPDATE. Announced NLRI must be of one family (IPv4 unicast goes in the NLRI field, any other
 * family in MP_REACH_NLRI), and so must withdrawn NLRI of families other than IPv4 unicast.
 */
export function encodeUpdate(u: UpdateInput, opts: AttrCodecOptions): Uint8Array {
  const announced = u.announced ?? [];
  const withdrawn = u.withdrawn ?? [];
  const aFam = new Set(announced.map((x) => x.nlri.family));
  const wMp = new Set(withdrawn.filter((n) => n.family !== 'inet').map((n) => n.family));
  if (aFam.size > 1 || wMp.size > 1) throw new BgpError('BGP_MIXED_FAMILIES', 'one UPDATE carries one announced family and one MP withdrawn family');
  const family = [...aFam][0];
  if (announced.length && (!u.attrs || u.attrs.nextHop === undefined)) throw new BgpError('BGP_BAD_ATTRIBUTE', 'announced routes need attributes with a next hop');
  const parts: { -readonly [K in keyof UpdateParts]: UpdateParts[K] } = {};
  const wInet = withdrawn.filter((n) => n.family === 'inet');
  if (wInet.length) parts.withdrawn = concat(wInet.map((n) => encodeNlri(n, [], true)));
  const wOther = withdrawn.filter((n) => n.family !== 'inet');
  if (wOther.length) parts.mpUnreach = { family: wOther[0].family, nlri: concat(wOther.map((n) => encodeNlri(n, [], true))) };
  if (u.attrs) parts.attrs = encodeAttributes(u.attrs, { ...opts, nextHopAttribute: family === 'inet' });
  if (family === 'inet') parts.nlri = concat(announced.map((x) => encodeNlri(x.nlri, x.labels)));
  else if (family && u.attrs?.nextHop !== undefined) {
    parts.mpReach = { family, nextHop: encodeMpNextHop(family, u.attrs.nextHop), nlri: concat(announced.map((x) => encodeNlri(x.nlri, x.labels))) };
  }
  return assembleUpdate(parts);
}

/** The End-of-RIB marker of a family (RFC 4724 §2). */
export function encodeEndOfRib(family: Family): Uint8Array {
  if (family === 'inet') return assembleUpdate({});
  return assembleUpdate({ mpUnreach: { family, nlri: new Uint8Array(0) } });
}
