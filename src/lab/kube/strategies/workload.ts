// Replication controllers, replica sets and deployments: defaults (including the v1beta1 rule that a
// missing selector comes from the template's labels), validation, immutable selectors, status reset.
import { fromLabelSelector, matchesLabels, type LabelSelectorSpec } from '../selectors.js';
import type { Strategy } from '../strategy.js';
import { isObject, type KubeObject } from '../types.js';
import type { Causes} from '../validation.js';
import { checkLabels } from '../validation.js';
import { defaultPodSpec, validatePodSpec } from './pod.js';

type Obj = Record<string, unknown>;

const specOf = (o: KubeObject): Obj => (isObject(o.spec) ? o.spec : (o.spec = {}));
const templateLabels = (spec: Obj): Record<string, string> | undefined => {
  const t = spec.template;
  if (!isObject(t) || !isObject(t.metadata) || !isObject(t.metadata.labels)) return undefined;
  return t.metadata.labels as Record<string, string>;
};

function defaultTemplate(spec: Obj): void {
  const t = spec.template;
  if (isObject(t)) {
    if (isObject(t.spec)) defaultPodSpec(t.spec);
    if (isObject(t.metadata)) t.metadata.creationTimestamp ??= null;
  }
}

function validateTemplate(spec: Obj, c: Causes): void {
  const t = spec.template;
  if (!isObject(t)) return c.required('spec.template');
  if (isObject(t.metadata)) checkLabels(c, 'spec.template.metadata.labels', t.metadata.labels);
  validatePodSpec(t.spec, c, 'spec.template.spec');
  const rp = isObject(t.spec) ? t.spec.restartPolicy : undefined;
  if (rp !== undefined && rp !== 'Always') c.notSupported('spec.template.spec.restartPolicy', rp, ['Always']);
}

function validateReplicas(spec: Obj, c: Causes): void {
  const r = spec.replicas;
  if (r !== undefined && (typeof r !== 'number' || !Number.isInteger(r) || r < 0)) c.invalid('spec.replicas', r, 'must be greater than or equal to 0');
}

function validateLabelSelector(spec: Obj, c: Causes, old: KubeObject | undefined): void {
  const sel = spec.selector as LabelSelectorSpec | undefined;
  if (!isObject(sel)) return c.required('spec.selector');
  let parsed;
  try {
    parsed = fromLabelSelector(sel);
  } catch (err) {
    return c.invalid('spec.selector', sel, (err as Error).message);
  }
  if (parsed.requirements.length === 0) c.invalid('spec.selector', sel, 'empty selector is invalid for deployment');
  else if (!matchesLabels(parsed, templateLabels(spec))) c.invalid('spec.template.metadata.labels', templateLabels(spec) ?? {}, '`selector` does not match template `labels`');
  if (old && JSON.stringify(specOf(old).selector) !== JSON.stringify(sel)) c.immutable('spec.selector', sel);
}

const resetStatus = (obj: KubeObject): void => {
  obj.status = { replicas: 0 };
};

export const replicationControllerStrategy: Strategy = {
  defaults(obj) {
    const spec = specOf(obj);
    spec.replicas ??= 1;
    spec.minReadySeconds ??= 0;
    const labels = templateLabels(spec);
    if ((spec.selector === undefined || spec.selector === null || (isObject(spec.selector) && Object.keys(spec.selector).length === 0)) && labels) spec.selector = { ...labels };
    if (!obj.metadata.labels && labels) obj.metadata.labels = { ...labels };
    defaultTemplate(spec);
  },
  prepareCreate: resetStatus,
  validate(obj, c, old) {
    const spec = specOf(obj);
    validateReplicas(spec, c);
    validateTemplate(spec, c);
    const sel = spec.selector;
    if (!isObject(sel) || Object.keys(sel).length === 0) c.required('spec.selector');
    else {
      checkLabels(c, 'spec.selector', sel);
      const labels = templateLabels(spec) ?? {};
      if (Object.entries(sel).some(([k, v]) => labels[k] !== v)) c.invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`');
    }
    void old;
  },
};

export const replicaSetStrategy: Strategy = {
  defaults(obj) {
    const spec = specOf(obj);
    spec.replicas ??= 1;
    spec.minReadySeconds ??= 0;
    defaultTemplate(spec);
  },
  prepareCreate: resetStatus,
  validate(obj, c, old) {
    const spec = specOf(obj);
    validateReplicas(spec, c);
    validateLabelSelector(spec, c, old);
    validateTemplate(spec, c);
  },
};

/** Called before defaults for apps/v1beta1 input: its selector defaulted to the template labels. */
export function convertDeploymentV1beta1(obj: KubeObject): void {
  const spec = specOf(obj);
  const labels = templateLabels(spec);
  if ((spec.selector === undefined || spec.selector === null) && labels) spec.selector = { matchLabels: { ...labels } };
  spec.revisionHistoryLimit ??= 2;
  delete spec.rollbackTo;
}

export const deploymentStrategy: Strategy = {
  defaults(obj) {
    const spec = specOf(obj);
    spec.replicas ??= 1;
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
    const strategy = isObject(spec.strategy) ? spec.strategy : (spec.strategy = {});
    strategy.type ??= 'RollingUpdate';
    if (strategy.type === 'RollingUpdate') {
      const ru = isObject(strategy.rollingUpdate) ? strategy.rollingUpdate : (strategy.rollingUpdate = {});
      ru.maxUnavailable ??= '25%';
      ru.maxSurge ??= '25%';
    }
    defaultTemplate(spec);
  },
  prepareCreate: (obj) => {
    obj.status = {};
  },
  validate(obj, c, old) {
    const spec = specOf(obj);
    validateReplicas(spec, c);
    validateLabelSelector(spec, c, old);
    validateTemplate(spec, c);
    const st = isObject(spec.strategy) ? spec.strategy.type : undefined;
    if (st !== 'RollingUpdate' && st !== 'Recreate') c.notSupported('spec.strategy.type', st, ['Recreate', 'RollingUpdate']);
  },
};
