// Typed errors of the lab orchestration (`tfctl lab up|down|status|kubeconfig|exec`), with stable
// codes documented in docs/errors.md ("Lab orchestration"). The commands print `<code>: <message>`.
import { TfError } from '../common/errors.js';

export type LabErrorCode =
  | 'LAB_NEEDS_ROOT'
  | 'LAB_MISSING_TOOL'
  | 'LAB_BAD_OPTION'
  | 'LAB_ALREADY_RUNNING'
  | 'LAB_PORT_IN_USE'
  | 'LAB_START_FAILED'
  | 'LAB_NOT_RUNNING'
  | 'LAB_NETWORK_FAILED';

export class LabError extends TfError {
  declare readonly code: LabErrorCode;

  constructor(code: LabErrorCode, message: string, details?: unknown) {
    super(code, message, { status: 400, details });
  }
}

export class LabOptionError extends LabError {
  readonly option: string;

  constructor(message: string, option: string) {
    super('LAB_BAD_OPTION', message, { option });
    this.option = option;
  }
}
