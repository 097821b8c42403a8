// The control node process in a library call: follows the config API (routing instances, virtual
// networks, bgp-routers, virtual-routers, global-system-config) through an informer cache, and keeps a
// RoutingRuntime matching it — level-triggered: every change schedules one recompute of the whole
// desired state (pure, config-model.ts) and the runtime applies the difference. A change of the ASN or
// of the graceful-restart capability replaces the runtime (new speaker, sessions re-established). Serves
// introspect JSON, /metrics and /healthz. `startControlNode()` is what `tfctl serve control` runs; tests
// start it on port 0.
import { isIP } from 'node:net';
import { startIntrospect, type RunningServer } from '../common/http.js';
import { summarize, type ConnectionStatus, type HealthReport } from '../common/health.js';
import { createLogger, type Logger } from '../common/log.js';
import { Registry } from '../common/metrics.js';
import { errorMessage } from '../common/errors.js';
import { VncCache } from '../vnc/cache.js';
import { VncClient } from '../vnc/client.js';
import type { GlobalSystemConfig } from '../vnc/schema.js';
import { checkRouterId } from '../bgp/config.js';
import type { DeferralStatus } from '../bgp/selection-deferral.js';
import {
  gatewayTargets, instanceSpecs, peerSpecs, sameSettings, speakerSettings, type SpeakerSettings,
} from './config-model.js';
import { ControlOptionError, type ConfigProblem } from './errors.js';
import { introspectRoutes, type NodeStatusView } from './introspect.js';
import { MASTER_FQ_NAME, MODULE_ID } from './names.js';
import { RoutingRuntime } from './routing.js';

export const WATCHED_TYPES = ['global-system-config', 'virtual-router', 'bgp-router', 'virtual-network', 'routing-instance'] as const;

export interface ControlNodeOptions {
  /** Config API URL (or a client to share). */
  readonly configApi: string | VncClient;
  readonly adminToken?: string;
  /** Name of this node's bgp-router object (last fq_name element). */
  readonly name: string;
  readonly routerId: string;
  /** Address the BGP listener binds and outgoing sessions start from. */
  readonly bgpAddress: string;
  /** BGP port; 0 picks a free one (default 1179). */
  readonly bgpPort?: number;
  /** Introspect port; 0 picks a free one; false: none (default 8083). */
  readonly introspectPort?: number | false;
  readonly introspectHost?: string;
  /** Hold time we propose, seconds (default 90). */
  readonly holdTime?: number;
  /** Seconds between connection attempts (default 5). */
  readonly connectRetryTime?: number;
  /** With graceful restart: seconds the start's selection deferral waits for a peer that has not connected (default 10). */
  readonly grPeerWaitTime?: number;
  /** Create or update our own bgp-router object in the config (as the original's provision_control). */
  readonly register?: boolean;
  readonly logger?: Logger;
  readonly now?: () => number;
}

export class ControlNode {
  readonly name: string;
  readonly routerId: string;
  readonly bgpAddress: string;
  readonly registry = new Registry();
  readonly #opts: ControlNodeOptions;
  readonly #log: Logger;
  readonly #client: VncClient;
  readonly #ownsClient: boolean;
  readonly #cache: VncCache;
  #runtime: RoutingRuntime | undefined;
  #introspect: RunningServer | undefined;
  #problems: ConfigProblem[] = [];
  #scheduled = false;
  #applying: Promise<void> = Promise.resolve();
  #stopped = false;
  #applyCount = 0;
  #bgpPort: number;

  constructor(opts: ControlNodeOptions) {
    checkOptions(opts);
    this.#opts = opts;
    this.name = opts.name;
    this.routerId = opts.routerId;
    this.bgpAddress = opts.bgpAddress;
    this.#bgpPort = opts.bgpPort ?? 1179;
    this.#log = opts.logger ?? createLogger('control', { name: opts.name });
    this.#ownsClient = typeof opts.configApi === 'string';
    this.#client = typeof opts.configApi === 'string' ? new VncClient({ url: opts.configApi, adminToken: opts.adminToken }) : opts.configApi;
    this.#cache = new VncCache(this.#client, WATCHED_TYPES);
    this.#cache.on({ add: () => this.#schedule(), update: () => this.#schedule(), delete: () => this.#schedule() });
    this.#metrics();
  }

  /** The routing runtime (undefined until the config is synced). */
  get runtime(): RoutingRuntime | undefined {
    return this.#runtime;
  }

  get bgpPort(): number {
    return this.#runtime?.bgpPort ?? this.#bgpPort;
  }

  get introspectPort(): number | undefined {
    return this.#introspect?.port;
  }

  get configRevision(): number {
    return this.#cache.revision;
  }

  /** Config objects left out, with the reason. */
  get problems(): readonly ConfigProblem[] {
    return this.#problems;
  }

