// kube-manager: Kubernetes informers on one side, the VNC cache on the other, and one keyed work
// queue between them. Event handlers only enqueue keys ('Namespace/<ns>', 'Pod/<ns>/<name>',
// 'Service/…', 'NetworkPolicy/…', 'Ingress/…'); keys are reconciled in parallel, never one key
// twice at once, failures retried with per-key backoff. Dependencies are followed by events, not
// timers: a virtual-router appearing links its node's pods, a pod's interface appearing updates the
// services whose endpoints name it, an awaited network or pool appearing re-runs whoever waited.
// On start, after both caches are listed, every Kubernetes object and every owned VNC object's key
// is reconciled once: what is missing gets created, what stands for a vanished object is deleted.
import type { KubeConfig, KubernetesObject, V1Endpoints, V1Pod } from '@kubernetes/client-node';
import { errorMessage } from '../common/errors.js';
import { summarize, type HealthReport } from '../common/health.js';
import { startIntrospect, type RunningServer } from '../common/http.js';
import { createLogger, type Logger } from '../common/log.js';
import { Registry } from '../common/metrics.js';
import { VncClient } from '../vnc/client.js';
import type { VncObject } from '../vnc/object.js';
import { ownerKey, type Owner } from './annotations.js';
import { ensureCluster } from './cluster.js';
import type { KubeManagerConfig } from './config.js';
import { KEY, parseKey, type ClusterInfo, type Ctx } from './context.js';
import { InputError, NotReadyError } from './errors.js';
import { reconcileIngress } from './ingress.js';
import { KubeSources, loadKubeConfig } from './k8s.js';
import { fqKey, type ClusterNames } from './names.js';
import { reconcileNamespace } from './namespace.js';
import { reconcileNode } from './node.js';
import { compiledOf } from './network-policy/attach.js';
import { reconcilePolicy } from './network-policy/reconcile.js';
import { reconcilePod } from './pod.js';
import { KeyQueues } from './queues.js';
import { reconcileService } from './service.js';
import { Tx, WriteStats } from './tx.js';
import { VncState, refsOf } from './vnc-state.js';

export interface KubeManagerOptions {
  config: KubeManagerConfig;
  /** instead of what the configuration says (tests) */
  kubeConfig?: KubeConfig;
  vncClient?: VncClient;
  /** introspect port; 0 picks a free one; null: none (default: the configuration's http_server_port) */
  introspectPort?: number | null;
  log?: Logger;
}

const podKeyOf = (o: KubernetesObject): string => KEY.pod(o.metadata?.namespace ?? 'default', o.metadata?.name ?? '');

export class KubeManager {
  readonly cfg: KubeManagerConfig;
  readonly k8s: KubeSources;
  readonly vnc: VncState;
  readonly client: VncClient;
  readonly stats = new WriteStats();
  readonly registry = new Registry();
  readonly log: Logger;
  readonly names: ClusterNames;
  readonly owner: Owner;
  introspect: RunningServer | undefined;
  cluster: ClusterInfo | undefined;
  #queue: KeyQueues | undefined;
  #ctx: Ctx | undefined;
  #ownClient: boolean;
  #stopped = false;
  readonly #waits = new Map<string, Set<string>>();
  readonly #addressWaiters = new Set<string>();
  readonly #reported = new Map<string, string>();
  readonly #servicesByPod = new Map<string, Set<string>>();
  readonly #podsOfEndpoints = new Map<string, Set<string>>();
  readonly #nsSnapshot = new Map<string, string>();
  readonly #podSnapshot = new Map<string, string>();
  readonly #reconciles;
  readonly #reconcileSeconds;

