// The all-in-one lab (`tfctl lab up`, `npm start`): builds the network (topology.ts), starts and
// supervises every component (components.ts, supervisor.ts) with the Kubernetes API, its controllers and
// the kubelets in this process, writes the config objects a deployment needs (provision.ts), waits until
// every component reports healthy, and publishes where everything answers (endpoints.json, state.json,
// its own status endpoint). stop() tears everything down and leaves nothing behind (down.ts does the
// same from another process or after a crash). Tests and the benchmark drive a Lab directly.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { accessSync, chmodSync, constants, copyFileSync } from 'node:fs';
import { ENDPOINTS_FILE, labDir, type LabEndpoints } from '../common/endpoints.js';
import { errorMessage } from '../common/errors.js';
import { summarize, type HealthReport } from '../common/health.js';
import { startIntrospect, type RunningServer } from '../common/http.js';
import { createLogger, type Logger } from '../common/log.js';
import { Registry } from '../common/metrics.js';
import { VncClient } from '../vnc/client.js';
import { startKubeApi, type RunningKubeApi } from './kube/api-server.js';
import { R } from './kube/resources.js';
import { startKubelet, type Kubelet } from './kubelet/kubelet.js';
import {
  birdSocket, cniConfig, CONTROL_BGP_PORT, GATEWAY_BGP_PORT, hostRelay, processSpecs, serviceEndpoints, type LabLayout,
} from './components.js';
import { removeRuntimeFiles, labDown, KUBECONFIG_FILE } from './down.js';
import { LabError } from './errors.js';
import { birdConfig, birdProtocols, birdProtocolName } from './gateway.js';
import { labKubeManagerConf, readKubeManagerExample } from './kubemanager-conf.js';
import { loadConfig } from '../kube/config.js';
import { hasCliModule, tfCniPath, tfctlArgv } from './launch.js';
import { assertNetworkFree, buildNetwork, destroyNetwork } from './network.js';
import { allPorts, autoPorts, defaultPorts, portFree, type LabPorts } from './ports.js';
import { isAlive } from './procs.js';
import { provision } from './provision.js';
import { startRelay, UNIX_PATH_MAX, type RunningRelay } from './relay.js';
import { readState, recordOf, stillRunning, writeJsonAtomic, writeState, type LabState } from './state.js';
import { Supervisor } from './supervisor.js';
import { planTopology, type Topology, type TopologyOptions } from './topology.js';

export interface LabOptions extends TopologyOptions {
  /** lab directory (state, logs, data, kubeconfig); default $TF_LAB_DIR or ./tf-lab */
  readonly dir?: string;
  /** host ports: the fixed plan (default), free ones, or given */
  readonly ports?: 'default' | 'auto' | LabPorts;
  /** run the vRouter agents (default: when `tfctl serve agent` is part of this build) */
  readonly agents?: boolean;
  /** how long every component gets to report healthy (default 180 s) */
  readonly readyTimeoutMs?: number;
  /** TF_LOG_LEVEL of the components (default info) */
  readonly logLevel?: string;
  readonly log?: Logger;
  /** progress lines ("network: …", "config API: …") */
  readonly onProgress?: (line: string) => void;
  /** aborting it while the lab starts stops it (Ctrl-C during `lab up`); startLab then rejects */
  readonly signal?: AbortSignal;
}

export interface ComponentHealth {
  readonly name: string;
  readonly report: HealthReport;
}

const REQUIRED_TOOLS = ['ip', 'nsenter', 'sysctl', 'bird', 'birdc', 'nft'];

