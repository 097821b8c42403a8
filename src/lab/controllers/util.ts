// Helpers shared by the lab's controllers: keys, controller references, pod state predicates.
import type { KubeObject, OwnerReference } from '../kube/types.js';
import { isObject } from '../kube/types.js';

export const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf('/');
  const ns = key.slice(0, i);
  return { namespace: ns === '' ? undefined : ns, name: key.slice(i + 1) };
}

export function controllerRef(o: KubeObject): OwnerReference | undefined {
  return (o.metadata.ownerReferences ?? []).find((r) => r.controller === true);
}

export function ownerRefTo(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** The object with kind and apiVersion set (list items come without them). */
export const asRef = (o: KubeObject, kind: string, apiVersion: string): KubeObject => ({ ...o, kind, apiVersion });

const statusOf = (p: KubeObject): Record<string, unknown> => (isObject(p.status) ? p.status : {});

export function podPhase(p: KubeObject): string {
  return typeof statusOf(p).phase === 'string' ? (statusOf(p).phase as string) : 'Pending';
}

export const podTerminal = (p: KubeObject): boolean => podPhase(p) === 'Succeeded' || podPhase(p) === 'Failed';

/** Counts toward a controller's replicas: not terminal and not being deleted. */
export const podActive = (p: KubeObject): boolean => !podTerminal(p) && !p.metadata.deletionTimestamp;

export function podReady(p: KubeObject): boolean {
  const conds = statusOf(p).conditions;
  return Array.isArray(conds) && conds.some((c) => isObject(c) && c.type === 'Ready' && c.status === 'True');
}

export const podNode = (p: KubeObject): string => (isObject(p.spec) && typeof p.spec.nodeName === 'string' ? p.spec.nodeName : '');

export function nodeReady(n: KubeObject): boolean {
  const conds = isObject(n.status) ? n.status.conditions : undefined;
  return Array.isArray(conds) && conds.some((c) => isObject(c) && c.type === 'Ready' && c.status === 'True');
}

/** Thrown by a reconcile to be run again later without it counting as a failure worth logging. */
export class RequeueError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'RequeueError';
  }
}
