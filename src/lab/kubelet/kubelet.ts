// The lab kubelet: registers its Node (InternalIP = the node's underlay address, Ready, heartbeats),
// watches the pods bound to it, and for each one creates a network namespace, runs the CNI plugin
// (ADD) exactly as a kubelet does, starts the containers as processes inside the namespace and
// reports podIP/podIPs, phase and readiness. A CNI failure leaves the pod ContainerCreating with a
// FailedCreatePodSandBox event and is retried with exponential backoff (after a DEL of the failed
// attempt, as the spec asks). Deletion stops the containers, runs CNI DEL, removes the namespace and
// confirms with a grace-0 delete. Sandbox state is kept on disk so a restarted kubelet re-adopts its
// namespaces and cleans up those whose pods are gone.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../common/log.js';
import { ReconcileQueue } from '../../common/reconcile-queue.js';
import type { KubeClient } from '../kube/client.js';
import { isAlreadyExists, isConflict, isNotFound } from '../kube/errors.js';
import { EventRecorder } from '../kube/events.js';
import { Informer } from '../kube/informer.js';
import { canonical } from '../kube/patch.js';
import { timestamp } from '../kube/registry.js';
import { R } from '../kube/resources.js';
import { isObject, type KubeObject } from '../kube/types.js';
import { CniRunner, loadNetworkConfig, podIpsOf, type CniParams, type NetworkConfig } from './cni.js';
import { ProcessRunner, containerArgv, containerEnv, responderCommand, type Exit, type RunningProcess } from './containers.js';
import { IpNetns, type NetnsOps } from './netns.js';
import { startLogServer } from './log-server.js';
import { computePodStatus, type ContainerState, type ContainerView } from './pod-status.js';

type Obj = Record<string, unknown>;

export const KUBELET_VERSION = 'v1.32.0-tungsten-lab';

export interface KubeletOptions {
  client: KubeClient;
  /** Node name */
  node: string;
  /** the node's underlay address: Node InternalIP and pods' hostIP */
  ip: string;
  cniConfDir: string;
  cniBinDirs: string[];
  /** pod network namespaces are named <prefix><pod uid> (default "lab-") */
  netnsPrefix?: string;
  /** run CNI plugins inside this network namespace (the lab node's) */
  nodeNetns?: string;
  /** sandbox state and container logs (default <tmpdir>/tf-lab-kubelet-<node>) */
  stateDir?: string;
  labels?: Record<string, string>;
  /** node lease renewal interval (default 10 s, as the kubelet's) */
  heartbeatMs?: number;
  /** node status report interval when nothing changed (default 5 min, nodeStatusReportFrequency) */
  statusReportMs?: number;
  cniTimeoutMs?: number;
  /** CNI retry backoff (default 1 s doubling to 60 s) */
  backoff?: { baseMs: number; maxMs: number };
  /** container restart backoff (default 1 s doubling to 60 s) */
  restartBackoff?: { baseMs: number; maxMs: number };
  /** argv prefix of the built-in responder (default this Node binary + responder module) */
  responder?: string[];
  /** port of the log endpoint on 127.0.0.1 that the API server proxies `kubectl logs` to (default any free port) */
  kubeletPort?: number;
  netns?: NetnsOps;
  log?: Logger;
}

interface SandboxState {
  uid: string;
  namespace: string;
  name: string;
  netns: string;
  containerId: string;
  network: NetworkConfig;
  result: unknown;
  podIPs: string[];
  startTime: string;
}

interface ContainerRt {
  name: string;
  image: string;
  proc?: RunningProcess;
  state: ContainerState;
  lastState?: ContainerState;
  restartCount: number;
  started: boolean;
  nextStart: number;
  backoffMs: number;
  timer?: NodeJS.Timeout;
}

interface PodRt {
  uid: string;
  namespace: string;
  name: string;
  sandbox?: SandboxState;
  sandboxError?: string;
  delFailures: number;
  containers: Map<string, ContainerRt>;
  startTime: string;
  restartPolicy: string;
}

const podKey = (ns: string | undefined, name: string): string => `${ns ?? ''}/${name}`;

