// Typed datapath errors with stable codes (documented in docs/datapath.md). The agent maps them to CNI
// error JSON or introspect replies; nothing here knows those shapes.
import { TfError } from '../common/errors.js';

export interface Problem {
  /** JSON path of the offending field, e.g. interfaces[2].mac */
  path: string;
  message: string;
}

/** The desired state is malformed or inconsistent; nothing was written. */
export class DatapathModelError extends TfError {
  readonly problems: readonly Problem[];
  constructor(problems: Problem[]) {
    const head = problems.slice(0, 3).map((p) => `${p.path}: ${p.message}`).join('; ');
    const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : '';
    super('DATAPATH_INVALID_MODEL', `invalid datapath state: ${head}${more}`, { status: 400, details: { problems } });
    this.problems = problems;
  }
}

/** A command could not run or exited non-zero as a whole (reading state, sysctl, nft). */
export class DatapathCommandError extends TfError {
  constructor(message: string, details: { command: string[]; exitCode: number | null; stderr: string }) {
    super('DATAPATH_COMMAND_FAILED', message, { status: 500, details });
  }
}

export interface LineFailure {
  /** the batch command line that failed */
  line: string;
  error: string;
}

/** Some lines of a batch failed; every other line was applied. The next render retries the rest. */
export class DatapathApplyError extends TfError {
  readonly failures: readonly LineFailure[];
  constructor(tool: string, failures: LineFailure[]) {
    const first = failures[0];
    super('DATAPATH_APPLY_FAILED', `${tool}: ${failures.length} command(s) failed, first: ${first ? `${first.line}: ${first.error}` : '?'}`, {
      status: 500,
      details: { tool, failures },
    });
    this.failures = failures;
  }
}

/** The kernel state needed to render is absent (the underlay device, a pod network namespace). */
export class DatapathPreconditionError extends TfError {
  constructor(code: 'DATAPATH_UNDERLAY_MISSING' | 'DATAPATH_NETNS_MISSING' | 'DATAPATH_IFNAME_TAKEN', message: string, details?: unknown) {
    super(code, message, { status: 409, details });
  }
}

/** Output of ip/bridge/nft could not be understood. */
export class DatapathKernelStateError extends TfError {
  constructor(message: string, details?: unknown) {
    super('DATAPATH_KERNEL_STATE', message, { status: 500, details });
  }
}
