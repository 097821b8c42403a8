// The lab API's object store: every object of every resource in memory, one global resourceVersion
// counter (as etcd's revision), a bounded history of changes for watch resume (older resume points get
// 410 Expired, as after an etcd compaction), indexes by uid and by owner uid for garbage collection,
// and an optional persistence hook written through on every change. Stored objects are deep-frozen:
// readers share them and must clone before changing anything.
import type { KubeObject } from './types.js';

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  readonly type: StoreEventType;
  readonly storage: string;
  readonly rv: number;
  readonly object: KubeObject;
  /** the previous state for MODIFIED and DELETED */
  readonly old: KubeObject | undefined;
}

export interface StoredRecord {
  readonly storage: string;
  readonly object: KubeObject;
}

/** Write-through persistence (SQLite in persist.ts). */
export interface Persistence {
  load(): { rv: number; records: StoredRecord[] };
  put(storage: string, key: string, object: KubeObject, rv: number): void;
  remove(storage: string, key: string, rv: number): void;
  close(): void;
}

export type StoreListener = (e: StoreEvent) => void;

export function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}

export const objectKey = (namespace: string | undefined, name: string): string => `${namespace ?? ''}/${name}`;

export interface ObjectStoreOptions {
  /** changes kept for watch resume (default 100,000) */
  historySize?: number;
  persistence?: Persistence;
}

export class ObjectStore {
  readonly #tables = new Map<string, Map<string, KubeObject>>();
  readonly #listeners = new Map<string, Set<StoreListener>>();
  readonly #history: StoreEvent[] = [];
  readonly #historySize: number;
  readonly #byUid = new Map<string, { storage: string; key: string }>();
  readonly #byOwner = new Map<string, Set<string>>();
  readonly #persistence: Persistence | undefined;
  #rv = 0;
  /** resume points at or below this revision have been compacted away */
  #compacted = 0;

  constructor(opts: ObjectStoreOptions = {}) {
    this.#historySize = opts.historySize ?? 100_000;
    this.#persistence = opts.persistence;
    if (this.#persistence) {
      const { rv, records } = this.#persistence.load();
      for (const r of records) this.#index(r.storage, deepFreeze(r.object));
      this.#rv = rv;
      this.#compacted = rv;
    }
  }

  get rv(): number {
    return this.#rv;
  }

  get compactedRv(): number {
    return this.#compacted;
  }

  #table(storage: string): Map<string, KubeObject> {
    let t = this.#tables.get(storage);
    if (!t) this.#tables.set(storage, (t = new Map<string, KubeObject>()));
    return t;
  }

  get(storage: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.#tables.get(storage)?.get(objectKey(namespace, name));
  }

  /** Objects in key order (namespace, then name), optionally of one namespace. */
  list(storage: string, namespace?: string): KubeObject[] {
    const t = this.#tables.get(storage);
    if (!t) return [];
    const out: [string, KubeObject][] = [];
    const prefix = namespace === undefined ? undefined : `${namespace}/`;
    for (const [k, v] of t) if (prefix === undefined || k.startsWith(prefix)) out.push([k, v]);
    out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return out.map(([, v]) => v);
  }

  count(storage: string): number {
    return this.#tables.get(storage)?.size ?? 0;
  }

  byUid(uid: string): StoredRecord | undefined {
    const loc = this.#byUid.get(uid);
    if (!loc) return undefined;
    const object = this.#tables.get(loc.storage)?.get(loc.key);
    return object ? { storage: loc.storage, object } : undefined;
  }

  /** Objects whose ownerReferences name `uid`. */
  dependentsOf(uid: string): StoredRecord[] {
    const out: StoredRecord[] = [];
    for (const dep of this.#byOwner.get(uid) ?? []) {
      const r = this.byUid(dep);
      if (r) out.push(r);
    }
    return out;
  }

  /**
   * Writes `object` (a fresh object the store now owns; its metadata.resourceVersion is set here) or
   * deletes it (`object` then is its final state), notifies listeners and returns the stored object.
   */
  commit(storage: string, type: StoreEventType, object: KubeObject): KubeObject {
    const key = objectKey(object.metadata.namespace, object.metadata.name ?? '');
    const table = this.#table(storage);
    const old = table.get(key);
    const rv = ++this.#rv;
    object.metadata.resourceVersion = String(rv);
    deepFreeze(object);
    if (type === 'DELETED') {
      this.#unindex(storage, key, old);
      this.#persistence?.remove(storage, key, rv);
    } else {
      if (old) this.#unindex(storage, key, old);
      this.#index(storage, object);
      this.#persistence?.put(storage, key, object, rv);
    }
    const ev: StoreEvent = { type, storage, rv, object, old };
    this.#history.push(ev);
    if (this.#history.length > this.#historySize) {
      const drop = this.#history.length - this.#historySize;
      this.#compacted = this.#history[drop - 1].rv;
      this.#history.splice(0, drop);
    }
    for (const l of this.#listeners.get(storage) ?? []) l(ev);
    return object;
  }

  #index(storage: string, object: KubeObject): void {
    const key = objectKey(object.metadata.namespace, object.metadata.name ?? '');
    this.#table(storage).set(key, object);
    const uid = object.metadata.uid;
    if (!uid) return;
    this.#byUid.set(uid, { storage, key });
    for (const o of object.metadata.ownerReferences ?? []) {
      let s = this.#byOwner.get(o.uid);
      if (!s) this.#byOwner.set(o.uid, (s = new Set()));
      s.add(uid);
    }
  }

  #unindex(storage: string, key: string, old: KubeObject | undefined): void {
    this.#tables.get(storage)?.delete(key);
    const uid = old?.metadata.uid;
    if (!old || !uid) return;
    this.#byUid.delete(uid);
    for (const o of old.metadata.ownerReferences ?? []) {
      const s = this.#byOwner.get(o.uid);
      s?.delete(uid);
      if (s?.size === 0) this.#byOwner.delete(o.uid);
    }
  }

  /**
   * Changes of `storage` after revision `since`, or 'expired' when the history no longer reaches back
   * that far. A revision ahead of the store yields nothing.
   */
  changesSince(storage: string, since: number): StoreEvent[] | 'expired' {
    if (since < this.#compacted) return 'expired';
    // binary search for the first event with rv > since
    let lo = 0;
    let hi = this.#history.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#history[mid].rv <= since) lo = mid + 1;
      else hi = mid;
    }
    const out: StoreEvent[] = [];
    for (let i = lo; i < this.#history.length; i++) if (this.#history[i].storage === storage) out.push(this.#history[i]);
    return out;
  }

  subscribe(storage: string, listener: StoreListener): () => void {
    let s = this.#listeners.get(storage);
    if (!s) this.#listeners.set(storage, (s = new Set()));
    s.add(listener);
    return () => s.delete(listener);
  }

  close(): void {
    this.#listeners.clear();
    this.#persistence?.close();
  }
}
