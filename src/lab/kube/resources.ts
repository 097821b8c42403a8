// The resources the lab API serves: one table that discovery, routing, storage, field selectors and
// table printing all read. Several versions of one resource (apps/v1 and apps/v1beta1 deployments)
// share one storage key; objects are stored in the first-listed (preferred) version.

export interface SubresourceInfo {
  readonly name: string;
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly verbs: readonly string[];
}

export interface ResourceInfo {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly kind: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly subresources: readonly SubresourceInfo[];
  /** storage key shared by every version of this resource */
  readonly storage: string;
  /** metadata.generation is bumped on every change outside metadata and status */
  readonly tracksGeneration: boolean;
  /** updates of the main resource keep status; status changes go through /status */
  readonly hasStatus: boolean;
  /** field selector labels beyond metadata.name and metadata.namespace */
  readonly fieldLabels: readonly string[];
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;

const statusSub = (group: string, version: string, kind: string): SubresourceInfo => ({ name: 'status', group, version, kind, verbs: ['get', 'patch', 'update'] });
const scaleSub: SubresourceInfo = { name: 'scale', group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] };

interface Def {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  status?: boolean;
  scale?: boolean;
  extraSubs?: SubresourceInfo[];
  generation?: boolean;
  fieldLabels?: string[];
}

function def(d: Def): ResourceInfo {
  const subs: SubresourceInfo[] = [];
  if (d.status) subs.push(statusSub(d.group, d.version, d.kind));
  if (d.scale) subs.push(scaleSub);
  subs.push(...(d.extraSubs ?? []));
  return {
    group: d.group,
    version: d.version,
    resource: d.resource,
    kind: d.kind,
    singular: d.kind.toLowerCase(),
    namespaced: d.namespaced,
    shortNames: d.shortNames ?? [],
    categories: d.categories ?? [],
    subresources: subs,
    storage: d.group ? `${d.resource}.${d.group}` : d.resource,
    tracksGeneration: d.generation ?? false,
    hasStatus: d.status ?? false,
    fieldLabels: d.fieldLabels ?? [],
  };
}

const deploymentDef = (version: string): ResourceInfo =>
  def({ group: 'apps', version, resource: 'deployments', kind: 'Deployment', namespaced: true, shortNames: ['deploy'], categories: ['all'], status: true, scale: true, generation: true });

export const RESOURCES: readonly ResourceInfo[] = [
  def({ group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false, shortNames: ['ns'], status: true, fieldLabels: ['status.phase'], extraSubs: [{ name: 'finalize', group: '', version: 'v1', kind: 'Namespace', verbs: ['update'] }] }),
  def({
    group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true, shortNames: ['po'], categories: ['all'], status: true,
    fieldLabels: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
    extraSubs: [
      { name: 'binding', group: '', version: 'v1', kind: 'Binding', verbs: ['create'] },
      { name: 'log', group: '', version: 'v1', kind: 'Pod', verbs: ['get'] },
    ],
  }),
  def({ group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true, shortNames: ['svc'], categories: ['all'], status: true }),
  def({ group: '', version: 'v1', resource: 'endpoints', kind: 'Endpoints', namespaced: true, shortNames: ['ep'] }),
  def({ group: '', version: 'v1', resource: 'nodes', kind: 'Node', namespaced: false, shortNames: ['no'], status: true, fieldLabels: ['spec.unschedulable'] }),
  def({ group: '', version: 'v1', resource: 'replicationcontrollers', kind: 'ReplicationController', namespaced: true, shortNames: ['rc'], categories: ['all'], status: true, scale: true, generation: true, fieldLabels: ['status.replicas'] }),
  def({
    group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true, shortNames: ['ev'],
    fieldLabels: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
  }),
  def({ group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] }),
  def({ group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true, fieldLabels: ['type'] }),
  def({ group: '', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true, shortNames: ['sa'] }),
  deploymentDef('v1'),
  def({ group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', namespaced: true, shortNames: ['rs'], categories: ['all'], status: true, scale: true, generation: true, fieldLabels: ['status.replicas'] }),
  deploymentDef('v1beta1'),
  def({ group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true, shortNames: ['netpol'], generation: true }),
  def({ group: 'networking.k8s.io', version: 'v1', resource: 'ingresses', kind: 'Ingress', namespaced: true, shortNames: ['ing'], status: true, generation: true }),
  def({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', namespaced: true }),
];

/** Groups in discovery order, each with its versions, preferred version first. */
export function apiGroups(): { name: string; versions: string[] }[] {
  const out: { name: string; versions: string[] }[] = [];
  for (const r of RESOURCES) {
    let g = out.find((x) => x.name === r.group);
    if (!g) out.push((g = { name: r.group, versions: [] }));
    if (!g.versions.includes(r.version)) g.versions.push(r.version);
  }
  return out;
}

export function resourcesOf(group: string, version: string): ResourceInfo[] {
  return RESOURCES.filter((r) => r.group === group && r.version === version);
}

export function findResource(group: string, version: string, resource: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
}

/** The stored (preferred) version of a resource. */
export function storageResource(info: ResourceInfo): ResourceInfo {
  return RESOURCES.find((r) => r.storage === info.storage) ?? info;
}

export function byKind(kind: string, apiVersion?: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.kind === kind && (apiVersion === undefined || apiVersionOf(r) === apiVersion));
}

export const apiVersionOf = (r: { group: string; version: string }): string => (r.group ? `${r.group}/${r.version}` : r.version);

export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** Shorthands for code that names resources (controllers, kubelet). */
export const R = {
  namespaces: { group: '', version: 'v1', resource: 'namespaces' },
  pods: { group: '', version: 'v1', resource: 'pods' },
  services: { group: '', version: 'v1', resource: 'services' },
  endpoints: { group: '', version: 'v1', resource: 'endpoints' },
  nodes: { group: '', version: 'v1', resource: 'nodes' },
  replicationcontrollers: { group: '', version: 'v1', resource: 'replicationcontrollers' },
  events: { group: '', version: 'v1', resource: 'events' },
  configmaps: { group: '', version: 'v1', resource: 'configmaps' },
  deployments: { group: 'apps', version: 'v1', resource: 'deployments' },
  replicasets: { group: 'apps', version: 'v1', resource: 'replicasets' },
  networkpolicies: { group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies' },
  ingresses: { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses' },
  leases: { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' },
} as const;