  private constructor(opts: KubeManagerOptions) {
    this.cfg = opts.config;
    this.log = opts.log ?? createLogger('kube-manager');
    this.names = { cluster: this.cfg.clusterName, domain: this.cfg.domain, clusterProject: this.cfg.clusterProject };
    this.owner = { owner: this.cfg.owner, cluster: this.cfg.clusterName };
    this.#ownClient = !opts.vncClient;
    this.client = opts.vncClient ?? new VncClient({ url: this.cfg.vncUrl, adminToken: this.cfg.adminToken });
    this.k8s = new KubeSources(opts.kubeConfig ?? loadKubeConfig(this.cfg.kube), this.log);
    this.vnc = new VncState(this.client, this.owner, this.log);
    this.#reconciles = this.registry.counter('tf_kube_manager_reconciles_total', 'reconciles by kind and result');
    this.#reconcileSeconds = this.registry.histogram('tf_kube_manager_reconcile_seconds', 'reconcile duration');
    this.registry.gauge('tf_kube_manager_queue_depth', 'keys waiting, running or backing off', (g) => g.set(this.#queue?.depth ?? 0));
    this.registry.gauge('tf_kube_manager_vnc_writes', 'VNC writes made, by kind', (g) => {
      for (const [k, v] of Object.entries(this.stats.counts)) g.set(v, { kind: k });
    });
    this.registry.gauge('tf_kube_manager_kubernetes_objects', 'objects in the informer caches', (g) => {
      for (const w of this.k8s.all) g.set(w.list().length, { resource: w.resource });
    });
    this.registry.gauge('tf_kube_manager_owned_objects', 'VNC objects owned by this cluster', (g) => g.set(this.vnc.ownedKeys().reduce((n, k) => n + this.vnc.owned(k).length, 0)));
  }

  /** Connects both sides, creates the cluster objects, resyncs, and keeps reconciling until stop(). */
  static async start(opts: KubeManagerOptions): Promise<KubeManager> {
    const km = new KubeManager(opts);
    try {
      await km.#start(opts.introspectPort === undefined ? km.cfg.httpServerPort : opts.introspectPort);
    } catch (err) {
      await km.stop();
      throw err;
    }
    return km;
  }

  async #start(introspectPort: number | null): Promise<void> {
    this.#watch();
    if (introspectPort !== null) {
      this.introspect = await startIntrospect({
        port: introspectPort,
        host: this.cfg.httpServerIp,
        registry: this.registry,
        health: () => this.health(),
        routes: {
          '/status': () => this.status(),
          '/errors': () => Object.fromEntries(this.#queue?.lastErrors ?? []),
          '/objects': (url) => {
            const key = url.searchParams.get('key') ?? '';
            return { key, objects: this.vnc.owned(key).map((o) => ({ type: this.vnc.cache.typeOf(o.uuid), uuid: o.uuid, fq_name: o.fq_name })) };
          },
        },
      });
    }
    await Promise.all([this.vnc.start(), this.k8s.start()]);
    if (this.#stopped) return;
    const tx = new Tx(this.client, this.vnc, this.stats, this.log);
    this.cluster = await ensureCluster(tx, this.cfg, this.names, this.log);
    this.#ctx = this.#makeContext(this.cluster);
    this.#queue = new KeyQueues({
      reconcile: (key) => this.#reconcile(key),
      workers: this.cfg.workers,
      onError: (key, err, attempt) => {
        if (this.#stopped) return;
        if (err instanceof NotReadyError) this.log.debug({ key, attempt, err: err.message }, 'waiting for a dependency');
        else this.log.warn({ key, attempt, err: errorMessage(err) }, 'reconcile failed; will retry');
      },
    });
    this.#resync();
    this.log.info({ kubernetes: this.k8s.server, vnc: this.client.url, cluster: this.cfg.clusterName, project: this.cluster.project.join(':'), network: this.cluster.network.join(':') }, 'kube-manager running');
  }

  /** Every key once: all Kubernetes objects (namespaces first) and every owned VNC object's key. */
  #resync(): void {
    const q = this.#queue!;
    for (const ns of this.k8s.namespaces.list()) q.enqueue(KEY.namespace(ns.metadata?.name ?? ''));
    for (const np of this.k8s.policies.list()) q.enqueue(KEY.policy(np.metadata?.namespace ?? '', np.metadata?.name ?? ''));
    for (const p of this.k8s.pods.list()) q.enqueue(podKeyOf(p));
    for (const s of this.k8s.services.list()) q.enqueue(KEY.service(s.metadata?.namespace ?? '', s.metadata?.name ?? ''));
    for (const i of this.k8s.ingresses.list()) q.enqueue(KEY.ingress(i.metadata?.namespace ?? '', i.metadata?.name ?? ''));
    for (const vr of this.vnc.list('virtual-router')) q.enqueue(KEY.node(vr.fq_name[vr.fq_name.length - 1]));
    // Owned objects whose Kubernetes object is gone: pods and services before their namespace.
    const keys = this.vnc.ownedKeys().sort((a, b) => Number(a.startsWith('Namespace/')) - Number(b.startsWith('Namespace/')));
    for (const k of keys) q.enqueue(k);
  }

  #makeContext(cluster: ClusterInfo): Ctx {
    return {
      cfg: this.cfg,
      names: this.names,
      owner: this.owner,
      k8s: this.k8s,
      vnc: this.vnc,
      client: this.client,
      stats: this.stats,
      log: this.log,
      cluster,
      tx: () => new Tx(this.client, this.vnc, this.stats, this.log),
      enqueue: (key) => this.enqueue(key),
      waitForObject: (type, fq, key) => {
        const k = `${type}|${fqKey(fq)}`;
        let s = this.#waits.get(k);
        if (!s) this.#waits.set(k, (s = new Set()));
        s.add(key);
      },
      waitForAddresses: (key) => this.#addressWaiters.add(key),
      report: (obj, err) => this.#report(obj, err),
      resolved: (obj) => {
        this.#reported.delete(obj.metadata?.uid ?? '');
      },
    };
  }

