// Kubernetes label selectors (metav1.LabelSelector): matchLabels AND every matchExpressions
// requirement with the four operators In, NotIn, Exists, DoesNotExist, exactly as the apiserver
// defines them (an empty selector matches everything; NotIn and DoesNotExist match objects without
// the key). Invalid selectors are reported, never silently widened. Pure.
import { InputError } from './errors.js';

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: LabelSelectorRequirement[] | null;
}

export type Labels = Readonly<Record<string, string>> | undefined | null;

/** Throws InputError for selectors the apiserver would reject (unknown operator, bad value lists). */
export function validateSelector(sel: LabelSelector | null | undefined, where: string): void {
  if (sel === null || sel === undefined) return;
  if (typeof sel !== 'object') throw new InputError('KM_INVALID_SELECTOR', 'InvalidSelector', `${where}: not a label selector`);
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (typeof v !== 'string') throw new InputError('KM_INVALID_SELECTOR', 'InvalidSelector', `${where}: matchLabels.${k} must be a string`);
  }
  for (const [i, r] of (sel.matchExpressions ?? []).entries()) {
    const at = `${where}.matchExpressions[${i}]`;
    if (!r || typeof r.key !== 'string' || r.key === '') throw new InputError('KM_INVALID_SELECTOR', 'InvalidSelector', `${at}: key is required`);
    const values = r.values ?? [];
    switch (r.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) throw new InputError('KM_INVALID_SELECTOR', 'InvalidSelector', `${at}: operator ${r.operator} needs at least one value`);
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) throw new InputError('KM_INVALID_SELECTOR', 'InvalidSelector', `${at}: operator ${r.operator} takes no values`);
        break;
      default:
        throw new InputError('KM_INVALID_SELECTOR', 'InvalidSelector', `${at}: unknown operator ${JSON.stringify(r.operator)}`);
    }
  }
}

export function matchesSelector(sel: LabelSelector | null | undefined, labels: Labels): boolean {
  if (sel === null || sel === undefined) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const r of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const values = r.values ?? [];
    switch (r.operator) {
      case 'In':
        if (!has || !values.includes(l[r.key])) return false;
        break;
      case 'NotIn':
        if (has && values.includes(l[r.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

export const isEmptySelector = (sel: LabelSelector | null | undefined): boolean =>
  !!sel && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