/** The tools a lab needs that are missing from PATH. */
export function missingTools(tools: readonly string[] = REQUIRED_TOOLS): string[] {
  const dirs = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/sbin']);
  return tools.filter((t) => !dirs.some((d) => {
    try {
      accessSync(join(d, t), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }));
}

/** Checks root and tools; throws LabError saying what is missing. */
export function preflight(): void {
  if (process.getuid?.() !== 0) {
    throw new LabError('LAB_NEEDS_ROOT', 'the lab needs root: it creates network namespaces, veth pairs and a bridge (ip netns/ip link), ' +
      'runs bird and the agents inside them and programs nftables there. Run it as root (sudo -E npm start, or sudo tfctl lab up); ' +
      'it changes nothing in the host\'s own network namespace.');
  }
  const missing = missingTools();
  if (missing.length) {
    throw new LabError('LAB_MISSING_TOOL', `the lab needs ${missing.join(', ')} on PATH (Debian: apt-get install iproute2 util-linux procps bird2 nftables)`, { missing });
  }
}

/** Copies the tf-cni executable (a POSIX sh + curl forwarder, src/cni/tf-cni) where the kubelets look for plugins. */
export function installTfCni(binDir: string): void {
  const src = tfCniPath();
  if (!src) throw new LabError('LAB_START_FAILED', 'the tf-cni executable is not part of this build (src/cni/tf-cni)');
  mkdirSync(binDir, { recursive: true });
  copyFileSync(src, join(binDir, 'tf-cni'));
  chmodSync(join(binDir, 'tf-cni'), 0o755);
}

/** A short directory for unix sockets when the lab directory's path is too long for them. */
export function runDirFor(dir: string): string {
  const inside = join(dir, 'run');
  if (Buffer.byteLength(inside) + 24 <= UNIX_PATH_MAX) return inside;
  return join(tmpdir(), `tf-lab-${createHash('sha256').update(dir).digest('hex').slice(0, 10)}`);
}

const secs = (t0: number): string => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

async function getHealth(url: string, timeoutMs = 2_000): Promise<HealthReport> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json().catch(() => undefined)) as HealthReport | undefined;
    if (body && typeof body.status === 'string') return body;
    return { component: url, status: res.ok ? 'up' : 'initializing', description: `HTTP ${res.status}`, connections: [] };
  } catch (err) {
    return { component: url, status: 'down', description: errorMessage((err as { cause?: unknown }).cause ?? err), connections: [] };
  }
}

export class Lab {
  readonly dir: string;
  readonly topo: Topology;
  readonly ports: LabPorts;
  readonly layout: LabLayout;
  readonly supervisor: Supervisor;
  readonly kubeconfigPath: string;
  readonly agents: boolean;
  kubeApi: RunningKubeApi | undefined;
  readonly kubelets = new Map<string, Kubelet>();
  #hostRelay: RunningRelay | undefined;
  #introspect: RunningServer | undefined;
  readonly #log: Logger;
  readonly #progress: (line: string) => void;
  readonly #startedAt = new Date().toISOString();
  #phase: LabState['phase'] = 'starting';
  #stopping: Promise<void> | undefined;
  /** set once the prefix was found free: only then may stop() delete namespaces of the prefix */
  #ownsNetwork = false;
  #cancelled = false;
  /** seconds from start() to every component healthy */
  upSeconds = 0;