  enqueue(key: string): void {
    if (!this.#stopped) this.#queue?.enqueue(key);
  }

  async #report(obj: KubernetesObject, err: InputError): Promise<void> {
    const uid = obj.metadata?.uid ?? '';
    const text = `${err.reason}: ${err.message}`;
    if (this.#reported.get(uid) === text) return;
    this.#reported.set(uid, text);
    this.log.warn({ kind: obj.kind, namespace: obj.metadata?.namespace, name: obj.metadata?.name, code: err.code, reason: err.reason }, err.message);
    await this.k8s.event(obj, err.reason, err.message);
  }

  async #reconcile(key: string): Promise<void> {
    const { kind, namespace, name } = parseKey(key);
    const ctx = this.#ctx!;
    const t0 = performance.now();
    let result = 'ok';
    try {
      switch (kind) {
        case 'Namespace':
          return await reconcileNamespace(ctx, name);
        case 'Pod':
          return await reconcilePod(ctx, namespace, name);
        case 'Service':
          return await reconcileService(ctx, namespace, name);
        case 'NetworkPolicy':
          return await reconcilePolicy(ctx, namespace, name);
        case 'Ingress':
          return await reconcileIngress(ctx, namespace, name);
        case 'Node':
          return await reconcileNode(ctx, name);
        default:
          this.log.warn({ key }, 'unknown key kind');
      }
    } catch (err) {
      result = err instanceof NotReadyError ? 'not-ready' : 'error';
      throw err;
    } finally {
      this.#reconciles.inc({ kind, result });
      this.#reconcileSeconds.observe((performance.now() - t0) / 1000);
    }
  }

