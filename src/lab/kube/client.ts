// The client interface the lab's controllers and kubelet program against, with two implementations:
// in-process (LocalKubeClient, calling the Registry directly) and over HTTP (HttpKubeClient). Objects
// a client returns must not be changed by the caller (the local one hands out the store's frozen
// objects); clone before editing.
import type { PatchType } from './registry.js';
import type { DeleteOptions, KubeList, KubeObject, ResourceRef, WatchEvent } from './types.js';
import type { KubeApiError } from './errors.js';

export interface ListQuery {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface WatchQuery extends ListQuery {
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

export interface WatchHandle {
  stop(): void;
  /** resolves when the stream ends: undefined for a normal end, the error otherwise (410 Expired: relist) */
  readonly done: Promise<KubeApiError | Error | undefined>;
}

export interface WriteOpts {
  dryRun?: boolean;
}

export interface KubeClient {
  get(r: ResourceRef, namespace: string | undefined, name: string): Promise<KubeObject>;
  list(r: ResourceRef, q?: ListQuery): Promise<KubeList>;
  watch(r: ResourceRef, q: WatchQuery, onEvent: (e: WatchEvent) => void): WatchHandle;
  create(r: ResourceRef, namespace: string | undefined, obj: KubeObject, opts?: WriteOpts): Promise<KubeObject>;
  update(r: ResourceRef, namespace: string | undefined, obj: KubeObject, opts?: WriteOpts & { subresource?: 'status' }): Promise<KubeObject>;
  patch(r: ResourceRef, namespace: string | undefined, name: string, type: PatchType, patch: unknown, opts?: WriteOpts & { subresource?: 'status' | 'scale' }): Promise<KubeObject>;
  delete(r: ResourceRef, namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<KubeObject>;
  /** POST pods/<name>/binding */
  bind(namespace: string, name: string, node: string, uid?: string): Promise<void>;
  /** PUT namespaces/<name>/finalize */
  finalizeNamespace(name: string, finalizers: string[]): Promise<void>;
}
