// The BGP speaker: one listener for many peers, one table per family (inet.0, bgp.l3vpn.0, bgp.rtarget.0,
// bgp.evpn.0) shared by every peer, route reflection and route-target constrained distribution, graceful
// restart in both roles (as the restarting speaker it defers selection and End-of-RIB, RFC 4724 §4.1),
// locally originated routes, and Loc-RIB diffs for the speaker's users (the control node composes its VRF
// tables on `rib`; the agent subscribes to VPN routes). Outgoing UPDATEs are built in bounded steps of a
// shared scheduler (out/), so that no table change holds the event loop. Connections are accepted only
// from configured peer addresses.
import { createServer, type Server } from 'node:net';
import { createLogger, type Logger } from '../common/log.js';
import { TfError } from '../common/errors.js';
import { FAMILIES, type Family } from './wire/constants.js';
import type { PathAttributes } from './wire/attributes.js';
import type { Nlri } from './wire/nlri.js';
import { AttrPool } from './rib/attr-pool.js';
import { LOCAL_SOURCE, SourceRegistry } from './rib/sources.js';
import { RouteTable, type ChangeListener, type PathMeta, type UpsertResult } from './rib/table.js';
import { systemClock, type Clock } from './fsm/clock.js';
import type { Connector } from './fsm/transport.js';
import { socketTransport, tcpConnect } from './fsm/tcp.js';
import type { GracefulRestartConfig } from './fsm/session.js';
import { Peer, type PeerEvent, type PeerStatus } from './peer.js';
import { groupTouched } from './out/peer-export.js';
import { defaultScheduler, type ExportScheduler } from './out/scheduler.js';
import { SelectionDeferral, type DeferralStatus } from './selection-deferral.js';
import { BgpConfigError, checkPeerConfig, checkRouterId, validAsn, validHoldTime, type PeerConfig } from './config.js';

export const TABLE_NAMES: Readonly<Record<Family, string>> = {
  inet: 'inet.0',
  'inet-vpn': 'bgp.l3vpn.0',
  'route-target': 'bgp.rtarget.0',
  'e-vpn': 'bgp.evpn.0',
};

export interface SpeakerGracefulRestart extends GracefulRestartConfig {
  /** Seconds to wait for a restarted peer's End-of-RIB before dropping its stale routes (default 360). */
  readonly stalePathTime?: number;
  /**
   * With `restarting`: defer route selection (RFC 4724 §4.1) — nothing is sent, End-of-RIB included, until
   * every expected peer has sent End-of-RIB, or `time` (the Selection_Deferral_Timer, seconds) runs out; a
   * configured peer that has not come back is waited for `peerWait` seconds (default `time`). Absent: the R
   * bit only, routes go out as they come (what an agent, whose routes are its own interfaces, wants).
   */
  readonly selectionDeferral?: { readonly time: number; readonly peerWait?: number };
}

export interface SpeakerOptions {
  readonly asn: number;
  readonly routerId: string;
  /** Where to accept sessions: port 0 picks a free port. false: no listener (outgoing sessions only). */
  readonly listen?: { readonly port: number; readonly address?: string } | false;
  /** Seconds (default 90; 0 or ≥ 3). */
  readonly holdTime?: number;
  /** Seconds between connection attempts (default 5). */
  readonly connectRetryTime?: number;
  /** Seconds Idle after a session drops before starting again (default 1). */
  readonly idleHoldTime?: number;
  /** Cluster id when reflecting (default the router id). */
  readonly clusterId?: string;
  /** Announce graceful restart and act as helper for peers that announce it (RFC 4724). */
  readonly gracefulRestart?: SpeakerGracefulRestart;
  /** Seconds to wait for a route-target peer's RTC End-of-RIB before sending VPN routes (default 5). */
  readonly rtcWait?: number;
  /** Largest ECMP set in the speaker's tables (default 1); per family when an object (absent families: 1). */
  readonly maxPaths?: number | Partial<Record<Family, number>>;
  /** Next-hop cost hook for the decision process; undefined = unreachable. */
  readonly igpCost?: (nextHop: string | undefined) => number | undefined;
  readonly clock?: Clock;
  readonly connect?: Connector;
  /** Wall clock (ms) for lastModified, flap and uptime times. */
  readonly now?: () => number;
  readonly logger?: Logger;
  /** Where outgoing work runs (default the process's shared scheduler). */
  readonly scheduler?: ExportScheduler;
}

