// One configured neighbour of a Speaker: its session, what it sent us (paths of its source in the shared
// tables), what we send it (out/peer-export.ts: Adj-RIB-Out, built in bounded steps of the shared export
// scheduler), route-target membership for outbound filtering (RFC 4684), graceful-restart state in both
// roles (RFC 4724 §4.1 deferral is the speaker's; helper §4.2 here), max-prefix (RFC 4486 Cease/1) and
// counters for introspect. The tables publish diffs in batches that mark what the peer's export looks at.
import { Buffer } from 'node:buffer';
import type { Logger } from '../common/log.js';
import {
  CeaseSub, ErrCode, MsgType, BgpError, encodeAttributes, encodeMpNextHop, encodeRouteRefresh, familyAfiSafi,
  familyOf, parseExtCommunity, isRouteTargetAt, type Family, type PathAttributes,
} from './wire/index.js';
import { UpdateReceiver } from './inbound.js';
import { RtMembership } from './rib/rtc-filter.js';
import { keyBytes, type RouteTable } from './rib/table.js';
import type { AttrPool } from './rib/attr-pool.js';
import type { SourceInfo, SourceRegistry } from './rib/sources.js';
import { Session, type Negotiated, type SessionDown, type SessionState, type GracefulRestartConfig } from './fsm/session.js';
import type { Clock, Timer } from './fsm/clock.js';
import type { Connector, Transport } from './fsm/transport.js';
import type { AttrGroup } from './out/packer.js';
import { PeerExport, type TouchedBatch } from './out/peer-export.js';
import { AddPathExport } from './out/add-path-export.js';
import type { ExportScheduler } from './out/scheduler.js';
import { exportAttributes, mayExport, type ExportTarget, type LocalIdentity } from './export-policy.js';
import { DEFAULT_FAMILIES, type MaxPrefix, type PeerConfig } from './config.js';

const VPN_FAMILIES: readonly Family[] = ['inet-vpn', 'e-vpn'];
const FAMILY_INDEX: Readonly<Record<Family, number>> = { inet: 0, 'inet-vpn': 1, 'route-target': 2, 'e-vpn': 3 };
const KIND_INDEX = { local: 0, ebgp: 1, ibgp: 2 } as const;

export type PeerEvent =
  | { readonly type: 'established'; readonly peer: string; readonly families: readonly Family[] }
  | { readonly type: 'down'; readonly peer: string; readonly reason: string; readonly graceful: boolean }
  | { readonly type: 'end-of-rib'; readonly peer: string; readonly family: Family };

export interface MessageStats {
  readonly total: number;
  readonly open: number;
  readonly update: number;
  readonly notification: number;
  readonly keepalive: number;
  readonly routeRefresh: number;
}

export interface PeerStatus {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly asn: number;
  readonly localAsn: number;
  /** 'internal' (iBGP) or 'external' (eBGP), as the original's peer_type. */
  readonly type: 'internal' | 'external';
  readonly rrClient: boolean;
  readonly passive: boolean;
  readonly families: readonly Family[];
  readonly negotiatedFamilies: readonly Family[];
  readonly state: SessionState;
  /** 'in sync' when everything queued for the peer has been written, as the original's send_state. */
  readonly sendState: 'in sync' | 'not in sync';
  readonly routerId: string | null;
  readonly holdTime: number | null;
  readonly localAddress: string | null;
  readonly flapCount: number;
  /** Wall-clock ms of the last drop from Established, or null. */
  readonly flapTime: number | null;
  /** Wall-clock ms the session came up, or null. */
  readonly establishedAt: number | null;
  readonly uptimeMs: number;
  readonly lastError: string | null;
  /** Paths received (held in the tables, stale ones included) and routes advertised, per family. */
  readonly prefixes: Readonly<Partial<Record<Family, { readonly in: number; readonly out: number }>>>;
  readonly messages: { readonly in: MessageStats; readonly out: MessageStats };
  readonly gracefulRestart: {
    readonly peerRestartTime: number | null;
    /** The peer's last OPEN had the Restart State (R) bit: it restarted and defers its End-of-RIB. */
    readonly peerRestarting: boolean;
    readonly staleFamilies: readonly Family[];
  };
  readonly maxPrefix: MaxPrefix | null;
}

