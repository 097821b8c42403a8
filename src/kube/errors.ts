// kube-manager's typed errors. Each has a stable code (docs/kube-manager.md "Error codes").
// `InputError`s are problems in what users wrote (annotations, specs, pools): they become a Kubernetes
// Event on the object and a log line, and are looked at again when the object (or what it waits
// for: a network, a pool, a freed address) changes. `NotReadyError` means a dependency (a
// namespace's objects, a security group) is not there yet: retried with backoff.
import { TfError } from '../common/errors.js';

export class KubeManagerError extends TfError {}

export class ConfigError extends KubeManagerError {
  constructor(message: string, code = 'KM_CONFIG_INVALID') {
    super(code, message, { status: 400 });
  }
}

/** A user error on one Kubernetes object: reported as an Event with `reason`, nothing written. */
export class InputError extends KubeManagerError {
  constructor(
    code: string,
    readonly reason: string,
    message: string,
  ) {
    super(code, message, { status: 400 });
  }
}

export class NotReadyError extends KubeManagerError {
  constructor(message: string) {
    super('KM_NOT_READY', message, { status: 503 });
  }
}
