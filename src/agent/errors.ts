// Typed errors of the agent with stable codes (docs/errors.md, "vRouter agent").
import { TfError } from '../common/errors.js';

/** A bad command-line option or AgentOptions field; `details.field` names it. */
export class AgentOptionError extends TfError {
  constructor(message: string, field: string) {
    super('AGENT_BAD_OPTION', message, { status: 400, details: { field } });
  }
}

/** The underlay device cannot be found in the agent's network namespace. */
export class AgentUnderlayError extends TfError {
  constructor(message: string, details?: unknown) {
    super('AGENT_UNDERLAY_NOT_FOUND', message, { status: 409, details });
  }
}

/** A port API request names a VM or interface this agent does not know. */
export class PortNotFoundError extends TfError {
  constructor(message: string, details?: unknown) {
    super('AGENT_PORT_NOT_FOUND', message, { status: 404, details });
  }
}

/** An introspect query the agent cannot answer as asked (bad trace parameters). */
export class AgentQueryError extends TfError {
  constructor(message: string, details?: unknown) {
    super('AGENT_BAD_QUERY', message, { status: 400, details });
  }
}
