// What every reconciler gets: configuration, both sides' caches, the writer, and the manager's
// hooks (enqueue, wait-for-object, report a user error as a Kubernetes Event).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../common/log.js';
import type { VncClient } from '../vnc/client.js';
import type { Owner } from './annotations.js';
import type { KubeManagerConfig } from './config.js';
import type { InputError } from './errors.js';
import type { KubeSources } from './k8s.js';
import type { ClusterNames } from './names.js';
import type { Tx, WriteStats } from './tx.js';
import type { VncState } from './vnc-state.js';

export interface ClusterInfo {
  /** project of the cluster-wide objects */
  readonly project: readonly [string, string];
  readonly podIpam: readonly string[];
  readonly serviceIpam: readonly string[];
  /** the VN of non-isolated pods and of every service VIP */
  readonly network: readonly string[];
}

export interface Ctx {
  readonly cfg: KubeManagerConfig;
  readonly names: ClusterNames;
  readonly owner: Owner;
  readonly k8s: KubeSources;
  readonly vnc: VncState;
  readonly client: VncClient;
  readonly stats: WriteStats;
  readonly log: Logger;
  readonly cluster: ClusterInfo;
  tx(): Tx;
  enqueue(key: string): void;
  /** re-enqueue `key` when a VNC object of `type` with this fq_name appears */
  waitForObject(type: string, fq: readonly string[], key: string): void;
  /** re-enqueue `key` when an instance IP or floating IP is deleted (addresses freed) */
  waitForAddresses(key: string): void;
  /** a Warning Event on the Kubernetes object plus a log line, once per distinct message */
  report(obj: KubernetesObject, err: InputError): Promise<void>;
  /** forgets the reported problem of an object (the next one is reported again) */
  resolved(obj: KubernetesObject): void;
}

export const ANNOTATION = {
  isolation: 'opencontrail.org/isolation',
  network: 'opencontrail.org/network',
  fipPool: 'opencontrail.org/fip-pool',
  ipFabricSnat: 'opencontrail.org/ip_fabric_snat',
  ipFabricForwarding: 'opencontrail.org/ip_fabric_forwarding',
} as const;

export const KEY = {
  namespace: (ns: string) => `Namespace/${ns}`,
  pod: (ns: string, name: string) => `Pod/${ns}/${name}`,
  service: (ns: string, name: string) => `Service/${ns}/${name}`,
  policy: (ns: string, name: string) => `NetworkPolicy/${ns}/${name}`,
  ingress: (ns: string, name: string) => `Ingress/${ns}/${name}`,
  node: (name: string) => `Node/${name}`,
} as const;

export function parseKey(key: string): { kind: string; namespace: string; name: string } {
  const [kind, a, b] = key.split('/');
  return kind === 'Namespace' || kind === 'Node' ? { kind, namespace: a, name: a } : { kind, namespace: a, name: b };
}
