// OPEN (RFC 4271 §4.2) with capabilities (RFC 5492): multiprotocol (RFC 4760), route refresh (RFC 2918),
// enhanced route refresh (RFC 7313), 4-octet AS (RFC 6793), graceful restart (RFC 4724 §3) and ADD-PATH
// (RFC 7911 §4).
import { AS_TRANS, BGP_VERSION, CapCode, OpenSub } from './constants.js';
import { BgpError, openError } from './errors.js';
import { ipv4At, parseIpv4, putU32, u32At } from './addr.js';

export interface GrFamily {
  readonly afi: number;
  readonly safi: number;
  /** F bit: forwarding state was preserved across the restart. */
  readonly forwarding: boolean;
}

export type Capability =
  | { readonly kind: 'multiprotocol'; readonly afi: number; readonly safi: number }
  | { readonly kind: 'route-refresh' }
  | { readonly kind: 'enhanced-route-refresh' }
  | { readonly kind: 'four-octet-as'; readonly asn: number }
  | {
      readonly kind: 'graceful-restart';
      /** R bit: the sender has restarted. */
      readonly restarting: boolean;
      /** N bit (RFC 8538), carried but not acted on. */
      readonly notification: boolean;
      readonly restartTime: number;
      readonly families: readonly GrFamily[];
    }
  | { readonly kind: 'add-path'; readonly families: readonly AddPathFamily[] }
  | { readonly kind: 'unknown'; readonly code: number; readonly value: Uint8Array };

/** One family of the ADD-PATH capability (RFC 7911 §4): can the sender receive / send path identifiers? */
export interface AddPathFamily {
  readonly afi: number;
  readonly safi: number;
  readonly receive: boolean;
  readonly send: boolean;
}

export interface OpenMessage {
  readonly type: 'open';
  readonly version: number;
  /** The speaker's AS: the 4-octet AS capability's value when present, else the 2-octet field. */
  readonly asn: number;
  readonly holdTime: number;
  readonly routerId: string;
  readonly capabilities: readonly Capability[];
}

function encodeCapability(c: Capability): number[] {
  const body: number[] = [];
  let code: number;
  switch (c.kind) {
    case 'multiprotocol':
      code = CapCode.MULTIPROTOCOL;
      body.push(c.afi >> 8, c.afi & 255, 0, c.safi);
      break;
    case 'route-refresh':
      code = CapCode.ROUTE_REFRESH;
      break;
    case 'enhanced-route-refresh':
      code = CapCode.ENHANCED_ROUTE_REFRESH;
      break;
    case 'four-octet-as':
      code = CapCode.FOUR_OCTET_AS;
      body.push((c.asn >>> 24) & 255, (c.asn >>> 16) & 255, (c.asn >>> 8) & 255, c.asn & 255);
      break;
    case 'graceful-restart': {
      code = CapCode.GRACEFUL_RESTART;
      if (!Number.isInteger(c.restartTime) || c.restartTime < 0 || c.restartTime > 4095) {
        throw new BgpError('BGP_BAD_CAPABILITY', `graceful restart time ${c.restartTime} is outside 0..4095`);
      }
      const flags = (c.restarting ? 0x8 : 0) | (c.notification ? 0x4 : 0);
      body.push((flags << 4) | (c.restartTime >> 8), c.restartTime & 255);
      for (const f of c.families) body.push(f.afi >> 8, f.afi & 255, f.safi, f.forwarding ? 0x80 : 0);
      break;
    }
    case 'add-path':
      code = CapCode.ADD_PATH;
      for (const f of c.families) {
        if (!f.receive && !f.send) throw new BgpError('BGP_BAD_CAPABILITY', `ADD-PATH for ${f.afi}/${f.safi} neither receives nor sends`);
        body.push(f.afi >> 8, f.afi & 255, f.safi, (f.receive ? 1 : 0) | (f.send ? 2 : 0));
      }
      break;
    case 'unknown':
      code = c.code;
      body.push(...c.value);
      break;
  }
  if (body.length > 255) throw new BgpError('BGP_BAD_CAPABILITY', `capability ${code} is too long`);
  return [code, body.length, ...body];
}

export function encodeOpenBody(m: Omit<OpenMessage, 'type'>): Uint8Array {
  const caps = m.capabilities.flatMap(encodeCapability);
  if (caps.length > 253) throw new BgpError('BGP_BAD_CAPABILITY', 'capabilities exceed one optional parameter');
  const params = caps.length ? [2, caps.length, ...caps] : [];
  const out = new Uint8Array(10 + params.length);
  const myAs = m.asn > 0xffff ? AS_TRANS : m.asn;
  out[0] = m.version;
  out[1] = myAs >> 8;
  out[2] = myAs & 255;
  out[3] = m.holdTime >> 8;
  out[4] = m.holdTime & 255;
  putU32(out, 5, parseIpv4(m.routerId));
  out[9] = params.length;
  out.set(params, 10);
  return out;
}

