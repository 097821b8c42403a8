// Kubernetes access, only through @kubernetes/client-node: one informer per resource kube-manager
// watches (namespaces, pods, services, endpoints, network policies, ingresses), restarted with
// backoff when a watch fails (client-node stops an informer on any error but 410), and the few
// writes kube-manager makes (Events, Service and Ingress status).
import {
  CoreV1Api,
  KubeConfig,
  NetworkingV1Api,
  PatchStrategy,
  makeInformer,
  setHeaderOptions,
  type CoreV1Event,
  type Informer,
  type KubernetesObject,
  type ObjectCache,
  type V1Endpoints,
  type V1Ingress,
  type V1Namespace,
  type V1NetworkPolicy,
  type V1Pod,
  type V1Service,
} from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { errorMessage } from '../common/errors.js';
import { ENV, envOr } from '../common/defaults.js';
import type { Logger } from '../common/log.js';
import { renderLoopbackKubeconfig } from './kubeconfig.js';
import type { KubeConnection } from './config.js';

export type { V1Endpoints, V1Ingress, V1Namespace, V1NetworkPolicy, V1Pod, V1Service };

export interface WatchHandlers<T> {
  add?: (obj: T) => void;
  update?: (obj: T) => void;
  delete?: (obj: T) => void;
}

/** One resource's informer: a local cache plus handlers; restarts itself after watch errors. */
type ListWatchOf<T extends KubernetesObject> = Informer<T> & ObjectCache<T> & { latestResourceVersion(): string };

export class Watched<T extends KubernetesObject> {
  readonly #informer: ListWatchOf<T>;
  readonly #log: Logger;
  #synced = false;
  #stopped = false;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  lastError: string | undefined;