export class Kubelet {
  readonly queue: ReconcileQueue<string>;
  readonly pods: Informer;
  readonly #o: Required<Pick<KubeletOptions, 'netnsPrefix' | 'stateDir' | 'heartbeatMs'>> & KubeletOptions;
  readonly #log: Logger;
  readonly #netns: NetnsOps;
  readonly #cni: CniRunner;
  readonly #runner: ProcessRunner;
  readonly #recorder: EventRecorder;
  readonly #rt = new Map<string, PodRt>();
  readonly #responder: string[];
  #heartbeat: NodeJS.Timeout | undefined;
  #logServer: { port: number; close(): Promise<void> } | undefined;
  #lastStatusReport = 0;
  #nodeUid: string | undefined;
  #closed = false;

  constructor(o: KubeletOptions) {
    this.#o = { netnsPrefix: 'lab-', stateDir: join(tmpdir(), `tf-lab-kubelet-${o.node}`), heartbeatMs: 10_000, ...o };
    this.#log = o.log ?? createLogger('lab-kubelet', { node: o.node });
    this.#netns = o.netns ?? new IpNetns();
    this.#cni = new CniRunner({ binDirs: o.cniBinDirs, nodeNetns: o.nodeNetns, timeoutMs: o.cniTimeoutMs });
    mkdirSync(join(this.#o.stateDir, 'pods'), { recursive: true });
    this.#runner = new ProcessRunner(this.#netns, join(this.#o.stateDir, 'logs'));
    this.#recorder = new EventRecorder(o.client, { component: 'kubelet', host: o.node }, this.#log);
    this.#responder = o.responder ?? responderCommand();
    const backoff = o.backoff ?? { baseMs: 1_000, maxMs: 60_000 };
    this.queue = new ReconcileQueue({
      reconcile: (k) => this.reconcile(k),
      concurrency: 4,
      baseBackoffMs: backoff.baseMs,
      maxBackoffMs: backoff.maxMs,
      onError: (k, err, attempt) => this.#log.warn({ pod: k, attempt, err: (err as Error).message }, 'pod sync failed; will retry'),
    });
    this.pods = new Informer(o.client, R.pods, { fieldSelector: `spec.nodeName=${o.node}`, log: this.#log });
    const enqueue = (p: KubeObject): void => this.queue.enqueue(podKey(p.metadata.namespace, p.metadata.name ?? ''));
    this.pods.on({ add: enqueue, update: enqueue, delete: enqueue });
  }

  get node(): string {
    return this.#o.node;
  }

  netnsName(uid: string): string {
    return `${this.#o.netnsPrefix}${uid}`;
  }

  /** Registers the node, re-adopts saved sandboxes, starts watching pods and heartbeating. */
  async start(): Promise<void> {
    this.#logServer = await startLogServer({
      file: (ns, pod, container) => {
        const rt = this.#rt.get(podKey(ns, pod));
        return rt?.containers.has(container) ? this.#runner.logFile(ns, pod, container) : undefined;
      },
      running: (ns, pod, container) => this.#rt.get(podKey(ns, pod))?.containers.get(container)?.proc !== undefined,
    }, this.#o.kubeletPort ?? 0);
    await this.registerNode();
    await this.#renewLease().catch((err: unknown) => this.#log.warn({ err: (err as Error).message }, 'node lease not created'));
    this.#adoptSaved();
    await this.pods.start();
    for (const k of this.#rt.keys()) this.queue.enqueue(k);
    await this.#cleanOrphanNetns();
    this.#heartbeat = setInterval(() => void this.heartbeat().catch((err: unknown) => this.#log.warn({ err: (err as Error).message }, 'node heartbeat failed')), this.#o.heartbeatMs);
    this.#log.info({ node: this.#o.node, ip: this.#o.ip, cniConfDir: this.#o.cniConfDir, nodeNetns: this.#o.nodeNetns ?? null }, 'kubelet started');
  }

  // ---- node ----

  #nodeConditions(now: string, prev: Obj[] = []): Obj[] {
    const cond = (type: string, status: string, reason: string, message: string): Obj => {
      const old = prev.find((c) => c.type === type);
      return { type, status, lastHeartbeatTime: now, lastTransitionTime: old?.status === status && typeof old.lastTransitionTime === 'string' ? old.lastTransitionTime : now, reason, message };
    };
    return [
      cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
    ];
  }

  #nodeStatus(now: string, prev: Obj[] = []): Obj {
    const capacity = { cpu: String(cpus().length), memory: `${Math.floor(totalmem() / 1024)}Ki`, pods: '110' };
    return {
      capacity,
      allocatable: capacity,
      conditions: this.#nodeConditions(now, prev),
      addresses: [
        { type: 'InternalIP', address: this.#o.ip },
        { type: 'Hostname', address: this.#o.node },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: this.#logServer?.port ?? 0 } },
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: release(),
        osImage: `tungsten-ts lab (${hostname()})`,
        containerRuntimeVersion: 'lab://0.1.0',
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: process.arch === 'x64' ? 'amd64' : process.arch,
      },
    };
  }

  async registerNode(): Promise<void> {
    this.#lastStatusReport = Date.now();
    const now = timestamp(new Date());
    const labels = { 'kubernetes.io/hostname': this.#o.node, 'kubernetes.io/os': 'linux', ...(this.#o.labels ?? {}) };
    const annotations: Record<string, string> = {
      'lab.tungsten.io/netns-prefix': this.#o.netnsPrefix,
      // where the API server reaches this kubelet (its InternalIP may live in a node namespace)
      'lab.tungsten.io/kubelet-address': '127.0.0.1',
      ...(this.#o.nodeNetns ? { 'lab.tungsten.io/node-netns': this.#o.nodeNetns } : {}),
    };
    for (let attempt = 0; ; attempt++) {
      try {
        try {
          const made = await this.#o.client.create(R.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: this.#o.node, labels, annotations }, spec: {}, status: this.#nodeStatus(now) });
          this.#nodeUid = made.metadata.uid;
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
          const cur = await this.#o.client.get(R.nodes, undefined, this.#o.node);
          this.#nodeUid = cur.metadata.uid;
          const prev = isObject(cur.status) && Array.isArray(cur.status.conditions) ? cur.status.conditions.filter(isObject) : [];
          await this.#o.client.patch(R.nodes, undefined, this.#o.node, 'merge', { metadata: { labels, annotations } });
          await this.#o.client.patch(R.nodes, undefined, this.#o.node, 'merge', { status: this.#nodeStatus(now, prev) }, { subresource: 'status' });
        }
        return;
      } catch (err) {
        if (this.#closed || attempt >= 30) throw err;
        this.#log.warn({ err: (err as Error).message }, 'node registration failed; retrying');
        await new Promise((r) => setTimeout(r, Math.min(5_000, 200 * 2 ** attempt)));
      }
    }
  }

  /**
   * Renews the node's Lease (kube-node-lease/<node>) and, every statusReportMs or when the Node is
   * not Ready, reports node status: Node objects change rarely, as with a real kubelet.
   */
  async heartbeat(): Promise<void> {
    const cur = await this.#o.client.get(R.nodes, undefined, this.#o.node).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
    if (!cur) return this.registerNode();
    this.#nodeUid = cur.metadata.uid;
    await this.#renewLease();
    const prev = isObject(cur.status) && Array.isArray(cur.status.conditions) ? cur.status.conditions.filter(isObject) : [];
    const ready = prev.find((c) => c.type === 'Ready')?.status === 'True';
    if (ready && Date.now() - this.#lastStatusReport < (this.#o.statusReportMs ?? 300_000)) return;
    this.#lastStatusReport = Date.now();
    await this.#o.client.patch(R.nodes, undefined, this.#o.node, 'merge', { status: { conditions: this.#nodeConditions(timestamp(new Date()), prev) } }, { subresource: 'status' });
  }

  async #renewLease(): Promise<void> {
    const renewTime = new Date().toISOString().replace(/Z$/, '000Z');
    const lease: KubeObject = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.#o.node,
        namespace: 'kube-node-lease',
        ...(this.#nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.#o.node, uid: this.#nodeUid }] } : {}),
      },
      spec: { holderIdentity: this.#o.node, leaseDurationSeconds: 40, renewTime },
    };
    try {
      await this.#o.client.patch(R.leases, 'kube-node-lease', this.#o.node, 'merge', { spec: { holderIdentity: this.#o.node, renewTime } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.#o.client.create(R.leases, 'kube-node-lease', lease).catch((e: unknown) => {
        if (!isAlreadyExists(e)) throw e;
      });
    }
  }

  // ---- sandbox state on disk ----

  #stateFile(uid: string): string {
    return join(this.#o.stateDir, 'pods', `${uid}.json`);
  }

  #saveSandbox(s: SandboxState): void {
    writeFileSync(this.#stateFile(s.uid), JSON.stringify(s));
  }

  #adoptSaved(): void {
    for (const f of readdirSync(join(this.#o.stateDir, 'pods')).filter((x) => x.endsWith('.json'))) {
      try {
        const s = JSON.parse(readFileSync(join(this.#o.stateDir, 'pods', f), 'utf8')) as SandboxState;
        this.#rt.set(podKey(s.namespace, s.name), { uid: s.uid, namespace: s.namespace, name: s.name, sandbox: s, delFailures: 0, containers: new Map(), startTime: s.startTime, restartPolicy: 'Always' });
      } catch (err) {
        this.#log.warn({ file: f, err: (err as Error).message }, 'unreadable sandbox state ignored');
      }
    }
  }

  /** Namespaces with our prefix that no sandbox owns: left by a crash between netns add and state save. */
  async #cleanOrphanNetns(): Promise<void> {
    const owned = new Set([...this.#rt.values()].map((r) => r.sandbox?.netns).filter((n): n is string => n !== undefined));
    for (const ns of await this.#netns.list().catch(() => [])) {
      if (!ns.startsWith(this.#o.netnsPrefix) || owned.has(ns)) continue;
      const uid = ns.slice(this.#o.netnsPrefix.length);
      if (!/^[0-9a-f-]{36}$/.test(uid)) continue;
      if (this.pods.list().some((p) => p.metadata.uid === uid)) continue;
      this.#log.info({ netns: ns }, 'removing orphaned pod network namespace');
      try {
        const net = loadNetworkConfig(this.#o.cniConfDir);
        await this.#cni.del(net, { containerId: 'orphan', netnsPath: this.#netns.path(ns), ifName: 'eth0', podNamespace: '', podName: '', podUid: uid }, undefined);
      } catch (err) {
        this.#log.warn({ netns: ns, err: (err as Error).message }, 'CNI DEL of orphaned namespace failed');
      }
      await this.#netns.remove(ns).catch(() => undefined);
    }
  }

  // ---- reconcile ----

  async reconcile(key: string): Promise<void> {
    if (this.#closed) return;
    const slash = key.indexOf('/');
    const ns = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const pod = this.pods.get(ns, name);
    let rt = this.#rt.get(key);
    if (rt && (!pod || pod.metadata.uid !== rt.uid)) {
      await this.#teardown(rt, 0);
      this.#rt.delete(key);
      rt = undefined;
    }
    if (!pod) return;
    const ref = { ...pod, kind: 'Pod', apiVersion: 'v1' };
    if (pod.metadata.deletionTimestamp) {
      if (rt) {
        for (const c of rt.containers.values()) if (c.proc) this.#recorder.event(ref, 'Normal', 'Killing', `Stopping container ${c.name}`, `spec.containers{${c.name}}`);
        const grace = pod.metadata.deletionGracePeriodSeconds ?? 30;
        await this.#teardown(rt, Math.min(grace, 30) * 1000);
        this.#rt.delete(key);
      }
      await this.#o.client.delete(R.pods, ns, name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } }).catch((err: unknown) => {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      });
      return;
    }
    const spec = isObject(pod.spec) ? pod.spec : {};
    const specContainers = (Array.isArray(spec.containers) ? spec.containers : []).filter(isObject);
    if (!rt) {
      rt = { uid: pod.metadata.uid ?? '', namespace: ns, name, delFailures: 0, containers: new Map(), startTime: timestamp(new Date()), restartPolicy: 'Always' };
      this.#rt.set(key, rt);
    }
    rt.restartPolicy = typeof spec.restartPolicy === 'string' ? spec.restartPolicy : 'Always';
    for (const c of specContainers) {
      const cname = String(c.name);
      if (!rt.containers.has(cname)) rt.containers.set(cname, { name: cname, image: typeof c.image === 'string' ? c.image : '', state: { waiting: { reason: 'ContainerCreating' } }, restartCount: 0, started: false, nextStart: 0, backoffMs: 0 });
    }
    if (!rt.sandbox) {
      try {
        rt.sandbox = await this.#createSandbox(pod, rt);
        rt.sandboxError = undefined;
      } catch (err) {
        rt.sandboxError = (err as Error).message;
        this.#recorder.event(ref, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${rt.sandboxError}`);
        await this.#writeStatus(pod, rt);
        throw err;
      }
    }
    const status = isObject(pod.status) ? pod.status : {};
    const terminal = status.phase === 'Succeeded' || status.phase === 'Failed';
    if (!terminal) this.#ensureContainers(rt, pod, specContainers, ref);
    await this.#writeStatus(pod, rt);
  }

  async #createSandbox(pod: KubeObject, rt: PodRt): Promise<SandboxState> {
    const net = loadNetworkConfig(this.#o.cniConfDir);
    const netns = this.netnsName(rt.uid);
    const containerId = randomBytes(32).toString('hex');
    const params: CniParams = { containerId, netnsPath: this.#netns.path(netns), ifName: 'eth0', podNamespace: rt.namespace, podName: rt.name, podUid: rt.uid };
    await this.#netns.create(netns);
    let result: unknown;
    try {
      result = await this.#cni.add(net, params);
    } catch (err) {
      // the spec asks for a DEL after a failed ADD, to release whatever was set up
      await this.#cni.del(net, params, undefined).catch((e: unknown) => this.#log.debug({ err: (e as Error).message }, 'DEL after failed ADD failed'));
      await this.#netns.remove(netns).catch(() => undefined);
      throw err;
    }
    const podIPs = podIpsOf(result);
    const s: SandboxState = { uid: rt.uid, namespace: rt.namespace, name: rt.name, netns, containerId, network: net, result, podIPs, startTime: rt.startTime };
    this.#saveSandbox(s);
    this.#log.info({ pod: `${rt.namespace}/${rt.name}`, netns, podIPs, network: net.name }, 'pod sandbox ready');
    return s;
  }

  #restarts(policy: string, exitCode: number): boolean {
    return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
  }

  #ensureContainers(rt: PodRt, pod: KubeObject, specs: Obj[], ref: KubeObject): void {
    const now = Date.now();
    const backoff = this.#o.restartBackoff ?? { baseMs: 1_000, maxMs: 60_000 };
    for (const c of specs) {
      const ct = rt.containers.get(String(c.name));
      if (!ct || ct.proc || !rt.sandbox) continue;
      if ('terminated' in ct.state && !this.#restarts(rt.restartPolicy, ct.state.terminated.exitCode)) continue;
      if (ct.nextStart > now) {
        if (!ct.timer) ct.timer = setTimeout(() => {
          ct.timer = undefined;
          this.queue.enqueue(podKey(rt.namespace, rt.name));
        }, ct.nextStart - now);
        continue;
      }
      const argv = containerArgv(pod, c, this.#responder);
      const fieldPath = `spec.containers{${ct.name}}`;
      if (ct.restartCount === 0 && !ct.started) this.#recorder.event(ref, 'Normal', 'Pulled', `Container image "${ct.image}" already present on machine`, fieldPath);
      const proc = this.#runner.start(rt.sandbox.netns, argv, containerEnv(pod, c), this.#runner.logFile(rt.namespace, rt.name, ct.name));
      if (ct.started) ct.restartCount++;
      ct.proc = proc;
      ct.started = true;
      ct.state = { running: { startedAt: timestamp(proc.startedAt) } };
      this.#recorder.event(ref, 'Normal', 'Created', `Created container ${ct.name}`, fieldPath);
      this.#recorder.event(ref, 'Normal', 'Started', `Started container ${ct.name}`, fieldPath);
      void proc.exited.then((e) => this.#onExit(rt, ct, proc, e, backoff));
    }
  }

  #onExit(rt: PodRt, ct: ContainerRt, proc: RunningProcess, e: Exit, backoff: { baseMs: number; maxMs: number }): void {
    if (ct.proc !== proc) return;
    ct.proc = undefined;
    const exitCode = e.code ?? (e.signal ? 128 + 15 : 1);
    ct.lastState = ct.state;
    ct.state = { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: timestamp(proc.startedAt), finishedAt: timestamp(e.finishedAt), containerID: `lab://${proc.pid}` } };
    const ranLong = e.finishedAt.getTime() - proc.startedAt.getTime() > 10 * 60_000;
    ct.backoffMs = ranLong || ct.backoffMs === 0 ? backoff.baseMs : Math.min(backoff.maxMs, ct.backoffMs * 2);
    ct.nextStart = Date.now() + ct.backoffMs;
    if (!this.#closed) this.queue.enqueue(podKey(rt.namespace, rt.name));
  }

  #view(rt: PodRt): { sandboxReady: boolean; podIPs: string[]; hostIP: string; startTime: string; containers: ContainerView[] } {
    const containers: ContainerView[] = [...rt.containers.values()].map((c) => {
      let state = c.state;
      if (!rt.sandbox) state = { waiting: { reason: 'ContainerCreating' } };
      else if (!c.proc && 'terminated' in c.state && c.nextStart > Date.now() && this.#restarts(rt.restartPolicy, c.state.terminated.exitCode)) state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(c.backoffMs / 1000)}s restarting failed container=${c.name} pod=${rt.name}_${rt.namespace}(${rt.uid})` } };
      return { name: c.name, image: c.image, state, ...(c.lastState && 'terminated' in c.lastState ? { lastState: c.lastState } : {}), restartCount: c.restartCount, started: c.proc !== undefined, ...(c.proc ? { containerID: `lab://${c.proc.pid}` } : {}) };
    });
    return { sandboxReady: rt.sandbox !== undefined, podIPs: rt.sandbox?.podIPs ?? [], hostIP: this.#o.ip, startTime: rt.startTime, containers };
  }

  async #writeStatus(pod: KubeObject, rt: PodRt): Promise<void> {
    const next = computePodStatus(pod, this.#view(rt), timestamp(new Date()));
    const cur = isObject(pod.status) ? pod.status : {};
    const differs = Object.keys(next).some((k) => JSON.stringify(canonical(next[k] ?? null)) !== JSON.stringify(canonical(cur[k] ?? null)));
    if (!differs) return;
    await this.#o.client.patch(R.pods, rt.namespace, rt.name, 'merge', { metadata: { uid: rt.uid }, status: next }, { subresource: 'status' }).catch((err: unknown) => {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    });
  }

  async #teardown(rt: PodRt, graceMs: number): Promise<void> {
    await Promise.all(
      [...rt.containers.values()].map(async (c) => {
        clearTimeout(c.timer);
        const p = c.proc;
        c.proc = undefined;
        if (p) await p.stop(graceMs);
      }),
    );
    const s = rt.sandbox;
    if (!s) return;
    try {
      await this.#cni.del(s.network, { containerId: s.containerId, netnsPath: this.#netns.path(s.netns), ifName: 'eth0', podNamespace: s.namespace, podName: s.name, podUid: s.uid }, s.result);
    } catch (err) {
      rt.delFailures++;
      if (rt.delFailures < 5) throw err;
      this.#log.error({ pod: `${s.namespace}/${s.name}`, err: (err as Error).message }, 'CNI DEL keeps failing; removing the sandbox anyway');
    }
    await this.#netns.remove(s.netns);
    rmSync(this.#stateFile(s.uid), { force: true });
    rt.sandbox = undefined;
    this.#log.info({ pod: `${s.namespace}/${s.name}`, netns: s.netns }, 'pod sandbox removed');
  }

  /** The saved sandbox of a pod on this node (for exec and tests). */
  sandboxOf(namespace: string, name: string): { netns: string; podIPs: string[] } | undefined {
    const s = this.#rt.get(podKey(namespace, name))?.sandbox;
    return s ? { netns: s.netns, podIPs: s.podIPs } : undefined;
  }

  /**
   * Stops the kubelet. Containers are stopped (they are this process's children); with
   * `teardownPods`, sandboxes are removed too (CNI DEL, netns deleted), otherwise they are kept for a
   * restarted kubelet to adopt.
   */
  async close(opts: { teardownPods?: boolean } = {}): Promise<void> {
    this.#closed = true;
    clearInterval(this.#heartbeat);
    this.pods.stop();
    this.queue.stop();
    await Promise.all(
      [...this.#rt.values()].map(async (rt) => {
        if (opts.teardownPods) await this.#teardown(rt, 2_000).catch((err: unknown) => this.#log.warn({ err: (err as Error).message }, 'teardown on close failed'));
        else
          for (const c of rt.containers.values()) {
            clearTimeout(c.timer);
            const p = c.proc;
            c.proc = undefined;
            if (p) await p.stop(2_000);
          }
      }),
    );
    await this.#recorder.flush();
    await this.#logServer?.close();
  }
}

export async function startKubelet(o: KubeletOptions): Promise<Kubelet> {
  const k = new Kubelet(o);
  await k.start();
  return k;
}
