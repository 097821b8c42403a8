// KubeClient in the API server's own process: calls the Registry directly (no HTTP, no JSON), used by
// the lab's controllers when they run beside the API server. Watch events are delivered on a
// microtask after the write that caused them, in order.
import type { KubeClient, ListQuery, WatchHandle, WatchQuery, WriteOpts } from './client.js';
import { KubeApiError, notFound } from './errors.js';
import type { PatchType, Registry } from './registry.js';
import { findResource, type ResourceInfo } from './resources.js';
import type { DeleteOptions, KubeList, KubeObject, ResourceRef, WatchEvent } from './types.js';

export class LocalKubeClient implements KubeClient {
  readonly #registry: Registry;

  constructor(registry: Registry) {
    this.#registry = registry;
  }

  #info(r: ResourceRef): ResourceInfo {
    const info = findResource(r.group, r.version, r.resource);
    if (!info) throw new KubeApiError(404, 'NotFound', `the server could not find the requested resource (${r.group}/${r.version} ${r.resource})`);
    return info;
  }

  async get(r: ResourceRef, namespace: string | undefined, name: string): Promise<KubeObject> {
    return this.#registry.get(this.#info(r), namespace, name);
  }

  async list(r: ResourceRef, q: ListQuery = {}): Promise<KubeList> {
    return this.#registry.list(this.#info(r), q.namespace, q);
  }

  watch(r: ResourceRef, q: WatchQuery, onEvent: (e: WatchEvent) => void): WatchHandle {
    let finish: (e: KubeApiError | undefined) => void = () => undefined;
    const done = new Promise<KubeApiError | undefined>((resolve) => (finish = resolve));
    let pending: WatchEvent[] = [];
    let scheduled = false;
    let stopped = false;
    const deliver = (): void => {
      scheduled = false;
      const batch = pending;
      pending = [];
      for (const e of batch) {
        if (stopped) return;
        onEvent(e);
      }
    };
    let unsubscribe: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const stop = (err?: KubeApiError): void => {
      if (stopped) return;
      stopped = true;
      unsubscribe?.();
      clearTimeout(timer);
      finish(err);
    };
    try {
      unsubscribe = this.#registry.watch(this.#info(r), q.namespace, q, (e) => {
        pending.push(e);
        if (!scheduled) {
          scheduled = true;
          queueMicrotask(deliver);
        }
      });
    } catch (err) {
      if (!(err instanceof KubeApiError)) throw err;
      queueMicrotask(() => stop(err));
      return { stop: () => stop(), done };
    }
    if (q.timeoutSeconds) timer = setTimeout(() => stop(), q.timeoutSeconds * 1000);
    return { stop: () => stop(), done };
  }

  async create(r: ResourceRef, namespace: string | undefined, obj: KubeObject, opts: WriteOpts = {}): Promise<KubeObject> {
    return this.#registry.create(this.#info(r), namespace, obj, opts).object;
  }

  async update(r: ResourceRef, namespace: string | undefined, obj: KubeObject, opts: WriteOpts & { subresource?: 'status' } = {}): Promise<KubeObject> {
    return this.#registry.update(this.#info(r), namespace, obj.metadata.name ?? '', obj, opts).object;
  }

  async patch(r: ResourceRef, namespace: string | undefined, name: string, type: PatchType, patch: unknown, opts: WriteOpts & { subresource?: 'status' | 'scale' } = {}): Promise<KubeObject> {
    const info = this.#info(r);
    if (opts.subresource === 'scale') return this.#registry.patchScale(info, namespace, name, type, patch, opts).object;
    return this.#registry.patch(info, namespace, name, type, patch, { dryRun: opts.dryRun, subresource: opts.subresource }).object;
  }

  async delete(r: ResourceRef, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<KubeObject> {
    return this.#registry.delete(this.#info(r), namespace, name, opts).object;
  }

  async bind(namespace: string, name: string, node: string, uid?: string): Promise<void> {
    const info = findResource('', 'v1', 'pods');
    if (!info) throw notFound('', 'resources', 'pods');
    this.#registry.bind(info, namespace, name, { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace, ...(uid ? { uid } : {}) }, target: { apiVersion: 'v1', kind: 'Node', name: node } });
  }

  async finalizeNamespace(name: string, finalizers: string[]): Promise<void> {
    const info = findResource('', 'v1', 'namespaces');
    if (!info) throw notFound('', 'resources', 'namespaces');
    this.#registry.finalizeNamespace(info, name, { spec: { finalizers } });
  }
}
