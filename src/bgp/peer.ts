// One configured neighbour of a Speaker: its session, what it sent us (paths of its source in the shared
// tables), what we sent it (Adj-RIB-Out as the set of advertised keys per family), route-target
// membership for outbound filtering (RFC 4684), graceful-restart helper state (RFC 4724 §4.2), max-prefix
// (RFC 4486 Cease/1) and counters for introspect. All of it runs on the speaker's one event loop turn at a
// time; the tables publish diffs in batches that Peer.offer turns into queued UPDATEs.
import { Buffer } from 'node:buffer';
import type { Logger } from '../common/log.js';
import {
  CeaseSub, ErrCode, MsgType, BgpError, encodeAttributes, encodeMpNextHop, encodeNlri, encodeRouteRefresh, familyAfiSafi,
  familyOf, nlriFromKey, parseExtCommunity, isRouteTargetAt, wireFromKey, type Family, type PathAttributes,
} from './wire/index.js';
import { UpdateReceiver } from './inbound.js';
import { RtMembership } from './rib/rtc-filter.js';
import { keyBytes, type Path, type RouteTable } from './rib/table.js';
import type { AttrPool } from './rib/attr-pool.js';
import type { SourceInfo, SourceRegistry } from './rib/sources.js';
import { Session, type Negotiated, type SessionDown, type SessionState, type GracefulRestartConfig } from './fsm/session.js';
import type { Clock, Timer } from './fsm/clock.js';
import type { Connector, Transport } from './fsm/transport.js';
import { OutQueue, type AttrGroup } from './out-queue.js';
import { exportAttributes, mayExport, type ExportTarget, type LocalIdentity } from './export-policy.js';
import { DEFAULT_FAMILIES, type MaxPrefix, type PeerConfig } from './config.js';

const VPN_FAMILIES: readonly Family[] = ['inet-vpn', 'e-vpn'];
const FAMILY_INDEX: Readonly<Record<Family, number>> = { inet: 0, 'inet-vpn': 1, 'route-target': 2, 'e-vpn': 3 };
const KIND_INDEX = { local: 0, ebgp: 1, ibgp: 2 } as const;

/** A table batch grouped by the best path's (source, attribute set); `unreachable`: no best path left. */
export interface TouchedBatch {
  readonly groups: readonly { readonly source: number; readonly attrId: number; readonly ids: number[] }[];
  readonly unreachable: readonly number[];
}

export function groupTouched(t: RouteTable, ids: readonly number[]): TouchedBatch {
  const bySource = new Map<number, Map<number, number[]>>();
  const groups: { source: number; attrId: number; ids: number[] }[] = [];
  const unreachable: number[] = [];
  let last: { source: number; attrId: number; ids: number[] } | undefined;
  for (const d of ids) {
    const src = t.bestSourceAt(d);
    if (src < 0) {
      unreachable.push(d);
      continue;
    }
    const attrId = t.bestAttrIdAt(d);
    // Routes of one UPDATE arrive together: most destinations join the group of the one before.
    if (last && last.source === src && last.attrId === attrId) {
      last.ids.push(d);
      continue;
    }
    let m = bySource.get(src);
    if (!m) {
      m = new Map<number, number[]>();
      bySource.set(src, m);
    }
    let list = m.get(attrId);
    if (!list) {
      list = [];
      m.set(attrId, list);
      groups.push({ source: src, attrId, ids: list });
    }
    list.push(d);
    last = { source: src, attrId, ids: list };
  }
  return { groups, unreachable };
}

