// Kubernetes API errors as typed errors whose stable code is the Kubernetes StatusReason, and the one
// mapper that turns any thrown value into a Status object (what kubectl and client libraries parse).
import { TfError, errorMessage } from '../../common/errors.js';
import type { Status, StatusCause } from './types.js';

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
}

export class KubeApiError extends TfError {
  declare readonly code: StatusReason;
  readonly kubeDetails: StatusDetails | undefined;

  constructor(status: number, reason: StatusReason, message: string, details?: StatusDetails) {
    super(reason, message, { status, details });
    this.kubeDetails = details;
  }

  toStatus(): Status {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.code,
      ...(this.kubeDetails === undefined ? {} : { details: this.kubeDetails }),
      code: this.status,
    };
  }
}

/** `resource` is the plural resource name with its group, as Kubernetes prints it: `deployments.apps`. */
const qualified = (group: string, resource: string): string => (group ? `${resource}.${group}` : resource);

export const notFound = (group: string, resource: string, name: string): KubeApiError =>
  new KubeApiError(404, 'NotFound', `${qualified(group, resource)} "${name}" not found`, { name, group, kind: resource });

export const alreadyExists = (group: string, resource: string, name: string): KubeApiError =>
  new KubeApiError(409, 'AlreadyExists', `${qualified(group, resource)} "${name}" already exists`, { name, group, kind: resource });

export const conflict = (group: string, resource: string, name: string, why: string): KubeApiError =>
  new KubeApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(group, resource)} "${name}": ${why}`, { name, group, kind: resource });

export const staleResourceVersion = (group: string, resource: string, name: string): KubeApiError =>
  conflict(group, resource, name, 'the object has been modified; please apply your changes to the latest version and try again');

export const invalid = (group: string, kind: string, name: string, causes: StatusCause[]): KubeApiError =>
  new KubeApiError(
    422,
    'Invalid',
    `${kind}${group ? '.' + group : ''} "${name}" is invalid: ${causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ')}`,
    { name, group, kind, causes },
  );

export const badRequest = (message: string): KubeApiError => new KubeApiError(400, 'BadRequest', message);

export const expired = (message: string): KubeApiError => new KubeApiError(410, 'Expired', message);

export const forbidden = (message: string, details?: StatusDetails): KubeApiError => new KubeApiError(403, 'Forbidden', message, details);

export const methodNotAllowed = (message: string): KubeApiError => new KubeApiError(405, 'MethodNotAllowed', message);

export const notAcceptable = (message: string): KubeApiError => new KubeApiError(406, 'NotAcceptable', message);

export const unsupportedMediaType = (contentType: string): KubeApiError =>
  new KubeApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml (got ${JSON.stringify(contentType)})`);

/** Any thrown value as a Kubernetes Status; errors that are not KubeApiErrors become 500 InternalError. */
export function toStatus(err: unknown): Status {
  if (err instanceof KubeApiError) return err.toStatus();
  if (err instanceof TfError) {
    const reason: StatusReason = err.status === 404 ? 'NotFound' : err.status === 409 ? 'Conflict' : err.status === 413 ? 'RequestEntityTooLarge' : err.status < 500 ? 'BadRequest' : 'InternalError';
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: err.message, reason, code: err.status };
  }
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `Internal error occurred: ${errorMessage(err)}`, reason: 'InternalError', code: 500 };
}

/** The reverse of toStatus, for clients: a Status body (or anything else) from an HTTP error reply. */
export function fromStatus(httpStatus: number, body: unknown): KubeApiError {
  const s = body as Partial<Status> | undefined;
  if (s && s.kind === 'Status') {
    return new KubeApiError(s.code ?? httpStatus, (s.reason as StatusReason | undefined) ?? 'InternalError', s.message ?? `HTTP ${httpStatus}`, s.details);
  }
  return new KubeApiError(httpStatus, httpStatus === 404 ? 'NotFound' : 'InternalError', typeof body === 'string' && body ? body : `HTTP ${httpStatus}`);
}

export const isNotFound = (err: unknown): boolean => err instanceof KubeApiError && err.code === 'NotFound';
export const isConflict = (err: unknown): boolean => err instanceof KubeApiError && err.code === 'Conflict';
export const isAlreadyExists = (err: unknown): boolean => err instanceof KubeApiError && err.code === 'AlreadyExists';
