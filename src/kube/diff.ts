// What has drifted between an object kube-manager wants and the stored one. Properties compare as
// "desired is contained in actual" (the server fills defaults inside structures: subnet uuids,
// gateways, rule uuids), reference lists as sets of targets with their attributes, annotations
// and policy rules exactly. Returns only the fields to send in an update. Pure.
import type { VncObject } from '../vnc/object.js';

export interface DesiredRef {
  to: string[];
  attr?: unknown;
}

/** A string field of a stored object ('' when absent). */
export const textOf = (v: unknown): string => (typeof v === 'string' ? v : '');

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every key of `want` has an equal (recursively contained) value in `have`; null ≡ absent. */
export function contained(want: unknown, have: unknown): boolean {
  if (want === null || want === undefined) return have === null || have === undefined || (Array.isArray(have) && have.length === 0);
  if (Array.isArray(want)) {
    if (want.length === 0 && (have === null || have === undefined)) return true;
    if (!Array.isArray(have) || have.length !== want.length) return false;
    return want.every((w, i) => contained(w, have[i]));
  }
  if (isObj(want)) {
    if (!isObj(have)) return false;
    return Object.entries(want).every(([k, v]) => contained(v, have[k]));
  }
  return want === have;
}

function refsEqual(want: readonly DesiredRef[], have: unknown): boolean {
  const list = (Array.isArray(have) ? have : []) as { to: string[]; attr?: unknown }[];
  if (list.length !== want.length) return false;
  const byTo = new Map(list.map((r) => [r.to.join(':'), r]));
  if (byTo.size !== list.length) return false;
  return want.every((w) => {
    const h = byTo.get(w.to.join(':'));
    return h !== undefined && contained(w.attr ?? null, h.attr ?? null);
  });
}

function kvEqual(want: unknown, have: unknown): boolean {
  const norm = (v: unknown): string => {
    const list = ((isObj(v) ? v.key_value_pair : undefined) as { key: string; value: string }[] | undefined) ?? [];
    return JSON.stringify(list.map((kv) => [kv.key, kv.value ?? '']).sort());
  };
  return norm(want) === norm(have);
}

/** Rules compare without their server-assigned rule_uuid, as multisets. */
export function canonicalRules(v: unknown): string[] {
  const rules = ((isObj(v) ? v.policy_rule : undefined) as Record<string, unknown>[] | undefined) ?? [];
  return rules.map((r) => canonicalRule(r)).sort();
}

export function canonicalRule(r: Record<string, unknown>): string {
  const strip = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(strip);
    if (!isObj(x)) return x;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(x).sort()) {
      const val = x[k];
      if (k === 'rule_uuid' || k === 'created' || k === 'last_modified' || val === null || val === undefined || (Array.isArray(val) && val.length === 0)) continue;
      out[k] = strip(val);
    }
    return out;
  };
  return JSON.stringify(strip(r));
}

/** Gives each wanted rule the rule_uuid of an identical stored rule, so updates keep rule ids stable. */
export function keepRuleUuids(want: { policy_rule: Record<string, unknown>[] }, have: unknown): { policy_rule: Record<string, unknown>[] } {
  const pool = new Map<string, string[]>();
  for (const r of ((isObj(have) ? have.policy_rule : undefined) as Record<string, unknown>[] | undefined) ?? []) {
    if (typeof r.rule_uuid !== 'string') continue;
    const k = canonicalRule(r);
    pool.set(k, [...(pool.get(k) ?? []), r.rule_uuid]);
  }
  return {
    policy_rule: want.policy_rule.map((r) => {
      const u = pool.get(canonicalRule(r))?.shift();
      return u ? { ...r, rule_uuid: u } : r;
    }),
  };
}

/** The subset of `fields` to send so that `actual` becomes what `fields` describe; undefined = in sync. */
export function drift(fields: Readonly<Record<string, unknown>>, actual: VncObject): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [k, want] of Object.entries(fields)) {
    const have = actual[k];
    let same: boolean;
    if (k.endsWith('_refs')) same = refsEqual(want as DesiredRef[], have);
    else if (k === 'annotations') same = kvEqual(want, have);
    else if (k === 'security_group_entries' || k === 'network_policy_entries') same = JSON.stringify(canonicalRules(want)) === JSON.stringify(canonicalRules(have));
    else same = contained(want, have);
    if (!same) out[k] = k === 'security_group_entries' ? keepRuleUuids(want as { policy_rule: Record<string, unknown>[] }, have) : want;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
