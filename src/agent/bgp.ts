// The agent's BGP side (ARCHITECTURE.md decision 5): one speaker, an iBGP client of up to two control
// nodes with inet-vpn and route-target; it originates the routes the state model asks for (interface and
// floating-IP routes, RTC routes for the import targets of local VRFs — RFC 4684 as the original's XMPP
// instance subscription) as differences, and reads back the VPN routes the control nodes send.
// Graceful restart: the agent announces the capability (R bit after a restart, F bit for inet-vpn), so a
// control node that helps keeps the agent's routes while it restarts; the speaker helps control nodes
// that announce it. Headless mode (the original's): when the last control session goes down, the VPN
// routes last received are kept — frozen — and forwarding goes on, until a control node has sent its
// End-of-RIB again. A snapshot persisted by the agent seeds the frozen set after a restart.
import type { Logger } from '../common/log.js';
import { Speaker } from '../bgp/speaker.js';
import { LOCAL_SOURCE } from '../bgp/rib/sources.js';
import type { PeerStatus } from '../bgp/peer.js';
import type { Connector } from '../bgp/fsm/transport.js';
import { originVnIndex, sgIdsOf } from './communities.js';
import type { VpnAdvert, VpnPath } from './model.js';

export interface ControlEndpoint {
  address: string;
  port: number;
}

export interface AgentBgpOptions {
  asn: number;
  /** the node's underlay address: router id and source of the sessions */
  routerId: string;
  controls: readonly ControlEndpoint[];
  holdTime: number;
  /** graceful-restart time announced, seconds (0 = not announced) */
  restartTime: number;
  /** the agent restarted with interfaces plumbed: set the R bit */
  restarting: boolean;
  connectRetryTime?: number;
  /** connector for the sessions (default TCP) */
  connect?: Connector;
  logger: Logger;
  /** called (synchronously, often many times per batch) when remote() may have changed or a session changed */
  onChange: () => void;
  /**
   * After headless mode ends (a control node's End-of-RIB), the frozen routes the control node did not
   * send again are kept, stale, this long (ms, default 30 000) — only when the control node announced no
   * graceful restart: such a node, restarted, sends End-of-RIB before the other agents have reconnected to
   * it. A control node with graceful restart either did not restart (its table is whole) or restarted and
   * deferred its End-of-RIB until the agents were back (R bit, RFC 4724 §4.1): what it did not send is gone.
   */
  staleGraceMs?: number;
}

export class AgentBgp {
  readonly speaker: Speaker;
  readonly asn: number;
  readonly #originated = new Map<string, string>();
  readonly #rtc = new Set<string>();
  #frozen: VpnPath[] | undefined;
  /** frozen routes kept after headless mode ended, until #graceTimer fires */
  #grace: VpnPath[] | undefined;
  #graceTimer: NodeJS.Timeout | undefined;
  readonly #graceMs: number;
  #frozenSince: number | undefined;
  #lastLive: VpnPath[] = [];
  #eorSeen = false;
  #resolveEor!: () => void;
  readonly eor: Promise<void>;
  readonly #flaps = new Map<string, number>();

