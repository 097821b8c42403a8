// Message framing (RFC 4271 §4.1, §6.1) and the small messages: KEEPALIVE (§4.4), NOTIFICATION (§4.5, with
// the shutdown communication of RFC 9003), ROUTE-REFRESH (RFC 2918, RFC 7313). decodeMessage is the one entry
// point that never throws: it returns a message or a typed BgpError.
import { ErrCode, HEADER_LEN, HeaderSub, MARKER_LEN, MAX_MESSAGE_LEN, MsgType, CeaseSub } from './constants.js';
import { BgpError, headerError } from './errors.js';
import { decodeOpenBody, encodeOpenBody, type OpenMessage } from './open.js';
import { decodeUpdate, encodeUpdate, type UpdateInput, type UpdateMessage } from './update.js';
import type { AttrCodecOptions } from './attributes.js';

export interface KeepaliveMessage {
  readonly type: 'keepalive';
}
export interface NotificationMessage {
  readonly type: 'notification';
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
}
export interface RouteRefreshMessage {
  readonly type: 'route-refresh';
  readonly afi: number;
  readonly safi: number;
  /** 0 request, 1 begin (BoRR), 2 end (EoRR) of an enhanced route refresh. */
  readonly subtype: number;
}
export type Message = OpenMessage | UpdateMessage | KeepaliveMessage | NotificationMessage | RouteRefreshMessage;

const MIN_LEN: Record<number, number> = {
  [MsgType.OPEN]: 29,
  [MsgType.UPDATE]: 23,
  [MsgType.NOTIFICATION]: 21,
  [MsgType.KEEPALIVE]: 19,
  [MsgType.ROUTE_REFRESH]: 23,
};

/**
 * Length of the message starting at b[off], 0 when fewer than 19 bytes are available, or a session-reset
 * BgpError (Message Header Error) thrown for a bad marker, length or type.
 */
export function frameLength(b: Uint8Array, off: number, avail: number): number {
  if (avail < HEADER_LEN) return 0;
  for (let i = 0; i < MARKER_LEN; i++) {
    if (b[off + i] !== 0xff) throw headerError('BGP_BAD_MARKER', HeaderSub.NOT_SYNCHRONIZED, 'connection not synchronized (bad marker)');
  }
  const len = (b[off + 16] << 8) | b[off + 17];
  const type = b[off + 18];
  const min = MIN_LEN[type];
  if (min === undefined) throw headerError('BGP_BAD_MESSAGE_TYPE', HeaderSub.BAD_TYPE, `bad message type ${type}`, Uint8Array.of(type));
  const exact = type === MsgType.KEEPALIVE || type === MsgType.ROUTE_REFRESH;
  if (len < min || len > MAX_MESSAGE_LEN || (exact && len !== min)) {
    throw headerError('BGP_BAD_MESSAGE_LENGTH', HeaderSub.BAD_LENGTH, `bad length ${len} for message type ${type}`, Uint8Array.of(len >> 8, len & 255));
  }
  return len;
}

export function messageType(b: Uint8Array, off: number): number {
  return b[off + 18];
}

function withHeader(type: number, body: Uint8Array): Uint8Array {
  const len = HEADER_LEN + body.length;
  if (len > MAX_MESSAGE_LEN) throw new BgpError('BGP_MESSAGE_TOO_LONG', `message of ${len} bytes exceeds ${MAX_MESSAGE_LEN}`);
  const out = new Uint8Array(len);
  out.fill(0xff, 0, MARKER_LEN);
  out[16] = len >> 8;
  out[17] = len & 255;
  out[18] = type;
  out.set(body, HEADER_LEN);
  return out;
}

export const KEEPALIVE: Uint8Array = withHeader(MsgType.KEEPALIVE, new Uint8Array(0));

export function encodeOpen(m: Omit<OpenMessage, 'type' | 'version'> & { version?: number }): Uint8Array {
  return withHeader(MsgType.OPEN, encodeOpenBody({ ...m, version: m.version ?? 4 }));
}

export function encodeNotification(code: number, subcode: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const body = new Uint8Array(2 + data.length);
  body[0] = code;
  body[1] = subcode;
  body.set(data, 2);
  return withHeader(MsgType.NOTIFICATION, body.length + HEADER_LEN > MAX_MESSAGE_LEN ? body.subarray(0, MAX_MESSAGE_LEN - HEADER_LEN) : body);
}

/** A Cease NOTIFICATION with an RFC 9003 shutdown communication (administrative shutdown/reset). */
export function encodeCease(subcode: number, text = ''): Uint8Array {
  if ((subcode === CeaseSub.ADMIN_SHUTDOWN || subcode === CeaseSub.ADMIN_RESET) && text) {
    const t = new TextEncoder().encode(text).subarray(0, 255);
    const data = new Uint8Array(1 + t.length);
    data[0] = t.length;
    data.set(t, 1);
    return encodeNotification(ErrCode.CEASE, subcode, data);
  }
  return encodeNotification(ErrCode.CEASE, subcode);
}

