// When to render: at once, unless CNI requests are being served. A render reads the whole kernel state
// and holds the datapath while it runs, so a render started between two CNI ADDs of a burst would make
// the next ADD wait for it; renders therefore wait until CNI has been quiet for `quietMs`, but never
// longer than `maxDelayMs` after the change that needs them (the bound on how late other nodes' routes,
// services and policy changes can be). Changes a CNI ADD or DEL has already applied itself (a new pod with
// its policies, render-urgency.ts) are not urgent: they wait for quiet, at most `relaxedMaxDelayMs`. Pure.

export interface PacerState {
  /** CNI requests being served */
  cniInFlight: number;
  /** ms time of the last CNI request's end */
  lastCniAt: number | undefined;
  /** ms time the oldest unrendered urgent change was made; undefined when none waits */
  dirtySince: number | undefined;
  /** ms time the oldest unrendered change that can wait was made (covered by CNI); undefined when none */
  relaxedSince?: number | undefined;
}

export interface PacerOptions {
  quietMs: number;
  maxDelayMs: number;
  /** bound for changes that can wait (default 30 s) */
  relaxedMaxDelayMs?: number;
}

export const DEFAULT_PACER: PacerOptions = { quietMs: 150, maxDelayMs: 3000, relaxedMaxDelayMs: 30_000 };

/** Milliseconds to wait before rendering (0: now), or undefined when nothing needs rendering. */
export function renderDelay(now: number, s: PacerState, o: PacerOptions): number | undefined {
  if (s.dirtySince === undefined && s.relaxedSince === undefined) return undefined;
  const deadline = Math.min(
    s.dirtySince === undefined ? Infinity : s.dirtySince + o.maxDelayMs,
    s.relaxedSince === undefined ? Infinity : s.relaxedSince + (o.relaxedMaxDelayMs ?? 30_000),
  );
  if (now >= deadline) return 0;
  if (s.cniInFlight > 0) return Math.min(o.quietMs, deadline - now);
  if (s.lastCniAt !== undefined && now - s.lastCniAt < o.quietMs) return Math.min(s.lastCniAt + o.quietMs - now, deadline - now);
  return 0;
}
