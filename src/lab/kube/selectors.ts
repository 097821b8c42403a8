// Label and field selectors: the query-string grammar (`a=b,c in (x,y),!d`, `spec.nodeName=n1`) and
// the LabelSelector objects of specs (matchLabels / matchExpressions). Pure.
import { badRequest } from './errors.js';

export type Operator = 'Exists' | 'DoesNotExist' | 'Equals' | 'NotEquals' | 'In' | 'NotIn' | 'Gt' | 'Lt';

export interface Requirement {
  readonly key: string;
  readonly op: Operator;
  readonly values: readonly string[];
}

/** A parsed selector; an empty list matches everything. `nothing` matches no object (a null selector). */
export interface Selector {
  readonly requirements: readonly Requirement[];
  readonly nothing?: boolean;
}

export const EVERYTHING: Selector = { requirements: [] };
export const NOTHING: Selector = { requirements: [], nothing: true };

const KEY_RE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(key: string, src: string): void {
  if (!KEY_RE.test(key) || key.length > 316) throw badRequest(`unable to parse requirement: invalid label key ${JSON.stringify(key)} in selector ${JSON.stringify(src)}`);
}

function checkValue(v: string, src: string): void {
  if (!VALUE_RE.test(v) || v.length > 63) throw badRequest(`unable to parse requirement: invalid label value ${JSON.stringify(v)} in selector ${JSON.stringify(src)}`);
}