  constructor(layout: LabLayout, log: Logger, progress: (line: string) => void) {
    this.layout = layout;
    this.dir = layout.dir;
    this.topo = layout.topo;
    this.ports = layout.ports;
    this.agents = layout.agents;
    this.kubeconfigPath = join(layout.dir, KUBECONFIG_FILE);
    this.#log = log;
    this.#progress = progress;
    this.supervisor = new Supervisor({ log, onChange: () => this.#saveState() });
  }

  get kubeApiUrl(): string {
    return `http://127.0.0.1:${this.ports.kubeApi}`;
  }

  get configApiUrl(): string {
    return `http://127.0.0.1:${this.ports.configApi}`;
  }

  /** Environment for kubectl and tfctl against this lab. */
  env(): Record<string, string> {
    return { KUBECONFIG: this.kubeconfigPath, TF_LAB_DIR: this.dir, TF_CONFIG_API: this.configApiUrl, TF_KUBE_API: this.kubeApiUrl };
  }

  endpoints(): LabEndpoints {
    const pids = new Map<string, number>();
    for (const p of this.supervisor.list()) if (p.pid !== undefined) pids.set(p.name, p.pid);
    return { version: 1, dir: this.dir, prefix: this.topo.prefix, supervisorPid: process.pid, kubeconfig: this.kubeconfigPath, services: serviceEndpoints(this.layout, pids, process.pid) };
  }

  #saveState(): void {
    if (this.#phase === 'stopping' && this.#stopping) return;
    const procs = this.supervisor.list().filter((p) => p.pid !== undefined && isAlive(p.pid)).map((p) => recordOf(p.name, p.pid!, p.netns));
    try {
      writeState({
        version: 1, phase: this.#phase, dir: this.dir, runDir: this.layout.runDir, prefix: this.topo.prefix,
        supervisor: recordOf('supervisor', process.pid), startedAt: this.#startedAt, nodes: this.topo.nodes.length,
        controls: this.topo.controls.length, ports: this.ports, processes: procs, kubeconfig: this.kubeconfigPath,
      });
      if (this.#phase === 'ready') writeJsonAtomic(join(this.dir, ENDPOINTS_FILE), this.endpoints());
    } catch (err) {
      this.#log.warn({ err: errorMessage(err) }, 'writing the lab state failed');
    }
  }

  // ---- start ------------------------------------------------------------------------------------

  async start(readyTimeoutMs: number): Promise<void> {
    const t0 = Date.now();
    const l = this.layout;
    // before anything is written or created: another lab may own this prefix
    assertNetworkFree(this.topo);
    this.#ownsNetwork = true;
    mkdirSync(join(this.dir, 'logs'), { recursive: true });
    mkdirSync(l.runDir, { recursive: true });
    // a lab starts empty: no config, no kubelet sandboxes or agent ports of an earlier run
    for (const d of ['data', 'kubelet', 'agent', 'cni']) rmSync(join(this.dir, d), { recursive: true, force: true });
    mkdirSync(join(this.dir, 'data'), { recursive: true });
    mkdirSync(join(this.dir, 'gateway'), { recursive: true });
    if (this.agents) installTfCni(l.cniBinDir);
    this.#saveState();

    let t = Date.now();
    await buildNetwork(this.topo);
    this.#checkpoint();
    this.#progress(`network: ${this.topo.namespaces.length} namespaces (${this.topo.prefix}*), underlay ${this.topo.underlay}, external ${this.topo.externalSubnet} (${secs(t)})`);

    t = Date.now();
    this.#hostRelay = await startRelay(hostRelay(l));
    this.#introspect = await this.#startIntrospect();
    const { first, rest } = processSpecs(l);
    this.#checkpoint();
    for (const s of first) this.supervisor.start(s);
    this.kubeApi = await startKubeApi({ port: this.ports.kubeApi, host: '127.0.0.1', log: this.#childLog('lab-kube-api') });
    writeFileSync(this.kubeconfigPath, this.kubeApi.kubeconfig(), { mode: 0o600 });
    await this.#waitFor(['config-api'], readyTimeoutMs, t0);
    this.#progress(`config API: ${this.configApiUrl} (SQLite ${join(this.dir, 'data', 'config.db')}), Kubernetes API: ${this.kubeApiUrl} (${secs(t)})`);

    t = Date.now();
    const client = new VncClient({ url: this.configApiUrl });
    try {
      const gsc = (await client.readByFqName('global-system-config', ['default-global-system-config'])) as { autonomous_system?: number };
      const writes = await provision(client, {
        asn: gsc.autonomous_system ?? l.asn,
        controls: this.topo.controls.map((c) => ({ name: c.host, address: c.underlayIp!, port: CONTROL_BGP_PORT })),
        gateway: { name: this.topo.gateway.host, address: this.topo.gateway.underlayIp!, port: GATEWAY_BGP_PORT },
        publicSubnet: this.topo.publicSubnet,
        gracefulRestartTime: 120,
      });
      this.#progress(`config: ${writes.length} writes (graceful restart on, bgp-routers for ${this.topo.controls.length} control nodes and the gateway, public network ${this.topo.publicSubnet} with public-fip-pool) (${secs(t)})`);
    } finally {
      client.close();
    }

    writeFileSync(join(this.dir, 'gateway', 'bird.conf'), birdConfig({
      routerId: this.topo.gateway.underlayIp!, asn: l.asn,
      peers: this.topo.controls.map((c) => ({ name: c.host, address: c.underlayIp!, port: CONTROL_BGP_PORT })),
    }));
    writeFileSync(join(this.dir, 'kubemanager.conf'), labKubeManagerConf(readKubeManagerExample(), { kubeApi: this.ports.kubeApi, configApi: this.ports.configApi, introspect: this.ports.kubeManager }));
    this.#checkpoint();
    for (const s of rest) this.supervisor.start(s);
    await Promise.all(this.topo.nodes.map((n, i) => this.#startKubelet(n.host, i + 1)));
    this.#checkpoint();

    t = Date.now();
    await this.#waitFor(this.readinessSet(), readyTimeoutMs, t0);
    this.upSeconds = (Date.now() - t0) / 1000;
    this.#phase = 'ready';
    this.#saveState();
    this.#progress(`all components healthy (${secs(t0)})`);
  }

  /** Ends start() at its next step when the start was cancelled; startLab() then tears down what exists. */
  #checkpoint(): void {
    if (this.#cancelled || this.#stopping) throw new LabError('LAB_START_FAILED', 'the lab was stopped while starting');
  }

  /** Cancels a start in progress (Ctrl-C during `lab up`): start() stops at its next step. */
  cancelStart(): void {
    this.#cancelled = true;
  }

  /** Loggers of the in-process components, at the lab logger's level (quiet on a terminal by default). */
  #childLog(component: string, bindings: Record<string, unknown> = {}): Logger {
    const l = createLogger(component, bindings);
    l.level = this.#log.level;
    return l;
  }

  async #startKubelet(node: string, k: number): Promise<void> {
    const confDir = join(this.dir, 'cni', node, 'net.d');
    mkdirSync(confDir, { recursive: true });
    writeFileSync(join(confDir, '10-tungsten.conf'), JSON.stringify(cniConfig(this.layout, k), null, 2) + '\n');
    const kubelet = await startKubelet({
      client: this.kubeApi!.client,
      node,
      ip: this.topo.nodes[k - 1].underlayIp!,
      cniConfDir: confDir,
      cniBinDirs: [this.layout.cniBinDir, '/usr/lib/cni'],
      netnsPrefix: this.topo.podNetnsPrefix(k),
      nodeNetns: this.topo.nodes[k - 1].name,
      stateDir: join(this.dir, 'kubelet', node),
      log: this.#childLog('lab-kubelet', { node }),
    });
    this.kubelets.set(node, kubelet);
  }

  /** Names whose health decides readiness. */
  readinessSet(): string[] {
    return [
      'config-api', 'kube-apiserver', 'kube-manager', 'gateway',
      ...this.topo.controls.map((_, i) => `control${i + 1}`),
      ...(this.agents ? this.topo.nodes.map((n) => `agent-${n.host}`) : []),
      ...this.topo.nodes.map((n) => `kubelet-${n.host}`),
    ];
  }

  async #waitFor(names: readonly string[], timeoutMs: number, since: number): Promise<void> {
    let last: ComponentHealth[] = [];
    while (Date.now() - since < timeoutMs) {
      this.#checkpoint();
      last = await Promise.all(names.map(async (n) => ({ name: n, report: await this.health(n) })));
      if (last.every((h) => h.report.status === 'up')) return;
      const dead = names.filter((n) => this.supervisor.info(n)?.state === 'exited');
      if (dead.length) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    const bad = last.filter((h) => h.report.status !== 'up');
    const detail = bad.map((h) => {
      const p = this.supervisor.info(h.name);
      return `  ${h.name}: ${h.report.status}${h.report.description ? ` (${h.report.description})` : ''}${p ? `, log ${p.logFile}` : ''}`;
    }).join('\n');
    throw new LabError('LAB_START_FAILED', `not healthy after ${Math.round((Date.now() - since) / 1000)} s:\n${detail}`, { components: bad });
  }

  // ---- health -----------------------------------------------------------------------------------

  /** The health of one component (the same probes `tfctl status` and readiness use). */
  async health(name: string): Promise<HealthReport> {
    const p = this.supervisor.info(name);
    if (p && (p.state !== 'running' || p.pid === undefined)) {
      const why = p.state === 'backoff' ? `exited (${p.lastExit?.signal ?? `code ${p.lastExit?.code}`}), restarting` : p.state;
      return { component: name, status: 'down', description: why, connections: [] };
    }
    const ctl = /^control(\d+)$/.exec(name);
    if (ctl) return getHealth(`http://127.0.0.1:${this.ports.controlIntrospect[Number(ctl[1]) - 1]}/healthz`);
    const agent = /^agent-node(\d+)$/.exec(name);
    if (agent) return getHealth(`http://127.0.0.1:${this.ports.agentIntrospect[Number(agent[1]) - 1]}/healthz`);
    const kubelet = /^kubelet-(.+)$/.exec(name);
    if (kubelet) return this.#kubeletHealth(kubelet[1]);
    switch (name) {
      case 'config-api':
      case 'schema': {
        const h = await getHealth(`http://127.0.0.1:${this.ports.configIntrospect}/healthz`);
        return name === 'schema' ? { ...h, component: 'schema-transformer', description: h.description ?? 'in the config API process' } : h;
      }
      case 'kube-manager':
        return getHealth(`http://127.0.0.1:${this.ports.kubeManager}/healthz`);
      case 'kube-apiserver':
        return this.kubeApi ? summarize('kube-apiserver', []) : { component: name, status: 'down', description: 'not started', connections: [] };
      case 'gateway':
        return this.#gatewayHealth();
      case 'supervisor':
        return summarize('lab', []);
      default:
        if (p) return summarize(name, []);
        return { component: name, status: 'down', description: 'unknown component', connections: [] };
    }
  }

  async #kubeletHealth(node: string): Promise<HealthReport> {
    if (!this.kubelets.has(node) || !this.kubeApi) return { component: `kubelet-${node}`, status: 'initializing', description: 'starting', connections: [] };
    try {
      const n = await this.kubeApi.client.get(R.nodes, undefined, node);
      const ready = ((n.status as { conditions?: { type: string; status: string; message?: string }[] } | undefined)?.conditions ?? []).find((c) => c.type === 'Ready');
      return summarize(`kubelet-${node}`, [{ type: 'KubernetesApi', name: 'node', server_addrs: [this.kubeApiUrl], status: ready?.status === 'True' ? 'Up' : 'Initializing', description: ready?.message ?? 'node not Ready' }]);
    } catch (err) {
      return { component: `kubelet-${node}`, status: 'initializing', description: errorMessage(err), connections: [] };
    }
  }

  async #gatewayHealth(): Promise<HealthReport> {
    try {
      const protos = await birdProtocols(birdSocket(this.layout));
      const conns = this.topo.controls.map((c) => {
        const p = protos.find((x) => x.name === birdProtocolName(c.host));
        const up = p?.state === 'up' && /Established/.test(p.info);
        return { type: 'BGP', name: c.host, server_addrs: [`${c.underlayIp}:${CONTROL_BGP_PORT}`], status: up ? ('Up' as const) : ('Down' as const), description: p ? p.info || p.state : 'no such protocol' };
      });
      return summarize('bird', conns);
    } catch (err) {
      return { component: 'bird', status: 'down', description: errorMessage(err), connections: [] };
    }
  }

  async #startIntrospect(): Promise<RunningServer> {
    const routes: Record<string, () => Promise<unknown>> = {
      '/Snh_LabStatus': async () => ({ dir: this.dir, prefix: this.topo.prefix, phase: this.#phase, processes: this.supervisor.list(), endpoints: this.endpoints() }),
    };
    const names = ['schema', 'kube-apiserver', 'gateway', 'supervisor', ...this.topo.nodes.map((n) => `kubelet-${n.host}`), ...[...this.topo.controls, ...this.topo.nodes].map((n) => `relay-${n.name.slice(this.topo.prefix.length)}`)];
    for (const n of names) routes[`/health/${n}`] = () => this.health(n);
    return startIntrospect({ port: this.ports.lab, registry: new Registry(), health: () => summarize('lab', []), routes });
  }

  // ---- control ----------------------------------------------------------------------------------

  /** SIGKILLs a supervised component (a crash) and keeps it down until resume(). */
  async kill(name: string): Promise<void> {
    await this.supervisor.kill(name);
  }

  /** Starts a component stopped by kill() again. */
  async resume(name: string): Promise<void> {
    await this.supervisor.resume(name);
    this.#saveState();
  }

  /** Stops everything and removes every namespace, process and runtime file. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#phase = 'stopping';
    const step = async (what: string, f: () => Promise<unknown>): Promise<void> => {
      try {
        await f();
      } catch (err) {
        this.#log.warn({ err: errorMessage(err) }, `lab stop: ${what} failed`);
      }
    };
    await step('kubelets', () => Promise.all([...this.kubelets.values()].map((k) => k.close({ teardownPods: false }))));
    await step('kube-manager', () => this.supervisor.info('kube-manager') ? this.supervisor.stop('kube-manager', 3_000) : Promise.resolve());
    await step('processes', () => this.supervisor.stopAll([], 3_000));
    await step('kube-api', () => this.kubeApi?.close() ?? Promise.resolve());
    await step('relay', () => this.#hostRelay?.close() ?? Promise.resolve());
    await step('introspect', () => this.#introspect?.close() ?? Promise.resolve());
    if (this.#ownsNetwork) await step('network', () => destroyNetwork(this.topo.prefix));
    removeRuntimeFiles(this.dir, this.layout.runDir);
  }
}

/** The lab's own logger: TF_LOG_LEVEL when set, else warnings only (progress lines tell the story). */
export function quietLogger(): Logger {
  const l = createLogger('lab');
  if (!process.env.TF_LOG_LEVEL) l.level = 'warn';
  return l;
}

/** Resolves the options, cleans up a crashed lab of the same directory/prefix, and starts a lab. */
export async function startLab(opts: LabOptions = {}): Promise<Lab> {
  preflight();
  const dir = resolve(opts.dir ?? labDir());
  const log = opts.log ?? quietLogger();
  const progress = opts.onProgress ?? (() => undefined);
  const topo = planTopology(opts);
  const prev = readState(dir);
  if (prev && prev.supervisor.pid !== process.pid && stillRunning(prev.supervisor)) {
    throw new LabError('LAB_ALREADY_RUNNING', `a lab is already running from ${dir} (supervisor pid ${prev.supervisor.pid}); \`tfctl lab down\` stops it`, { pid: prev.supervisor.pid });
  }
  // A lab of this directory that crashed is cleaned up; namespaces of the prefix without a state file of
  // ours may belong to a lab of another directory: buildNetwork() refuses them (LAB_ALREADY_RUNNING).
  if (prev) {
    const r = await labDown(dir, { prefix: prev.prefix });
    if (!r.nothing) progress(`cleaned up a previous lab of ${dir} that did not stop (${r.namespaces.length} namespaces, ${r.killed.length} processes)`);
  }
  const p = opts.ports ?? 'default';
  const ports = p === 'auto' ? await autoPorts(topo.controls.length, topo.nodes.length) : p === 'default' ? defaultPorts(topo.controls.length, topo.nodes.length) : p;
  const used: number[] = [];
  for (const port of allPorts(ports)) if (!(await portFree(port))) used.push(port);
  if (used.length) throw new LabError('LAB_PORT_IN_USE', `127.0.0.1 port${used.length > 1 ? 's' : ''} ${used.join(', ')} in use (another lab or component?); free them or run \`tfctl lab down\``, { ports: used });
  const agents = opts.agents ?? hasCliModule('serve-agent');
  const layout: LabLayout = {
    dir, runDir: runDirFor(dir), topo, ports, tfctl: tfctlArgv(), agents, asn: 64512,
    logLevel: opts.logLevel ?? process.env.TF_LAB_LOG_LEVEL ?? 'info',
    cniBinDir: join(dir, 'cni', 'bin'),
    clusterName: loadConfig(readKubeManagerExample()).clusterName,
  };
  const lab = new Lab(layout, log, progress);
  const abort = (): void => lab.cancelStart();
  opts.signal?.addEventListener('abort', abort, { once: true });
  try {
    if (opts.signal?.aborted) throw new LabError('LAB_START_FAILED', 'the lab was stopped while starting');
    await lab.start(opts.readyTimeoutMs ?? 180_000);
  } catch (err) {
    await lab.stop().catch(() => undefined);
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', abort);
  }
  return lab;
}
