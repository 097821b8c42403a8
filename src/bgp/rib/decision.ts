// The BGP decision process (RFC 4271 §9.1.2.2, RFC 4456 §9) as one small function per step. Each step keeps
// the candidates that are best by its criterion; the step that leaves one candidate is recorded as the
// reason. Candidates still equal after the IGP-cost step form the multipath (ECMP) set; the remaining
// tie-breaks (cluster list, router id, peer address, path id) only order that set.
import type { AttrEntry } from './attr-pool.js';
import type { SourceInfo } from './sources.js';

export const DECISION_STEPS = [
  'only-path',
  'local-pref',
  'as-path',
  'origin',
  'med',
  'ebgp-over-ibgp',
  'igp-cost',
  'cluster-list',
  'router-id',
  'peer-address',
  'path-id',
  'none-feasible',
] as const;
export type DecisionStep = (typeof DECISION_STEPS)[number];

export interface Candidate {
  /** Caller's handle (a path index); the decision never reads it. */
  readonly ref: number;
  readonly entry: AttrEntry;
  readonly source: SourceInfo;
  readonly pathId: number;
  /** Cost to the next hop from the IGP hook; 0 without a hook. */
  readonly igpCost: number;
}

export interface DecisionOptions {
  /** Largest ECMP set (1 = no multipath). */
  readonly maxPaths: number;
  /** Compare MED between paths from different neighbour ASes too. */
  readonly alwaysCompareMed?: boolean;
}

export interface Decision {
  /** Best first, then the rest of the ECMP set, then every other candidate. */
  readonly order: readonly Candidate[];
  readonly ecmpCount: number;
  readonly step: DecisionStep;
}

/** LOCAL_PREF as the decision reads it: a value received from an external peer is ignored (RFC 4271 §5.1.5). */
export function effectiveLocalPref(c: Candidate): number {
  return c.source.kind === 'ebgp' ? 100 : c.entry.localPref;
}

function keepBy(cands: readonly Candidate[], value: (c: Candidate) => number, highest: boolean): Candidate[] {
  let best = highest ? -Infinity : Infinity;
  for (const c of cands) {
    const v = value(c);
    if (highest ? v > best : v < best) best = v;
  }
  return cands.filter((c) => value(c) === best);
}

export function byLocalPref(c: readonly Candidate[]): Candidate[] {
  return keepBy(c, effectiveLocalPref, true);
}
export function byAsPathLength(c: readonly Candidate[]): Candidate[] {
  return keepBy(c, (x) => x.entry.asPathLen, false);
}
export function byOrigin(c: readonly Candidate[]): Candidate[] {
  return keepBy(c, (x) => x.entry.originRank, false);
}
/** RFC 4271 §9.1.2.2 c: a path loses to a lower MED from the same neighbour AS. */
export function byMed(c: readonly Candidate[], always = false): Candidate[] {
  if (always) return keepBy(c, (x) => x.entry.med, false);
  const min = new Map<number, number>();
  for (const x of c) {
    const m = min.get(x.entry.neighborAs);
    if (m === undefined || x.entry.med < m) min.set(x.entry.neighborAs, x.entry.med);
  }
  return c.filter((x) => x.entry.med === min.get(x.entry.neighborAs));
}
/** Paths from eBGP peers, and this speaker's own, over paths from iBGP peers. */
export function byPeerType(c: readonly Candidate[]): Candidate[] {
  return keepBy(c, (x) => (x.source.kind === 'ibgp' ? 1 : 0), false);
}
export function byIgpCost(c: readonly Candidate[]): Candidate[] {
  return keepBy(c, (x) => x.igpCost, false);
}
export function byClusterListLength(c: readonly Candidate[]): Candidate[] {
  return keepBy(c, (x) => x.entry.clusterListLen, false);
}
/** Lowest BGP identifier; a reflected path counts by its ORIGINATOR_ID (RFC 4456 §9). */
export function byRouterId(c: readonly Candidate[]): Candidate[] {
  return keepBy(c, (x) => (x.entry.originatorId >= 0 ? x.entry.originatorId : x.source.routerId), false);
}
export function byPeerAddress(c: readonly Candidate[]): Candidate[] {
  let best: string | undefined;
  for (const x of c) if (best === undefined || x.source.addressKey < best) best = x.source.addressKey;
  return c.filter((x) => x.source.addressKey === best);
}
export function byPathId(c: readonly Candidate[]): Candidate[] {
  return keepBy(c, (x) => x.source.id * 0x100000000 + x.pathId, false);
}

type Step = [DecisionStep, (c: readonly Candidate[], o: DecisionOptions) => Candidate[]];

const ELIMINATE: readonly Step[] = [
  ['local-pref', byLocalPref],
  ['as-path', byAsPathLength],
  ['origin', byOrigin],
  ['med', (c, o) => byMed(c, o.alwaysCompareMed)],
  ['ebgp-over-ibgp', byPeerType],
  ['igp-cost', byIgpCost],
];
const TIE_BREAK: readonly Step[] = [
  ['cluster-list', byClusterListLength],
  ['router-id', byRouterId],
  ['peer-address', byPeerAddress],
  ['path-id', byPathId],
];

function tieBreak(set: readonly Candidate[], o: DecisionOptions): { winner: Candidate; step: DecisionStep } {
  let s: readonly Candidate[] = set;
  for (const [name, f] of TIE_BREAK) {
    s = f(s, o);
    if (s.length === 1) return { winner: s[0], step: name };
  }
  return { winner: s[0], step: 'path-id' };
}

/** Ranks feasible candidates (callers drop unreachable next hops first). */
export function decide(cands: readonly Candidate[], o: DecisionOptions): Decision {
  if (cands.length === 0) return { order: [], ecmpCount: 0, step: 'none-feasible' };
  if (cands.length === 1) return { order: cands, ecmpCount: 1, step: 'only-path' };
  let set: readonly Candidate[] = cands;
  let step: DecisionStep | undefined;
  for (const [name, f] of ELIMINATE) {
    set = f(set, o);
    if (set.length === 1) {
      step = name;
      break;
    }
  }
  const ecmp: Candidate[] = [];
  if (step) ecmp.push(set[0]);
  else {
    // order the multipath set by the tie-breaks; the first winner's step is the reason
    let rest = [...set];
    while (rest.length) {
      const t = tieBreak(rest, o);
      step ??= t.step;
      ecmp.push(t.winner);
      rest = rest.filter((c) => c !== t.winner);
    }
  }
  const chosen = ecmp.slice(0, Math.max(1, o.maxPaths));
  const inSet = new Set(chosen);
  return { order: [...chosen, ...cands.filter((c) => !inSet.has(c))], ecmpCount: chosen.length, step: step ?? 'path-id' };
}
