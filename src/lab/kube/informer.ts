// A small shared informer over any KubeClient: list, then watch from the list's resourceVersion,
// resume after a dropped stream from the last seen version, relist on 410 Expired, keep a cache, and
// tell handlers about adds, updates and deletes (handlers should only enqueue keys). Relists diff
// against the cache so a consumer sees every change once.
import type { Logger } from '../../common/log.js';
import type { KubeClient } from './client.js';
import { KubeApiError } from './errors.js';
import { objectKey } from './store.js';
import type { KubeObject, ResourceRef, WatchEvent } from './types.js';

export interface InformerHandlers {
  add?(obj: KubeObject): void;
  update?(obj: KubeObject, old: KubeObject): void;
  delete?(obj: KubeObject): void;
}

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  log?: Logger;
  /** delay before re-watching after an error (doubles up to 10 s) */
  retryMs?: number;
}

export class Informer {
  readonly #client: KubeClient;
  readonly #ref: ResourceRef;
  readonly #opts: InformerOptions;
  readonly #cache = new Map<string, KubeObject>();
  readonly #handlers: InformerHandlers[] = [];
  #rv = '';
  #stopped = false;
  #watch: { stop(): void } | undefined;
  #synced: Promise<void> | undefined;
  #retry: NodeJS.Timeout | undefined;
  relists = 0;

  constructor(client: KubeClient, ref: ResourceRef, opts: InformerOptions = {}) {
    this.#client = client;
    this.#ref = ref;
    this.#opts = opts;
  }

  get resource(): ResourceRef {
    return this.#ref;
  }

  on(h: InformerHandlers): void {
    this.#handlers.push(h);
  }

  get(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.#cache.get(objectKey(namespace, name));
  }

  list(namespace?: string): KubeObject[] {
    const all = [...this.#cache.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  get size(): number {
    return this.#cache.size;
  }

  /** Starts (once) and resolves after the first list is in the cache. */
  start(): Promise<void> {
    this.#synced ??= this.#initialList().then(() => this.#watchLoop(0));
    return this.#synced;
  }

  /** The first list, retried (the API server may not be up yet) until it succeeds or stop(). */
  async #initialList(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#relist();
      } catch (err) {
        if (this.#stopped) return;
        this.#opts.log?.debug({ err: (err as Error).message, resource: this.#ref.resource }, 'initial list failed; retrying');
        await new Promise<void>((resolve) => (this.#retry = setTimeout(resolve, Math.min(5_000, (this.#opts.retryMs ?? 200) * 2 ** attempt))));
      }
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#watch?.stop();
    clearTimeout(this.#retry);
  }

  #emit(kind: 'add' | 'update' | 'delete', obj: KubeObject, old?: KubeObject): void {
    for (const h of this.#handlers) {
      try {
        if (kind === 'add') h.add?.(obj);
        else if (kind === 'update') h.update?.(obj, old as KubeObject);
        else h.delete?.(obj);
      } catch (err) {
        this.#opts.log?.error({ err, resource: this.#ref.resource }, 'informer handler failed');
      }
    }
  }

  async #relist(): Promise<void> {
    this.relists++;
    const list = await this.#client.list(this.#ref, { namespace: this.#opts.namespace, labelSelector: this.#opts.labelSelector, fieldSelector: this.#opts.fieldSelector });
    const seen = new Set<string>();
    for (const item of list.items) {
      const key = objectKey(item.metadata.namespace, item.metadata.name ?? '');
      seen.add(key);
      const old = this.#cache.get(key);
      this.#cache.set(key, item);
      if (!old) this.#emit('add', item);
      else if (old.metadata.resourceVersion !== item.metadata.resourceVersion) this.#emit('update', item, old);
    }
    for (const [key, old] of [...this.#cache]) {
      if (!seen.has(key)) {
        this.#cache.delete(key);
        this.#emit('delete', old);
      }
    }
    this.#rv = list.metadata.resourceVersion;
  }

  #onEvent(e: WatchEvent): void {
    const o = e.object;
    if (o.metadata?.resourceVersion) this.#rv = o.metadata.resourceVersion;
    if (e.type === 'BOOKMARK') return;
    const key = objectKey(o.metadata.namespace, o.metadata.name ?? '');
    const old = this.#cache.get(key);
    if (e.type === 'DELETED') {
      this.#cache.delete(key);
      this.#emit('delete', o);
    } else {
      this.#cache.set(key, o);
      if (old) this.#emit('update', o, old);
      else this.#emit('add', o);
    }
  }

  #watchLoop(attempt: number): void {
    if (this.#stopped) return;
    const w = this.#client.watch(this.#ref, { namespace: this.#opts.namespace, labelSelector: this.#opts.labelSelector, fieldSelector: this.#opts.fieldSelector, resourceVersion: this.#rv, allowWatchBookmarks: true }, (e) => this.#onEvent(e));
    this.#watch = w;
    void w.done.then(async (err) => {
      if (this.#stopped) return;
      let next = 0;
      try {
        if (err instanceof KubeApiError && (err.code === 'Expired' || err.code === 'Gone' || err.status === 410)) await this.#relist();
        else if (err) {
          this.#opts.log?.debug({ err: err.message, resource: this.#ref.resource }, 'watch ended; resuming');
          next = attempt + 1;
        }
      } catch (listErr) {
        this.#opts.log?.debug({ err: (listErr as Error).message, resource: this.#ref.resource }, 'relist failed; retrying');
        next = attempt + 1;
        this.#rv = '';
      }
      const delay = next === 0 ? 0 : Math.min(10_000, (this.#opts.retryMs ?? 200) * 2 ** (next - 1));
      this.#retry = setTimeout(() => {
        if (this.#rv === '') void this.#relist().then(() => this.#watchLoop(0), () => this.#watchLoop(next + 1));
        else this.#watchLoop(next);
      }, delay);
    });
  }
}

/** One informer per resource (and filter), shared by every controller of a process. */
export class InformerFactory {
  readonly #client: KubeClient;
  readonly #log: Logger | undefined;
  readonly #informers = new Map<string, Informer>();

  constructor(client: KubeClient, log?: Logger) {
    this.#client = client;
    this.#log = log;
  }

  for(ref: ResourceRef, opts: Omit<InformerOptions, 'log'> = {}): Informer {
    const key = `${ref.group}/${ref.version}/${ref.resource}?${opts.namespace ?? ''}&${opts.labelSelector ?? ''}&${opts.fieldSelector ?? ''}`;
    let inf = this.#informers.get(key);
    if (!inf) this.#informers.set(key, (inf = new Informer(this.#client, ref, { ...opts, log: this.#log })));
    return inf;
  }

  async start(): Promise<void> {
    await Promise.all([...this.#informers.values()].map((i) => i.start()));
  }

  stop(): void {
    for (const i of this.#informers.values()) i.stop();
  }
}
