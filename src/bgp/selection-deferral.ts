// Route-selection deferral of a restarting speaker (RFC 4724 §4.1): after a restart the speaker receives
// its peers' routes but sends nothing — no UPDATE, no End-of-RIB — for a family until every peer it
// expects has sent End-of-RIB for it (peers that announce no graceful restart or have themselves
// restarted (R bit) are not waited for), or until the Selection_Deferral_Timer runs out. Receivers thus
// keep forwarding on the routes they hold from before the restart and see one consistent update followed
// by End-of-RIB, instead of a partial table whose End-of-RIB sweeps everything not yet relearned.
// Route-target membership comes first (RFC 4684 §6: peers send VPN routes only once they know what we
// ask for), so VPN and other families end only after route-target has. A configured peer that has not
// come back within `peerWait` is not waited for any longer (a dead node must not hold everyone's
// routes for the whole deferral time). Pure state over an injected clock; the speaker acts on onDone.
import type { Family } from './wire/constants.js';
import type { Clock, Timer } from './fsm/clock.js';
import type { PeerGracefulRestart } from './fsm/session.js';

export interface SelectionDeferralOptions {
  readonly families: readonly Family[];
  /** Selection_Deferral_Timer: the longest deferral, seconds. */
  readonly time: number;
  /** Seconds to wait for an expected peer that has not established a session since the start. */
  readonly peerWait: number;
  readonly clock: Clock;
  /** Deferral over for a family: 'end-of-rib' (every expected peer done) or 'timer'. */
  onDone(f: Family, why: 'end-of-rib' | 'timer'): void;
}

interface Expected {
  /** Has had a session since the deferral started. */
  came: boolean;
  /** Not waited for: no graceful-restart capability, or restarting itself. */
  excluded: boolean;
  /** Families negotiated with it (last session). */
  families: ReadonlySet<Family>;
  /** Families it sent End-of-RIB for. */
  eor: Set<Family>;
}

export interface DeferralStatus {
  /** Families still deferred, in the order they will end. */
  readonly families: readonly Family[];
  /** Peers still waited for, with the families they have not finished. */
  readonly waitingFor: readonly { readonly peer: string; readonly families: readonly Family[] }[];
  readonly peerWaitOver: boolean;
}

export class SelectionDeferral {
  readonly #o: SelectionDeferralOptions;
  readonly #pending: Family[];
  readonly #peers = new Map<string, Expected>();
  #peerWaitOver = false;
  #timers: Timer[] = [];
  #started = false;

  constructor(o: SelectionDeferralOptions) {
    this.#o = o;
    // route-target first (RFC 4684 §6), the others in the order given
    this.#pending = [...o.families].sort((a, b) => (a === 'route-target' ? -1 : b === 'route-target' ? 1 : 0));
  }

  /** Starts the timers (the speaker's start). */
  start(): void {
    if (this.#started || this.#pending.length === 0) return;
    this.#started = true;
    const c = this.#o.clock;
    this.#timers.push(
      c.setTimeout(() => {
        this.#peerWaitOver = true;
        this.#check();
      }, this.#o.peerWait * 1000),
      c.setTimeout(() => {
        for (const f of this.#pending.splice(0)) this.#o.onDone(f, 'timer');
        this.stop();
      }, this.#o.time * 1000),
    );
  }

  stop(): void {
    for (const t of this.#timers) t.cancel();
    this.#timers = [];
  }

  get active(): boolean {
    return this.#pending.length > 0;
  }

  deferred(f: Family): boolean {
    return this.#pending.includes(f);
  }

  /** A configured peer expected back. */
  expect(peer: string): void {
    if (!this.active || this.#peers.has(peer)) return;
    this.#peers.set(peer, { came: false, excluded: false, families: new Set(), eor: new Set() });
  }

  /** A peer no longer configured. */
  forget(peer: string): void {
    if (this.#peers.delete(peer)) this.#check();
  }

  /** A session with the peer is up with these families and the peer's graceful-restart capability. */
  established(peer: string, families: readonly Family[], gr: PeerGracefulRestart | undefined): void {
    const p = this.#peers.get(peer);
    if (!p || !this.active) return;
    p.came = true;
    p.excluded = gr === undefined || gr.restarting;
    p.families = new Set(families);
    this.#check();
  }

  endOfRib(peer: string, f: Family): void {
    const p = this.#peers.get(peer);
    if (!p || !this.active) return;
    p.eor.add(f);
    this.#check();
  }

  status(): DeferralStatus {
    const waitingFor: { peer: string; families: Family[] }[] = [];
    for (const [peer, p] of this.#peers) {
      const families = this.#pending.filter((f) => !this.#done(p, f));
      if (families.length) waitingFor.push({ peer, families });
    }
    return { families: [...this.#pending], waitingFor, peerWaitOver: this.#peerWaitOver };
  }

  #done(p: Expected, f: Family): boolean {
    if (p.excluded) return true;
    if (!p.came) return this.#peerWaitOver;
    return !p.families.has(f) || p.eor.has(f);
  }

  #check(): void {
    if (!this.#started) return;
    for (let progressed = true; progressed; ) {
      progressed = false;
      const rtcFirst = this.#pending.includes('route-target');
      for (const f of [...this.#pending]) {
        if (f !== 'route-target' && rtcFirst) continue;
        let all = true;
        for (const p of this.#peers.values()) if (!this.#done(p, f)) all = false;
        if (!all) continue;
        this.#pending.splice(this.#pending.indexOf(f), 1);
        this.#o.onDone(f, 'end-of-rib');
        progressed = true;
      }
    }
    if (!this.active) this.stop();
  }
}