export function encodeRouteRefresh(afi: number, safi: number, subtype = 0): Uint8Array {
  return withHeader(MsgType.ROUTE_REFRESH, Uint8Array.of(afi >> 8, afi & 255, subtype, safi));
}

const CODE_NAMES: Record<number, string> = {
  1: 'Message Header Error', 2: 'OPEN Message Error', 3: 'UPDATE Message Error', 4: 'Hold Timer Expired',
  5: 'Finite State Machine Error', 6: 'Cease', 7: 'ROUTE-REFRESH Message Error',
};
const CEASE_NAMES: Record<number, string> = {
  1: 'Maximum Number of Prefixes Reached', 2: 'Administrative Shutdown', 3: 'Peer De-configured', 4: 'Administrative Reset',
  5: 'Connection Rejected', 6: 'Other Configuration Change', 7: 'Connection Collision Resolution', 8: 'Out of Resources',
  9: 'Hard Reset',
};

/** "Cease/Administrative Shutdown: maintenance" — for logs and introspect. */
export function describeNotification(code: number, subcode: number, data: Uint8Array = new Uint8Array(0)): string {
  let s = CODE_NAMES[code] ?? `code ${code}`;
  if (code === ErrCode.CEASE && CEASE_NAMES[subcode]) s += `/${CEASE_NAMES[subcode]}`;
  else if (subcode) s += `/subcode ${subcode}`;
  if (code === ErrCode.CEASE && (subcode === 2 || subcode === 4) && data.length > 0 && data[0] + 1 <= data.length && data[0] > 0) {
    s += `: ${new TextDecoder('utf-8', { fatal: false }).decode(data.subarray(1, 1 + data[0]))}`;
  }
  return s;
}

export type DecodeResult = { readonly ok: true; readonly message: Message } | { readonly ok: false; readonly error: BgpError };

/**
 * Decodes exactly one message occupying all of `b`. Never throws: malformed input yields a BgpError saying
 * what the receiver must do (RFC 4271 §6, RFC 7606).
 */
export function decodeMessage(b: Uint8Array, opts: AttrCodecOptions = { as4: true }): DecodeResult {
  try {
    const len = frameLength(b, 0, b.length);
    if (len === 0) throw headerError('BGP_BAD_MESSAGE_LENGTH', HeaderSub.BAD_LENGTH, `message shorter than ${HEADER_LEN} bytes`);
    if (len !== b.length) {
      throw headerError('BGP_BAD_MESSAGE_LENGTH', HeaderSub.BAD_LENGTH, `header length ${len} differs from the ${b.length} bytes given`, Uint8Array.of(len >> 8, len & 255));
    }
    return { ok: true, message: decodeFramed(b, 0, len, opts) };
  } catch (err) {
    if (err instanceof BgpError) return { ok: false, error: err };
    return { ok: false, error: new BgpError('BGP_DECODE_FAILED', `decoder fault: ${String(err)}`) };
  }
}

/** Decodes a framed message b[off, off+len); throws BgpError. */
export function decodeFramed(b: Uint8Array, off: number, len: number, opts: AttrCodecOptions): Message {
  const body = off + HEADER_LEN;
  const end = off + len;
  switch (b[off + 18]) {
    case MsgType.OPEN:
      return decodeOpenBody(b, body, end);
    case MsgType.UPDATE:
      return decodeUpdate(b, off, len, opts);
    case MsgType.KEEPALIVE:
      return { type: 'keepalive' };
    case MsgType.NOTIFICATION:
      return { type: 'notification', code: b[body], subcode: b[body + 1], data: b.slice(body + 2, end) };
    case MsgType.ROUTE_REFRESH:
      return { type: 'route-refresh', afi: (b[body] << 8) | b[body + 1], subtype: b[body + 2], safi: b[body + 3] };
    default:
      throw headerError('BGP_BAD_MESSAGE_TYPE', HeaderSub.BAD_TYPE, `bad message type ${b[off + 18]}`, Uint8Array.of(b[off + 18]));
  }
}

export type MessageInput =
  | (Omit<OpenMessage, 'version'> & { version?: number })
  | ({ readonly type: 'update' } & UpdateInput)
  | KeepaliveMessage
  | NotificationMessage
  | RouteRefreshMessage;

/** Encodes any message; throws BgpError for values that cannot be put on the wire. */
export function encodeMessage(m: MessageInput, opts: AttrCodecOptions = { as4: true }): Uint8Array {
  switch (m.type) {
    case 'open':
      return encodeOpen(m);
    case 'update':
      return encodeUpdate(m, opts);
    case 'keepalive':
      return KEEPALIVE.slice();
    case 'notification':
      return encodeNotification(m.code, m.subcode, m.data);
    case 'route-refresh':
      return encodeRouteRefresh(m.afi, m.safi, m.subtype);
  }
}