  /** Event handlers: they only enqueue keys (and keep the small indexes that find the keys). */
  #watch(): void {
    const k = this.k8s;
    k.namespaces.on({
      add: (ns) => this.#namespaceChanged(ns.metadata?.name ?? '', JSON.stringify([ns.metadata?.labels, ns.metadata?.annotations])),
      update: (ns) => this.#namespaceChanged(ns.metadata?.name ?? '', JSON.stringify([ns.metadata?.labels, ns.metadata?.annotations])),
      delete: (ns) => this.#namespaceChanged(ns.metadata?.name ?? '', undefined),
    });
    k.pods.on({ add: (p) => this.#podChanged(p, false), update: (p) => this.#podChanged(p, false), delete: (p) => this.#podChanged(p, true) });
    const svc = (s: KubernetesObject): void => {
      const ns = s.metadata?.namespace ?? '';
      this.enqueue(KEY.service(ns, s.metadata?.name ?? ''));
      for (const i of k.ingresses.list(ns)) this.enqueue(KEY.ingress(ns, i.metadata?.name ?? ''));
    };
    k.services.on({ add: svc, update: svc, delete: svc });
    k.endpoints.on({ add: (e) => this.#endpointsChanged(e, false), update: (e) => this.#endpointsChanged(e, false), delete: (e) => this.#endpointsChanged(e, true) });
    const np = (p: KubernetesObject): void => {
      const ns = p.metadata?.namespace ?? '';
      this.enqueue(KEY.policy(ns, p.metadata?.name ?? ''));
      this.enqueue(KEY.namespace(ns));
    };
    k.policies.on({ add: np, update: np, delete: np });
    const ing = (i: KubernetesObject): void => this.enqueue(KEY.ingress(i.metadata?.namespace ?? '', i.metadata?.name ?? ''));
    k.ingresses.on({ add: ing, update: ing, delete: ing });

    this.vnc.on({
      add: (obj, type) => this.#vncChanged(obj, undefined, type),
      update: (obj, old, type) => this.#vncChanged(obj, old, type),
      delete: (obj, type) => this.#vncDeleted(obj, type),
    });
  }

  #namespaceChanged(name: string, snapshot: string | undefined): void {
    this.enqueue(KEY.namespace(name));
    const before = this.#nsSnapshot.get(name);
    if (snapshot === undefined) this.#nsSnapshot.delete(name);
    else this.#nsSnapshot.set(name, snapshot);
    if (before === snapshot || before === undefined) return;
    // Labels feed namespaceSelectors, annotations the network of every pod and service.
    for (const p of this.k8s.pods.list(name)) this.enqueue(podKeyOf(p));
    for (const s of this.k8s.services.list(name)) this.enqueue(KEY.service(name, s.metadata?.name ?? ''));
    for (const p of this.k8s.policies.list()) this.enqueue(KEY.policy(p.metadata?.namespace ?? '', p.metadata?.name ?? ''));
  }

  #podChanged(p: V1Pod, deleted: boolean): void {
    const key = podKeyOf(p);
    this.enqueue(key);
    if (deleted && p.spec?.nodeName) this.enqueue(KEY.node(p.spec.nodeName));
    // Labels and container ports feed selectors and named ports: policies that depend on pods re-run.
    const snap = deleted ? undefined : JSON.stringify([p.metadata?.labels, (p.spec?.containers ?? []).map((c) => c.ports)]);
    const before = this.#podSnapshot.get(key);
    if (snap === undefined) this.#podSnapshot.delete(key);
    else this.#podSnapshot.set(key, snap);
    if (before === snap) return;
    for (const np of this.k8s.policies.list()) {
      const cp = compiledOf(np);
      if (cp instanceof InputError) continue;
      const named = [...(cp.ingress ?? []), ...(cp.egress ?? [])].some((r) => r.ports.some((x) => x.kind === 'named'));
      if (named) this.enqueue(KEY.policy(cp.namespace, cp.name));
    }
  }

  #endpointsChanged(e: V1Endpoints, deleted: boolean): void {
    const svcKey = KEY.service(e.metadata?.namespace ?? '', e.metadata?.name ?? '');
    this.enqueue(svcKey);
    const uids = new Set<string>();
    if (!deleted) for (const s of e.subsets ?? []) for (const a of [...(s.addresses ?? []), ...(s.notReadyAddresses ?? [])]) if (a.targetRef?.uid) uids.add(a.targetRef.uid);
    for (const u of this.#podsOfEndpoints.get(svcKey) ?? []) if (!uids.has(u)) this.#servicesByPod.get(u)?.delete(svcKey);
    for (const u of uids) {
      let s = this.#servicesByPod.get(u);
      if (!s) this.#servicesByPod.set(u, (s = new Set()));
      s.add(svcKey);
    }
    if (uids.size > 0) this.#podsOfEndpoints.set(svcKey, uids);
    else this.#podsOfEndpoints.delete(svcKey);
  }

  #vncChanged(obj: VncObject, old: VncObject | undefined, type: string): void {
    const waitKey = `${type}|${fqKey(obj.fq_name)}`;
    const waiting = this.#waits.get(waitKey);
    if (waiting) {
      this.#waits.delete(waitKey);
      for (const key of waiting) this.enqueue(key);
    }
    if (type === 'virtual-router') {
      // a router appearing links its node's pods; any change to its links is checked against the pods
      if (!old || JSON.stringify(refsOf(obj, 'virtual_machine_refs')) !== JSON.stringify(refsOf(old, 'virtual_machine_refs'))) this.enqueue(KEY.node(obj.fq_name[obj.fq_name.length - 1]));
    } else if (type === 'virtual-machine-interface') {
      if (!old) this.#podInterfaceChanged(obj);
      else {
        // A group let go of by an interface may be what a namespace or policy reconcile waits to delete.
        const now = new Set(refsOf(obj, 'security_group_refs').map((r) => r.uuid));
        for (const r of refsOf(old, 'security_group_refs')) {
          if (now.has(r.uuid)) continue;
          const sg = this.vnc.get(r.uuid);
          const key = sg ? ownerKey(sg, this.owner) : undefined;
          if (key) this.enqueue(key);
        }
      }
    }
  }