  constructor(o: AgentBgpOptions) {
    this.asn = o.asn;
    this.#graceMs = o.staleGraceMs ?? 30_000;
    this.eor = new Promise((r) => (this.#resolveEor = r));
    this.speaker = new Speaker({
      asn: o.asn,
      routerId: o.routerId,
      listen: false,
      holdTime: o.holdTime,
      connectRetryTime: o.connectRetryTime ?? 2,
      idleHoldTime: 1,
      rtcWait: 2,
      ...(o.restartTime > 0 ? { gracefulRestart: { restartTime: Math.min(4095, o.restartTime), restarting: o.restarting, forwarding: ['inet-vpn'] } } : {}),
      logger: o.logger.child({ component: 'agent-bgp' }),
      ...(o.connect ? { connect: o.connect } : {}),
    });
    for (const c of o.controls) {
      this.speaker.addPeer({ address: c.address, port: c.port, localAddress: o.routerId, asn: o.asn, families: ['inet-vpn', 'route-target'], name: c.address });
    }
    this.speaker.subscribe('inet-vpn', () => {
      if (!this.#frozen) this.#lastLive = this.#live();
      o.onChange();
    });
    this.speaker.onPeerEvent((e) => {
      if (e.type === 'down') {
        this.#flaps.set(e.peer, (this.#flaps.get(e.peer) ?? 0) + 1);
        if (!this.#frozen && !this.speaker.peers().some((p) => p.state === 'Established')) {
          this.#frozen = this.#lastLive;
          this.#frozenSince = Date.now();
          o.logger.warn({ routes: this.#frozen.length, reason: e.reason }, 'no control node session left: forwarding on the last routes received (headless)');
        }
      } else if (e.type === 'end-of-rib' && e.family === 'inet-vpn') {
        if (this.#frozen) {
          const whole = (this.speaker.peer(e.peer)?.gracefulRestart.peerRestartTime ?? null) !== null;
          o.logger.info({ peer: e.peer, graceMs: whole ? 0 : this.#graceMs }, 'End-of-RIB from a control node: routes live again');
          if (!whole) this.#startGrace(this.#frozen, o.onChange);
        }
        this.#frozen = undefined;
        this.#frozenSince = undefined;
        this.#lastLive = this.#live();
        if (!this.#eorSeen) {
          this.#eorSeen = true;
          this.#resolveEor();
        }
      }
      o.onChange();
    });
  }

  /** Routes received before the restart (persisted snapshot): used until a control node's End-of-RIB. */
  seed(paths: readonly VpnPath[]): void {
    if (this.#eorSeen || paths.length === 0) return;
    this.#frozen = paths.map((p) => ({ ...p, stale: true }));
    this.#frozenSince = Date.now();
  }

  start(): Promise<void> {
    return this.speaker.start();
  }

  stop(): Promise<void> {
    if (this.#graceTimer) clearTimeout(this.#graceTimer);
    return this.speaker.stop();
  }

  /** True while routing on frozen routes (no control node, or not yet its End-of-RIB after a restart). */
  get headless(): boolean {
    return this.#frozen !== undefined;
  }

  get headlessSince(): number | undefined {
    return this.#frozenSince;
  }

  get endOfRibSeen(): boolean {
    return this.#eorSeen;
  }

  /**
   * The VPN routes to use: the frozen set when headless; else the best path of each destination from a
   * control node, plus — during the grace period after headless mode — the frozen routes not re-sent.
   */
  remote(): VpnPath[] {
    if (this.#frozen) return this.#frozen;
    if (!this.#grace) return this.#lastLive;
    const live = new Set(this.#lastLive.map((p) => `${p.rd}|${p.prefix}`));
    return [...this.#lastLive, ...this.#grace.filter((p) => !live.has(`${p.rd}|${p.prefix}`))];
  }

  #startGrace(frozen: VpnPath[], onChange: () => void): void {
    if (this.#graceTimer) clearTimeout(this.#graceTimer);
    this.#grace = frozen.map((p) => ({ ...p, stale: true }));
    this.#graceTimer = setTimeout(() => {
      this.#grace = undefined;
      this.#graceTimer = undefined;
      onChange();
    }, this.#graceMs);
    this.#graceTimer.unref?.();
  }

  #live(): VpnPath[] {
    const out: VpnPath[] = [];
    const t = this.speaker.table('inet-vpn');
    for (const r of t.routes()) {
      const p = r.paths.find((x) => x.source !== LOCAL_SOURCE && x.feasible);
      if (!p || !p.attrs.nextHop) continue;
      const n = r.nlri as { rd: string; prefix: string };
      const ext = p.attrs.extCommunities ?? [];
      out.push({
        rd: n.rd,
        prefix: n.prefix,
        nextHop: p.attrs.nextHop,
        label: p.label,
        targets: ext.filter((c) => c.startsWith('target:')),
        localPref: p.attrs.localPref ?? 100,
        sgIds: sgIdsOf(ext),
        ...(originVnIndex(ext) >= 0 ? { originVn: originVnIndex(ext) } : {}),
        stale: p.stale,
        peer: this.speaker.sources.get(p.source)?.address ?? String(p.source),
      });
    }
    return out;
  }

  /** Originates exactly these routes (and RTC routes for these targets), as differences to what is out. */
  apply(adverts: readonly VpnAdvert[], rtcTargets: readonly string[]): { originated: number; withdrawn: number } {
    let originated = 0;
    let withdrawn = 0;
    const want = new Map<string, VpnAdvert>();
    for (const a of adverts) want.set(`${a.rd}|${a.prefix}`, a);
    for (const [k, sig] of [...this.#originated]) {
      const a = want.get(k);
      if (a && JSON.stringify(a) === sig) continue;
      if (!a) {
        const [rd, prefix] = k.split('|');
        this.speaker.withdraw({ family: 'inet-vpn', rd, prefix });
        this.#originated.delete(k);
        withdrawn++;
      }
    }
    for (const [k, a] of want) {
      const sig = JSON.stringify(a);
      if (this.#originated.get(k) === sig) continue;
      this.speaker.originate({
        nlri: { family: 'inet-vpn', rd: a.rd, prefix: a.prefix },
        labels: [a.label],
        attrs: { nextHop: a.nextHop, localPref: a.localPref, extCommunities: a.extCommunities },
      });
      this.#originated.set(k, sig);
      originated++;
    }
    const rtc = new Set(rtcTargets);
    for (const t of [...this.#rtc]) {
      if (rtc.has(t)) continue;
      this.speaker.withdraw({ family: 'route-target', originAs: this.asn, routeTarget: t, prefixLen: 96 });
      this.#rtc.delete(t);
      withdrawn++;
    }
    for (const t of rtc) {
      if (this.#rtc.has(t)) continue;
      this.speaker.originate({ nlri: { family: 'route-target', originAs: this.asn, routeTarget: t, prefixLen: 96 } });
      this.#rtc.add(t);
      originated++;
    }
    return { originated, withdrawn };
  }

  /** Originated inet-vpn routes (rd|prefix). */
  get originatedCount(): number {
    return this.#originated.size;
  }

  peers(): (PeerStatus & { flaps: number })[] {
    return this.speaker.peers().map((p) => ({ ...p, flaps: this.#flaps.get(p.address) ?? 0 }));
  }
}
