// The VNC side as kube-manager sees it: an informer cache (VncCache) of the types it reads, an index
// of the objects it owns by the Kubernetes object they stand for, and read-your-writes waits so a
// reconcile returns only after the cache reflects its own writes (the next reconcile of any key then
// reads current state, never its own stale past).
import type { Logger } from '../common/log.js';
import { VncCache } from '../vnc/cache.js';
import type { VncClient } from '../vnc/client.js';
import type { VncObject } from '../vnc/object.js';
import { ownerKey, type Owner } from './annotations.js';
import { fqKey } from './names.js';

export const CACHED_TYPES = [
  'project',
  'network-ipam',
  'virtual-network',
  'security-group',
  'virtual-machine',
  'virtual-machine-interface',
  'instance-ip',
  'floating-ip-pool',
  'floating-ip',
  'loadbalancer',
  'loadbalancer-listener',
  'loadbalancer-pool',
  'loadbalancer-member',
  'virtual-router',
  'service-appliance-set',
] as const;

type Pred = (obj: VncObject | undefined) => boolean;

interface Waiter {
  pred: Pred;
  resolve: (ok: boolean) => void;
  timer: NodeJS.Timeout;
}

export interface VncEvents {
  add?(obj: VncObject, type: string): void;
  update?(obj: VncObject, old: VncObject, type: string): void;
  delete?(obj: VncObject, type: string): void;
}

export class VncState {
  readonly cache: VncCache;
  readonly #owner: Owner;
  readonly #owned = new Map<string, Set<string>>();
  readonly #keyOf = new Map<string, string>();
  readonly #waiters = new Map<string, Set<Waiter>>();
  readonly #ownDeletes = new Set<string>();
  readonly #log: Logger;
  connected = false;

  constructor(client: VncClient, owner: Owner, log: Logger) {
    this.#owner = owner;
    this.#log = log;
    this.cache = new VncCache(client, CACHED_TYPES, { onConnect: () => (this.connected = true) });
    this.cache.on({
      add: (obj) => {
        this.#index(obj);
        this.#wake(obj.uuid);
      },
      update: (obj) => {
        this.#unindex(obj.uuid);
        this.#index(obj);
        this.#wake(obj.uuid);
      },
      delete: (obj) => {
        this.#unindex(obj.uuid);
        this.#wake(obj.uuid);
      },
    });
  }

  on(h: VncEvents): void {
    this.cache.on(h);
  }

  async start(): Promise<void> {
    await this.cache.start();
    this.connected = true;
  }

  close(): void {
    this.cache.close();
    for (const set of this.#waiters.values()) {
      for (const w of set) {
        clearTimeout(w.timer);
        w.resolve(false);
      }
    }
    this.#waiters.clear();
  }

  get(uuid: string): VncObject | undefined {
    return this.cache.get(uuid);
  }

  /** The cached object of `type` with this uuid (undefined when absent or of another type). */
  getTyped(type: string, uuid: string): VncObject | undefined {
    return this.cache.typeOf(uuid) === type ? this.cache.get(uuid) : undefined;
  }

  byFq(type: string, fq: readonly string[]): VncObject | undefined {
    return this.cache.getByFqName(type, fq);
  }

  list(type: string): VncObject[] {
    return this.cache.list(type);
  }

  backRefs(uuid: string, fromType?: string): VncObject[] {
    return this.cache.backRefs(uuid, fromType);
  }

  children(uuid: string, childType?: string): VncObject[] {
    return this.cache.children(uuid, childType);
  }

  /** Owned objects standing for one Kubernetes object ('Pod/ns/name', 'Namespace/ns', …). */
  owned(key: string, type?: string): VncObject[] {
    const out: VncObject[] = [];
    for (const u of this.#owned.get(key) ?? []) {
      const o = this.cache.get(u);
      if (o && (!type || this.cache.typeOf(u) === type)) out.push(o);
    }
    return out;
  }

  ownedKeys(): string[] {
    return [...this.#owned.keys()];
  }

  /** Records that this process deletes `uuid` (its delete event is then not a foreign change). */
  markOwnDelete(uuid: string, on = true): void {
    if (on) this.#ownDeletes.add(uuid);
    else this.#ownDeletes.delete(uuid);
  }

  /** Whether the delete of `uuid` was ours (answers once per delete). */
  takeOwnDelete(uuid: string): boolean {
    return this.#ownDeletes.delete(uuid);
  }

  /** Resolves true once `pred(cached object)` holds, false after `timeoutMs`. */
  waitFor(uuid: string, pred: Pred, timeoutMs = 10_000): Promise<boolean> {
    if (pred(this.cache.get(uuid))) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w: Waiter = {
        pred,
        resolve,
        timer: setTimeout(() => {
          this.#waiters.get(uuid)?.delete(w);
          this.#log.debug({ uuid }, 'cache did not reflect a write in time');
          resolve(false);
        }, timeoutMs),
      };
      let set = this.#waiters.get(uuid);
      if (!set) this.#waiters.set(uuid, (set = new Set()));
      set.add(w);
    });
  }

  #wake(uuid: string): void {
    const set = this.#waiters.get(uuid);
    if (!set) return;
    const obj = this.cache.get(uuid);
    for (const w of [...set]) {
      if (!w.pred(obj)) continue;
      clearTimeout(w.timer);
      set.delete(w);
      w.resolve(true);
    }
    if (set.size === 0) this.#waiters.delete(uuid);
  }

  #index(obj: VncObject): void {
    const key = ownerKey(obj, this.#owner);
    if (!key) return;
    this.#keyOf.set(obj.uuid, key);
    let s = this.#owned.get(key);
    if (!s) this.#owned.set(key, (s = new Set()));
    s.add(obj.uuid);
  }

  #unindex(uuid: string): void {
    const key = this.#keyOf.get(uuid);
    if (!key) return;
    this.#keyOf.delete(uuid);
    const s = this.#owned.get(key);
    s?.delete(uuid);
    if (s?.size === 0) this.#owned.delete(key);
  }
}

/** Whether `obj` has a `field` reference to `uuid`. */
export function hasRef(obj: VncObject | undefined, field: string, uuid: string): boolean {
  return ((obj?.[field] as { uuid: string }[] | undefined) ?? []).some((r) => r.uuid === uuid);
}

export function refsOf(obj: VncObject | undefined, field: string): { to: string[]; uuid: string; attr?: unknown }[] {
  return (obj?.[field] as { to: string[]; uuid: string; attr?: unknown }[] | undefined) ?? [];
}

export const refFqs = (obj: VncObject | undefined, field: string): string[] => refsOf(obj, field).map((r) => fqKey(r.to));
