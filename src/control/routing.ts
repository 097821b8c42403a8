// The routing side of a control node: one BGP speaker (route reflector for the agents, iBGP mesh with the
// other control nodes, sessions with gateways), its master tables, one Vrf per routing instance, and the
// modules that move routes between them: VPN → VRF import (replicator), RTC origination for the agents'
// subscriptions, static routes exported VRF → VPN, and external VRFs exported as inet routes.
// Everything here runs on the event loop of the speaker; config arrives as whole desired states
// (applyInstances, applyPeers) and is applied as differences, so nothing restarts when a policy or a
// route target changes. The ASN and the graceful-restart capability are fixed per speaker: when they
// change the control node builds a new runtime.
import type { Logger } from '../common/log.js';
import { Buffer } from 'node:buffer';
import { Speaker, routeTargetsOf, type PeerConfig } from '../bgp/index.js';
import type { PathAttributes } from '../bgp/wire/attributes.js';
import { formatExtCommunity } from '../bgp/wire/ext-community.js';
import { LOCAL_SOURCE } from '../bgp/rib/sources.js';
import type { RouteTable } from '../bgp/rib/table.js';
import { FAMILIES, type Family } from '../bgp/wire/constants.js';
import type { PeerSpec, SpeakerSettings, InstanceSpec, PeerKind } from './config-model.js';
import { FipExporter } from './fip-export.js';
import { MASTER_INSTANCE, MASTER_TABLES } from './names.js';
import { Replicator, sameKey, vpnToInetKey } from './replicator.js';
import { RtcOriginator } from './rtc-originator.js';
import { StaticRoutes } from './static-routes.js';
import { Vrf, targetKey } from './vrf.js';

/** Largest ECMP set of inet.0 (the nodes hosting one public address). */
const INET_MAX_PATHS = 64;

export interface RoutingOptions {
  readonly settings: SpeakerSettings;
  readonly routerId: string;
  /** Address to listen on and to connect from. */
  readonly bgpAddress: string;
  /** 0 picks a free port. */
  readonly bgpPort: number;
  /** Hold time we propose (seconds, default 90). */
  readonly holdTime?: number;
  readonly connectRetryTime?: number;
  /**
   * With graceful restart: seconds the start's route-selection deferral waits for a configured agent or
   * control node that has not connected (default 10); established peers are waited for up to
   * end_of_rib_timeout.
   */
  readonly grPeerWaitTime?: number;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** Default wait for a configured peer that has not reconnected after our start (agents retry every 2 s). */
export const GR_PEER_WAIT = 10;

/** One table of this control node as introspect lists it. */
export interface TableRef {
  readonly name: string;
  readonly instance: string;
  readonly family: Family;
  readonly table: RouteTable;
  readonly vrf: Vrf | undefined;
}

export class RoutingRuntime {
  readonly speaker: Speaker;
  readonly settings: SpeakerSettings;
  readonly #log: Logger;
  readonly #opts: RoutingOptions;
  readonly #vrfs = new Map<string, Vrf>();
  readonly #peers = new Map<string, PeerSpec>();
  readonly #kinds = new Map<number, PeerKind>();
  readonly #inet: Replicator;
  readonly #evpn: Replicator;
  readonly #rtc: RtcOriginator;
  readonly #statics: StaticRoutes;
  readonly #fip: FipExporter;
  #gatewayTargets: ReadonlySet<string> = new Set();
  #nextVrfId = 1;
  #freeVrfIds: number[] = [];