/** What a Peer reads from its Speaker. */
export interface PeerContext {
  readonly me: LocalIdentity;
  readonly tables: ReadonlyMap<Family, RouteTable>;
  readonly pool: AttrPool;
  readonly sources: SourceRegistry;
  readonly clock: Clock;
  readonly connect: Connector;
  readonly wallNow: () => number;
  readonly log: Logger;
  readonly holdTime: number;
  readonly connectRetryTime: number;
  readonly idleHoldTime: number;
  readonly gracefulRestart: (GracefulRestartConfig & { readonly stalePathTime: number }) | undefined;
  readonly rtcWait: number;
  readonly scheduler: ExportScheduler;
  /** Is the speaker still deferring its route selection for this family (RFC 4724 §4.1)? */
  deferred(f: Family): boolean;
  emit(e: PeerEvent): void;
}

function stats(c: readonly number[]): MessageStats {
  return { total: c[0], open: c[MsgType.OPEN], update: c[MsgType.UPDATE], notification: c[MsgType.NOTIFICATION], keepalive: c[MsgType.KEEPALIVE], routeRefresh: c[MsgType.ROUTE_REFRESH] };
}

const rtCache = new WeakMap<PathAttributes, readonly string[]>();
/** Route targets of an attribute set as 8-byte binary strings (memoized per interned set). */
export function routeTargetsOf(a: PathAttributes): readonly string[] {
  let r = rtCache.get(a);
  if (!r) {
    const out: string[] = [];
    for (const x of a.extCommunities ?? []) {
      const b = parseExtCommunity(x);
      if (isRouteTargetAt(b, 0)) out.push(Buffer.from(b).toString('latin1'));
    }
    r = out;
    rtCache.set(a, r);
  }
  return r;
}

export class Peer {
  readonly config: PeerConfig & { readonly families: readonly Family[]; readonly port: number };
  readonly source: SourceInfo;
  readonly session: Session;
  readonly kind: 'ibgp' | 'ebgp';
  readonly #ctx: PeerContext;
  readonly #log: Logger;
  readonly #maxPrefix: MaxPrefix | undefined;
  #neg: Negotiated | undefined;
  #families = new Set<Family>();
  #generation = 0;
  readonly #export: PeerExport;
  /** Families sent with ADD-PATH in this session (RFC 7911), instead of through #export. */
  #addPath = new Map<Family, AddPathExport>();
  #target: ExportTarget | undefined;
  #groupSeq = 0;
  #rtc = new RtMembership();
  #vpnReady = true;
  #rtcTimer: Timer | undefined;
  #rescanScheduled = false;
  #staleFamilies = new Set<Family>();
  #restartTimer: Timer | undefined;
  #staleTimer: Timer | undefined;
  #flapCount = 0;
  #flapTime: number | null = null;
  #establishedAt: number | null = null;
  #exportCache = new WeakMap<PathAttributes, Map<number, AttrGroup | null>>();
  readonly #receiver = new UpdateReceiver();
  #removed = false;

