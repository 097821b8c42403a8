// VNC API errors as typed classes, mapped by HTTP status exactly as vnc_api maps them
// (BadRequest 400, AuthFailed 401, PermissionDenied 403, NoIdError 404, RefsExistError 409,
// OverQuota 412, RequestSizeError 413, ServiceUnavailableError 503, TimeOutError 504), each also
// carrying the server's stable error code (docs/errors.md). The server throws them; the client
// rebuilds them from responses, so callers write `if (err instanceof NoIdError)` on both sides.
import { TfError } from '../common/errors.js';

export class VncError extends TfError {
  constructor(code: string, message: string, status: number, details?: unknown) {
    super(code, message, { status, details });
  }
}

export class BadRequest extends VncError {
  constructor(message: string, code = 'BAD_REQUEST', details?: unknown) {
    super(code, message, 400, details);
  }
}

export class AuthFailed extends VncError {
  constructor(message = 'Authentication required: missing or wrong X-Auth-Token', code = 'AUTH_FAILED') {
    super(code, message, 401);
  }
}

export class PermissionDenied extends VncError {
  constructor(message: string, code = 'PERMISSION_DENIED') {
    super(code, message, 403);
  }
}

export class NoIdError extends VncError {
  constructor(message: string, code = 'NO_ID', details?: unknown) {
    super(code, message, 404, details);
  }
}

export class RevisionCompacted extends VncError {
  constructor(
    message: string,
    readonly oldestRevision: number,
  ) {
    super('REVISION_COMPACTED', message, 410, { oldest_revision: oldestRevision });
  }
}

export class RefsExistError extends VncError {
  constructor(message: string, code = 'REFS_EXIST', details?: unknown) {
    super(code, message, 409, details);
  }
}

export class OverQuota extends VncError {
  constructor(message: string, code = 'OVER_QUOTA') {
    super(code, message, 412);
  }
}

export class RequestSizeError extends VncError {
  constructor(message: string, code = 'REQUEST_TOO_LARGE') {
    super(code, message, 413);
  }
}

export class ServiceUnavailableError extends VncError {
  constructor(message: string, code = 'SERVICE_UNAVAILABLE') {
    super(code, message, 503);
  }
}

export class TimeOutError extends VncError {
  constructor(message: string, code = 'TIMEOUT') {
    super(code, message, 504);
  }
}

/** Rebuilds the typed error for an HTTP error response (client side). */
export function errorFromResponse(status: number, code: string | undefined, message: string, details?: unknown): VncError {
  switch (status) {
    case 400:
      return new BadRequest(message, code ?? 'BAD_REQUEST', details);
    case 401:
      return new AuthFailed(message, code ?? 'AUTH_FAILED');
    case 403:
      return new PermissionDenied(message, code ?? 'PERMISSION_DENIED');
    case 404:
      return new NoIdError(message, code ?? 'NO_ID', details);
    case 409:
      return new RefsExistError(message, code ?? 'REFS_EXIST', details);
    case 410: {
      const oldest = Number((details as { oldest_revision?: unknown } | undefined)?.oldest_revision ?? 0);
      return new RevisionCompacted(message, oldest);
    }
    case 412:
      return new OverQuota(message, code ?? 'OVER_QUOTA');
    case 413:
      return new RequestSizeError(message, code ?? 'REQUEST_TOO_LARGE');
    case 503:
      return new ServiceUnavailableError(message, code ?? 'SERVICE_UNAVAILABLE');
    case 504:
      return new TimeOutError(message, code ?? 'TIMEOUT');
    default:
      return new VncError(code ?? `HTTP_${status}`, message, status, details);
  }
}
