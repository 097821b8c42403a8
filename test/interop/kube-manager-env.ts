// The world kube-manager's integration tests run in: a real config API on a temp SQLite file, the
// lab Kubernetes API (in-process, port 0; its endpoints controller off so tests write Endpoints as
// the pods they name would be ready), and kube-manager itself, started, stopped and restarted
// against both. Nothing is mocked.
import { KubeConfig } from '@kubernetes/client-node';
import { startKubeApi, type RunningKubeApi } from '../../src/lab/kube/api-server.js';
import { R } from '../../src/lab/kube/resources.js';
import type { KubeObject } from '../../src/lab/kube/types.js';
import { loadConfig } from '../../src/kube/config.js';
import { KubeManager } from '../../src/kube/manager.js';
import type { VncObject } from '../../src/vnc/object.js';
import { startTestConfigApi, type TestConfigApi } from '../support/config-api.js';

export const SINGLE = "[KUBERNETES]\ncluster_project = {'domain': 'default-domain', 'project': 'kubernetes'}\n";
export const MULTI = '[KUBERNETES]\ncluster_project = {}\n';

export interface EnvOptions {
  /** ini text appended to the generated [KUBERNETES]/[VNC] sections */
  ini?: string;
  serviceCidr?: string;
  podSubnets?: string;
  workers?: number;
}

export class KubeManagerEnv {
  km: KubeManager | undefined;
  readonly writesBefore: number[] = [];
  private constructor(
    readonly api: TestConfigApi,
    readonly kube: RunningKubeApi,
    readonly iniText: string,
  ) {}

  static async start(opts: EnvOptions = {}): Promise<KubeManagerEnv> {
    const api = await startTestConfigApi();
    const kube = await startKubeApi({ port: 0, serviceCidr: opts.serviceCidr ?? '10.96.0.0/12', controllers: { endpoints: false, scheduler: false, housekeeping: false } });
    const ini = [
      opts.ini ?? SINGLE,
      '[KUBERNETES]',
      `pod_subnets = ${opts.podSubnets ?? '10.32.0.0/12'}`,
      `service_subnets = ${opts.serviceCidr ?? '10.96.0.0/12'}`,
      `[DEFAULTS]`,
      `reconcile_workers = ${opts.workers ?? 8}`,
    ].join('\n');
    const env = new KubeManagerEnv(api, kube, ini);
    await env.startKm();
    return env;
  }

  get client() {
    return this.api.client;
  }

  get k() {
    return this.kube.client;
  }

  async startKm(): Promise<KubeManager> {
    const cfg = loadConfig(this.iniText);
    cfg.vncUrl = this.api.url;
    const kc = new KubeConfig();
    kc.loadFromString(this.kube.kubeconfig());
    this.km = await KubeManager.start({ config: cfg, kubeConfig: kc, introspectPort: 0 });
    return this.km;
  }

  async stopKm(): Promise<void> {
    await this.km?.stop();
    this.km = undefined;
  }

  /** Waits until kube-manager has seen every change and has nothing left to do. */
  async settle(): Promise<void> {
    const km = this.km!;
    let stable = 0;
    let last = -1;
    for (let i = 0; i < 2000 && stable < 4; i++) {
      await new Promise((r) => setTimeout(r, 25));
      await km.idle();
      const mark = (km.queue?.processed ?? 0) + (km.queue?.failed ?? 0) + km.stats.total + this.kube.store.rv;
      stable = mark === last && (km.queue?.depth ?? 0) === 0 ? stable + 1 : 0;
      last = mark;
    }
  }

  async close(): Promise<void> {
    await this.stopKm().catch(() => undefined);
    await this.kube.close().catch(() => undefined);
    await this.api.close();
  }

  // --- Kubernetes side -----------------------------------------------------------------------

  namespace(name: string, annotations: Record<string, string> = {}, labels: Record<string, string> = {}): Promise<KubeObject> {
    return this.k.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, annotations, labels } });
  }

  pod(ns: string, name: string, o: { labels?: Record<string, string>; node?: string; annotations?: Record<string, string>; ports?: { name?: string; containerPort: number; protocol?: string }[]; hostNetwork?: boolean } = {}): Promise<KubeObject> {
    return this.k.create(R.pods, ns, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: o.labels ?? {}, annotations: o.annotations ?? {} },
      spec: {
        ...(o.node ? { nodeName: o.node } : {}),
        ...(o.hostNetwork ? { hostNetwork: true } : {}),
        containers: [{ name: 'c', image: 'nginx', ...(o.ports ? { ports: o.ports } : {}) }],
      },
    });
  }

  deletePod(ns: string, name: string): Promise<KubeObject> {
    return this.k.delete(R.pods, ns, name, { gracePeriodSeconds: 0 });
  }

  service(ns: string, name: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}): Promise<KubeObject> {
    return this.k.create(R.services, ns, { apiVersion: 'v1', kind: 'Service', metadata: { name, annotations }, spec });
  }

  /** Endpoints listing the given pods as ready, with the given ports (what the endpoints controller would write). */
  async endpoints(ns: string, name: string, pods: KubeObject[], ports: { name?: string; port: number; protocol?: string }[]): Promise<void> {
    const body: KubeObject = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name, namespace: ns },
      subsets:
        pods.length === 0
          ? []
          : [{ addresses: pods.map((p, i) => ({ ip: `10.0.0.${i + 1}`, targetRef: { kind: 'Pod', namespace: ns, name: p.metadata.name, uid: p.metadata.uid } })), ports }],
    };
    try {
      const cur = await this.k.get(R.endpoints, ns, name);
      await this.k.update(R.endpoints, ns, { ...body, metadata: { ...body.metadata, resourceVersion: cur.metadata.resourceVersion } });
    } catch {
      await this.k.create(R.endpoints, ns, body);
    }
  }

  policy(ns: string, name: string, spec: Record<string, unknown>): Promise<KubeObject> {
    return this.k.create(R.networkpolicies, ns, { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name }, spec });
  }

  // --- VNC side -------------------------------------------------------------------------------

  /** A virtual-router as an agent registers it. */
  virtualRouter(name: string, ip = '192.168.0.1'): Promise<VncObject> {
    return this.client.create('virtual-router', { fq_name: ['default-global-system-config', name], parent_type: 'global-system-config', virtual_router_ip_address: ip });
  }

  async list(type: string): Promise<VncObject[]> {
    return this.client.list(type, { detail: true });
  }

  async byFq(type: string, fq: string[]): Promise<VncObject> {
    return this.client.readByFqName(type, fq);
  }

  /** Objects of a type owned by this cluster (annotations owner/cluster). */
  async owned(type: string): Promise<VncObject[]> {
    return (await this.list(type)).filter((o) => {
      const kv = new Map((o.annotations?.key_value_pair ?? []).map((x) => [x.key, x.value]));
      return kv.get('owner') === 'k8s' && kv.get('cluster') === 'k8s-default';
    });
  }

  async events(ns: string): Promise<KubeObject[]> {
    return (await this.k.list(R.events, { namespace: ns })).items;
  }
}

export const kv = (o: VncObject | undefined): Record<string, string> => Object.fromEntries((o?.annotations?.key_value_pair ?? []).map((x) => [x.key ?? '', x.value ?? '']));
export const refTos = (o: VncObject | undefined, field: string): string[] => ((o?.[field] as { to: string[] }[] | undefined) ?? []).map((r) => r.to.join(':')).sort();
