// Typed errors with stable codes. Every layer throws these; one mapper per transport (HTTP, CNI, BGP)
// turns them into that transport's error shape. Codes are documented in docs/errors.md.

export class TfError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: unknown;

  constructor(code: string, message: string, opts: { status?: number; details?: unknown; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = opts.status ?? 500;
    this.details = opts.details;
  }
}

export class BadRequestError extends TfError {
  constructor(message: string, details?: unknown) {
    super('BAD_REQUEST', message, { status: 400, details });
  }
}

export class NotFoundError extends TfError {
  constructor(message: string, details?: unknown) {
    super('NOT_FOUND', message, { status: 404, details });
  }
}

export class ConflictError extends TfError {
  constructor(message: string, details?: unknown) {
    super('CONFLICT', message, { status: 409, details });
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