  constructor(
    readonly resource: string,
    informer: Informer<T> & ObjectCache<T>,
    log: Logger,
  ) {
    // makeInformer returns a ListWatch, which also tells the resourceVersion it has reached.
    this.#informer = informer as ListWatchOf<T>;
    this.#log = log;
    informer.on('error', (err: unknown) => this.#restart(err));
    informer.on('connect', () => {
      this.lastError = undefined;
    });
  }

  get synced(): boolean {
    return this.#synced && this.lastError === undefined;
  }

  on(h: WatchHandlers<T>): void {
    if (h.add) this.#informer.on('add', h.add);
    if (h.update) this.#informer.on('update', h.update);
    if (h.delete) this.#informer.on('delete', h.delete);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.#informer.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.#informer.list(namespace);
  }

  /** Lists and starts watching; resolves once the first list has been applied. */
  async start(): Promise<void> {
    this.#stopped = false;
    for (;;) {
      await this.#informer.start();
      // client-node reports a failed list through the error callback and resolves anyway.
      if (this.#informer.latestResourceVersion() !== '') break;
      if (this.#stopped) return;
      this.#log.warn({ resource: this.resource, err: this.lastError }, 'Kubernetes list failed; retrying');
      await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** Math.min(this.#failures, 5))));
    }
    this.#synced = true;
    this.#failures = 0;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#informer.stop();
  }

  #restart(err: unknown): void {
    this.#failures++;
    this.lastError = errorMessage(err);
    if (this.#stopped || !this.#synced) return;
    const delay = Math.min(5000, 100 * 2 ** Math.min(this.#failures, 6));
    this.#log.warn({ resource: this.resource, err: this.lastError, retryInMs: delay }, 'Kubernetes watch failed; restarting');
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopped) return;
      this.#informer.start().then(
        () => {
          if (this.#informer.latestResourceVersion() !== '') this.#failures = 0;
        },
        (e: unknown) => this.#restart(e),
      );
    }, delay);
  }
}

/** Loads the kubeconfig the configuration asks for (kubeconfig file, URL, TF_KUBE_API, in-cluster, default). */
export function loadKubeConfig(conn: KubeConnection): KubeConfig {
  const kc = new KubeConfig();
  if (conn.kubeconfig) {
    kc.loadFromString(readFileSync(conn.kubeconfig, 'utf8'));
    return kc;
  }
  const url = conn.url ?? (envOr(ENV.kubeApi, '') || undefined);
  if (url) {
    kc.loadFromString(renderLoopbackKubeconfig(url));
    return kc;
  }
  kc.loadFromDefault();
  return kc;
}

export class KubeSources {
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly net: NetworkingV1Api;
  readonly namespaces: Watched<V1Namespace>;
  readonly pods: Watched<V1Pod>;
  readonly services: Watched<V1Service>;
  readonly endpoints: Watched<V1Endpoints>;
  readonly policies: Watched<V1NetworkPolicy>;
  readonly ingresses: Watched<V1Ingress>;
  readonly #log: Logger;

  constructor(kc: KubeConfig, log: Logger) {
    this.kc = kc;
    this.#log = log;
    this.core = kc.makeApiClient(CoreV1Api);
    this.net = kc.makeApiClient(NetworkingV1Api);
    const core = this.core;
    const net = this.net;
    this.namespaces = new Watched('namespaces', makeInformer(kc, '/api/v1/namespaces', () => core.listNamespace()), log);
    this.pods = new Watched('pods', makeInformer(kc, '/api/v1/pods', () => core.listPodForAllNamespaces()), log);
    this.services = new Watched('services', makeInformer(kc, '/api/v1/services', () => core.listServiceForAllNamespaces()), log);
    this.endpoints = new Watched('endpoints', makeInformer(kc, '/api/v1/endpoints', () => core.listEndpointsForAllNamespaces()), log);
    this.policies = new Watched('networkpolicies', makeInformer(kc, '/apis/networking.k8s.io/v1/networkpolicies', () => net.listNetworkPolicyForAllNamespaces()), log);
    this.ingresses = new Watched('ingresses', makeInformer(kc, '/apis/networking.k8s.io/v1/ingresses', () => net.listIngressForAllNamespaces()), log);
  }

  get all(): Watched<KubernetesObject>[] {
    return [this.namespaces, this.pods, this.services, this.endpoints, this.policies, this.ingresses];
  }

  get server(): string {
    return this.kc.getCurrentCluster()?.server ?? '';
  }

  async start(): Promise<void> {
    await Promise.all(this.all.map((w) => w.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.all.map((w) => w.stop()));
  }

  /** A Warning Event on the object (kubectl describe shows it). */
  async event(obj: KubernetesObject, reason: string, message: string, type: 'Warning' | 'Normal' = 'Warning'): Promise<void> {
    const ns = obj.metadata?.namespace || 'default';
    const now = new Date();
    const body: CoreV1Event = {
      metadata: { name: `${obj.metadata?.name ?? 'object'}.${randomBytes(8).toString('hex')}`, namespace: ns },
      involvedObject: {
        kind: obj.kind,
        apiVersion: obj.apiVersion,
        namespace: obj.metadata?.namespace,
        name: obj.metadata?.name,
        uid: obj.metadata?.uid,
        resourceVersion: obj.metadata?.resourceVersion,
      },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: 'contrail-kube-manager' },
      reportingComponent: 'contrail-kube-manager',
      reportingInstance: 'contrail-kube-manager',
    };
    try {
      await this.core.createNamespacedEvent({ namespace: ns, body });
    } catch (err) {
      this.#log.warn({ err: errorMessage(err), reason }, 'could not record a Kubernetes Event');
    }
  }

  async patchServiceStatus(namespace: string, name: string, ingress: { ip: string }[]): Promise<void> {
    await this.core.patchNamespacedServiceStatus(
      { namespace, name, body: { status: { loadBalancer: { ingress: ingress.length > 0 ? ingress : null } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  async patchIngressStatus(namespace: string, name: string, ingress: { ip: string }[]): Promise<void> {
    await this.net.patchNamespacedIngressStatus(
      { namespace, name, body: { status: { loadBalancer: { ingress: ingress.length > 0 ? ingress : null } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }
}
