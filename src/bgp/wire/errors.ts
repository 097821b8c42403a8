// Protocol errors as data. Every decode failure is a BgpError naming what RFC 4271 §6 and RFC 7606 §2
// say the receiver does about it; the session layer acts on `action`, never on the message text.
import { ErrCode } from './constants.js';

/**
 * session-reset: send NOTIFICATION(code, subcode, data) and drop the session.
 * treat-as-withdraw: keep the session, withdraw every NLRI of the UPDATE (RFC 7606 §2).
 * attribute-discard: keep the session and the routes, drop the one attribute.
 */
export type ErrorAction = 'session-reset' | 'treat-as-withdraw' | 'attribute-discard';

export class BgpError extends Error {
  readonly code: string;
  readonly action: ErrorAction;
  readonly notifyCode: number;
  readonly notifySubcode: number;
  readonly data: Uint8Array;

  constructor(
    code: string,
    message: string,
    opts: { action?: ErrorAction; notifyCode?: number; notifySubcode?: number; data?: Uint8Array } = {},
  ) {
    super(message);
    this.name = 'BgpError';
    this.code = code;
    this.action = opts.action ?? 'session-reset';
    this.notifyCode = opts.notifyCode ?? ErrCode.UPDATE;
    this.notifySubcode = opts.notifySubcode ?? 0;
    this.data = opts.data ?? new Uint8Array(0);
  }

  /** The same error with another action (RFC 7606 picks the action per attribute, not per fault). */
  withAction(action: ErrorAction): BgpError {
    return new BgpError(this.code, this.message, {
      action,
      notifyCode: this.notifyCode,
      notifySubcode: this.notifySubcode,
      data: this.data,
    });
  }
}

export function headerError(code: string, subcode: number, message: string, data?: Uint8Array): BgpError {
  return new BgpError(code, message, { notifyCode: ErrCode.HEADER, notifySubcode: subcode, data });
}

export function openError(code: string, subcode: number, message: string, data?: Uint8Array): BgpError {
  return new BgpError(code, message, { notifyCode: ErrCode.OPEN, notifySubcode: subcode, data });
}

export function updateError(code: string, subcode: number, message: string, action: ErrorAction = 'session-reset', data?: Uint8Array): BgpError {
  return new BgpError(code, message, { notifyCode: ErrCode.UPDATE, notifySubcode: subcode, action, data });
}
