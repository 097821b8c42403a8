// Interned path attributes: one frozen PathAttributes object per distinct attribute set, shared by every
// path that carries it, reference-counted and freed with its last path. A set is found by the exact
// bytes it arrived in (receive path) or by its canonical encoding (API path); both keys alias one entry.
// Each entry carries what the decision process and route-target filtering read, computed once.
import { Buffer } from 'node:buffer';
import { asPathLength, encodeAttributes, type PathAttributes } from '../wire/attributes.js';
import { isRouteTargetAt, parseExtCommunity } from '../wire/ext-community.js';
import { parseIpv4 } from '../wire/addr.js';

const ORIGIN_RANK = { igp: 0, egp: 1, incomplete: 2 } as const;

export interface AttrEntry {
  readonly id: number;
  readonly attrs: PathAttributes;
  /** LOCAL_PREF as received, 100 when absent. */
  readonly localPref: number;
  readonly asPathLen: number;
  readonly originRank: number;
  /** MED, 0 when absent (RFC 4271 §9.1.2.2 c). */
  readonly med: number;
  /** The AS a path was learned from (first AS of the leading AS_SEQUENCE), 0 for none. */
  readonly neighborAs: number;
  readonly clusterListLen: number;
  /** ORIGINATOR_ID as a number, or -1. */
  readonly originatorId: number;
  /** Route-target extended communities as 8-byte binary strings (RFC 4684 matching). */
  readonly routeTargets: readonly string[];
  refs: number;
  keys: string[];
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o) && !(o instanceof Uint8Array)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/** The canonical intern key of an attribute set: its encoding (4-octet ASes) plus the next hop. */
export function canonicalKey(a: PathAttributes): string {
  const b = encodeAttributes(a, { as4: true, nextHopAttribute: false });
  return 'c' + Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1') + '|' + (a.nextHop ?? '');
}

export class AttrPool {
  #entries: (AttrEntry | undefined)[] = [];
  #byKey = new Map<string, AttrEntry>();
  #free: number[] = [];
  #unreferenced = new Set<number>();

  /** Distinct attribute sets held. */
  get size(): number {
    return this.#entries.length - this.#free.length;
  }

  get(id: number): AttrEntry {
    const e = this.#entries[id];
    if (!e) throw new RangeError(`no attribute set ${id}`);
    return e;
  }

  /** The id interned under a receive-path key, or -1. */
  lookup(key: string): number {
    return this.#byKey.get(key)?.id ?? -1;
  }

  /**
   * Interns attributes that arrived under `wireKey` (see wire attributeKey). The set is also found by its
   * canonical encoding, so the same attributes from the API or another peer share the entry.
   */
  internWire(wireKey: string, attrs: PathAttributes): number {
    const hit = this.#byKey.get(wireKey);
    if (hit) return hit.id;
    let canon: string | undefined;
    try {
      canon = canonicalKey(attrs);
    } catch {
      canon = undefined; // decodable but not re-encodable (cannot happen for our decoder's output): keep it apart
    }
    const found = canon === undefined ? undefined : this.#byKey.get(canon);
    if (found) {
      found.keys.push(wireKey);
      this.#byKey.set(wireKey, found);
      return found.id;
    }
    return this.#add(attrs, canon === undefined ? [wireKey] : [canon, wireKey]);
  }

  /** Interns attributes given as an object; throws the encoder's BgpError when they cannot be encoded. */
  intern(attrs: PathAttributes): number {
    const canon = canonicalKey(attrs);
    const hit = this.#byKey.get(canon);
    if (hit) return hit.id;
    return this.#add(attrs, [canon]);
  }

  #add(attrs: PathAttributes, keys: string[]): number {
    const frozen = deepFreeze(structuredCloneAttrs(attrs));
    const id = this.#free.length ? this.#free.pop()! : this.#entries.length;
    const seq = frozen.asPath[0];
    const rts: string[] = [];
    for (const x of frozen.extCommunities ?? []) {
      const b = parseExtCommunity(x);
      if (isRouteTargetAt(b, 0)) rts.push(Buffer.from(b).toString('latin1'));
    }
    const entry: AttrEntry = {
      id,
      attrs: frozen,
      localPref: frozen.localPref ?? 100,
      asPathLen: asPathLength(frozen.asPath),
      originRank: ORIGIN_RANK[frozen.origin],
      med: frozen.med ?? 0,
      neighborAs: seq && seq.type === 'sequence' && seq.asns.length ? seq.asns[0] : 0,
      clusterListLen: frozen.clusterList?.length ?? 0,
      originatorId: frozen.originatorId === undefined ? -1 : safeIpv4(frozen.originatorId),
      routeTargets: rts,
      refs: 0,
      keys,
    };
    this.#entries[id] = entry;
    for (const k of keys) this.#byKey.set(k, entry);
    this.#unreferenced.add(id);
    return id;
  }

  ref(id: number): void {
    const e = this.get(id);
    if (e.refs++ === 0) this.#unreferenced.delete(id);
  }

  /** Drops a reference; a set left without any is freed at the next collect() (a table's flush). */
  unref(id: number): void {
    const e = this.get(id);
    if (--e.refs === 0) this.#unreferenced.add(id);
  }

  #drop(e: AttrEntry): void {
    for (const k of e.keys) this.#byKey.delete(k);
    this.#entries[e.id] = undefined;
    this.#free.push(e.id);
    this.#unreferenced.delete(e.id);
  }

  /** Frees sets no path references any more (also those interned for an UPDATE treated as withdraw). */
  collect(): void {
    for (const id of this.#unreferenced) {
      const e = this.#entries[id];
      if (e && e.refs === 0) this.#drop(e);
    }
    this.#unreferenced.clear();
  }
}

function safeIpv4(s: string): number {
  try {
    return parseIpv4(s);
  } catch {
    return -1;
  }
}

function structuredCloneAttrs(a: PathAttributes): PathAttributes {
  // Own copy so that callers cannot change an interned set through a reference they kept.
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) {
    if (v === undefined) continue;
    if (k === 'asPath') out[k] = (v as PathAttributes['asPath']).map((s) => ({ type: s.type, asns: [...s.asns] }));
    else if (k === 'unknown') out[k] = (v as NonNullable<PathAttributes['unknown']>).map((u) => ({ flags: u.flags, code: u.code, value: u.value.slice() }));
    else if (Array.isArray(v)) out[k] = [...(v as unknown[])];
    else if (typeof v === 'object' && v !== null) out[k] = { ...(v as object) };
    else out[k] = v;
  }
  return out as unknown as PathAttributes;
}
