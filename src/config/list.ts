// List selection as the original's dbe_list: constraints (parent ids, back-ref ids, object uuids)
// intersect; filters match property values; results are in uuid order so page_marker (the last
// uuid of the previous page) paginates stably.
import { BadRequest } from '../vnc/errors.js';
import type { Mirror } from './mirror.js';

export interface ListQuery {
  parentIds?: readonly string[];
  backRefIds?: readonly string[];
  objUuids?: readonly string[];
  /** field → accepted values */
  filters?: ReadonlyMap<string, readonly string[]>;
  pageMarker?: string;
  pageLimit?: number;
}

export interface ListResult {
  uuids: string[];
  /** present when paginating: the last uuid returned, or null when the list is exhausted */
  marker?: string | null;
}

/** Parses `filters=key==value,key2==value2` (repeated keys accumulate). */
export function parseFilters(s: string | null | undefined): Map<string, string[]> | undefined {
  if (!s) return undefined;
  const out = new Map<string, string[]>();
  for (const part of s.split(',')) {
    const i = part.indexOf('==');
    if (i <= 0) throw new BadRequest(`Invalid filter ${s}`, 'INVALID_FILTER');
    const k = part.slice(0, i);
    const v = part.slice(i + 2);
    out.set(k, [...(out.get(k) ?? []), v]);
  }
  return out;
}

function matches(value: unknown, accepted: readonly string[]): boolean {
  if (value === undefined) return false;
  const asText = typeof value === 'string' ? value : JSON.stringify(value);
  return accepted.some((a) => a === asText || a === JSON.stringify(value));
}

export function selectUuids(m: Mirror, type: string, q: ListQuery): ListResult {
  let candidates: Iterable<string> = m.uuidsOfType(type);
  const sets: Set<string>[] = [];
  if (q.objUuids) sets.push(new Set(q.objUuids));
  if (q.parentIds) {
    const s = new Set<string>();
    for (const p of q.parentIds) for (const [c, t] of m.children(p)) if (t === type) s.add(c);
    sets.push(s);
  }
  if (q.backRefIds) {
    const s = new Set<string>();
    for (const to of q.backRefIds) for (const [from, br] of m.backRefs(to)) if (br.type === type) s.add(from);
    sets.push(s);
  }
  if (sets.length > 0) {
    sets.sort((a, b) => a.size - b.size);
    candidates = [...sets[0]].filter((u) => m.typeOf(u) === type && sets.every((s) => s.has(u)));
  }
  let uuids = [...candidates];
  if (q.filters && q.filters.size > 0) {
    uuids = uuids.filter((u) => {
      const o = m.get(u);
      return !!o && [...q.filters!].every(([k, vals]) => matches(o[k], vals));
    });
  }
  uuids.sort();
  if (q.pageMarker === undefined && q.pageLimit === undefined) return { uuids };
  const start = q.pageMarker ? lowerBound(uuids, q.pageMarker) : 0;
  const limit = q.pageLimit ?? 256;
  const page = uuids.slice(start, start + limit);
  const more = start + limit < uuids.length;
  return { uuids: page, marker: more ? page[page.length - 1] : null };
}

/** Index of the first uuid greater than `marker`. */
function lowerBound(sorted: readonly string[], marker: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= marker) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
