// The endpoints controller: for every service with a selector, an Endpoints object of the same name
// listing the IPs of the matching pods (ready ones in addresses, others in notReadyAddresses unless
// publishNotReadyAddresses), with each service port resolved to the pod's port (named targetPorts
// looked up in the pod's containerPorts; pods resolving differently land in separate subsets).
// kube-manager reads these to build load-balancer members. Writes only what differs.
import type { Logger } from '../../common/log.js';
import { ReconcileQueue } from '../../common/reconcile-queue.js';
import type { KubeClient } from '../kube/client.js';
import { isConflict, isNotFound } from '../kube/errors.js';
import type { Informer } from '../kube/informer.js';
import { canonical } from '../kube/patch.js';
import { R } from '../kube/resources.js';
import { fromMapSelector, matchesLabels } from '../kube/selectors.js';
import { isObject, type KubeObject } from '../kube/types.js';
import { keyOf, podNode, podReady, podTerminal, splitKey } from './util.js';

type Obj = Record<string, unknown>;

interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
}

interface Address {
  ip: string;
  nodeName?: string;
  targetRef: { kind: 'Pod'; namespace: string; name: string; uid: string; resourceVersion?: string };
}

export interface Subset {
  addresses?: Address[];
  notReadyAddresses?: Address[];
  ports?: EndpointPort[];
}

const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObject) : []);

/** The pod port a service port's targetPort means, or undefined when the pod has no such named port. */
export function resolveTargetPort(svcPort: Obj, pod: KubeObject): number | undefined {
  const tp = svcPort.targetPort ?? svcPort.port;
  if (typeof tp === 'number') return tp;
  if (typeof tp === 'string' && /^\d+$/.test(tp)) return Number(tp);
  const proto = svcPort.protocol ?? 'TCP';
  for (const c of arr(isObject(pod.spec) ? pod.spec.containers : undefined)) {
    for (const p of arr(c.ports)) if (p.name === tp && (p.protocol ?? 'TCP') === proto && typeof p.containerPort === 'number') return p.containerPort;
  }
  return undefined;
}

/** The subsets of a service's Endpoints for the given pods of its namespace. Pure. */
export function computeSubsets(service: KubeObject, pods: readonly KubeObject[]): Subset[] {
  const spec = isObject(service.spec) ? service.spec : {};
  const selector = fromMapSelector(spec.selector as Record<string, string> | undefined);
  const publishNotReady = spec.publishNotReadyAddresses === true;
  const svcPorts = arr(spec.ports);
  const groups = new Map<string, { ports: EndpointPort[]; ready: Address[]; notReady: Address[] }>();
  for (const pod of pods) {
    if (!matchesLabels(selector, pod.metadata.labels) || pod.metadata.deletionTimestamp || podTerminal(pod)) continue;
    const status = isObject(pod.status) ? pod.status : {};
    const ip = typeof status.podIP === 'string' ? status.podIP : '';
    if (ip === '') continue;
    const ports: EndpointPort[] = [];
    for (const sp of svcPorts) {
      const port = resolveTargetPort(sp, pod);
      if (port === undefined) continue;
      ports.push({ ...(typeof sp.name === 'string' && sp.name !== '' ? { name: sp.name } : {}), port, protocol: typeof sp.protocol === 'string' ? sp.protocol : 'TCP' });
    }
    if (svcPorts.length > 0 && ports.length === 0) continue;
    ports.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port);
    const key = JSON.stringify(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, ready: [], notReady: [] }));
    const node = podNode(pod);
    const addr: Address = {
      ip,
      ...(node ? { nodeName: node } : {}),
      targetRef: { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' },
    };
    (podReady(pod) || publishNotReady ? g.ready : g.notReady).push(addr);
  }
  const byIp = (a: Address, b: Address): number => a.ip.localeCompare(b.ip, undefined, { numeric: true }) || a.targetRef.uid.localeCompare(b.targetRef.uid);
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, g]) => ({
      ...(g.ready.length ? { addresses: g.ready.sort(byIp) } : {}),
      ...(g.notReady.length ? { notReadyAddresses: g.notReady.sort(byIp) } : {}),
      ...(g.ports.length ? { ports: g.ports } : {}),
    }));
}

export interface EndpointsDeps {
  client: KubeClient;
  services: Informer;
  pods: Informer;
  endpoints: Informer;
  log: Logger;
}

export class EndpointsController {
  readonly queue: ReconcileQueue<string>;
  readonly #d: EndpointsDeps;
  writes = 0;

  constructor(d: EndpointsDeps) {
    this.#d = d;
    this.queue = new ReconcileQueue({ reconcile: (k) => this.reconcile(k), concurrency: 4, onError: (k, err) => d.log.warn({ service: k, err: (err as Error).message }, 'endpoints sync failed') });
    const enqueue = (o: KubeObject): void => this.queue.enqueue(keyOf(o));
    d.services.on({ add: enqueue, update: enqueue, delete: enqueue });
    d.endpoints.on({ update: enqueue, delete: enqueue });
    const fromPod = (p: KubeObject, old?: KubeObject): void => {
      for (const svc of d.services.list(p.metadata.namespace)) {
        const sel = fromMapSelector((isObject(svc.spec) ? svc.spec.selector : undefined) as Record<string, string> | undefined);
        if (matchesLabels(sel, p.metadata.labels) || (old && matchesLabels(sel, old.metadata.labels))) this.queue.enqueue(keyOf(svc));
      }
    };
    d.pods.on({ add: (p) => fromPod(p), update: (p, old) => fromPod(p, old), delete: (p) => fromPod(p) });
  }

  async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = this.#d.services.get(namespace, name);
    const current = this.#d.endpoints.get(namespace, name);
    if (!svc) {
      if (current && !(current.metadata.labels ?? {})['endpointslice.kubernetes.io/skip-mirror']) {
        this.writes++;
        await this.#d.client.delete(R.endpoints, namespace, name).catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
      }
      return;
    }
    const spec = isObject(svc.spec) ? svc.spec : {};
    if (!isObject(spec.selector) || Object.keys(spec.selector).length === 0) return;
    const subsets = computeSubsets(svc, this.#d.pods.list(namespace));
    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
    if (spec.clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
    const want = canonical({ labels, subsets });
    const have = current ? canonical({ labels: current.metadata.labels ?? {}, subsets: Array.isArray(current.subsets) ? current.subsets : [] }) : undefined;
    if (have !== undefined && JSON.stringify(have) === JSON.stringify(want)) return;
    const body: KubeObject = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name, namespace, labels, ...(current ? { resourceVersion: current.metadata.resourceVersion } : {}) },
      ...(subsets.length ? { subsets } : {}),
    };
    this.writes++;
    try {
      if (current) await this.#d.client.update(R.endpoints, namespace, body);
      else await this.#d.client.create(R.endpoints, namespace, body);
    } catch (err) {
      // a stale cache: the endpoints informer will catch up and requeue us
      if (isConflict(err) || (err as { code?: string }).code === 'AlreadyExists') throw err;
      if (!isNotFound(err)) throw err;
    }
  }
}
