// Where a running lab's components answer: `tfctl lab up` writes <lab dir>/endpoints.json, and
// `tfctl status`, `tfctl ctr` and `tfctl vr` read it by default when it is present (an explicit
// --host or environment variable still wins). Shared by src/lab (writer) and src/cli (readers), so it
// lives here: only lab/ may import lab/.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const LAB_DIR_ENV = 'TF_LAB_DIR';
export const DEFAULT_LAB_DIR = 'tf-lab';
export const ENDPOINTS_FILE = 'endpoints.json';

/** One service as contrail-status lists it: a group ("Pod" column) and a service name. */
export interface ServiceEndpoint {
  /** contrail-status "Pod": config, control, vrouter, kubernetes, gateway, lab */
  readonly group: string;
  /** contrail-status "Service": api, schema, control, agent, kube-manager, … */
  readonly service: string;
  /** the original's container name, or ours when the original has none */
  readonly original: string;
  /** instance name: control1, node1, … (unique within group + service) */
  readonly instance: string;
  /** GET returns a HealthReport (src/common/health.ts) */
  readonly health?: string;
  /** introspect base URL on host loopback (control nodes, agents, config API, kube-manager) */
  readonly introspect?: string;
  /** agent port API base URL on host loopback */
  readonly portApi?: string;
  /** REST or API URL (config API, Kubernetes API) */
  readonly url?: string;
  /** process id; several services may share one (in-process components) */
  readonly pid?: number;
  /** network namespace the process runs in; absent = the host's */
  readonly netns?: string;
  /** a node or router address on the lab underlay */
  readonly address?: string;
}

export interface LabEndpoints {
  readonly version: 1;
  /** absolute lab directory */
  readonly dir: string;
  readonly prefix: string;
  /** the supervising `tfctl lab up` process */
  readonly supervisorPid: number;
  readonly kubeconfig: string;
  readonly services: readonly ServiceEndpoint[];
}

/** The lab directory: $TF_LAB_DIR, else ./tf-lab (relative to the current directory). */
export function labDir(): string {
  return resolve(process.env[LAB_DIR_ENV] || DEFAULT_LAB_DIR);
}

/** Reads <lab dir>/endpoints.json; undefined when absent or unreadable (no lab here). */
export function readEndpoints(dir: string = labDir()): LabEndpoints | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, ENDPOINTS_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const v = JSON.parse(text) as LabEndpoints;
    return v && v.version === 1 && Array.isArray(v.services) ? v : undefined;
  } catch {
    return undefined;
  }
}

function find(group: string, service: string, instance: string | undefined, dir: string | undefined): ServiceEndpoint | undefined {
  return readEndpoints(dir)?.services.find((e) => e.group === group && e.service === service && (instance === undefined || e.instance === instance));
}

/** The API URL of a lab service (config API, Kubernetes API); undefined when there is no lab. */
export function labUrl(group: string, service: string, instance?: string, dir?: string): string | undefined {
  return find(group, service, instance, dir)?.url;
}

/**
 * The introspect URL of a lab service: `service` of `group`, the given instance or else the first.
 * Undefined when there is no lab or no such service.
 */
export function labIntrospect(group: string, service: string, instance?: string, dir?: string): string | undefined {
  return find(group, service, instance, dir)?.introspect;
}