function decodeCapability(code: number, b: Uint8Array, off: number, len: number): Capability {
  const bad = (): BgpError => openError('BGP_MALFORMED_CAPABILITY', 0, `malformed capability ${code} of length ${len}`);
  switch (code) {
    case CapCode.MULTIPROTOCOL:
      if (len !== 4) throw bad();
      return { kind: 'multiprotocol', afi: (b[off] << 8) | b[off + 1], safi: b[off + 3] };
    case CapCode.ROUTE_REFRESH:
      return { kind: 'route-refresh' };
    case CapCode.ENHANCED_ROUTE_REFRESH:
      return { kind: 'enhanced-route-refresh' };
    case CapCode.FOUR_OCTET_AS:
      if (len !== 4) throw bad();
      return { kind: 'four-octet-as', asn: u32At(b, off) };
    case CapCode.GRACEFUL_RESTART: {
      if (len < 2 || (len - 2) % 4 !== 0) throw bad();
      const families: GrFamily[] = [];
      for (let p = off + 2; p < off + len; p += 4) {
        families.push({ afi: (b[p] << 8) | b[p + 1], safi: b[p + 2], forwarding: (b[p + 3] & 0x80) !== 0 });
      }
      return {
        kind: 'graceful-restart',
        restarting: (b[off] & 0x80) !== 0,
        notification: (b[off] & 0x40) !== 0,
        restartTime: ((b[off] & 0x0f) << 8) | b[off + 1],
        families,
      };
    }
    case CapCode.ADD_PATH: {
      if (len === 0 || len % 4 !== 0) throw bad();
      const families: AddPathFamily[] = [];
      for (let p = off; p < off + len; p += 4) {
        const mode = b[p + 3];
        // RFC 7911 §4: Send/Receive 1..3; other values make the capability malformed
        if (mode < 1 || mode > 3) throw bad();
        families.push({ afi: (b[p] << 8) | b[p + 1], safi: b[p + 2], receive: (mode & 1) !== 0, send: (mode & 2) !== 0 });
      }
      return { kind: 'add-path', families };
    }
    default:
      return { kind: 'unknown', code, value: b.slice(off, off + len) };
  }
}

/** Decodes an OPEN body (after the 19-byte header). Throws OPEN-error BgpErrors (RFC 4271 §6.2). */
export function decodeOpenBody(b: Uint8Array, off: number, end: number): OpenMessage {
  if (end - off < 10) throw openError('BGP_MALFORMED_OPEN', 0, 'OPEN shorter than 10 bytes');
  const version = b[off];
  if (version !== BGP_VERSION) {
    throw openError('BGP_UNSUPPORTED_VERSION', OpenSub.UNSUPPORTED_VERSION, `unsupported BGP version ${version}`, Uint8Array.of(0, BGP_VERSION));
  }
  const myAs = (b[off + 1] << 8) | b[off + 2];
  const holdTime = (b[off + 3] << 8) | b[off + 4];
  if (holdTime === 1 || holdTime === 2) {
    throw openError('BGP_UNACCEPTABLE_HOLD_TIME', OpenSub.UNACCEPTABLE_HOLD_TIME, `unacceptable hold time ${holdTime}`);
  }
  const id = u32At(b, off + 5);
  if (id === 0) throw openError('BGP_BAD_BGP_IDENTIFIER', OpenSub.BAD_BGP_IDENTIFIER, 'BGP identifier 0.0.0.0');
  const plen = b[off + 9];
  if (off + 10 + plen !== end) throw openError('BGP_MALFORMED_OPEN', 0, 'optional parameters length disagrees with the message length');
  const caps: Capability[] = [];
  let p = off + 10;
  while (p < end) {
    if (p + 2 > end) throw openError('BGP_MALFORMED_OPEN', 0, 'optional parameter overruns the message');
    const ptype = b[p];
    const plen2 = b[p + 1];
    const v = p + 2;
    if (v + plen2 > end) throw openError('BGP_MALFORMED_OPEN', 0, 'optional parameter overruns the message');
    if (ptype !== 2) {
      throw openError('BGP_UNSUPPORTED_OPTIONAL_PARAMETER', OpenSub.UNSUPPORTED_OPTIONAL_PARAMETER, `unsupported optional parameter ${ptype}`);
    }
    let q = v;
    while (q < v + plen2) {
      if (q + 2 > v + plen2) throw openError('BGP_MALFORMED_CAPABILITY', 0, 'capability overruns its parameter');
      const code = b[q];
      const clen = b[q + 1];
      if (q + 2 + clen > v + plen2) throw openError('BGP_MALFORMED_CAPABILITY', 0, 'capability overruns its parameter');
      caps.push(decodeCapability(code, b, q + 2, clen));
      q += 2 + clen;
    }
    p = v + plen2;
  }
  const four = caps.find((c) => c.kind === 'four-octet-as');
  return { type: 'open', version, asn: four ? four.asn : myAs, holdTime, routerId: ipv4At(b, off + 5), capabilities: caps };
}