  #podInterfaceChanged(vmi: VncObject): void {
    const vm = refsOf(vmi, 'virtual_machine_refs')[0]?.uuid;
    if (vm) for (const key of this.#servicesByPod.get(vm) ?? []) this.enqueue(key);
  }

  #vncDeleted(obj: VncObject, type: string): void {
    if (type === 'instance-ip' || type === 'floating-ip') {
      const keys = [...this.#addressWaiters];
      this.#addressWaiters.clear();
      for (const key of keys) this.enqueue(key);
    }
    if (type === 'virtual-machine-interface') this.#podInterfaceChanged(obj);
    if (this.vnc.takeOwnDelete(obj.uuid)) return;
    // Someone else deleted an object we own: put it back (or finish the deletion).
    const key = ownerKey(obj, this.owner);
    if (key) this.enqueue(key);
  }

  /** Resolves when no key is waiting, running or backing off (tests and the benchmark). */
  async idle(): Promise<void> {
    await this.#queue?.idle();
  }

  get queue(): KeyQueues | undefined {
    return this.#queue;
  }

  health(): HealthReport {
    const k8sUp = this.k8s.all.every((w) => w.synced);
    const errs = this.k8s.all.filter((w) => w.lastError).map((w) => `${w.resource}: ${w.lastError}`);
    return summarize(
      'contrail-kube-manager',
      [
        { type: 'KubernetesApi', name: 'kube-apiserver', server_addrs: [this.k8s.server], status: k8sUp ? 'Up' : 'Down', ...(errs.length ? { description: errs.join('; ') } : {}) },
        { type: 'ApiServer', name: 'config-api', server_addrs: [this.client.url], status: this.vnc.connected ? 'Up' : 'Down' },
      ],
      this.#queue === undefined,
    );
  }

  status(): Record<string, unknown> {
    const owned: Record<string, number> = {};
    for (const key of this.vnc.ownedKeys()) {
      for (const o of this.vnc.owned(key)) {
        const t = this.vnc.cache.typeOf(o.uuid) ?? 'unknown';
        owned[t] = (owned[t] ?? 0) + 1;
      }
    }
    const kubernetes: Record<string, number> = {};
    for (const w of this.k8s.all) kubernetes[w.resource] = w.list().length;
    return {
      cluster: this.cfg.clusterName,
      mode: this.cfg.clusterProject ? 'single-tenant' : 'multi-tenant',
      kubernetes: { server: this.k8s.server, objects: kubernetes },
      vnc: { server: this.client.url, revision: this.vnc.cache.revision, owned },
      queue: { depth: this.#queue?.depth ?? 0, processed: this.#queue?.processed ?? 0, failed: this.#queue?.failed ?? 0, workers: this.cfg.workers },
      writes: { ...this.stats.counts, total: this.stats.total },
      errors: Object.fromEntries(this.#queue?.lastErrors ?? []),
    };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#queue?.stop();
    // Let running reconciles finish their current write (bounded), so nothing is cut mid-request.
    if (this.#queue) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.#queue.idle(), new Promise<void>((r) => (timer = setTimeout(r, 5000)))]);
      clearTimeout(timer);
    }
    await this.k8s.stop().catch(() => undefined);
    this.vnc.close();
    await this.introspect?.close();
    if (this.#ownClient) this.client.close();
  }
}
