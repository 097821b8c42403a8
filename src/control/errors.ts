// Typed errors of the control node, each with a stable code (docs/control-node.md "Error codes").
import { TfError } from '../common/errors.js';

/** A bad introspect query (unknown table, malformed prefix, bad filter value): HTTP 400. */
export class BadQueryError extends TfError {
  constructor(message: string, details?: unknown) {
    super('CONTROL_BAD_QUERY', message, { status: 400, details });
  }
}

/** A named table or instance that does not exist: HTTP 404. */
export class NoSuchTableError extends TfError {
  constructor(what: string, name: string) {
    super('CONTROL_NOT_FOUND', `no ${what} ${JSON.stringify(name)}`, { status: 404, details: { [what]: name } });
  }
}

/** Bad start options (router id, addresses, ports): nothing is started. */
export class ControlOptionError extends TfError {
  constructor(message: string, field: string) {
    super('CONTROL_BAD_OPTION', message, { status: 400, details: { field } });
  }
}

/** A config object the control node cannot use (kept out, reported on introspect, never half-applied). */
export class ConfigProblem extends TfError {
  constructor(readonly objectType: string, readonly fqName: string, message: string) {
    super('CONTROL_BAD_CONFIG', `${objectType} ${fqName}: ${message}`, { status: 422, details: { type: objectType, fq_name: fqName } });
  }
}

/** The control node has not synced its config yet: HTTP 503. */
export class NotReadyError extends TfError {
  constructor(message = 'the control node is starting: config not synced yet') {
    super('CONTROL_NOT_READY', message, { status: 503 });
  }
}
