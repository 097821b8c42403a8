// Pieces shared by the network and security-group ACL builders (pure).
import type { AclEntriesType, AclRuleType, PortType } from '../vnc/schema.js';

/** The original's RULE_IMPLICIT_ALLOW_UUID / RULE_IMPLICIT_DENY_UUID. */
export const IMPLICIT_ALLOW_UUID = '00000000-0000-0000-0000-100000000001';
export const IMPLICIT_DENY_UUID = '00000000-0000-0000-0000-100000000002';

export const ANY_PORT: PortType = { start_port: 0, end_port: 65535 };

/** A rule's port range with the unset or -1 ends made explicit (0 and 65535). */
export function normPort(p: PortType | null | undefined): PortType {
  const start = p?.start_port ?? -1;
  const end = p?.end_port ?? -1;
  return { start_port: start < 0 ? 0 : start, end_port: end < 0 ? 65535 : end };
}

/** A rule's port list; none given means every port. */
export const ports = (list: PortType[] | null | undefined): PortType[] => (list?.length ? list.map(normPort) : [ANY_PORT]);

/**
 * Appends unless a rule with the same match condition is already there (the earlier one decides
 * every packet the later one would match, so the later one could never apply).
 */
export function pushUnique(out: AclRuleType[], seen: Set<string>, rule: AclRuleType): void {
  const k = canonical(rule.match_condition);
  if (seen.has(k)) return;
  seen.add(k);
  out.push(rule);
}

/** Order-insensitive for object keys, order-sensitive for rules: compares stored and desired entries. */
export function sameEntries(a: AclEntriesType | null | undefined, b: AclEntriesType | null | undefined): boolean {
  return canonical(a ?? null) === canonical(b ?? null);
}

function canonical(v: unknown): string {
  return JSON.stringify(strip(v));
}

function strip(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(strip);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x === null || x === undefined) continue;
      out[k] = strip(x);
    }
    return out;
  }
  return v;
}