/** What was last advertised for a destination (Adj-RIB-Out entry). */
interface Sent {
  readonly key: string;
  readonly group: AttrGroup;
  readonly label: number;
  /** The NLRI as sent when the key alone does not rebuild it (EVPN, label stacks). */
  readonly nlri: Uint8Array | null;
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
const DUMP_SLICE = 4096;
const OUT_HIGH_WATER = 50_000;

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
  #out = new OutQueue();
  #adjOut = new Map<Family, Map<number, Sent>>();
  #flushScheduled = false;
  #writeBlocked = false;
  #dumpsRunning = 0;
  #dumpWaiters: (() => void)[] = [];
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
  #exportCache = new WeakMap<PathAttributes, Map<number, AttrGroup>>();
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
    const gr = config.gracefulRestart === false ? undefined : ctx.gracefulRestart;
    this.session = new Session(
      {
        localAs: ctx.me.asn, routerId: ctx.me.routerId, peerAs: config.asn, peerAddress: config.address, peerPort: this.config.port,
        ...(config.localAddress ? { localAddress: config.localAddress } : {}),
        holdTime: config.holdTime ?? ctx.holdTime, connectRetryTime: ctx.connectRetryTime, idleHoldTime: ctx.idleHoldTime,
        passive: config.passive ?? false, families: this.config.families, ...(gr ? { gracefulRestart: gr } : {}),
      },
      {
        clock: ctx.clock,
        connect: ctx.connect,
        events: {
          established: (n) => this.#onEstablished(n),
          down: (d) => this.#onDown(d),
          message: (type, b, off, len) => this.#onMessage(type, b, off, len),
          stateChange: (from, to) => this.#log.debug({ from, to }, 'bgp session state'),
          drain: () => this.#onDrain(),
        },
      },
    );
  }

  get address(): string {
    return this.config.address;
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
    this.#out.clear();
    this.#adjOut.clear();
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
    this.#log.info({ families: n.families, holdTime: n.holdTime, routerId: n.peerOpen.routerId }, 'bgp session established');
    this.#ctx.emit({ type: 'established', peer: this.address, families: n.families });
    // RFC 4684 §6: send the peer VPN routes once its route-target membership is known.
    this.#vpnReady = !this.#families.has('route-target');
    const order: Family[] = ['route-target', 'inet', ...VPN_FAMILIES];
    for (const f of order) if (this.#families.has(f) && (this.#vpnReady || !VPN_FAMILIES.includes(f))) this.#dump(f);
    if (!this.#vpnReady) {
      const gen = this.#generation;
      this.#rtcTimer?.cancel();
      this.#rtcTimer = this.#ctx.clock.setTimeout(() => {
        if (gen === this.#generation) this.#startVpn();
      }, this.#ctx.rtcWait * 1000);
    }
  }

  #startVpn(): void {
    if (this.#vpnReady) return;
    this.#vpnReady = true;
    this.#rtcTimer?.cancel();
    this.#rtcTimer = undefined;
    for (const f of VPN_FAMILIES) if (this.#families.has(f)) this.#dump(f);
  }

  #onDown(d: SessionDown): void {
    this.#generation++;
    this.#neg = undefined;
    this.#flapCount++;
    this.#flapTime = this.#ctx.wallNow();
    this.#establishedAt = null;
    this.#out.clear();
    this.#adjOut.clear();
    this.#rtcTimer?.cancel();
    this.#staleTimer?.cancel();
    this.#dumpsRunning = 0;
    this.#writeBlocked = false;
    for (const w of this.#dumpWaiters.splice(0)) w();
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
      if (f && this.#families.has(f) && (this.#vpnReady || !VPN_FAMILIES.includes(f))) {
        this.#adjOut.get(f)?.clear();
        this.#dump(f);
      }
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
      if (!this.#vpnReady || !this.#neg) return;
      for (const f of VPN_FAMILIES) if (this.#families.has(f)) this.#dump(f, true);
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
    if (!this.#neg || !this.#vpnReady || this.#families.has('route-target')) return;
    for (const f of VPN_FAMILIES) if (this.#families.has(f)) this.#dump(f, true);
  }

  // ---- output ---------------------------------------------------------------------------------------

  #target(): ExportTarget | undefined {
    const n = this.#neg;
    if (!n) return undefined;
    return {
      sourceId: this.source.id, kind: this.kind, asn: this.config.asn, rrClient: this.config.rrClient ?? false,
      nextHopSelf: this.config.nextHopSelf ?? this.kind === 'ebgp', localAddress: n.localAddress.replace(/^::ffff:/, ''),
    };
  }

  /**
   * Destinations of a family's table touched in a batch (RouteTable.subscribeIds), grouped once for all peers
   * by the (source, attribute set) of their best path: each peer decides once per group.
   */
  onTouched(f: Family, t: RouteTable, batch: TouchedBatch): void {
    if (!this.#neg || !this.#families.has(f) || (VPN_FAMILIES.includes(f) && !this.#vpnReady)) return;
    const target = this.#target()!;
    const sent = this.#adjOutOf(f);
    for (const g of batch.groups) {
      let exportable = g.source !== this.source.id;
      if (exportable) {
        const attrs = this.#ctx.pool.get(g.attrId).attrs;
        exportable = mayExport(this.#ctx.sources.get(g.source), attrs, target) && this.#wanted(f, attrs);
      }
      if (exportable) for (const d of g.ids) this.#offer(f, t, d, t.bestAt(d), target);
      else if (f === 'route-target') for (const d of g.ids) this.#offer(f, t, d, t.bestExcludingAt(d, this.source.id), target);
      else if (sent.size) for (const d of g.ids) if (sent.has(d)) this.#offer(f, t, d, undefined, target);
    }
    if (sent.size) for (const d of batch.unreachable) if (sent.has(d)) this.#offer(f, t, d, undefined, target);
    this.#kick();
  }

  /**
   * Offers destination d to this peer, deciding first from its best path's (source, attribute set) — memoized
   * per batch — so that destinations the peer will not get cost no objects.
   */
  #consider(f: Family, t: RouteTable, d: number, target: ExportTarget, memo: Map<number, boolean>): void {
    const src = t.bestSourceAt(d);
    let exportable = src >= 0 && src !== this.source.id;
    if (exportable) {
      const attrId = t.bestAttrIdAt(d);
      const k = src * 0x200000 + attrId;
      const known = attrId < 0x200000 ? memo.get(k) : undefined;
      if (known !== undefined) exportable = known;
      else {
        const attrs = this.#ctx.pool.get(attrId).attrs;
        exportable = mayExport(this.#ctx.sources.get(src), attrs, target) && this.#wanted(f, attrs);
        if (attrId < 0x200000) memo.set(k, exportable);
      }
    }
    if (exportable) this.#offer(f, t, d, t.bestAt(d), target);
    else if (f === 'route-target' && src >= 0) {
      // RFC 4684 §3.2: route-target membership must reach every peer, so a peer whose own path is best gets
      // the best path from anyone else (a reflector's clients learn of each other's interest this way).
      this.#offer(f, t, d, t.bestExcludingAt(d, this.source.id), target);
    } else if (this.#adjOutOf(f).has(d)) this.#offer(f, t, d, undefined, target);
  }

  #adjOutOf(f: Family): Map<number, Sent> {
    let m = this.#adjOut.get(f);
    if (!m) {
      m = new Map();
      this.#adjOut.set(f, m);
    }
    return m;
  }

  /**
   * Announce, withdraw or leave destination d for this peer, against what was last sent for it. Adj-RIB-Out is
   * keyed by destination id: a destination's id does not change while it has paths, and its removal is
   * always seen here (tables publish touched ids before dropping empty destinations).
   */
  #offer(f: Family, t: RouteTable, d: number, best: Path | undefined, target: ExportTarget): void {
    const sent = this.#adjOutOf(f);
    const was = sent.get(d);
    let group: AttrGroup | undefined;
    if (best) {
      const src = this.#ctx.sources.get(best.source);
      if (mayExport(src, best.attrs, target) && this.#wanted(f, best.attrs)) group = this.#group(f, src, best.attrs, target);
    }
    if (group && best) {
      const special = f === 'e-vpn' || (best.extra?.labels?.length ?? 0) > 1;
      const key = was?.key ?? t.keyAt(d);
      const nlri = special ? this.#announceNlri(f, key, best) : null;
      if (was && was.group === group && was.label === best.label && sameBytes(was.nlri, nlri)) return;
      this.#out.announce(f, key, nlri ?? this.#announceNlri(f, key, best), group);
      sent.set(d, { key, group, label: best.label, nlri });
    } else if (was) {
      let nlri: Uint8Array;
      if (f === 'e-vpn' && was.nlri) nlri = was.nlri;
      else {
        const kb = keyBytes(was.key);
        const out = new Uint8Array(kb.length + 3);
        nlri = out.subarray(0, wireFromKey(f, kb, 0, kb.length, -1, true, out, 0));
      }
      this.#out.withdraw(f, was.key, nlri);
      sent.delete(d);
    }
  }

  #announceNlri(f: Family, key: string, p: Path): Uint8Array {
    if (p.extra?.nlri) return p.extra.nlri;
    const kb = keyBytes(key);
    if (p.extra?.labels && p.extra.labels.length > 1) return encodeNlri(nlriFromKey(f, kb), p.extra.labels);
    const out = new Uint8Array(kb.length + 3);
    return out.subarray(0, wireFromKey(f, kb, 0, kb.length, p.label, false, out, 0));
  }

  /** Encoded outgoing attributes for a path of `src` in family f, memoized per interned attribute set. */
  #group(f: Family, src: SourceInfo, attrs: PathAttributes, target: ExportTarget): AttrGroup | undefined {
    let m = this.#exportCache.get(attrs);
    if (!m) {
      m = new Map();
      this.#exportCache.set(attrs, m);
    }
    // The encoding depends on the family, the source's kind and, for reflected routes, its router id.
    const k = (src.kind === 'ibgp' ? src.routerId : 0) * 16 + KIND_INDEX[src.kind] * 4 + FAMILY_INDEX[f];
    let g = m.get(k);
    if (!g) {
      const out = exportAttributes(src, attrs, target, this.#ctx.me);
      const as4 = this.#neg?.as4 ?? true;
      try {
        if (f === 'inet') g = { attrs: encodeAttributes(out, { as4, nextHopAttribute: true }), nextHop: new Uint8Array(0) };
        else g = { attrs: encodeAttributes(out, { as4, nextHopAttribute: false }), nextHop: encodeMpNextHop(f, out.nextHop ?? target.localAddress) };
      } catch (err) {
        this.#log.error({ error: (err as Error).message }, 'cannot encode a route for this peer; not advertised');
        return undefined;
      }
      m.set(k, g);
    }
    return g;
  }

  /** Walks a table and offers every destination's best path; then End-of-RIB (not after a rescan). */
  #dump(f: Family, rescan = false): void {
    const t = this.#ctx.tables.get(f);
    const target = this.#target();
    if (!t || !target) return;
    const gen = this.#generation;
    let d = 0;
    this.#dumpsRunning++;
    const step = (): void => {
      if (gen !== this.#generation) return;
      const tg = this.#target();
      if (!tg) return;
      const end = Math.min(t.idLimit, d + DUMP_SLICE);
      const memo = new Map<number, boolean>(); // per slice: attribute ids may be reused between turns
      for (; d < end; d++) this.#consider(f, t, d, tg, memo);
      this.#kick();
      if (d < t.idLimit) {
        if (this.#out.size > OUT_HIGH_WATER) this.#dumpWaiters.push(() => setImmediate(step));
        else setImmediate(step);
        return;
      }
      this.#dumpsRunning--;
      if (!rescan) this.#out.endOfRib(f);
      this.#kick();
    };
    step();
  }

  #kick(): void {
    if (this.#flushScheduled || this.#writeBlocked) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    if (!this.#neg) return;
    const done = this.#out.drain((msg) => this.session.send(msg));
    if (!done) {
      this.#writeBlocked = true;
      return;
    }
    if (this.#out.size < OUT_HIGH_WATER) for (const w of this.#dumpWaiters.splice(0)) w();
  }

  #onDrain(): void {
    this.#writeBlocked = false;
    this.#flush();
  }

  // ---- introspect -----------------------------------------------------------------------------------

  status(): PeerStatus {
    const n = this.#neg;
    const prefixes: Partial<Record<Family, { in: number; out: number }>> = {};
    for (const f of this.config.families) {
      prefixes[f] = { in: this.#ctx.tables.get(f)?.countBySource(this.source.id) ?? 0, out: this.#adjOut.get(f)?.size ?? 0 };
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
      sendState: !n || (this.#out.empty && this.#dumpsRunning === 0 && !this.#writeBlocked) ? 'in sync' : 'not in sync',
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
        staleFamilies: [...this.#staleFamilies],
      },
      maxPrefix: this.#maxPrefix ?? null,
    };
  }
}
