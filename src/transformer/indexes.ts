// The transformer's in-memory indexes, kept from cache events and from its own reconciles:
// route targets by owner network and by number (allocation), allocations not yet visible in the
// cache, and what each network's last reconcile found (its "facts": what its policies name, its
// export targets, its connections), from which the networks to re-evaluate after a change follow.
import type { VncObject } from '../vnc/object.js';
import { ownerOf } from './marks.js';
import { inRange, parseRt } from './route-target.js';

export interface Target {
  uuid: string;
  name: string;
}

export interface VnFacts {
  fq: string;
  project: string | undefined;
  names: ReadonlySet<string>;
  usedPolicies: ReadonlySet<string>;
  exports: string;
  connected: ReadonlySet<string>;
}

function addTo<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(v);
}

function removeFrom<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(v);
  if (s.size === 0) m.delete(k);
}

export class Indexes {
  /** vn uuid → uuids of route targets allocated for it (from the cache) */
  readonly #owned = new Map<string, Set<string>>();
  readonly #targets = new Map<string, Target & { owner?: string }>();
  /** asn → numbers in use */
  readonly #numbers = new Map<number, Set<number>>();
  /** vn uuid → a target this process created that the cache does not show yet */
  readonly #pending = new Map<string, Target>();
  /** target names being created by this process */
  readonly reserved = new Set<string>();
  readonly #facts = new Map<string, VnFacts>();
  readonly #listers = new Map<string, Set<string>>();
  readonly #addrUsers = new Map<string, Set<string>>();
  readonly #anyHolders = new Map<string, Set<string>>();
  /** security group fq_name → groups whose rules name it */
  readonly #sgReferrers = new Map<string, Set<string>>();
  readonly #sgRefersTo = new Map<string, Set<string>>();

  // --- route targets -----------------------------------------------------------------------

  routeTargetSeen(obj: VncObject): void {
    this.routeTargetGone(obj.uuid);
    const name = obj.fq_name[0];
    const owner = ownerOf(obj);
    this.#targets.set(obj.uuid, { uuid: obj.uuid, name, owner });
    if (owner) {
      addTo(this.#owned, owner, obj.uuid);
      if (this.#pending.get(owner)?.uuid === obj.uuid) this.#pending.delete(owner);
    }
    const p = parseRt(name);
    if (p) addTo(this.#numbers, p.asn, p.n);
    this.reserved.delete(name);
  }

  routeTargetGone(uuid: string): void {
    const t = this.#targets.get(uuid);
    if (!t) return;
    this.#targets.delete(uuid);
    if (t.owner) removeFrom(this.#owned, t.owner, uuid);
    const p = parseRt(t.name);
    if (p) removeFrom(this.#numbers, p.asn, p.n);
  }

  addPending(vn: string, t: Target): void {
    if (!this.#targets.has(t.uuid)) this.#pending.set(vn, t);
  }

  dropPending(uuid: string): void {
    for (const [vn, t] of this.#pending) if (t.uuid === uuid) this.#pending.delete(vn);
  }

  /** Every target allocated for the network (cache plus not-yet-seen creates). */
  ownedTargets(vn: string): Target[] {
    const out = [...(this.#owned.get(vn) ?? [])].map((u) => this.#targets.get(u)!);
    const p = this.#pending.get(vn);
    if (p && !out.some((t) => t.uuid === p.uuid)) out.push(p);
    return out;
  }

  /** The network's own target: the lowest-numbered allocated one in range for the current ASN. */
  ownTarget(vn: string, asn: number): Target | undefined {
    let best: Target | undefined;
    let bestN = Number.POSITIVE_INFINITY;
    for (const t of this.ownedTargets(vn)) {
      if (!inRange(t.name, asn)) continue;
      const n = parseRt(t.name)!.n;
      if (n < bestN) {
        best = t;
        bestN = n;
      }
    }
    return best;
  }

  usedNumbers(asn: number): Set<number> {
    const out = new Set(this.#numbers.get(asn) ?? []);
    for (const name of this.reserved) {
      const p = parseRt(name);
      if (p?.asn === asn) out.add(p.n);
    }
    return out;
  }

  /** Networks with allocated targets (including ones whose network is gone). */
  owners(): string[] {
    return [...new Set([...this.#owned.keys(), ...this.#pending.keys()])];
  }

  // --- network facts -----------------------------------------------------------------------

  facts(vn: string): VnFacts | undefined {
    return this.#facts.get(vn);
  }

  setFacts(vn: string, next: VnFacts | undefined): void {
    const prev = this.#facts.get(vn);
    if (prev) {
      for (const n of prev.names) removeFrom(this.#listers, n, vn);
      for (const p of prev.usedPolicies) removeFrom(this.#addrUsers, p, vn);
      if (prev.project && prev.names.has('*')) removeFrom(this.#anyHolders, prev.project, vn);
    }
    if (!next) {
      this.#facts.delete(vn);
      return;
    }
    this.#facts.set(vn, next);
    for (const n of next.names) addTo(this.#listers, n, vn);
    for (const p of next.usedPolicies) addTo(this.#addrUsers, p, vn);
    if (next.project && next.names.has('*')) addTo(this.#anyHolders, next.project, vn);
  }

  listersOf(fq: string): Iterable<string> {
    return this.#listers.get(fq) ?? [];
  }

  addrUsersOf(policyFq: string): Iterable<string> {
    return this.#addrUsers.get(policyFq) ?? [];
  }

  anyHoldersIn(project: string | undefined): Iterable<string> {
    return (project && this.#anyHolders.get(project)) || [];
  }

  // --- security groups ---------------------------------------------------------------------

  setSgRefs(sg: string, referred: ReadonlySet<string>): void {
    for (const fq of this.#sgRefersTo.get(sg) ?? []) removeFrom(this.#sgReferrers, fq, sg);
    if (referred.size === 0) this.#sgRefersTo.delete(sg);
    else this.#sgRefersTo.set(sg, new Set(referred));
    for (const fq of referred) addTo(this.#sgReferrers, fq, sg);
  }

  sgReferrersOf(fq: string): Iterable<string> {
    return this.#sgReferrers.get(fq) ?? [];
  }
}