  /** Resolves after the config applied so far is in the runtime (tests: after a config write, await settled()). */
  async settled(): Promise<void> {
    for (;;) {
      const p = this.#applying;
      await p;
      await new Promise((r) => setImmediate(r));
      if (p === this.#applying && !this.#scheduled) return;
    }
  }

  async start(): Promise<void> {
    const port = this.#opts.introspectPort ?? 8083;
    if (port !== false) {
      this.#introspect = await startIntrospect({
        port, host: this.#opts.introspectHost ?? '127.0.0.1', registry: this.registry, health: () => this.health(),
        routes: introspectRoutes({ runtime: () => this.#runtime, routerId: this.routerId, status: () => this.status() }),
      });
    }
    await this.#cache.start();
    this.#schedule();
    await this.settled();
    // after the listener runs, so that the port registered is the one bound (also with port 0)
    if (this.#opts.register) await this.#register();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cache.close();
    await this.#applying.catch(() => undefined);
    await this.#runtime?.stop();
    this.#runtime = undefined;
    await this.#introspect?.close();
    if (this.#ownsClient) this.#client.close();
  }

  // ---- config → runtime --------------------------------------------------------------------------

  #schedule(): void {
    if (this.#scheduled || this.#stopped) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#applying = this.#applying.then(() => this.#apply()).catch((err: unknown) => {
        this.#log.error({ err: errorMessage(err) }, 'applying the config failed');
      });
    });
  }

  async #apply(): Promise<void> {
    if (this.#stopped) return;
    const c = this.#cache;
    const gsc = c.list('global-system-config')[0] as GlobalSystemConfig | undefined;
    const settings = speakerSettings(gsc);
    const problems: ConfigProblem[] = [];
    if (!this.#runtime || !sameSettings(this.#runtime.settings, settings)) await this.#replaceRuntime(settings);
    const rt = this.#runtime!;
    const specs = instanceSpecs(c.list('routing-instance'), c.list('virtual-network'), problems);
    rt.applyInstances(specs);
    rt.setGatewayTargets(gatewayTargets(c.list('virtual-network')));
    const peers = peerSpecs({
      self: { name: this.name, address: this.bgpAddress },
      settings,
      bgpRouters: c.list('bgp-router'),
      virtualRouters: c.list('virtual-router'),
    }, problems);
    rt.applyPeers(peers);
    for (const p of problems) if (!this.#problems.some((q) => q.message === p.message)) this.#log.warn({ code: p.code }, p.message);
    this.#problems = problems;
    this.#applyCount++;
  }

  async #replaceRuntime(settings: SpeakerSettings): Promise<void> {
    const old = this.#runtime;
    if (old) {
      this.#log.warn({ from: old.settings, to: settings }, 'ASN or graceful-restart settings changed: restarting the BGP speaker');
      this.#runtime = undefined;
      await old.stop();
    }
    const rt = new RoutingRuntime({
      settings, routerId: this.routerId, bgpAddress: this.bgpAddress, bgpPort: this.#bgpPort, logger: this.#log,
      ...(this.#opts.holdTime !== undefined ? { holdTime: this.#opts.holdTime } : {}),
      ...(this.#opts.connectRetryTime !== undefined ? { connectRetryTime: this.#opts.connectRetryTime } : {}),
      ...(this.#opts.grPeerWaitTime !== undefined ? { grPeerWaitTime: this.#opts.grPeerWaitTime } : {}),
      ...(this.#opts.now ? { now: this.#opts.now } : {}),
    });
    await rt.start();
    // keep the port across runtimes (a picked free port stays ours)
    this.#bgpPort = rt.bgpPort;
    this.#runtime = rt;
    this.#log.info({ asn: settings.asn, port: rt.bgpPort, address: this.bgpAddress, gracefulRestart: settings.gracefulRestart.enable }, 'BGP speaker started');
  }

  /** Creates or updates our bgp-router object (router_type control-node) with our address and port. */
  async #register(): Promise<void> {
    const fq = [...MASTER_FQ_NAME, this.name];
    const params = {
      router_type: 'control-node', vendor: 'contrail', address: this.bgpAddress, identifier: this.routerId,
      port: this.bgpPort, address_families: { family: ['route-target', 'inet-vpn', 'e-vpn'] },
    };
    try {
      const cur = await this.#client.readByFqName('bgp-router', fq).catch(() => undefined);
      if (!cur) await this.#client.create('bgp-router', { fq_name: fq, parent_type: 'routing-instance', bgp_router_parameters: params });
      else {
        const merged = { ...(cur.bgp_router_parameters ?? {}), ...params };
        if (JSON.stringify(merged) !== JSON.stringify(cur.bgp_router_parameters)) await this.#client.update('bgp-router', cur.uuid, { bgp_router_parameters: merged });
      }
    } catch (err) {
      this.#log.error({ err: errorMessage(err) }, 'registering this control node as a bgp-router failed');
      throw err;
    }
  }

  // ---- status ------------------------------------------------------------------------------------

  #connections(): ConnectionStatus[] {
    const synced = this.#runtime !== undefined;
    const url = typeof this.#opts.configApi === 'string' ? this.#opts.configApi : this.#client.url;
    const peers = this.#runtime?.speaker.peers() ?? [];
    const up = peers.filter((p) => p.state === 'Established').length;
    return [
      { type: 'ApiServer', name: 'ConfigApi', server_addrs: [url], status: synced ? 'Up' : 'Initializing', description: synced ? `synced at revision ${this.#cache.revision}` : 'listing config' },
      { type: 'BGP', name: 'Listener', server_addrs: [`${this.bgpAddress}:${this.bgpPort}`], status: synced ? 'Up' : 'Initializing', description: `${up} of ${peers.length} sessions established` },
    ];
  }

  health(): HealthReport {
    return summarize('control', this.#connections(), this.#runtime === undefined);
  }

  status(): NodeStatusView {
    const h = this.health();
    const rt = this.#runtime;
    const peers = rt?.speaker.peers() ?? [];
    return {
      module_id: MODULE_ID,
      state: h.status === 'up' ? 'Functional' : 'Non-Functional',
      description: h.description ?? '',
      connections: h.connections,
      router_id: this.routerId,
      name: this.name,
      bgp_address: this.bgpAddress,
      bgp_port: this.bgpPort,
      autonomous_system: rt?.settings.asn ?? null,
      config_revision: this.#cache.revision,
      peers: { total: peers.length, established: peers.filter((p) => p.state === 'Established').length },
      routing_instances: rt ? rt.vrfs().length + 1 : 0,
      rtc_targets: rt?.rtcTargets() ?? [],
      selection_deferral: deferralView(rt?.speaker.selectionDeferral() ?? null),
      config_problems: this.#problems.map((p) => ({ code: p.code, message: p.message })),
    };
  }

  #metrics(): void {
    const r = this.registry;
    r.gauge('tf_control_peers', 'BGP sessions by state', (g) => {
      const counts = new Map<string, number>();
      for (const p of this.#runtime?.speaker.peers() ?? []) counts.set(p.state, (counts.get(p.state) ?? 0) + 1);
      for (const s of ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established']) g.set(counts.get(s) ?? 0, { state: s });
    });
    r.gauge('tf_control_routing_instances', 'routing instances (VRFs) of this control node', (g) => g.set(this.#runtime?.vrfs().length ?? 0));
    r.gauge('tf_control_paths', 'paths held, master tables and VRF tables', (g) => {
      const rt = this.#runtime;
      let vrf = 0;
      if (rt) for (const v of rt.vrfs()) vrf += v.inet.pathCount + v.evpn.pathCount;
      g.set(vrf, { tables: 'vrf' });
      for (const f of ['inet', 'inet-vpn', 'route-target', 'e-vpn'] as const) g.set(rt?.speaker.table(f).pathCount ?? 0, { tables: f });
    });
    r.gauge('tf_control_config_revision', 'config revision applied', (g) => g.set(this.#cache.revision));
    r.gauge('tf_control_config_problems', 'config objects left out', (g) => g.set(this.#problems.length));
    r.gauge('tf_control_config_applied_total', 'times the desired state was recomputed and applied', (g) => g.set(this.#applyCount));
  }
}

function deferralView(d: DeferralStatus | null): NodeStatusView['selection_deferral'] {
  if (!d) return null;
  return { families: [...d.families], waiting_for: d.waitingFor.map((w) => ({ peer: w.peer, families: [...w.families] })), peer_wait_over: d.peerWaitOver };
}

function checkOptions(o: ControlNodeOptions): void {
  if (typeof o.name !== 'string' || o.name === '' || o.name.includes(':')) throw new ControlOptionError(`name must be a bgp-router name without ':', got ${JSON.stringify(o.name)}`, 'name');
  try {
    checkRouterId(o.routerId, 'routerId');
  } catch (err) {
    throw new ControlOptionError(errorMessage(err), 'routerId');
  }
  if (isIP(o.bgpAddress) === 0) throw new ControlOptionError(`bgpAddress must be an IP address, got ${JSON.stringify(o.bgpAddress)}`, 'bgpAddress');
  const port = o.bgpPort ?? 1179;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ControlOptionError(`bgpPort must be 0..65535, got ${port}`, 'bgpPort');
  if (o.grPeerWaitTime !== undefined && !(Number.isInteger(o.grPeerWaitTime) && o.grPeerWaitTime >= 0 && o.grPeerWaitTime <= 86400)) {
    throw new ControlOptionError(`grPeerWaitTime must be 0..86400 seconds, got ${o.grPeerWaitTime}`, 'grPeerWaitTime');
  }
  if (o.holdTime !== undefined && !(o.holdTime === 0 || (Number.isInteger(o.holdTime) && o.holdTime >= 3 && o.holdTime <= 65535))) {
    throw new ControlOptionError(`holdTime must be 0 or 3..65535 seconds, got ${o.holdTime}`, 'holdTime');
  }
}

/** Builds and starts a control node; on failure nothing is left running. */
export async function startControlNode(opts: ControlNodeOptions): Promise<ControlNode> {
  const node = new ControlNode(opts);
  try {
    await node.start();
  } catch (err) {
    await node.stop().catch(() => undefined);
    throw err;
  }
  return node;
}
