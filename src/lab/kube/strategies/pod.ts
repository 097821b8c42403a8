// Pods: defaults as the API server sets them, validation of the fields the lab acts on, spec
// immutability after create, graceful deletion (the kubelet confirms with a grace-0 delete).
import { type Strategy } from '../strategy.js';
import { isObject, type KubeObject, type DeleteOptions } from '../types.js';
import type { Causes} from '../validation.js';
import { checkName, checkPort, checkProtocol, isIanaSvcName, checkLabels } from '../validation.js';

type Obj = Record<string, unknown>;

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];

function defaultContainer(c: Obj): void {
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  if (c.imagePullPolicy === undefined && typeof c.image === 'string') {
    const tag = /:([^/:@]+)$/.exec(c.image)?.[1];
    c.imagePullPolicy = tag === undefined || tag === 'latest' ? (c.image.includes('@') ? 'IfNotPresent' : 'Always') : 'IfNotPresent';
  }
  c.resources ??= {};
  if (Array.isArray(c.ports)) for (const p of c.ports) if (isObject(p)) p.protocol ??= 'TCP';
}

/** Pod spec defaults, shared by pods and by the templates of RCs, replica sets and deployments. */
export function defaultPodSpec(spec: Obj): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  if (spec.serviceAccountName === undefined && spec.serviceAccount === undefined) spec.serviceAccountName = 'default';
  if (spec.serviceAccountName !== undefined && spec.serviceAccount === undefined) spec.serviceAccount = spec.serviceAccountName;
  spec.enableServiceLinks ??= true;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  spec.priority ??= 0;
  for (const key of ['containers', 'initContainers']) {
    const list = spec[key];
    if (Array.isArray(list)) for (const c of list) if (isObject(c)) defaultContainer(c);
  }
}

export function validatePodSpec(spec: unknown, c: Causes, field: string): void {
  if (!isObject(spec)) return c.required(field);
  const containers = spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) c.required(`${field}.containers`);
  const names = new Set<string>();
  const all: unknown[] = [...(Array.isArray(containers) ? (containers as unknown[]) : []), ...(Array.isArray(spec.initContainers) ? (spec.initContainers as unknown[]) : [])];
  all.forEach((ct, i) => {
    const f = `${field}.containers[${i}]`;
    if (!isObject(ct)) return c.invalid(f, ct, 'must be an object');
    if (typeof ct.name !== 'string' || ct.name === '') c.required(`${f}.name`);
    else {
      checkName(c, ct.name, 'label', `${f}.name`);
      if (names.has(ct.name)) c.duplicate(`${f}.name`, ct.name);
      names.add(ct.name);
    }
    if (typeof ct.image !== 'string' || ct.image.trim() === '') c.required(`${f}.image`);
    for (const k of ['command', 'args'] as const) {
      const v = ct[k];
      if (v !== undefined && v !== null && (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))) c.invalid(`${f}.${k}`, v, 'must be a list of strings');
    }
    const ports = ct.ports;
    if (ports !== undefined && ports !== null) {
      if (!Array.isArray(ports)) c.invalid(`${f}.ports`, ports, 'must be a list');
      else
        ports.forEach((p, j) => {
          const pf = `${f}.ports[${j}]`;
          if (!isObject(p)) return c.invalid(pf, p, 'must be an object');
          checkPort(c, `${pf}.containerPort`, p.containerPort);
          if (p.hostPort !== undefined) checkPort(c, `${pf}.hostPort`, p.hostPort, true);
          checkProtocol(c, `${pf}.protocol`, p.protocol ?? 'TCP');
          if (p.name !== undefined && (typeof p.name !== 'string' || !isIanaSvcName(p.name))) c.invalid(`${pf}.name`, p.name, 'must be no more than 15 characters, contain only lowercase alphanumerics and -, and contain at least one letter');
        });
    }
  });
  if (spec.restartPolicy !== undefined && !RESTART_POLICIES.includes(spec.restartPolicy as string)) c.notSupported(`${field}.restartPolicy`, spec.restartPolicy, RESTART_POLICIES);
  if (spec.nodeSelector !== undefined) checkLabels(c, `${field}.nodeSelector`, spec.nodeSelector);
  const grace = spec.terminationGracePeriodSeconds;
  if (grace !== undefined && grace !== null && (typeof grace !== 'number' || !Number.isInteger(grace) || grace < 0)) c.invalid(`${field}.terminationGracePeriodSeconds`, grace, 'must be a non-negative integer');
}

/** Fields of a running pod's spec that an update may change (as Kubernetes allows). */
function mutableView(spec: unknown): unknown {
  if (!isObject(spec)) return spec;
  const { activeDeadlineSeconds: _a, terminationGracePeriodSeconds: _t, tolerations: _tol, ...rest } = spec;
  const strip = (list: unknown): unknown => (Array.isArray(list) ? (list as unknown[]).map((ct) => (isObject(ct) ? { ...ct, image: undefined } : ct)) : list);
  return JSON.stringify({ ...rest, containers: strip(rest.containers), initContainers: strip(rest.initContainers) });
}

export const podStrategy: Strategy = {
  defaults(obj) {
    if (isObject(obj.spec)) defaultPodSpec(obj.spec);
  },
  prepareCreate(obj) {
    obj.status = { phase: 'Pending', qosClass: 'BestEffort' };
  },
  prepareUpdate(obj, old) {
    const spec = obj.spec as Obj | undefined;
    const oldSpec = old.spec as Obj | undefined;
    // nodeName is set through the binding subresource; an update that leaves it out keeps it
    if (spec && oldSpec && spec.nodeName === undefined && oldSpec.nodeName !== undefined) spec.nodeName = oldSpec.nodeName;
  },
  validate(obj, c, old) {
    validatePodSpec(obj.spec, c, 'spec');
    if (old && mutableView(obj.spec) !== mutableView(old.spec)) {
      c.forbidden('spec', 'pod updates may not change fields other than `spec.containers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations), `spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)');
    }
  },
  gracePeriod(obj: KubeObject, opts: DeleteOptions) {
    const spec = obj.spec as Obj | undefined;
    const status = obj.status as Obj | undefined;
    if (!spec || typeof spec.nodeName !== 'string' || spec.nodeName === '') return 0;
    if (status?.phase === 'Succeeded' || status?.phase === 'Failed') return 0;
    const requested = opts.gracePeriodSeconds;
    if (requested !== undefined && requested !== null) return Math.max(0, requested);
    const g = spec.terminationGracePeriodSeconds;
    return typeof g === 'number' && g >= 0 ? g : 30;
  },
};