/** Splits on commas outside parentheses. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Parses a label selector query string (`labelSelector=`). */
export function parseLabelSelector(src: string | undefined): Selector {
  if (src === undefined || src.trim() === '') return EVERYTHING;
  const reqs: Requirement[] = [];
  for (const raw of splitTop(src)) {
    const part = raw.trim();
    if (part === '') throw badRequest(`unable to parse requirement: empty requirement in selector ${JSON.stringify(src)}`);
    let m: RegExpExecArray | null;
    if ((m = /^!\s*(\S+)$/.exec(part))) {
      checkKey(m[1], src);
      reqs.push({ key: m[1], op: 'DoesNotExist', values: [] });
    } else if ((m = /^(\S+?)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part))) {
      checkKey(m[1], src);
      const values = m[3].split(',').map((v) => v.trim());
      if (values.length === 1 && values[0] === '' && m[3].trim() === '') throw badRequest(`unable to parse requirement: for 'in', 'notin' operators, values set can't be empty (selector ${JSON.stringify(src)})`);
      values.forEach((v) => checkValue(v, src));
      reqs.push({ key: m[1], op: m[2] === 'in' ? 'In' : 'NotIn', values });
    } else if ((m = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(\S*)$/.exec(part))) {
      checkKey(m[1], src);
      const op: Operator = m[2] === '!=' ? 'NotEquals' : m[2] === '>' ? 'Gt' : m[2] === '<' ? 'Lt' : 'Equals';
      if (op === 'Gt' || op === 'Lt') {
        if (!/^-?\d+$/.test(m[3])) throw badRequest(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer (selector ${JSON.stringify(src)})`);
      } else checkValue(m[3], src);
      reqs.push({ key: m[1], op, values: [m[3]] });
    } else if (/^\S+$/.test(part)) {
      checkKey(part, src);
      reqs.push({ key: part, op: 'Exists', values: [] });
    } else {
      throw badRequest(`unable to parse requirement: ${JSON.stringify(part)} in selector ${JSON.stringify(src)}`);
    }
  }
  return { requirements: reqs };
}

export function matchesLabels(sel: Selector, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (sel.nothing) return false;
  const l = labels ?? {};
  for (const r of sel.requirements) {
    const has = Object.hasOwn(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      case 'Equals':
      case 'In':
        if (!has || !r.values.includes(v)) return false;
        break;
      case 'NotEquals':
      case 'NotIn':
        if (has && r.values.includes(v)) return false;
        break;
      case 'Gt':
      case 'Lt': {
        if (!has || !/^-?\d+$/.test(v)) return false;
        const n = Number(v);
        const bound = Number(r.values[0]);
        if (r.op === 'Gt' ? !(n > bound) : !(n < bound)) return false;
        break;
      }
    }
  }
  return true;
}

export interface LabelSelectorSpec {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: { key: string; operator: string; values?: string[] | null }[] | null;
}

/**
 * A spec's LabelSelector as a Selector: null/undefined matches nothing (as metav1.LabelSelectorAsSelector),
 * `{}` matches everything. Throws BadRequest on an unknown operator.
 */
export function fromLabelSelector(spec: LabelSelectorSpec | null | undefined): Selector {
  if (spec === null || spec === undefined) return NOTHING;
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(spec.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) reqs.push({ key: k, op: 'Equals', values: [v] });
  for (const e of spec.matchExpressions ?? []) {
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) throw badRequest(`values: must be specified when operator is ${e.operator}`);
        reqs.push({ key: e.key, op: e.operator, values: [...values] });
        break;
      case 'Exists':
      case 'DoesNotExist':
        reqs.push({ key: e.key, op: e.operator, values: [] });
        break;
      default:
        throw badRequest(`${JSON.stringify(e.operator)} is not a valid label selector operator`);
    }
  }
  return { requirements: reqs };
}

/** A map selector (services, replication controllers): empty or missing matches nothing. */
export function fromMapSelector(m: Record<string, string> | null | undefined): Selector {
  if (!m || Object.keys(m).length === 0) return NOTHING;
  return fromLabelSelector({ matchLabels: m });
}

export function selectorToString(sel: Selector): string {
  return sel.requirements
    .map((r) => {
      switch (r.op) {
        case 'Exists':
          return r.key;
        case 'DoesNotExist':
          return `!${r.key}`;
        case 'Equals':
          return `${r.key}=${r.values[0]}`;
        case 'NotEquals':
          return `${r.key}!=${r.values[0]}`;
        case 'In':
          return `${r.key} in (${[...r.values].sort().join(',')})`;
        case 'NotIn':
          return `${r.key} notin (${[...r.values].sort().join(',')})`;
        case 'Gt':
          return `${r.key}>${r.values[0]}`;
        case 'Lt':
          return `${r.key}<${r.values[0]}`;
      }
    })
    .join(',');
}

// ---- field selectors ----

export interface FieldRequirement {
  readonly field: string;
  readonly op: 'Equals' | 'NotEquals';
  readonly value: string;
}

function unescapeField(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

/** Parses `a=b,c!=d,e==f` (values may escape `\,`, `\=`, `\\`), checking each field against `allowed`. */
export function parseFieldSelector(src: string | undefined, allowed: readonly string[]): FieldRequirement[] {
  if (src === undefined || src.trim() === '') return [];
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < src.length; i++) {
    const ch = src[i];
    if (ch === '\\' && i + 1 < src.length) {
      cur += ch + src[++i];
    } else if (ch === ',') {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  const out: FieldRequirement[] = [];
  for (const p of parts) {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/s.exec(p.trim());
    if (!m) throw badRequest(`invalid selector: '${src}'; can't understand '${p}'`);
    const field = m[1].trim();
    if (!allowed.includes(field)) throw badRequest(`field label not supported: ${field}`);
    out.push({ field, op: m[2] === '!=' ? 'NotEquals' : 'Equals', value: unescapeField(m[3]) });
  }
  return out;
}

/** The string form of a field (missing → ''), as Kubernetes' field sets render them. */
export function fieldValue(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const seg of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return '';
    cur = (cur as Record<string, unknown>)[seg];
  }
  if (cur === undefined || cur === null) return '';
  if (path === 'source' && typeof cur === 'object') return String((cur as { component?: string }).component ?? '');
  return typeof cur === 'string' ? cur : JSON.stringify(cur);
}

export function matchesFields(reqs: readonly FieldRequirement[], obj: unknown): boolean {
  for (const r of reqs) {
    const v = fieldValue(obj, r.field);
    if (r.op === 'Equals' ? v !== r.value : v === r.value) return false;
  }
  return true;
}
