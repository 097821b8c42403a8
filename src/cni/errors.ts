// CNI errors: a TfError with a stable code (docs/errors.md, "CNI") carrying the CNI spec's numeric
// error code, turned into the spec's error JSON {cniVersion, code, msg, details} by cniErrorBody().
import { TfError } from '../common/errors.js';
import { CURRENT_VERSION } from './versions.js';

/** Numeric codes of the CNI spec (1-99 reserved) and ours (100+). */
export const CNI_CODE = {
  incompatibleVersion: 1,
  unsupportedField: 2,
  unknownContainer: 3,
  invalidEnv: 4,
  io: 5,
  decode: 6,
  invalidConfig: 7,
  tryAgain: 11,
  /** the pod's interface did not appear in the config within the wait */
  interfaceTimeout: 100,
  /** the datapath could not plumb or remove the interface */
  datapath: 101,
  /** CHECK found the interface differing from what ADD made */
  checkFailed: 102,
} as const;

export type CniErrorCode =
  | 'CNI_INCOMPATIBLE_VERSION'
  | 'CNI_UNSUPPORTED_FIELD'
  | 'CNI_UNKNOWN_CONTAINER'
  | 'CNI_INVALID_ENV'
  | 'CNI_DECODE_FAILED'
  | 'CNI_INVALID_CONFIG'
  | 'CNI_TRY_AGAIN'
  | 'CNI_INTERFACE_TIMEOUT'
  | 'CNI_DATAPATH_FAILED'
  | 'CNI_CHECK_FAILED';

const NUMERIC: Record<CniErrorCode, number> = {
  CNI_INCOMPATIBLE_VERSION: CNI_CODE.incompatibleVersion,
  CNI_UNSUPPORTED_FIELD: CNI_CODE.unsupportedField,
  CNI_UNKNOWN_CONTAINER: CNI_CODE.unknownContainer,
  CNI_INVALID_ENV: CNI_CODE.invalidEnv,
  CNI_DECODE_FAILED: CNI_CODE.decode,
  CNI_INVALID_CONFIG: CNI_CODE.invalidConfig,
  CNI_TRY_AGAIN: CNI_CODE.tryAgain,
  CNI_INTERFACE_TIMEOUT: CNI_CODE.interfaceTimeout,
  CNI_DATAPATH_FAILED: CNI_CODE.datapath,
  CNI_CHECK_FAILED: CNI_CODE.checkFailed,
};

const STATUS: Record<CniErrorCode, number> = {
  CNI_INCOMPATIBLE_VERSION: 400,
  CNI_UNSUPPORTED_FIELD: 400,
  CNI_UNKNOWN_CONTAINER: 404,
  CNI_INVALID_ENV: 400,
  CNI_DECODE_FAILED: 400,
  CNI_INVALID_CONFIG: 400,
  CNI_TRY_AGAIN: 503,
  CNI_INTERFACE_TIMEOUT: 504,
  CNI_DATAPATH_FAILED: 500,
  CNI_CHECK_FAILED: 409,
};

export class CniError extends TfError {
  /** the CNI spec's numeric code */
  readonly cniCode: number;
  /** the spec's `details` string */
  readonly cniDetails: string;

  constructor(code: CniErrorCode, msg: string, details = '', cause?: unknown) {
    super(code, msg, { status: STATUS[code], details: details === '' ? undefined : { details }, cause });
    this.cniCode = NUMERIC[code];
    this.cniDetails = details;
  }
}

export interface CniErrorBody {
  cniVersion: string;
  code: number;
  msg: string;
  details?: string;
}

/** The spec's error JSON for any thrown value (non-CNI errors become code 999 "internal"). */
export function cniErrorBody(err: unknown, version: string = CURRENT_VERSION): CniErrorBody {
  if (err instanceof CniError) {
    return { cniVersion: version, code: err.cniCode, msg: err.message, ...(err.cniDetails ? { details: err.cniDetails } : {}) };
  }
  if (err instanceof TfError) return { cniVersion: version, code: 999, msg: `${err.code}: ${err.message}` };
  return { cniVersion: version, code: 999, msg: err instanceof Error ? err.message : String(err) };
}

/** HTTP status the agent answers a CNI error with (tf-cni exits non-zero on anything but 2xx). */
export function cniErrorStatus(err: unknown): number {
  if (err instanceof TfError) return err.status >= 400 ? err.status : 500;
  return 500;
}