  constructor(o: RoutingOptions) {
    this.#opts = o;
    this.#log = o.logger;
    this.settings = o.settings;
    const gr = o.settings.gracefulRestart;
    this.speaker = new Speaker({
      asn: o.settings.asn,
      routerId: o.routerId,
      listen: { port: o.bgpPort, address: o.bgpAddress },
      holdTime: o.holdTime ?? 90,
      connectRetryTime: o.connectRetryTime ?? 5,
      // inet.0 holds one exported path per node hosting a public address (fip-export.ts): all of them form
      // the ECMP set that ADD-PATH sends to gateways
      maxPaths: { inet: INET_MAX_PATHS },
      // With graceful restart every start counts as a restart (RFC 4724 §4.1; a process cannot tell a first
      // start from a restart, and deferring a first start costs little): the R bit is set and nothing is
      // sent until the agents and control nodes that come back have sent their End-of-RIB, so that they
      // never see a partial table followed by End-of-RIB.
      ...(gr.enable ? {
        gracefulRestart: {
          restartTime: gr.restartTime, forwarding: [...FAMILIES], stalePathTime: gr.endOfRibTimeout,
          restarting: true, selectionDeferral: { time: gr.endOfRibTimeout, peerWait: o.grPeerWaitTime ?? GR_PEER_WAIT },
        },
      } : {}),
      logger: o.logger.child({ component: 'bgp' }),
      ...(o.now ? { now: o.now } : {}),
    });
    const s = this.speaker;
    this.#statics = new StaticRoutes({
      routerId: o.routerId,
      originateVpn: (nlri, attrs, labels) => this.#try(() => s.originate({ nlri, attrs, labels }), 'static route export'),
      withdrawVpn: (nlri) => s.withdraw(nlri),
    });
    this.#inet = new Replicator({
      vpn: s.table('inet-vpn'), vrfTable: (v) => v.inet, mapKey: vpnToInetKey, pool: s.pool,
      originOf: (k) => this.#statics.originOf(k),
    });
    this.#evpn = new Replicator({ vpn: s.table('e-vpn'), vrfTable: (v) => v.evpn, mapKey: sameKey, pool: s.pool });
    this.#rtc = new RtcOriginator({
      table: s.table('route-target'),
      sources: s.sources,
      asn: o.settings.asn,
      isAgent: (id) => this.#kinds.get(id) === 'agent',
      originate: (nlri) => this.#try(() => s.originate({ nlri }), 'RTC origination'),
      withdraw: (nlri) => s.withdraw(nlri),
    });
    this.#fip = new FipExporter({
      eligible: (id) => {
        const k = this.#kinds.get(id);
        return k === 'agent' || k === 'control-node';
      },
      originate: (nlri, attrs, pathId) => this.#try(() => s.originate({ nlri, attrs, pathId }), 'inet export'),
      withdraw: (nlri, pathId) => s.withdraw(nlri, pathId),
    });
  }

  #try(f: () => unknown, what: string): void {
    try {
      f();
    } catch (err) {
      this.#log.error({ err: (err as Error).message }, `${what} failed`);
    }
  }

  async start(): Promise<void> {
    await this.speaker.start();
  }

  async stop(): Promise<void> {
    this.#inet.close();
    this.#evpn.close();
    this.#rtc.close();
    this.#statics.close();
    this.#fip.close();
    await this.speaker.stop();
  }

  get bgpPort(): number {
    return this.speaker.port;
  }

  // ---- instances ------------------------------------------------------------------------------

  /** Makes the VRFs match the instance specs: creates, updates (targets, VN, statics), deletes. */
  applyInstances(specs: readonly InstanceSpec[]): void {
    const want = new Map(specs.map((s) => [s.name, s]));
    for (const [name, v] of [...this.#vrfs]) {
      if (!want.has(name)) {
        this.#vrfs.delete(name);
        this.#freeVrfIds.push(v.id);
        this.#log.info({ instance: name }, 'routing instance deleted');
      }
    }
    for (const spec of want.values()) {
      const v = this.#vrfs.get(spec.name);
      if (!v) {
        const id = this.#freeVrfIds.pop() ?? this.#nextVrfId++;
        const s = this.speaker;
        this.#vrfs.set(spec.name, new Vrf(id, spec, {
          pool: s.pool, sources: s.sources, alwaysCompareMed: this.settings.alwaysCompareMed, ...(this.#opts.now ? { now: this.#opts.now } : {}),
          onListenerError: (err) => this.#log.error({ err: (err as Error).message, instance: spec.name }, 'VRF listener failed'),
        }));
        this.#log.info({ instance: spec.name, import: spec.importTargets, export: spec.exportTargets }, 'routing instance created');
      } else if (JSON.stringify(v.spec) !== JSON.stringify(spec)) {
        v.update(spec);
        this.#log.info({ instance: spec.name, import: spec.importTargets, export: spec.exportTargets }, 'routing instance updated');
      }
    }
    const vrfs = [...this.#vrfs.values()];
    // removed VRFs: their tables go with them; the replicators forget them on the re-evaluation below
    this.#inet.setVrfs(vrfs);
    this.#evpn.setVrfs(vrfs);
    this.#statics.setVrfs(vrfs);
    this.#fip.setVrfs(vrfs.filter((v) => v.spec.external));
  }

  vrf(name: string): Vrf | undefined {
    return this.#vrfs.get(name);
  }

  vrfs(): Vrf[] {
    return [...this.#vrfs.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** VRFs the VPN destination `d` of a VPN table was imported into. */
  importedInto(family: 'inet-vpn' | 'e-vpn', d: number): readonly Vrf[] {
    return (family === 'inet-vpn' ? this.#inet : this.#evpn).vrfsOf(d);
  }

  /** The VRF whose network has this VN index (its default instance first). */
  vrfByVnIndex(vnIndex: number): Vrf | undefined {
    let found: Vrf | undefined;
    for (const v of this.#vrfs.values()) {
      if (v.spec.vnIndex !== vnIndex) continue;
      if (v.spec.isDefault) return v;
      found ??= v;
    }
    return found;
  }

  /** prefix → next hops an external VRF sends as inet routes. */
  inetExports(v: Vrf): ReadonlyMap<string, readonly string[]> {
    return this.#fip.exported(v);
  }

  /** Targets originated as RTC routes on behalf of the agents. */
  rtcTargets(): string[] {
    return this.#rtc.targets();
  }

  /** Master tables, then each VRF's inet and evpn tables. */
  tables(): TableRef[] {
    const out: TableRef[] = [];
    for (const f of ['inet', 'inet-vpn', 'route-target', 'e-vpn'] as const) {
      out.push({ name: MASTER_TABLES[f], instance: MASTER_INSTANCE, family: f, table: this.speaker.table(f), vrf: undefined });
    }
    for (const v of this.vrfs()) {
      out.push({ name: v.inet.name, instance: v.name, family: 'inet', table: v.inet, vrf: v });
      out.push({ name: v.evpn.name, instance: v.name, family: 'e-vpn', table: v.evpn, vrf: v });
    }
    return out;
  }

  // ---- peers ----------------------------------------------------------------------------------

  /** Makes the speaker's peers match the specs: a changed spec is a new session. */
  applyPeers(specs: readonly PeerSpec[]): void {
    const want = new Map(specs.map((p) => [p.address, p]));
    let changed = false;
    for (const [addr, cur] of [...this.#peers]) {
      const next = want.get(addr);
      if (next && JSON.stringify(next) === JSON.stringify(cur)) continue;
      this.speaker.removePeer(addr);
      this.#peers.delete(addr);
      changed = true;
      this.#log.info({ peer: addr, kind: cur.kind }, 'peer removed');
    }
    for (const p of want.values()) {
      if (this.#peers.has(p.address)) continue;
      try {
        this.speaker.addPeer(this.#peerConfig(p));
        this.#peers.set(p.address, p);
        changed = true;
        this.#log.info({ peer: p.address, kind: p.kind, name: p.name, families: p.families }, 'peer added');
      } catch (err) {
        this.#log.error({ peer: p.address, err: (err as Error).message }, 'peer not added');
      }
    }
    if (!changed) return;
    this.#kinds.clear();
    for (const s of this.speaker.sources.all()) {
      if (s.id === LOCAL_SOURCE) continue;
      const p = this.#peers.get(s.address);
      if (p) this.#kinds.set(s.id, p.kind);
    }
    this.#rtc.refresh();
    this.#fip.refresh();
  }

  /**
   * Sets the targets of VPN routes sent to routers that do not speak route-target membership (bird2, a
   * router without RTC): the operator-configured targets of gatewayTargets(); re-evaluates those sessions.
   */
  setGatewayTargets(targets: readonly string[]): void {
    const next = new Set(targets.map(targetKey));
    if (next.size === this.#gatewayTargets.size && [...next].every((t) => this.#gatewayTargets.has(t))) return;
    this.#gatewayTargets = next;
    for (const p of this.#peers.values()) if (p.kind === 'router' || p.kind === 'external-control-node') this.speaker.reexport(p.address);
  }

  gatewayTargets(): string[] {
    return [...this.#gatewayTargets].map((k) => formatExtCommunity(Buffer.from(k, 'latin1'), 0)).sort();
  }

  #gatewayWants = (_f: Family, attrs: PathAttributes): boolean => {
    for (const rt of routeTargetsOf(attrs)) if (this.#gatewayTargets.has(rt)) return true;
    return false;
  };

  #peerConfig(p: PeerSpec): PeerConfig {
    const router = p.kind === 'router' || p.kind === 'external-control-node';
    return {
      // gateways get every node hosting a public address as a path of its own (ADD-PATH, when they offer
      // to receive it), so they balance over all of them as the original's gateway does over VPN routes
      ...(router ? { vpnExportFilter: this.#gatewayWants, addPathSend: ['inet'] as const } : {}),
      address: p.address,
      port: p.port,
      localAddress: this.#opts.bgpAddress,
      asn: p.asn,
      families: p.families,
      passive: p.passive,
      rrClient: p.rrClient,
      name: p.name,
      // VPN and inet routes keep the hosting node as next hop, toward every kind of peer
      nextHopSelf: false,
      gracefulRestart: p.gracefulRestart,
      ...(p.holdTime !== undefined ? { holdTime: p.holdTime } : {}),
    };
  }

  peerSpec(address: string): PeerSpec | undefined {
    return this.#peers.get(address);
  }

  peerSpecs(): PeerSpec[] {
    return [...this.#peers.values()];
  }

  /** The kind of peer a path source is ('local' for this node), for introspect. */
  sourceKind(sourceId: number): PeerKind | 'local' | undefined {
    return sourceId === LOCAL_SOURCE ? 'local' : this.#kinds.get(sourceId);
  }
}