/** A route this speaker originates. attrs defaults: origin igp, empty AS path, next hop = self per session. */
export interface RouteInput {
  readonly nlri: Nlri;
  readonly attrs?: Partial<PathAttributes>;
  readonly labels?: readonly number[];
  /** Distinguishes several local paths to one destination (default 0). */
  readonly pathId?: number;
  readonly meta?: PathMeta;
}

export class Speaker {
  readonly asn: number;
  readonly routerId: string;
  readonly clusterId: string;
  readonly pool = new AttrPool();
  readonly sources: SourceRegistry;
  readonly tables: ReadonlyMap<Family, RouteTable>;
  readonly #opts: SpeakerOptions;
  readonly #log: Logger;
  readonly #peers = new Map<string, Peer>();
  readonly #listeners = new Set<(e: PeerEvent) => void>();
  readonly #deferral: SelectionDeferral | undefined;
  /**
   * The R bit of the OPENs we send (RFC 4724 §3: "this speaker has restarted"): set from the start while
   * gracefulRestart.restarting, cleared once the restart is over — the selection deferral ended, or
   * (without one) a peer has sent End-of-RIB for every family it negotiated. A speaker that kept it set
   * for good would tell a peer that restarts later not to wait for its End-of-RIB, and that peer would
   * send a partial table followed by End-of-RIB.
   */
  #restarting: boolean;
  /** Families each peer has sent End-of-RIB for in its current session (while #restarting). */
  readonly #eorFrom = new Map<string, Set<Family>>();
  #server: Server | undefined;
  #port = 0;
  #started = false;

