// Server-side table printing (meta.k8s.io Table), what `kubectl get` asks for: the columns kubectl's
// own printers show for each kind, `-o wide` columns at priority 1, and the human ages kubectl prints.
// Pure: (objects, now) → Table.
import type { ResourceInfo } from './resources.js';
import { isObject, type KubeObject, type ListMeta } from './types.js';

type Obj = Record<string, unknown>;
type Cell = string | number | boolean;

interface Column {
  name: string;
  type: 'string' | 'integer' | 'date' | 'number' | 'boolean';
  format?: string;
  description: string;
  priority?: number;
  cell: (o: KubeObject, now: number) => Cell;
}

/** kubectl's duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) return `${Math.floor(hours / 24 / 365)}y${Math.floor(hours / 24) % 365}d`;
  return `${Math.floor(hours / 24 / 365)}y`;
}

const since = (ts: unknown, now: number): string => (typeof ts === 'string' && ts !== '' ? humanDuration(now - Date.parse(ts)) : '<unknown>');
const obj = (v: unknown): Obj => (isObject(v) ? v : {});
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObject) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const none = (s: string): string => (s === '' ? '<none>' : s);

const nameCol: Column = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', cell: (o) => o.metadata.name ?? '' };
const ageCol: Column = { name: 'Age', type: 'string', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', cell: (o, now) => since(o.metadata.creationTimestamp, now) };

function mapSelector(sel: unknown): string {
  const m = obj(sel);
  const keys = Object.keys(m).sort();
  return keys.length === 0 ? '<none>' : keys.map((k) => `${k}=${str(m[k])}`).join(',');
}

function labelSelector(sel: unknown): string {
  const s = obj(sel);
  const parts: string[] = [];
  const ml = obj(s.matchLabels);
  for (const k of Object.keys(ml).sort()) parts.push(`${k}=${str(ml[k])}`);
  for (const e of arr(s.matchExpressions)) {
    const vals = Array.isArray(e.values) ? (e.values as string[]).join(',') : '';
    switch (e.operator) {
      case 'In':
        parts.push(`${str(e.key)} in (${vals})`);
        break;
      case 'NotIn':
        parts.push(`${str(e.key)} notin (${vals})`);
        break;
      case 'Exists':
        parts.push(str(e.key));
        break;
      case 'DoesNotExist':
        parts.push(`!${str(e.key)}`);
        break;
    }
  }
  return parts.length === 0 ? '<none>' : parts.join(',');
}

/** The STATUS column of `kubectl get pods` (kubectl's printPod, without init containers' detail). */
export function podStatusReason(o: KubeObject): string {
  const status = obj(o.status);
  let reason = str(status.reason) || str(status.phase);
  let running = false;
  const statuses = arr(status.containerStatuses);
  for (let i = statuses.length - 1; i >= 0; i--) {
    const st = obj(statuses[i].state);
    const waiting = obj(st.waiting);
    const term = obj(st.terminated);
    if (str(waiting.reason)) reason = str(waiting.reason);
    else if (isObject(st.terminated)) {
      if (str(term.reason)) reason = str(term.reason);
      else if (typeof term.signal === 'number' && term.signal !== 0) reason = `Signal:${term.signal}`;
      else reason = `ExitCode:${str(term.exitCode)}`;
    } else if (statuses[i].ready === true && isObject(st.running)) running = true;
  }
  if (reason === 'Completed' && running) reason = 'Running';
  if (o.metadata.deletionTimestamp) reason = status.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

function podReady(o: KubeObject): string {
  const spec = obj(o.spec);
  const total = arr(spec.containers).length;
  const ready = arr(obj(o.status).containerStatuses).filter((c) => c.ready === true).length;
  return `${ready}/${total}`;
}

const restarts = (o: KubeObject): number => arr(obj(o.status).containerStatuses).reduce((n, c) => n + (typeof c.restartCount === 'number' ? c.restartCount : 0), 0);

function containers(o: KubeObject, path: 'template' | 'direct'): Obj[] {
  const spec = obj(o.spec);
  return path === 'direct' ? arr(spec.containers) : arr(obj(obj(spec.template).spec).containers);
}

const containerNames = (o: KubeObject): string => containers(o, 'template').map((c) => str(c.name)).join(',');
const containerImages = (o: KubeObject): string => containers(o, 'template').map((c) => str(c.image)).join(',');

function servicePorts(o: KubeObject): string {
  const ports = arr(obj(o.spec).ports);
  if (ports.length === 0) return '<none>';
  return ports.map((p) => `${str(p.port)}${typeof p.nodePort === 'number' ? `:${p.nodePort}` : ''}/${str(p.protocol) || 'TCP'}`).join(',');
}

function externalIps(o: KubeObject): string {
  const spec = obj(o.spec);
  const ext = Array.isArray(spec.externalIPs) ? (spec.externalIPs as string[]) : [];
  const lb = arr(obj(obj(o.status).loadBalancer).ingress).map((i) => str(i.ip) || str(i.hostname)).filter(Boolean);
  switch (spec.type) {
    case 'ExternalName':
      return str(spec.externalName);
    case 'LoadBalancer': {
      const all = [...lb, ...ext];
      return all.length ? all.join(',') : '<pending>';
    }
    default:
      return ext.length ? ext.join(',') : '<none>';
  }
}

function endpointsList(o: KubeObject): string {
  const out: string[] = [];
  let total = 0;
  for (const s of arr(o.subsets)) {
    const ports = arr(s.ports);
    for (const a of arr(s.addresses)) {
      if (ports.length === 0) {
        total++;
        if (out.length < 3) out.push(str(a.ip));
      } else
        for (const p of ports) {
          total++;
          if (out.length < 3) out.push(`${str(a.ip)}:${str(p.port)}`);
        }
    }
  }
  if (total === 0) return '<none>';
  return total > 3 ? `${out.join(',')} + ${total - 3} more...` : out.join(',');
}

function nodeStatus(o: KubeObject): string {
  const ready = arr(obj(o.status).conditions).find((c) => c.type === 'Ready');
  let s = ready?.status === 'True' ? 'Ready' : ready?.status === 'False' ? 'NotReady' : 'Unknown';
  if (obj(o.spec).unschedulable === true) s += ',SchedulingDisabled';
  return s;
}

function nodeRoles(o: KubeObject): string {
  const roles = Object.keys(o.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
    .filter(Boolean);
  return roles.length ? roles.sort().join(',') : '<none>';
}

const nodeAddress = (o: KubeObject, type: string): string => none(arr(obj(o.status).addresses).filter((a) => a.type === type).map((a) => str(a.address)).join(','));
const nodeInfo = (o: KubeObject, k: string): string => none(str(obj(obj(o.status).nodeInfo)[k]));

function ingressHosts(o: KubeObject): string {
  const hosts = arr(obj(o.spec).rules).map((r) => str(r.host) || '*');
  return hosts.length ? [...new Set(hosts)].join(',') : '*';
}

function eventObject(o: KubeObject): string {
  const io = obj(o.involvedObject);
  return `${str(io.kind).toLowerCase()}/${str(io.name)}`;
}

const eventLastSeen = (o: KubeObject, now: number): string => {
  const t = str(o.lastTimestamp) || str(o.eventTime) || str(o.firstTimestamp) || str(o.metadata.creationTimestamp);
  return since(t, now);
};

const s = (name: string, cell: Column['cell'], priority = 0, type: Column['type'] = 'string'): Column => ({ name, type, description: name, priority, cell });

const COLUMNS: Readonly<Record<string, Column[]>> = {
  pods: [
    nameCol,
    s('Ready', podReady),
    s('Status', podStatusReason),
    s('Restarts', restarts, 0, 'string'),
    ageCol,
    s('IP', (o) => none(str(obj(o.status).podIP)), 1),
    s('Node', (o) => none(str(obj(o.spec).nodeName)), 1),
    s('Nominated Node', (o) => none(str(obj(o.status).nominatedNodeName)), 1),
    s('Readiness Gates', (o) => {
      const gates = arr(obj(o.spec).readinessGates);
      return gates.length ? `0/${gates.length}` : '<none>';
    }, 1),
  ],
  services: [
    nameCol,
    s('Type', (o) => str(obj(o.spec).type)),
    s('Cluster-IP', (o) => none(str(obj(o.spec).clusterIP))),
    s('External-IP', externalIps),
    s('Port(s)', servicePorts),
    ageCol,
    s('Selector', (o) => mapSelector(obj(o.spec).selector), 1),
  ],
  endpoints: [nameCol, s('Endpoints', endpointsList), ageCol],
  nodes: [
    nameCol,
    s('Status', nodeStatus),
    s('Roles', nodeRoles),
    ageCol,
    s('Version', (o) => nodeInfo(o, 'kubeletVersion')),
    s('Internal-IP', (o) => nodeAddress(o, 'InternalIP'), 1),
    s('External-IP', (o) => nodeAddress(o, 'ExternalIP'), 1),
    s('OS-Image', (o) => nodeInfo(o, 'osImage'), 1),
    s('Kernel-Version', (o) => nodeInfo(o, 'kernelVersion'), 1),
    s('Container-Runtime', (o) => nodeInfo(o, 'containerRuntimeVersion'), 1),
  ],
  namespaces: [nameCol, s('Status', (o) => str(obj(o.status).phase)), ageCol],
  replicationcontrollers: [
    nameCol,
    s('Desired', (o) => Number(obj(o.spec).replicas ?? 0), 0, 'integer'),
    s('Current', (o) => Number(obj(o.status).replicas ?? 0), 0, 'integer'),
    s('Ready', (o) => Number(obj(o.status).readyReplicas ?? 0), 0, 'integer'),
    ageCol,
    s('Containers', containerNames, 1),
    s('Images', containerImages, 1),
    s('Selector', (o) => mapSelector(obj(o.spec).selector), 1),
  ],
  'replicasets.apps': [
    nameCol,
    s('Desired', (o) => Number(obj(o.spec).replicas ?? 0), 0, 'integer'),
    s('Current', (o) => Number(obj(o.status).replicas ?? 0), 0, 'integer'),
    s('Ready', (o) => Number(obj(o.status).readyReplicas ?? 0), 0, 'integer'),
    ageCol,
    s('Containers', containerNames, 1),
    s('Images', containerImages, 1),
    s('Selector', (o) => labelSelector(obj(o.spec).selector), 1),
  ],
  'deployments.apps': [
    nameCol,
    s('Ready', (o) => `${Number(obj(o.status).readyReplicas ?? 0)}/${Number(obj(o.spec).replicas ?? 0)}`),
    s('Up-to-date', (o) => Number(obj(o.status).updatedReplicas ?? 0), 0, 'integer'),
    s('Available', (o) => Number(obj(o.status).availableReplicas ?? 0), 0, 'integer'),
    ageCol,
    s('Containers', containerNames, 1),
    s('Images', containerImages, 1),
    s('Selector', (o) => labelSelector(obj(o.spec).selector), 1),
  ],
  events: [
    s('Last Seen', eventLastSeen),
    s('Type', (o) => str(o.type)),
    s('Reason', (o) => str(o.reason)),
    s('Object', eventObject),
    s('Message', (o) => str(o.message).trim()),
    s('Subobject', (o) => str(obj(o.involvedObject).fieldPath), 1),
    s('Source', (o) => {
      const src = obj(o.source);
      return [str(src.component), str(src.host)].filter(Boolean).join(', ') || str(o.reportingComponent);
    }, 1),
    s('First Seen', (o, now) => since(str(o.firstTimestamp) || str(o.eventTime), now), 1),
    s('Count', (o) => Number(o.count ?? 1), 1, 'integer'),
    { ...nameCol, priority: 1 },
  ],
  'networkpolicies.networking.k8s.io': [nameCol, s('Pod-Selector', (o) => labelSelector(obj(o.spec).podSelector)), ageCol],
  'ingresses.networking.k8s.io': [
    nameCol,
    s('Class', (o) => none(str(obj(o.spec).ingressClassName))),
    s('Hosts', ingressHosts),
    s('Address', (o) => arr(obj(obj(o.status).loadBalancer).ingress).map((i) => str(i.ip) || str(i.hostname)).join(',')),
    s('Ports', (o) => (arr(obj(o.spec).tls).length ? '80, 443' : '80')),
    ageCol,
  ],
  configmaps: [nameCol, s('Data', (o) => Object.keys(obj(o.data)).length + Object.keys(obj(o.binaryData)).length, 0, 'integer'), ageCol],
  secrets: [nameCol, s('Type', (o) => str(o.type)), s('Data', (o) => Object.keys(obj(o.data)).length, 0, 'integer'), ageCol],
  serviceaccounts: [nameCol, s('Secrets', (o) => arr(o.secrets).length, 0, 'integer'), ageCol],
  'leases.coordination.k8s.io': [nameCol, s('Holder', (o) => str(obj(o.spec).holderIdentity)), ageCol],
};

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  includeObject: IncludeObject;
  /** omit column definitions (watch events after the first) */
  noHeaders?: boolean;
  version: 'v1' | 'v1beta1';
  now?: number;
}

export function partialMetadata(o: KubeObject, version: 'v1' | 'v1beta1' = 'v1'): unknown {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: o.metadata };
}

export function toTable(info: ResourceInfo, items: readonly KubeObject[], opts: TableOptions, listMeta?: ListMeta): unknown {
  const cols = COLUMNS[info.storage] ?? [nameCol, ageCol];
  const now = opts.now ?? Date.now();
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${opts.version}`,
    metadata: listMeta ?? { resourceVersion: items.length === 1 ? (items[0].metadata.resourceVersion ?? '') : '' },
    columnDefinitions: opts.noHeaders ? null : cols.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description, priority: c.priority ?? 0 })),
    rows: items.map((o) => ({
      cells: cols.map((c) => c.cell(o, now)),
      ...(opts.includeObject === 'None' ? {} : { object: opts.includeObject === 'Object' ? o : partialMetadata(o, opts.version) }),
    })),
  };
}
