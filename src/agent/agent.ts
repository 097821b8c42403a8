// The vRouter agent process in a library call (what `tfctl serve agent` runs): registers its
// virtual-router, follows the config through an informer cache, peers with the control nodes, keeps the
// state model (model.ts) and renders it into the current network namespace through the Linux datapath,
// serves the port API, the CNI socket for tf-cni and introspect. Level-triggered: every change (config,
// routes, ports) that can concern this node (relevant.ts) schedules one recompute of the whole model; BGP
// advertisements follow at once, renders are serialised and coalesced, and a render whose state is the one
// last rendered is skipped (the datapath is re-read at least every `renderResyncMs` to repair drift). The first render waits for a control node's End-of-RIB (or
// --eor-timeout) so that a restarted agent never withdraws routes it has not yet relearned; with the
// persisted ports and routes snapshot, a restart changes nothing in the kernel.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { networkInterfaces, hostname } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '../common/log.js';
import { Registry } from '../common/metrics.js';
import { startIntrospect, type RunningServer } from '../common/http.js';
import { summarize, type ConnectionStatus, type HealthReport } from '../common/health.js';
import { errorMessage } from '../common/errors.js';
import { VncCache } from '../vnc/cache.js';
import type { VncObject } from '../vnc/object.js';
import { VncClient } from '../vnc/client.js';
import { NoIdError, RefsExistError } from '../vnc/errors.js';
import { LinuxRenderer } from '../datapath/linux/renderer.js';
import type { AddressGroup, LocalInterface, NodeState, Vrf } from '../datapath/model.js';
import type { PodAddResult, PodCheckResult } from '../datapath/linux/pod.js';
import { tcpConnect } from '../bgp/fsm/tcp.js';
import { AgentBgp, type ControlEndpoint } from './bgp.js';
import { AGENT_TYPES, nodeConfig, VROUTER_PARENT, type NodeConfig } from './config-view.js';
import { concernsNode } from './relevant.js';
import { createSlimmer } from './slim.js';
import { AgentUnderlayError } from './errors.js';
import { computeState, TABLE_RANGE, VXLAN_MTU_OVERHEAD, type AgentState, type ModelInput, type VpnPath } from './model.js';
import { DEFAULT_CNI_SOCKET, checkIp, checkNodeName, checkSeconds, checkSocketPath, type Endpoint } from './options.js';
import { PortStore, type PortEntry } from './ports.js';
import { startPortApi } from './port-api.js';
import { startCniServer } from './cni-server.js';
import { introspectRoutes } from './introspect.js';
import { DEFAULT_PACER, renderDelay, type PacerOptions, type PacerState } from './render-pacer.js';
import { urgent } from './render-urgency.js';

/** What the agent needs of a datapath (LinuxRenderer). */
export interface Datapath {
  render(state: NodeState): Promise<unknown>;
  /** plumbs a pod with its policies (f.policy, vrf.policy; `addressGroups` holds every group they name) */
  addPod(f: LocalInterface, vrf: Vrf, opts?: { addressGroups?: readonly AddressGroup[] }): Promise<PodAddResult>;
  delPod(ref: { tap: string; ip?: string }): Promise<string[]>;
  checkPod(f: LocalInterface, vrf: Vrf): Promise<PodCheckResult>;
}

