// Field validation helpers that produce Kubernetes-style causes (`field: message`). Pure.
import type { StatusCause } from './types.js';
import { isObject } from './types.js';

export class Causes {
  readonly list: StatusCause[] = [];
  required(field: string, what = 'Required value'): void {
    this.list.push({ reason: 'FieldValueRequired', field, message: what });
  }
  invalid(field: string, value: unknown, why: string): void {
    this.list.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${why}` });
  }
  notSupported(field: string, value: unknown, supported: readonly string[]): void {
    this.list.push({ reason: 'FieldValueNotSupported', field, message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` });
  }
  duplicate(field: string, value: unknown): void {
    this.list.push({ reason: 'FieldValueDuplicate', field, message: `Duplicate value: ${JSON.stringify(value)}` });
  }
  forbidden(field: string, why: string): void {
    this.list.push({ reason: 'FieldValueForbidden', field, message: `Forbidden: ${why}` });
  }
  immutable(field: string, value: unknown): void {
    this.list.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: field is immutable` });
  }
}

const LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_RE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IANA_SVC_NAME_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export const isDns1123Label = (s: string): boolean => s.length <= 63 && LABEL_RE.test(s);
export const isDns1123Subdomain = (s: string): boolean => s.length <= 253 && SUBDOMAIN_RE.test(s);

export function isQualifiedName(s: string): boolean {
  const i = s.lastIndexOf('/');
  const prefix = i >= 0 ? s.slice(0, i) : undefined;
  const name = i >= 0 ? s.slice(i + 1) : s;
  if (prefix !== undefined && !isDns1123Subdomain(prefix)) return false;
  return name.length > 0 && name.length <= 63 && QUALIFIED_NAME_RE.test(name);
}

export const isLabelValue = (s: string): boolean => s.length <= 63 && LABEL_VALUE_RE.test(s);

export function isIanaSvcName(s: string): boolean {
  return s.length >= 1 && s.length <= 15 && IANA_SVC_NAME_RE.test(s) && /[a-z]/.test(s) && !s.includes('--');
}

export function checkLabels(c: Causes, field: string, labels: unknown): void {
  if (labels === undefined || labels === null) return;
  if (!isObject(labels)) return c.invalid(field, labels, 'must be a map of strings');
  for (const [k, v] of Object.entries(labels)) {
    if (!isQualifiedName(k)) c.invalid(`${field}`, k, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
    if (typeof v !== 'string' || !isLabelValue(v)) c.invalid(`${field}`, v, "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
  }
}

export function checkName(c: Causes, name: string, kind: 'label' | 'subdomain', field = 'metadata.name'): void {
  const ok = kind === 'label' ? isDns1123Label(name) : isDns1123Subdomain(name);
  if (!ok) {
    c.invalid(
      field,
      name,
      kind === 'label'
        ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
        : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
    );
  }
}

export function checkPort(c: Causes, field: string, v: unknown, allowZero = false): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < (allowZero ? 0 : 1) || v > 65535) c.invalid(field, v, 'must be between 1 and 65535, inclusive');
}

export const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;

export function checkProtocol(c: Causes, field: string, v: unknown): void {
  if (!PROTOCOLS.includes(v as (typeof PROTOCOLS)[number])) c.notSupported(field, v, PROTOCOLS);
}