  constructor(config: PeerConfig, ctx: PeerContext) {
    this.#ctx = ctx;
    this.config = { ...config, families: config.families ?? DEFAULT_FAMILIES, port: config.port ?? 179 };
    this.kind = config.asn === ctx.me.asn ? 'ibgp' : 'ebgp';
    this.#maxPrefix = typeof config.maxPrefix === 'number' ? { limit: config.maxPrefix } : config.maxPrefix;
    this.#log = ctx.log.child({ peer: config.address });
    this.source = ctx.sources.add({
      kind: this.kind, name: config.name ?? config.address, address: config.address, asn: config.asn, rrClient: config.rrClient ?? false,
    });
    this.#export = new PeerExport({
      tables: ctx.tables, pool: ctx.pool, sources: ctx.sources, sourceId: this.source.id, log: this.#log,
      group: (f, src, attrs) => this.#group(f, src, attrs),
      send: (msgs) => this.session.sendAll(msgs),
      fault: (err) => this.session.reset(ErrCode.CEASE, CeaseSub.OUT_OF_RESOURCES, new Uint8Array(0), `export failed: ${(err as Error).message}`),
    }, ctx.scheduler);
    const gr = config.gracefulRestart === false ? undefined : ctx.gracefulRestart;
    this.session = new Session(
      {
        localAs: ctx.me.asn, routerId: ctx.me.routerId, peerAs: config.asn, peerAddress: config.address, peerPort: this.config.port,
        ...(config.localAddress ? { localAddress: config.localAddress } : {}),
        holdTime: config.holdTime ?? ctx.holdTime, connectRetryTime: ctx.connectRetryTime, idleHoldTime: ctx.idleHoldTime,
        passive: config.passive ?? false, families: this.config.families, ...(gr ? { gracefulRestart: gr } : {}),
        ...(config.addPathSend ? { addPathSend: config.addPathSend } : {}),
      },
      {
        clock: ctx.clock,
        connect: ctx.connect,
        events: {
          established: (n) => this.#onEstablished(n),
          down: (d) => this.#onDown(d),
          message: (type, b, off, len) => this.#onMessage(type, b, off, len),
          stateChange: (from, to) => this.#log.debug({ from, to }, 'bgp session state'),
          drain: () => this.#export.drained(),
        },
      },
    );
  }

  get address(): string {
    return this.config.address;
  }

  /** What the current session negotiated (undefined when not Established). */
  get negotiated(): Negotiated | undefined {
    return this.#neg;
  }

  start(): void {
    this.session.start();
  }

  accept(t: Transport): boolean {
    return this.session.accept(t);
  }

  /** Stops the session (Cease/Peer De-configured) and removes everything learned from the peer. */
  remove(): void {
    this.#removed = true;
    this.session.stop(CeaseSub.PEER_DECONFIGURED);
    this.#export.close();
    this.#closeAddPath();
    this.#restartTimer?.cancel();
    this.#staleTimer?.cancel();
    this.#rtcTimer?.cancel();
    for (const t of this.#ctx.tables.values()) t.removeSource(this.source.id);
    this.#ctx.sources.remove(this.source.id);
  }

  /** Asks the peer to send its routes of a family again (RFC 2918). */
  requestRefresh(f: Family): boolean {
    if (!this.#neg?.routeRefresh || !this.#families.has(f)) return false;
    const [afi, safi] = familyAfiSafi(f);
    return this.session.send(encodeRouteRefresh(afi, safi));
  }

  // ---- session events -----------------------------------------------------------------------------

  #onEstablished(n: Negotiated): void {
    this.#neg = n;
    this.#lastPeerGr = n.peerGracefulRestart;
    this.#generation++;
    this.#families = new Set(n.families);
    this.#establishedAt = this.#ctx.wallNow();
    this.#ctx.sources.update(this.source.id, { routerId: n.peerOpen.routerId });
    this.#target = {
      sourceId: this.source.id, kind: this.kind, asn: this.config.asn, rrClient: this.config.rrClient ?? false,
      nextHopSelf: this.config.nextHopSelf ?? this.kind === 'ebgp', localAddress: n.localAddress.replace(/^::ffff:/, ''),
    };
    this.#export.open();
    this.#closeAddPath();
    for (const f of n.addPathSend) {
      this.#addPath.set(f, new AddPathExport(f, {
        tables: this.#ctx.tables, sources: this.#ctx.sources, sourceId: this.source.id, log: this.#log,
        group: (fam, src, attrs) => this.#group(fam, src, attrs),
        send: (msgs) => this.session.sendAll(msgs),
      }));
    }
    this.#exportCache = new WeakMap(); // encodings depend on the session (local address, 4-octet AS)
    this.#restartTimer?.cancel();
    this.#restartTimer = undefined;
    // Graceful restart, helper side (RFC 4724 §4.2): stale routes of families the peer no longer
    // preserves go now; the rest wait for its End-of-RIB, at most stalePathTime.
    if (this.#staleFamilies.size) {
      const kept = n.peerGracefulRestart?.families;
      for (const f of [...this.#staleFamilies]) if (!kept?.get(f) || !this.#families.has(f)) this.#sweep(f);
      if (this.#staleFamilies.size) {
        const gen = this.#generation;
        this.#staleTimer?.cancel();
        this.#staleTimer = this.#ctx.clock.setTimeout(() => {
          if (gen === this.#generation) for (const f of [...this.#staleFamilies]) this.#sweep(f);
        }, (this.#ctx.gracefulRestart?.stalePathTime ?? 360) * 1000);
      }
    }
    // RFC 4684 §6: send the peer VPN routes once its route-target membership is known. A peer that has
    // just restarted (R bit) sends its membership only when its own selection deferral ends (RFC 4724
    // §4.1): wait for it as long as it said a restart may take.
    this.#vpnReady = !this.#families.has('route-target');
    this.#log.info({ families: n.families, holdTime: n.holdTime, routerId: n.peerOpen.routerId }, 'bgp session established');
    this.#ctx.emit({ type: 'established', peer: this.address, families: n.families });
    if (this.#neg !== n) return; // a listener ended the session
    for (const f of ['route-target', 'inet', ...VPN_FAMILIES] as const) if (this.#sending(f)) this.#scan(f, { eor: true });
    if (!this.#vpnReady) {
      const gen = this.#generation;
      const peerGr = n.peerGracefulRestart;
      const wait = peerGr?.restarting ? Math.max(this.#ctx.rtcWait, peerGr.restartTime) : this.#ctx.rtcWait;
      this.#rtcTimer?.cancel();
      this.#rtcTimer = this.#ctx.clock.setTimeout(() => {
        if (gen === this.#generation) this.#startVpn();
      }, wait * 1000);
    }
  }

  /** Does the peer get routes of family f now (session up, negotiated, membership known, not deferred)? */
  #sending(f: Family): boolean {
    return this.#neg !== undefined && this.#families.has(f) && (this.#vpnReady || !VPN_FAMILIES.includes(f)) && !this.#ctx.deferred(f);
  }

  #startVpn(): void {
    if (this.#vpnReady) return;
    this.#vpnReady = true;
    this.#rtcTimer?.cancel();
    this.#rtcTimer = undefined;
    for (const f of VPN_FAMILIES) if (this.#sending(f)) this.#scan(f, { eor: true });
  }

  /** The speaker's selection deferral ended for f: send the initial routes and End-of-RIB now. */
  release(f: Family): void {
    if (this.#sending(f)) this.#scan(f, { eor: true });
  }

  /** A whole-table pass of family f, through ADD-PATH when the session sends f with path identifiers. */
  #scan(f: Family, o: { eor?: boolean; force?: boolean }): void {
    const ap = this.#addPath.get(f);
    if (ap) ap.scan(o);
    else this.#export.scan(f, o);
  }

  #closeAddPath(): void {
    for (const ap of this.#addPath.values()) ap.close();
    this.#addPath.clear();
  }

  #onDown(d: SessionDown): void {
    this.#generation++;
    this.#neg = undefined;
    this.#flapCount++;
    this.#flapTime = this.#ctx.wallNow();
    this.#establishedAt = null;
    this.#target = undefined;
    this.#export.close();
    this.#closeAddPath();
    this.#rtcTimer?.cancel();
    this.#staleTimer?.cancel();
    const gr = this.#ctx.gracefulRestart && this.config.gracefulRestart !== false;
    const peerGr = this.#lastPeerGr;
    if (d.graceful && gr && peerGr && !this.#removed) {
      // RFC 4724 §4.2: keep the families the peer listed in its capability, drop the others now.
      let n = 0;
      for (const [f, t] of this.#ctx.tables) {
        if (peerGr.families.has(f) && this.#families.has(f)) {
          n += t.markStale(this.source.id);
          this.#staleFamilies.add(f);
        } else if (!this.#staleFamilies.has(f)) t.removeSource(this.source.id);
      }
      this.#restartTimer?.cancel();
      this.#restartTimer = this.#ctx.clock.setTimeout(() => {
        for (const f of [...this.#staleFamilies]) this.#sweep(f);
      }, peerGr.restartTime * 1000);
      this.#log.warn({ reason: d.message, stalePaths: n, restartTime: peerGr.restartTime }, 'bgp session down, keeping routes as stale (graceful restart)');
    } else {
      for (const t of this.#ctx.tables.values()) t.removeSource(this.source.id);
      this.#staleFamilies.clear();
      this.#rtc = new RtMembership();
      this.#log.warn({ reason: d.message }, 'bgp session down');
    }
    this.#ctx.emit({ type: 'down', peer: this.address, reason: d.message, graceful: d.graceful });
  }

  #lastPeerGr: Negotiated['peerGracefulRestart'];

  #sweep(f: Family): void {
    if (!this.#staleFamilies.delete(f)) return;
    const n = this.#ctx.tables.get(f)?.sweepStale(this.source.id) ?? 0;
    if (f === 'route-target') this.#rebuildRtc();
    if (n) this.#log.info({ family: f, paths: n }, 'swept stale paths');
  }

  // ---- input ----------------------------------------------------------------------------------------

  #onMessage(type: number, b: Uint8Array, off: number, len: number): void {
    if (type === MsgType.ROUTE_REFRESH) {
      const f = familyOf((b[off + 19] << 8) | b[off + 20], b[off + 22]);
      if (f && this.#sending(f)) this.#scan(f, { eor: true, force: true });
      return;
    }
    try {
      this.#onUpdate(b, off, len);
    } catch (err) {
      if (!(err instanceof BgpError)) throw err;
      this.#log.warn({ code: err.code, error: err.message }, 'malformed UPDATE, resetting the session');
      this.session.reset(err.notifyCode, err.notifySubcode, err.data, err.message);
    }
  }

  #onUpdate(b: Uint8Array, off: number, len: number): void {
    const r = this.#receiver.apply(b, off, len, {
      tables: this.#ctx.tables, pool: this.#ctx.pool, me: this.#ctx.me, source: this.source.id, kind: this.kind,
      families: this.#families, as4: this.#neg?.as4 ?? true, onRtc: this.#onRtc,
    });
    if (r.endOfRib) {
      this.#onEndOfRib(r.endOfRib);
      return;
    }
    if (r.withdrawn) this.#log.warn({ code: r.withdrawn.code, error: r.withdrawn.message }, 'UPDATE treated as withdraw (RFC 7606)');
    for (const e of r.discarded) this.#log.warn({ code: e.code, error: e.message }, 'attribute discarded (RFC 7606)');
    if (r.touched.has('route-target')) this.#rtcChanged();
    this.#checkMaxPrefix(r.touched);
  }

  readonly #onRtc = (key: Uint8Array, added: boolean): void => {
    if (added) this.#rtc.add(key);
    else this.#rtc.remove(key);
  };

  #onEndOfRib(f: Family): void {
    if (!this.#families.has(f)) return;
    this.#sweep(f);
    if (f === 'route-target') this.#startVpn();
    this.#ctx.emit({ type: 'end-of-rib', peer: this.address, family: f });
  }

  #checkMaxPrefix(touched: ReadonlySet<Family>): void {
    const m = this.#maxPrefix;
    if (!m) return;
    for (const f of touched) {
      const n = this.#ctx.tables.get(f)?.countBySource(this.source.id) ?? 0;
      if (n <= m.limit) continue;
      const [afi, safi] = familyAfiSafi(f);
      const data = Uint8Array.of(afi >> 8, afi & 255, safi, (m.limit >>> 24) & 255, (m.limit >>> 16) & 255, (m.limit >>> 8) & 255, m.limit & 255);
      this.#log.warn({ family: f, paths: n, limit: m.limit }, 'maximum prefixes exceeded');
      this.session.reset(ErrCode.CEASE, CeaseSub.MAX_PREFIXES, data, `${n} ${f} paths exceed the limit of ${m.limit}`, m.restartAfter === undefined ? null : m.restartAfter * 1000);
      return;
    }
  }

  // ---- route-target membership ----------------------------------------------------------------------

  #rebuildRtc(): void {
    const m = new RtMembership();
    const t = this.#ctx.tables.get('route-target');
    if (t) for (const r of t.routes()) if (r.paths.some((p) => p.source === this.source.id)) m.add(keyBytes(r.key));
    this.#rtc = m;
    this.#rtcChanged();
  }

  #rtcChanged(): void {
    if (this.#rescanScheduled || !this.#neg || !this.#families.has('route-target')) return;
    this.#rescanScheduled = true;
    setImmediate(() => {
      this.#rescanScheduled = false;
      for (const f of VPN_FAMILIES) if (this.#sending(f)) this.#export.scan(f);
    });
  }

  /** Does the peer want a VPN route with these attributes (RFC 4684)? Peers without RTC want all (or what vpnExportFilter passes). */
  #wanted(f: Family, attrs: PathAttributes): boolean {
    if (!VPN_FAMILIES.includes(f)) return true;
    if (!this.#families.has('route-target')) return this.config.vpnExportFilter?.(f, attrs) ?? true;
    return this.#rtc.wants(routeTargetsOf(attrs));
  }

  /** Re-evaluates the VPN routes sent to a peer without route-target membership (its vpnExportFilter changed). */
  reexport(): void {
    if (this.#families.has('route-target')) return;
    for (const f of VPN_FAMILIES) if (this.#sending(f)) this.#export.scan(f);
  }

  // ---- output ---------------------------------------------------------------------------------------

  /** A table batch of family f: mark what may change for this peer (its export looks at it in a later step). */
  onTouched(f: Family, t: RouteTable, batch: TouchedBatch): void {
    if (this.#addPath.has(f)) return; // follows the table itself once its first pass ran
    if (this.#sending(f)) this.#export.touched(f, t, batch);
  }

  /**
   * The encoded attributes a path of `src` goes out with to this peer, or undefined when the peer must not get
   * it (split horizon, reflection rules, well-known communities, route-target membership). Memoized per
   * interned attribute set and session.
   */
  #group(f: Family, src: SourceInfo, attrs: PathAttributes): AttrGroup | undefined {
    const target = this.#target;
    if (!target || !mayExport(src, attrs, target) || !this.#wanted(f, attrs)) return undefined;
    let m = this.#exportCache.get(attrs);
    if (!m) {
      m = new Map();
      this.#exportCache.set(attrs, m);
    }
    // The encoding depends on the family, the source's kind and, for reflected routes, its router id.
    const k = (src.kind === 'ibgp' ? src.routerId : 0) * 16 + KIND_INDEX[src.kind] * 4 + FAMILY_INDEX[f];
    let g = m.get(k);
    if (g === undefined) {
      const out = exportAttributes(src, attrs, target, this.#ctx.me);
      const as4 = this.#neg?.as4 ?? true;
      try {
        const id = ++this.#groupSeq;
        if (f === 'inet') g = { id, attrs: encodeAttributes(out, { as4, nextHopAttribute: true }), nextHop: new Uint8Array(0) };
        else g = { id, attrs: encodeAttributes(out, { as4, nextHopAttribute: false }), nextHop: encodeMpNextHop(f, out.nextHop ?? target.localAddress) };
      } catch (err) {
        this.#log.error({ error: (err as Error).message }, 'cannot encode a route for this peer; not advertised');
        g = null;
      }
      m.set(k, g);
    }
    return g ?? undefined;
  }

  // ---- introspect -----------------------------------------------------------------------------------

  status(): PeerStatus {
    const n = this.#neg;
    const prefixes: Partial<Record<Family, { in: number; out: number }>> = {};
    for (const f of this.config.families) {
      prefixes[f] = { in: this.#ctx.tables.get(f)?.countBySource(this.source.id) ?? 0, out: this.#addPath.get(f)?.sent ?? this.#export.sent(f) };
    }
    const now = this.#ctx.wallNow();
    return {
      name: this.config.name ?? this.config.address,
      address: this.config.address,
      port: this.config.port,
      asn: this.config.asn,
      localAsn: this.#ctx.me.asn,
      type: this.kind === 'ibgp' ? 'internal' : 'external',
      rrClient: this.config.rrClient ?? false,
      passive: this.config.passive ?? false,
      families: this.config.families,
      negotiatedFamilies: n ? n.families : [],
      state: this.session.state,
      sendState: this.#export.inSync ? 'in sync' : 'not in sync',
      routerId: n ? n.peerOpen.routerId : null,
      holdTime: n ? n.holdTime : null,
      localAddress: n ? n.localAddress : null,
      flapCount: this.#flapCount,
      flapTime: this.#flapTime,
      establishedAt: this.#establishedAt,
      uptimeMs: this.#establishedAt === null ? 0 : now - this.#establishedAt,
      lastError: this.session.lastError ?? null,
      prefixes,
      messages: { in: stats(this.session.received), out: stats(this.session.sent) },
      gracefulRestart: {
        peerRestartTime: n?.peerGracefulRestart?.restartTime ?? this.#lastPeerGr?.restartTime ?? null,
        peerRestarting: (n?.peerGracefulRestart ?? this.#lastPeerGr)?.restarting ?? false,
        staleFamilies: [...this.#staleFamilies],
      },
      maxPrefix: this.#maxPrefix ?? null,
    };
  }
}