export interface AgentOptions {
  configApi: string | VncClient;
  adminToken?: string;
  /** virtual-router name (the Kubernetes node name) */
  node?: string;
  /** underlay address */
  ip: string;
  controls: readonly ControlEndpoint[];
  /** the original's port API; false: none (default 127.0.0.1:9091) */
  portApi?: Endpoint | false;
  /** introspect; false: none (default 127.0.0.1:8085) */
  introspect?: Endpoint | false;
  /** unix socket for tf-cni; false: none (default /var/run/tungsten/agent.sock) */
  cniSocket?: string | false;
  /** persisted ports and routes; undefined: in memory only */
  stateDir?: string;
  /** underlay device (default: the device holding `ip`) */
  underlay?: string;
  /** BGP hold time proposed, seconds (default 30) */
  holdTime?: number;
  /** graceful-restart time announced, seconds (default 120; 0 = none) */
  restartTime?: number;
  /** longest wait of a CNI ADD for its interface, seconds (default 60) */
  vmiTimeout?: number;
  /** longest wait for a control node's End-of-RIB before the first render, seconds (default 15) */
  eorTimeout?: number;
  /** renders wait until CNI has been quiet this long (default 150 ms) … */
  renderQuietMs?: number;
  /** … but no longer than this after a change (default 3000 ms) */
  renderMaxDelayMs?: number;
  /** an unchanged state is rendered again (drift repair) at least this often (default 30000 ms) */
  renderResyncMs?: number;
  /** close BGP sessions without NOTIFICATION on stop, so that helping control nodes keep our routes (default true) */
  gracefulStop?: boolean;
  datapath?: Datapath;
  logger?: Logger;
}

const ROUTES_FILE = 'routes.json';

export interface LastRender {
  /** ms epoch */
  at: number;
  ok: boolean;
  ms: number;
  error?: string;
  inSync?: boolean;
}

/** The device holding an IPv4 address in this network namespace. */
export function deviceOf(ip: string): string | undefined {
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if ((addrs ?? []).some((a) => a.family === 'IPv4' && a.address === ip)) return name;
  }
  return undefined;
}

function readMtu(dev: string): number | undefined {
  try {
    const n = Number(readFileSync(`/sys/class/net/${dev}/mtu`, 'utf8').trim());
    return Number.isInteger(n) && n >= 118 ? n : undefined;
  } catch {
    return undefined;
  }
}

export class Agent {
  readonly node: string;
  readonly ip: string;
  readonly registry = new Registry();
  readonly ports: PortStore;
  readonly datapath: Datapath;
  readonly #o: AgentOptions;
  readonly #log: Logger;
  readonly #client: VncClient;
  readonly #ownsClient: boolean;
  readonly #cache: VncCache;
  #bgp: AgentBgp | undefined;
  #underlay = '';
  #underlayMtu: number | undefined;
  #config: NodeConfig | undefined;
  #state: AgentState | undefined;
  #synced = false;
  #stopped = false;
  #scheduled = false;
  #waiters = new Set<() => void>();
  #renderAllowed = false;
  #rendering = false;
  #renderDirty = false;
  #dirtySince: number | undefined;
  /** oldest unrendered change CNI already applied (render-urgency.ts) */
  #relaxedSince: number | undefined;
  /** taps CNI plumbed or removed since the last render */
  readonly #coveredAdded = new Set<string>();
  readonly #coveredRemoved = new Set<string>();
  #renderedState: NodeState | undefined;
  /** ports changed since the last recompute */
  #stateStale = false;
  #lastCniAt: number | undefined;
  readonly #pacer: PacerOptions;
  #renderTimer: NodeJS.Timeout | undefined;
  #renderFailures = 0;
  #lastRender: LastRender | undefined;
  #renders = 0;
  #rendersSkipped = 0;
  /** the datapath state of the last successful render (JSON) and when it ran */
  #renderedJson = '';
  #renderedAt = 0;
  #resyncTimer: NodeJS.Timeout | undefined;
  #cniInFlight = 0;
  #eorTimer: NodeJS.Timeout | undefined;
  #routesSaved = '';
  #routesTimer: NodeJS.Timeout | undefined;
  #servers: RunningServer[] = [];
  #portApiUrl: string | undefined;
  #introspectUrl: string | undefined;
  #vrouterUuid: string | undefined;
  #transports = new Set<{ destroy(): void }>();
  #started = false;