  constructor(opts: SpeakerOptions) {
    if (!validAsn(opts.asn)) throw new BgpConfigError(`asn must be 1..4294967295, got ${JSON.stringify(opts.asn)}`, { field: 'asn' });
    checkRouterId(opts.routerId, 'routerId');
    if (opts.clusterId !== undefined) checkRouterId(opts.clusterId, 'clusterId');
    if (opts.holdTime !== undefined && !validHoldTime(opts.holdTime)) {
      throw new BgpConfigError(`holdTime must be 0 or 3..65535 seconds, got ${opts.holdTime}`, { field: 'holdTime' });
    }
    const gr = opts.gracefulRestart;
    if (gr && (!Number.isInteger(gr.restartTime) || gr.restartTime < 0 || gr.restartTime > 4095)) {
      throw new BgpConfigError(`gracefulRestart.restartTime must be 0..4095 seconds, got ${gr.restartTime}`, { field: 'gracefulRestart' });
    }
    for (const [k, v] of [['stalePathTime', gr?.stalePathTime], ['selectionDeferral.time', gr?.selectionDeferral?.time], ['selectionDeferral.peerWait', gr?.selectionDeferral?.peerWait]] as const) {
      if (v !== undefined && !(typeof v === 'number' && v >= 0 && v <= 86400)) {
        throw new BgpConfigError(`gracefulRestart.${k} must be 0..86400 seconds, got ${JSON.stringify(v)}`, { field: 'gracefulRestart' });
      }
    }
    if (gr?.selectionDeferral && !gr.restarting) {
      throw new BgpConfigError('gracefulRestart.selectionDeferral needs restarting: true (only a restarting speaker defers)', { field: 'gracefulRestart' });
    }
    this.#opts = opts;
    this.#restarting = gr?.restarting ?? false;
    this.asn = opts.asn;
    this.routerId = opts.routerId;
    this.clusterId = opts.clusterId ?? opts.routerId;
    this.#log = opts.logger ?? createLogger('bgp', { routerId: opts.routerId });
    this.sources = new SourceRegistry({ routerId: opts.routerId, asn: opts.asn, name: 'local' });
    const now = opts.now ?? Date.now;
    const tables = new Map<Family, RouteTable>();
    for (const f of FAMILIES) {
      const t = new RouteTable({
        name: TABLE_NAMES[f], family: f, pool: this.pool, sources: this.sources, maxPaths: (typeof opts.maxPaths === 'number' ? opts.maxPaths : opts.maxPaths?.[f]) ?? 1, now,
        ...(opts.igpCost ? { igpCost: opts.igpCost } : {}),
        onListenerError: (err) => this.#log.error({ err, table: TABLE_NAMES[f] }, 'route change listener failed'),
      });
      t.subscribeIds((ids) => {
        if (this.#peers.size === 0) return;
        const batch = groupTouched(t, ids);
        for (const p of this.#peers.values()) p.onTouched(f, t, batch);
      });
      tables.set(f, t);
    }
    this.tables = tables;
    const sd = gr?.restarting ? gr.selectionDeferral : undefined;
    if (sd) {
      this.#deferral = new SelectionDeferral({
        families: FAMILIES, time: sd.time, peerWait: Math.min(sd.time, sd.peerWait ?? sd.time), clock: opts.clock ?? systemClock,
        onDone: (f, why) => {
          this.#log.info({ family: f, why }, 'route selection deferral over (RFC 4724): sending routes and End-of-RIB');
          for (const p of this.#peers.values()) p.release(f);
          if (this.#deferral?.active === false) this.#restartOver('selection deferral over');
        },
      });
    }
  }

  /** The table of a family (inet.0, bgp.l3vpn.0, bgp.rtarget.0, bgp.evpn.0). */
  table(f: Family): RouteTable {
    return this.tables.get(f)!;
  }

  /** The listening port (after start). */
  get port(): number {
    return this.#port;
  }

  /** Opens the listener and starts every configured peer. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#deferral?.start();
    const l = this.#opts.listen;
    if (l !== false && l !== undefined) {
      const server = createServer((sock) => {
        const remote = (sock.remoteAddress ?? '').replace(/^::ffff:/, '');
        const peer = this.#peers.get(remote);
        if (!peer) {
          this.#log.warn({ remote }, 'connection from an address that is not a configured peer; closed');
          sock.destroy();
          return;
        }
        if (!peer.accept(socketTransport(sock))) this.#log.info({ remote }, 'connection refused: session not accepting');
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(l.port, l.address ?? '0.0.0.0', () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (err) => this.#log.error({ err }, 'bgp listener error'));
      this.#server = server;
      const addr = server.address();
      this.#port = typeof addr === 'object' && addr ? addr.port : l.port;
      this.#log.info({ port: this.#port }, 'bgp listening');
    }
    for (const p of this.#peers.values()) p.start();
  }

  /** Stops every session (Cease/Administrative Shutdown) and closes the listener. */
  async stop(): Promise<void> {
    this.#started = false;
    this.#deferral?.stop();
    for (const p of this.#peers.values()) p.session.stop();
    const s = this.#server;
    this.#server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  /** Adds a peer (started at once when the speaker runs). Throws BgpConfigError, or TfError BGP_PEER_EXISTS. */
  addPeer(config: PeerConfig): PeerStatus {
    checkPeerConfig(config);
    if (this.#peers.has(config.address)) throw new TfError('BGP_PEER_EXISTS', `peer ${config.address} is already configured`, { status: 409 });
    const gr = this.#opts.gracefulRestart;
    const restarting = (): boolean => this.#restarting;
    const peer = new Peer(config, {
      me: { asn: this.asn, routerId: this.routerId, clusterId: this.clusterId },
      tables: this.tables,
      pool: this.pool,
      sources: this.sources,
      clock: this.#opts.clock ?? systemClock,
      connect: this.#opts.connect ?? ((o) => tcpConnect(o)),
      wallNow: this.#opts.now ?? Date.now,
      log: this.#log,
      holdTime: this.#opts.holdTime ?? 90,
      connectRetryTime: this.#opts.connectRetryTime ?? 5,
      idleHoldTime: this.#opts.idleHoldTime ?? 1,
      // `restarting` is read at every OPEN: the R bit follows the restart (see #restarting)
      gracefulRestart: gr ? { ...gr, stalePathTime: gr.stalePathTime ?? 360, get restarting() { return restarting(); } } : undefined,
      rtcWait: this.#opts.rtcWait ?? 5,
      scheduler: this.#opts.scheduler ?? defaultScheduler,
      deferred: (f) => this.#deferral?.deferred(f) ?? false,
      emit: (e) => this.#emit(e),
    });
    this.#peers.set(config.address, peer);
    if (gr && config.gracefulRestart !== false) this.#deferral?.expect(config.address);
    if (this.#started) peer.start();
    return peer.status();
  }

  /** Removes a peer: Cease/Peer De-configured, its routes withdrawn. False when unknown. */
  removePeer(address: string): boolean {
    const p = this.#peers.get(address);
    if (!p) return false;
    this.#peers.delete(address);
    p.remove();
    this.#deferral?.forget(address);
    return true;
  }

  peer(address: string): PeerStatus | undefined {
    return this.#peers.get(address)?.status();
  }

  peers(): PeerStatus[] {
    return [...this.#peers.values()].map((p) => p.status());
  }

  /** Sends ROUTE-REFRESH for a family to a peer; false when the session cannot. */
  refresh(address: string, f: Family): boolean {
    return this.#peers.get(address)?.requestRefresh(f) ?? false;
  }

  /** Re-applies a peer's vpnExportFilter to what it was sent; false when the peer is unknown. */
  reexport(address: string): boolean {
    const p = this.#peers.get(address);
    p?.reexport();
    return p !== undefined;
  }

  /** Adds or replaces a locally originated route. Throws BgpError for values that cannot be encoded. */
  originate(r: RouteInput): UpsertResult {
    const attrs: PathAttributes = { origin: 'igp', asPath: [], ...r.attrs };
    return this.table(r.nlri.family).upsert(r.nlri, {
      source: LOCAL_SOURCE, pathId: r.pathId ?? 0, attrs, ...(r.labels ? { labels: r.labels } : {}), ...(r.meta ? { meta: r.meta } : {}),
    });
  }

  /** Withdraws a locally originated route; false when there was none. */
  withdraw(nlri: Nlri, pathId = 0): boolean {
    return this.table(nlri.family).withdraw(nlri, LOCAL_SOURCE, pathId);
  }

  /** Loc-RIB diffs of a family: best path / ECMP set changes, in batches. Returns the unsubscribe function. */
  subscribe(f: Family, listener: ChangeListener): () => void {
    return this.table(f).subscribe(listener);
  }

  /** The route-selection deferral still running after a restart (RFC 4724 §4.1), or null. */
  selectionDeferral(): DeferralStatus | null {
    return this.#deferral?.active ? this.#deferral.status() : null;
  }

  /** Session events: established, down, end-of-rib. Returns the unsubscribe function. */
  onPeerEvent(listener: (e: PeerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** True while the OPENs we send carry the R bit (see #restarting). */
  get restarting(): boolean {
    return this.#restarting;
  }

  #restartOver(why: string): void {
    if (!this.#restarting) return;
    this.#restarting = false;
    this.#eorFrom.clear();
    this.#log.info({ why }, 'graceful restart over: sessions from now on announce no R bit');
  }

  #emit(e: PeerEvent): void {
    if (this.#restarting && !this.#deferral) {
      if (e.type === 'established') this.#eorFrom.set(e.peer, new Set());
      else if (e.type === 'end-of-rib') {
        const got = this.#eorFrom.get(e.peer) ?? new Set<Family>();
        got.add(e.family);
        this.#eorFrom.set(e.peer, got);
        const fams = this.#peers.get(e.peer)?.negotiated?.families ?? [];
        if (fams.length > 0 && fams.every((f) => got.has(f))) this.#restartOver(`End-of-RIB from ${e.peer} for every family`);
      }
    }
    const d = this.#deferral;
    if (d?.active) {
      if (e.type === 'established') d.established(e.peer, e.families, this.#peers.get(e.peer)?.negotiated?.peerGracefulRestart);
      else if (e.type === 'end-of-rib') d.endOfRib(e.peer, e.family);
    }
    for (const l of this.#listeners) {
      try {
        l(e);
      } catch (err) {
        this.#log.error({ err }, 'peer event listener failed');
      }
    }
  }
}
