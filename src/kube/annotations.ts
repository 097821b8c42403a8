// The annotations (key_value_pairs) kube-manager puts on the objects it owns, in the seeds' order,
// and the ownership test: an object is ours only when owner=<owner> and cluster=<cluster name>.
import type { VncObject } from '../vnc/object.js';

export type Kind = 'Pod' | 'Namespace' | 'Service' | 'Ingress' | 'NetworkPolicy';

export interface Owner {
  readonly owner: string;
  readonly cluster: string;
}

export interface KeyValue {
  key: string;
  value: string;
}

/** [owner, cluster, project, namespace, name, kind] plus extras, as key_value_pairs. */
export function ownerAnnotations(o: Owner, kind: Kind, project: string, namespace: string, name: string, extra: Record<string, string> = {}): { key_value_pair: KeyValue[] } {
  const base: Record<string, string> = { cluster: o.cluster, kind, namespace, project, name, owner: o.owner, ...extra };
  return { key_value_pair: Object.entries(base).map(([key, value]) => ({ key, value })) };
}

export function annotationMap(obj: VncObject | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const kv of obj?.annotations?.key_value_pair ?? []) if (kv.key) out.set(kv.key, kv.value ?? '');
  return out;
}

export function isOwned(obj: VncObject, o: Owner): boolean {
  const a = annotationMap(obj);
  return a.get('owner') === o.owner && a.get('cluster') === o.cluster;
}

/** The Kubernetes object an owned VNC object stands for, e.g. 'Pod/dev/web-1'. */
export function ownerKey(obj: VncObject, o: Owner): string | undefined {
  const a = annotationMap(obj);
  if (a.get('owner') !== o.owner || a.get('cluster') !== o.cluster) return undefined;
  const kind = a.get('kind');
  const ns = a.get('namespace');
  if (!kind || ns === undefined) return undefined;
  if (kind === 'Namespace') return `Namespace/${ns}`;
  if (kind === 'NetworkPolicy') return a.get('np') ? `NetworkPolicy/${ns}/${a.get('np')}` : undefined;
  const name = a.get('name');
  return name ? `${kind}/${ns}/${name}` : undefined;
}