  constructor(o: AgentOptions) {
    this.node = o.node ?? hostname().split('.')[0];
    checkNodeName(this.node);
    checkIp(o.ip);
    if (o.cniSocket) checkSocketPath(o.cniSocket);
    for (const [k, v, max] of [['hold-time', o.holdTime, 65535], ['restart-time', o.restartTime, 4095], ['vmi-timeout', o.vmiTimeout, 3600], ['eor-timeout', o.eorTimeout, 3600]] as const) {
      if (v !== undefined) checkSeconds(v, k, k === 'hold-time' ? 0 : 0, max);
    }
    this.#o = o;
    this.ip = o.ip;
    this.#pacer = { ...DEFAULT_PACER, ...(o.renderQuietMs !== undefined ? { quietMs: o.renderQuietMs } : {}), ...(o.renderMaxDelayMs !== undefined ? { maxDelayMs: o.renderMaxDelayMs } : {}) };
    this.#log = o.logger ?? createLogger('agent', { node: this.node });
    this.#ownsClient = typeof o.configApi === 'string';
    this.#client = typeof o.configApi === 'string' ? new VncClient({ url: o.configApi, adminToken: o.adminToken }) : o.configApi;
    this.#cache = new VncCache(this.#client, AGENT_TYPES, { project: createSlimmer() });
    const changed = (type: string, ...objs: VncObject[]) => {
      if (objs.some((o) => concernsNode(this.#cache, this.node, type, o))) this.schedule();
    };
    this.#cache.on({ add: (o, t) => changed(t, o), update: (o, old, t) => changed(t, o, old), delete: (o, t) => changed(t, o) });
    this.ports = new PortStore(o.stateDir ? join(o.stateDir, 'ports') : undefined);
    this.datapath = o.datapath ?? new LinuxRenderer({ ownership: { tableRange: TABLE_RANGE }, logger: this.#log.child({ component: 'datapath' }) });
    this.#metrics();
  }

  get logger(): Logger {
    return this.#log;
  }

  /** The last computed state model (undefined before the config is synced). */
  get state(): AgentState | undefined {
    return this.#state;
  }

  get config(): NodeConfig | undefined {
    return this.#config;
  }

  get bgp(): AgentBgp | undefined {
    return this.#bgp;
  }

  get portApiUrl(): string | undefined {
    return this.#portApiUrl;
  }

  get introspectUrl(): string | undefined {
    return this.#introspectUrl;
  }

  get cniSocket(): string | undefined {
    return this.#o.cniSocket === false ? undefined : (this.#o.cniSocket ?? DEFAULT_CNI_SOCKET);
  }

  get vmiTimeoutMs(): number {
    return (this.#o.vmiTimeout ?? 60) * 1000;
  }

  /** MTU of pod interfaces: the VXLAN MTU (underlay − 50). */
  get podMtu(): number {
    return (this.#underlayMtu ?? 1500) - VXLAN_MTU_OVERHEAD;
  }

  get lastRender(): LastRender | undefined {
    return this.#lastRender;
  }

  get renderAllowed(): boolean {
    return this.#renderAllowed;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#underlay = this.#o.underlay ?? deviceOf(this.ip) ?? '';
    if (this.#underlay === '') {
      throw new AgentUnderlayError(`no interface holds ${this.ip} in this network namespace; give --underlay or run the agent where the address is`, { ip: this.ip });
    }
    this.#underlayMtu = readMtu(this.#underlay);
    for (const p of this.ports.load()) this.#log.warn({ problem: p }, 'a persisted port could not be read; ignored');
    const seeded = this.#loadRoutes();

    const ip = this.#o.introspect === undefined ? { host: '127.0.0.1', port: 8085 } : this.#o.introspect;
    if (ip !== false) {
      const s = await startIntrospect({ port: ip.port, host: ip.host, registry: this.registry, health: () => this.health(), routes: introspectRoutes(this) });
      this.#servers.push(s);
      this.#introspectUrl = `http://${ip.host}:${s.port}`;
    }
    this.#vrouterUuid = await this.#retry('register the virtual-router', () => this.#register());
    await this.#retry('sync the config', () => this.#cache.start());
    this.#synced = true;
    this.#config = nodeConfig(this.#cache, this.node);

    this.#bgp = new AgentBgp({
      asn: this.#config.asn,
      routerId: this.ip,
      controls: this.#o.controls,
      holdTime: this.#o.holdTime ?? 30,
      restartTime: this.#o.restartTime ?? 120,
      restarting: this.ports.size > 0,
      logger: this.#log,
      onChange: () => this.schedule(),
      connectRetryTime: 2,
      // Transports are tracked so that a graceful stop drops them without a NOTIFICATION.
      connect: async (c) => {
        const t = await tcpConnect(c);
        this.#transports.add(t);
        return t;
      },
    });
    this.#bgp.seed(seeded);
    this.#recompute();
    await this.#bgp.start();

    const pa = this.#o.portApi === undefined ? { host: '127.0.0.1', port: 9091 } : this.#o.portApi;
    if (pa !== false) {
      const s = await startPortApi(this, pa);
      this.#servers.push(s);
      this.#portApiUrl = `http://${pa.host}:${s.port}`;
    }
    const sock = this.cniSocket;
    if (sock) this.#servers.push(await startCniServer(this, sock));

    const eorMs = (this.#o.eorTimeout ?? 15) * 1000;
    const allow = (why: string) => {
      if (this.#renderAllowed || this.#stopped) return;
      this.#renderAllowed = true;
      if (this.#eorTimer) clearTimeout(this.#eorTimer);
      this.#log.info({ why }, 'rendering the datapath');
      this.schedule();
      const resyncMs = this.#o.renderResyncMs ?? 30_000;
      this.#resyncTimer = setInterval(() => {
        if (Date.now() - this.#renderedAt >= resyncMs) this.#requestRender(false);
      }, Math.max(100, Math.min(resyncMs, 10_000)));
      this.#resyncTimer.unref?.();
    };
    void this.#bgp.eor.then(() => allow('End-of-RIB from a control node'));
    this.#eorTimer = setTimeout(() => allow(`no End-of-RIB within ${eorMs / 1000} s${this.#bgp?.headless ? '; routes from the persisted snapshot' : ''}`), eorMs);
    this.#eorTimer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#eorTimer) clearTimeout(this.#eorTimer);
    if (this.#renderTimer) clearTimeout(this.#renderTimer);
    if (this.#routesTimer) clearTimeout(this.#routesTimer);
    if (this.#resyncTimer) clearInterval(this.#resyncTimer);
    this.#saveRoutes();
    for (const s of this.#servers.splice(0)) await s.close().catch(() => undefined);
    this.#cache.close();
    if (this.#bgp) {
      if (this.#o.gracefulStop !== false) for (const t of this.#transports) t.destroy();
      await this.#bgp.stop();
    }
    while (this.#rendering) await new Promise((r) => setTimeout(r, 10));
    if (this.#ownsClient) this.#client.close();
  }

  /** Resolves with the value once `probe` returns one after a recompute, or undefined after timeoutMs. */
  waitFor<T>(probe: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
    const now = probe();
    if (now !== undefined || timeoutMs <= 0) return Promise.resolve(now);
    return new Promise((resolve) => {
      const check = () => {
        const v = probe();
        if (v !== undefined) done(v);
      };
      const done = (v: T | undefined) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(v);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.#waiters.add(check);
    });
  }

  /** Marks a CNI operation in flight (renders wait for quiet, see render-pacer.ts). */
  cniBegin(): void {
    this.#cniInFlight++;
  }

  cniEnd(): void {
    this.#cniInFlight = Math.max(0, this.#cniInFlight - 1);
    this.#lastCniAt = Date.now();
    if (this.#renderDirty) this.#armRender();
  }

  /** Schedules one recompute of the model (coalesced). */
  schedule(): void {
    if (this.#scheduled || this.#stopped || !this.#synced) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#stopped) return;
      try {
        this.#recompute();
      } catch (err) {
        this.#log.error({ err: errorMessage(err) }, 'computing the state failed');
      }
    });
  }

  /** Recomputes now (synchronously) and returns the state. */
  recomputeNow(): AgentState | undefined {
    if (!this.#synced) return undefined;
    this.#recompute();
    return this.#state;
  }

  #modelInput(config: NodeConfig, ports: readonly PortEntry[]): ModelInput {
    return {
      node: { name: this.node, ip: this.ip, underlay: { device: this.#underlay, ...(this.#underlayMtu ? { mtu: this.#underlayMtu } : {}) } },
      config,
      ports,
      remote: this.#bgp?.remote() ?? [],
    };
  }

  /**
   * What a pod ADD installs for a port about to be plumbed, from the model computed with the port in it:
   * its interface (with its security policy), its VRF (with the network policy) and the address groups
   * those name or it belongs to. Undefined when the model would not plumb the port (see `vr intf`).
   */
  previewPort(port: PortEntry): { iface: LocalInterface; vrf: Vrf; addressGroups: AddressGroup[] } | undefined {
    if (!this.#config) return undefined;
    const ports = [...this.ports.all().filter((p) => p.vmiUuid !== port.vmiUuid), port];
    const st = computeState(this.#modelInput(this.#config, ports)).datapath;
    const iface = st.interfaces.find((f) => f.tap === port.tap);
    const vrf = iface && st.vrfs.find((v) => v.name === iface.vrf);
    if (!iface || !vrf) return undefined;
    const named = new Set<string>();
    for (const d of iface.policy ? [iface.policy.ingress, iface.policy.egress] : []) for (const r of d.rules) if (r.remoteGroup !== undefined) named.add(r.remoteGroup);
    for (const r of vrf.policy?.rules ?? []) for (const e of [r.src, r.dst]) if (e?.group !== undefined) named.add(e.group);
    return { iface, vrf, addressGroups: st.addressGroups.filter((g) => named.has(g.id) || g.addresses.includes(iface.ip)) };
  }

  #recompute(): void {
    this.#stateStale = false;
    this.#config = nodeConfig(this.#cache, this.node);
    const state = computeState(this.#modelInput(this.#config, this.ports.all()));
    this.#state = state;
    if (this.#bgp) {
      if (this.#bgp.asn !== this.#config.asn) this.#log.error({ asn: this.#config.asn, running: this.#bgp.asn }, 'the global ASN changed; restart the agent to use it');
      this.#bgp.apply(state.advertisements, state.rtcTargets);
      this.#scheduleRoutesSave();
    }
    for (const w of [...this.#waiters]) w();
    if (this.#renderAllowed) this.#requestRender(urgent(this.#renderedState, state.datapath, { added: this.#coveredAdded, removed: this.#coveredRemoved }));
  }

  #requestRender(isUrgent: boolean): void {
    this.#renderDirty = true;
    if (isUrgent) this.#dirtySince ??= Date.now();
    else this.#relaxedSince ??= Date.now();
    this.#armRender();
  }

  #pacerState(): PacerState {
    return {
      cniInFlight: this.#cniInFlight,
      lastCniAt: this.#lastCniAt,
      dirtySince: this.#renderDirty ? this.#dirtySince : undefined,
      relaxedSince: this.#renderDirty ? this.#relaxedSince : undefined,
    };
  }

  /** (Re)arms the render timer for the pacer's delay; the loop itself runs one render at a time. */
  #armRender(): void {
    if (this.#rendering || this.#stopped) return;
    const delay = renderDelay(Date.now(), this.#pacerState(), this.#pacer);
    if (delay === undefined) return;
    if (this.#renderTimer) clearTimeout(this.#renderTimer);
    this.#renderTimer = setTimeout(() => {
      this.#renderTimer = undefined;
      const again = renderDelay(Date.now(), this.#pacerState(), this.#pacer);
      if (again === 0) void this.#renderLoop();
      else if (again !== undefined) this.#armRender();
    }, delay);
  }

  async #renderLoop(): Promise<void> {
    if (this.#rendering || this.#stopped) return;
    this.#rendering = true;
    let failed = false;
    try {
      while (this.#renderDirty && !this.#stopped) {
        if (this.#stateStale) this.#recompute();
        this.#renderDirty = false;
        this.#dirtySince = undefined;
        this.#relaxedSince = undefined;
        const state = this.#state;
        if (!state) break;
        const json = JSON.stringify(state.datapath);
        const resyncMs = this.#o.renderResyncMs ?? 30_000;
        if (this.#lastRender?.ok && json === this.#renderedJson && Date.now() - this.#renderedAt < resyncMs) {
          // Nothing this node renders changed (e.g. a pod of another node): no kernel read.
          this.#rendersSkipped++;
          continue;
        }
        const t0 = performance.now();
        try {
          const r = (await this.datapath.render(state.datapath)) as { inSync?: boolean } | undefined;
          const ms = performance.now() - t0;
          this.#lastRender = { at: Date.now(), ok: true, ms, inSync: r?.inSync };
          this.#renderedJson = json;
          this.#renderedAt = Date.now();
          this.#renderedState = state.datapath;
          const taps = new Set(state.datapath.interfaces.map((f) => f.tap));
          for (const t of [...this.#coveredAdded]) if (taps.has(t)) this.#coveredAdded.delete(t);
          for (const t of [...this.#coveredRemoved]) if (!taps.has(t)) this.#coveredRemoved.delete(t);
          this.#renderFailures = 0;
          this.#renders++;
          this.registry.counter('tf_agent_renders_total', 'Datapath renders by result.').inc({ result: 'ok' });
          this.registry.histogram('tf_agent_render_seconds', 'Datapath render time.').observe(ms / 1000);
        } catch (err) {
          const ms = performance.now() - t0;
          this.#lastRender = { at: Date.now(), ok: false, ms, error: errorMessage(err) };
          this.#renderFailures++;
          this.registry.counter('tf_agent_renders_total', 'Datapath renders by result.').inc({ result: 'error' });
          this.#log.error({ err: errorMessage(err), details: (err as { details?: unknown }).details }, 'datapath render failed; retrying');
          const delay = Math.min(30_000, 500 * 2 ** Math.min(6, this.#renderFailures - 1));
          this.#renderDirty = true;
          this.#dirtySince ??= Date.now();
          failed = true;
          this.#renderTimer = setTimeout(() => {
            this.#renderTimer = undefined;
            void this.#renderLoop();
          }, delay);
          this.#renderTimer.unref?.();
          break;
        }
        // A CNI burst started during the render: let it through before the next one.
        if (this.#cniInFlight > 0) break;
      }
    } finally {
      this.#rendering = false;
    }
    if (!failed && this.#renderDirty) this.#armRender();
  }

  /** Resolves after the state computed so far has been rendered (tests, CNI CHECK). */
  async rendered(timeoutMs = 30_000): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (this.#renderAllowed && !this.#scheduled && !this.#rendering && !this.#renderDirty && this.#lastRender?.ok) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  }

  async #register(): Promise<string> {
    const fq = [VROUTER_PARENT, this.node];
    for (let attempt = 0; ; attempt++) {
      try {
        const vr = await this.#client.readByFqName('virtual-router', fq);
        if (vr.virtual_router_ip_address !== this.ip) {
          await this.#client.update('virtual-router', vr.uuid, { virtual_router_ip_address: this.ip });
          this.#log.info({ vrouter: fq.join(':'), ip: this.ip }, 'virtual-router address updated');
        }
        return vr.uuid;
      } catch (err) {
        if (!(err instanceof NoIdError)) throw err;
      }
      try {
        const vr = await this.#client.create('virtual-router', { fq_name: fq, parent_type: 'global-system-config', virtual_router_ip_address: this.ip });
        this.#log.info({ vrouter: fq.join(':'), ip: this.ip }, 'virtual-router registered');
        return vr.uuid;
      } catch (err) {
        if (!(err instanceof RefsExistError) || attempt > 5) throw err;
      }
    }
  }

  async #retry<T>(what: string, f: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await f();
      } catch (err) {
        if (this.#stopped) throw err;
        const delay = Math.min(10_000, 250 * 2 ** Math.min(6, attempt));
        this.#log.warn({ err: errorMessage(err), attempt, retryInMs: delay }, `could not ${what}; retrying`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  // ---- routes snapshot (headless restart) ------------------------------------------------------------

  #loadRoutes(): VpnPath[] {
    if (!this.#o.stateDir) return [];
    try {
      const v = JSON.parse(readFileSync(join(this.#o.stateDir, ROUTES_FILE), 'utf8')) as { routes?: VpnPath[] };
      const routes = Array.isArray(v.routes) ? v.routes.filter((r) => typeof r?.prefix === 'string' && typeof r.nextHop === 'string' && Array.isArray(r.targets)) : [];
      this.#routesSaved = JSON.stringify(routes);
      return routes;
    } catch {
      return [];
    }
  }

  #scheduleRoutesSave(): void {
    if (!this.#o.stateDir || this.#routesTimer || !this.#bgp || this.#bgp.headless) return;
    this.#routesTimer = setTimeout(() => {
      this.#routesTimer = undefined;
      this.#saveRoutes();
    }, 1000);
    this.#routesTimer.unref?.();
  }

  #saveRoutes(): void {
    if (!this.#o.stateDir || !this.#bgp || this.#bgp.headless) return;
    const routes = this.#bgp.remote().map((r) => ({ ...r, stale: false }));
    const text = JSON.stringify(routes);
    if (text === this.#routesSaved) return;
    try {
      mkdirSync(this.#o.stateDir, { recursive: true });
      const file = join(this.#o.stateDir, ROUTES_FILE);
      writeFileSync(`${file}.tmp`, JSON.stringify({ saved: new Date().toISOString(), routes }));
      renameSync(`${file}.tmp`, file);
      this.#routesSaved = text;
    } catch (err) {
      this.#log.warn({ err: errorMessage(err) }, 'could not save the routes snapshot');
    }
  }

  // ---- ports ---------------------------------------------------------------------------------------------

  /**
   * Registers (or replaces) a port. The model is recomputed right after (off the CNI reply's path); a
   * render never runs on a model older than the port set (the render loop recomputes first).
   */
  putPort(p: PortEntry, opts: { plumbed?: boolean } = {}): void {
    this.ports.put(p);
    // A port CNI plumbed with its policies needs no urgent render; one registered through the port API does.
    if (opts.plumbed) {
      this.#coveredAdded.add(p.tap);
      this.#coveredRemoved.delete(p.tap);
    }
    this.#stateStale = true;
    this.schedule();
  }

  /**
   * Removes ports: first from the model (so that no render recreates their interfaces), then their
   * interfaces from the datapath. Returns the ports removed.
   */
  async removePorts(list: readonly PortEntry[]): Promise<PortEntry[]> {
    const gone = list.map((p) => ({ p, ip: this.#state?.interfaces.find((i) => i.uuid === p.vmiUuid)?.ip || this.#config?.interfaces.get(p.vmiUuid)?.ip }));
    for (const { p } of gone) {
      this.ports.delete(p.vmiUuid);
      this.#coveredAdded.delete(p.tap);
      this.#coveredRemoved.add(p.tap);
    }
    if (gone.length > 0) {
      this.#stateStale = true;
      this.schedule();
    }
    for (const { p, ip } of gone) await this.datapath.delPod({ tap: p.tap, ...(ip ? { ip } : {}) });
    return gone.map((g) => g.p);
  }

  // ---- health and metrics ------------------------------------------------------------------------------------

  health(): HealthReport {
    const conns: ConnectionStatus[] = [];
    conns.push({
      type: 'ApiServer', name: 'config', server_addrs: [typeof this.#o.configApi === 'string' ? this.#o.configApi : this.#client.url],
      status: this.#synced ? 'Up' : 'Initializing', description: this.#synced ? `revision ${this.#cache.revision}` : 'syncing',
    });
    for (const c of this.#o.controls) {
      const p = this.#bgp?.speaker.peer(c.address);
      conns.push({ type: 'BGP', name: `control ${c.address}`, server_addrs: [`${c.address}:${c.port}`], status: p?.state === 'Established' ? 'Up' : 'Down', description: p?.state ?? 'not started' });
    }
    const r = this.#lastRender;
    conns.push({
      type: 'Datapath', name: 'linux', server_addrs: [this.#underlay],
      status: r?.ok ? 'Up' : r ? 'Down' : 'Initializing',
      description: r ? (r.ok ? `rendered in ${Math.round(r.ms)} ms` : (r.error ?? 'failed')) : this.#renderAllowed ? 'rendering' : 'waiting for End-of-RIB',
    });
    return summarize('contrail-vrouter-agent', conns, !this.#synced);
  }

  #metrics(): void {
    this.registry.gauge('tf_agent_interfaces', 'Interfaces plugged into this node, by state.', (g) => {
      const v = this.#state?.interfaces ?? [];
      g.set(v.filter((i) => i.active).length, { state: 'active' });
      g.set(v.filter((i) => !i.active).length, { state: 'inactive' });
    });
    this.registry.gauge('tf_agent_vrfs', 'VRFs on this node.', (g) => g.set(this.#state?.vrfs.length ?? 0));
    this.registry.gauge('tf_agent_routes', 'Routes in the VRFs of this node.', (g) => g.set(this.#state?.routes.length ?? 0));
    this.registry.gauge('tf_agent_advertised_routes', 'inet-vpn routes this node originates.', (g) => g.set(this.#state?.advertisements.length ?? 0));
    this.registry.gauge('tf_agent_headless', '1 while forwarding on frozen routes (no control node).', (g) => g.set(this.#bgp?.headless ? 1 : 0));
    this.registry.gauge('tf_agent_bgp_sessions_up', 'Established control node sessions.', (g) => g.set(this.#bgp?.peers().filter((p) => p.state === 'Established').length ?? 0));
    this.registry.gauge('tf_agent_config_revision', 'Config revision applied.', (g) => g.set(this.#cache.revision));
  }

  /** Status for introspect. */
  status(): Record<string, unknown> {
    return {
      node: this.node,
      ip: this.ip,
      underlay: this.#underlay,
      underlay_mtu: this.#underlayMtu ?? null,
      vrouter_uuid: this.#vrouterUuid ?? null,
      config_synced: this.#synced,
      config_revision: this.#cache.revision,
      asn: this.#config?.asn ?? null,
      render_allowed: this.#renderAllowed,
      renders: this.#renders,
      renders_skipped: this.#rendersSkipped,
      last_render: this.#lastRender ?? null,
      headless: this.#bgp?.headless ?? false,
      end_of_rib_seen: this.#bgp?.endOfRibSeen ?? false,
      ports: this.ports.size,
      port_api: this.#portApiUrl ?? null,
      cni_socket: this.cniSocket ?? null,
      problems: this.#state?.problems ?? [],
      config_objects: this.#cache.size,
      memory: { rss_mb: Math.round(process.memoryUsage.rss() / 2 ** 20), heap_used_mb: Math.round(process.memoryUsage().heapUsed / 2 ** 20) },
    };
  }
}
