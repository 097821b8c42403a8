// VncCache: an informer over the config API for the types a component cares about. It lists them
// (detail), then follows the change feed from the list's revision, keeping objects by uuid and
// fq_name plus back-reference and children indexes, and calls add/update/delete handlers in
// revision order. `synced` resolves after the initial list. After a disconnect it resumes from the
// last revision; after a 410 it relists and emits exactly the differences, so handlers never miss
// or repeat a change. Objects are kept in the stored shape (no hrefs, back-refs or children);
// use backRefs()/children() instead.
import { createLogger } from '../common/log.js';
import type { VncClient } from './client.js';
import type { VncObject } from './object.js';
import { findType, fqNameToString } from './schema/registry.js';
import type { WatchEvent, WatchHandle } from './watch.js';

const log = createLogger('vnc-cache');

export interface CacheHandlers {
  add?(obj: VncObject, type: string): void;
  update?(obj: VncObject, old: VncObject, type: string): void;
  delete?(obj: VncObject, type: string): void;
}

export interface CacheOptions {
  /** called on every watch (re)connection (e.g. for health reporting) */
  onConnect?(revision: number): void;
  /** reconnect when the feed is silent this long (default 30 s) */
  idleTimeoutMs?: number;
  /**
   * Reduces every object as it enters the cache (after normalisation) to what the consumer reads, so that
   * a component following whole types keeps only the fields it needs (the agent: docs/agent.md). Must keep
   * uuid, fq_name, parent_uuid, the refs' uuids and id_perms.last_modified.
   */
  project?(obj: VncObject, type: string): VncObject;
}

interface Entry {
  type: string;
  obj: VncObject;
}

type RefEntry = { to: string[]; uuid: string; attr?: unknown; href?: string };

/** A reference entry already in the stored shape {to, uuid, attr} (what the change feed sends). */
function storedShape(e: RefEntry): boolean {
  if (e.attr === undefined) return false;
  for (const k in e) if (k !== 'to' && k !== 'uuid' && k !== 'attr') return false;
  return true;
}

function normalize(obj: VncObject, type: string): VncObject {
  const rt = findType(type);
  const out: VncObject = { ...obj, name: obj.fq_name[obj.fq_name.length - 1] };
  // Objects from the feed have none of these: deleting only what is there keeps V8's fast objects.
  if ('href' in out) delete out.href;
  if ('parent_href' in out) delete out.parent_href;
  if (rt) {
    for (const r of rt.refs.values()) {
      const list = out[r.field] as RefEntry[] | undefined;
      if (list && !list.every(storedShape)) out[r.field] = list.map((e) => ({ to: e.to, uuid: e.uuid, attr: e.attr ?? null }));
    }
    for (const b of rt.backRefs) if (b.field in out) delete out[b.field];
    for (const c of rt.children) if (c.field in out) delete out[c.field];
  }
  return out;
}

function refTargets(obj: VncObject, type: string): string[] {
  const rt = findType(type);
  if (!rt) return [];
  const out: string[] = [];
  for (const r of rt.refs.values()) for (const e of (obj[r.field] as { uuid: string }[] | undefined) ?? []) out.push(e.uuid);
  return out;
}

const sameVersion = (a: VncObject, b: VncObject): boolean => {
  const la = a.id_perms?.last_modified;
  const lb = b.id_perms?.last_modified;
  return la && lb ? la === lb : JSON.stringify(a) === JSON.stringify(b);
};

export class VncCache {
  readonly types: readonly string[];
  readonly synced: Promise<void>;
  readonly #client: VncClient;
  readonly #opts: CacheOptions;
  readonly #byUuid = new Map<string, Entry>();
  readonly #byFq = new Map<string, string>();
  readonly #byType = new Map<string, Map<string, VncObject>>();
  readonly #backRefs = new Map<string, Set<string>>();
  readonly #children = new Map<string, Set<string>>();
  readonly #handlers = new Set<CacheHandlers>();
  /** per type: events at or below this revision are already in the cache (from its list) */
  readonly #listedAt = new Map<string, number>();
  #revision = 0;
  #watch: WatchHandle | undefined;
  #closed = false;
  #resolveSynced!: () => void;
  #rejectSynced!: (err: Error) => void;

  constructor(client: VncClient, types: readonly string[], opts: CacheOptions = {}) {
    this.#client = client;
    this.#opts = opts;
    this.types = types.map((t) => {
      const rt = findType(t);
      if (!rt) throw new Error(`VncCache: unknown type ${t}`);
      return rt.name;
    });
    for (const t of this.types) this.#byType.set(t, new Map());
    this.synced = new Promise((resolve, reject) => {
      this.#resolveSynced = resolve;
      this.#rejectSynced = reject;
    });
    this.synced.catch(() => undefined);
  }

  /** Registers handlers; returns an unregister function. Register before start() to see the initial adds. */
  on(h: CacheHandlers): () => void {
    this.#handlers.add(h);
    return () => this.#handlers.delete(h);
  }

  /** Lists, then follows the feed. Resolves when synced (same as `synced`). */
  async start(): Promise<void> {
    try {
      const since = await this.#relist();
      this.#resolveSynced();
      this.#follow(since);
    } catch (err) {
      this.#rejectSynced(err as Error);
      throw err;
    }
    return this.synced;
  }

  /** Last revision applied. */
  get revision(): number {
    return this.#revision;
  }

  get size(): number {
    return this.#byUuid.size;
  }

  get(uuid: string): VncObject | undefined {
    return this.#byUuid.get(uuid)?.obj;
  }

  typeOf(uuid: string): string | undefined {
    return this.#byUuid.get(uuid)?.type;
  }

  getByFqName(type: string, fqName: readonly string[]): VncObject | undefined {
    const u = this.#byFq.get(`${type}:${fqNameToString(fqName)}`);
    return u ? this.get(u) : undefined;
  }

  list(type: string): VncObject[] {
    return [...(this.#byType.get(type)?.values() ?? [])];
  }

  /** Cached objects (of `fromType`, if given) that reference `uuid`. */
  backRefs(uuid: string, fromType?: string): VncObject[] {
    const out: VncObject[] = [];
    for (const u of this.#backRefs.get(uuid) ?? []) {
      const e = this.#byUuid.get(u);
      if (e && (!fromType || e.type === fromType)) out.push(e.obj);
    }
    return out;
  }

  /** Cached children (of `childType`, if given) of `uuid`. */
  children(uuid: string, childType?: string): VncObject[] {
    const out: VncObject[] = [];
    for (const u of this.#children.get(uuid) ?? []) {
      const e = this.#byUuid.get(u);
      if (e && (!childType || e.type === childType)) out.push(e.obj);
    }
    return out;
  }

  close(): void {
    this.#closed = true;
    this.#watch?.close();
  }

  // --- internals ---------------------------------------------------------------------------

  #normalize(raw: VncObject, type: string): VncObject {
    const obj = normalize(raw, type);
    return this.#opts.project ? this.#opts.project(obj, type) : obj;
  }

  #emit(kind: 'add' | 'update' | 'delete', obj: VncObject, type: string, old?: VncObject): void {
    for (const h of this.#handlers) {
      try {
        if (kind === 'add') h.add?.(obj, type);
        else if (kind === 'update') h.update?.(obj, old!, type);
        else h.delete?.(obj, type);
      } catch (err) {
        log.error({ err: (err as Error).message, type, uuid: obj.uuid }, 'cache handler failed');
      }
    }
  }

  #index(obj: VncObject, type: string): void {
    this.#byUuid.set(obj.uuid, { type, obj });
    this.#byFq.set(`${type}:${fqNameToString(obj.fq_name)}`, obj.uuid);
    this.#byType.get(type)?.set(obj.uuid, obj);
    for (const to of refTargets(obj, type)) {
      let s = this.#backRefs.get(to);
      if (!s) this.#backRefs.set(to, (s = new Set()));
      s.add(obj.uuid);
    }
    if (obj.parent_uuid) {
      let s = this.#children.get(obj.parent_uuid);
      if (!s) this.#children.set(obj.parent_uuid, (s = new Set()));
      s.add(obj.uuid);
    }
  }

  #unindex(obj: VncObject, type: string): void {
    this.#byUuid.delete(obj.uuid);
    this.#byFq.delete(`${type}:${fqNameToString(obj.fq_name)}`);
    this.#byType.get(type)?.delete(obj.uuid);
    for (const to of refTargets(obj, type)) {
      const s = this.#backRefs.get(to);
      s?.delete(obj.uuid);
      if (s?.size === 0) this.#backRefs.delete(to);
    }
    if (obj.parent_uuid) {
      const s = this.#children.get(obj.parent_uuid);
      s?.delete(obj.uuid);
      if (s?.size === 0) this.#children.delete(obj.parent_uuid);
    }
  }

  #upsert(obj: VncObject, type: string): void {
    const old = this.#byUuid.get(obj.uuid);
    if (old) {
      if (sameVersion(old.obj, obj)) return;
      this.#unindex(old.obj, type);
      this.#index(obj, type);
      this.#emit('update', obj, type, old.obj);
    } else {
      this.#index(obj, type);
      this.#emit('add', obj, type);
    }
  }

  #remove(uuid: string): void {
    const old = this.#byUuid.get(uuid);
    if (!old) return;
    this.#unindex(old.obj, old.type);
    this.#emit('delete', old.obj, old.type);
  }

  /** Lists every type and reconciles the cache with the result; returns the revision to watch from. */
  async #relist(): Promise<number> {
    const seen = new Set<string>();
    let since = Number.POSITIVE_INFINITY;
    for (const type of this.types) {
      const page = await this.#client.listPage(type, { detail: true });
      this.#listedAt.set(type, page.revision);
      since = Math.min(since, page.revision);
      for (const raw of page.items) {
        const obj = this.#normalize(raw, type);
        seen.add(obj.uuid);
        this.#upsert(obj, type);
      }
    }
    for (const [uuid, e] of [...this.#byUuid]) if (!seen.has(uuid) && this.types.includes(e.type)) this.#remove(uuid);
    const rev = Number.isFinite(since) ? since : 0;
    this.#revision = Math.max(this.#revision, rev);
    return rev;
  }

  #follow(since: number): void {
    if (this.#closed) return;
    this.#watch = this.#client.watch({
      types: this.types,
      since,
      idleTimeoutMs: this.#opts.idleTimeoutMs,
      onConnect: (rev) => this.#opts.onConnect?.(rev),
      onEvent: (ev) => this.#apply(ev),
      onRelist: async () => {
        log.warn({ revision: this.#revision }, 'change feed history compacted; relisting');
        for (;;) {
          try {
            return await this.#relist();
          } catch (err) {
            if (this.#closed) return 0;
            log.warn({ err: (err as Error).message }, 'relist failed; retrying');
            await new Promise((r) => setTimeout(r, 500));
          }
        }
      },
      onError: (err) => log.error({ err: err.message }, 'change feed stopped'),
    });
  }

  #apply(ev: WatchEvent): void {
    if (ev.type === 'BOOKMARK') {
      this.#revision = Math.max(this.#revision, ev.revision);
      return;
    }
    const type = ev.object_type!;
    if (!this.types.includes(type) || !ev.object) return;
    if (ev.revision <= (this.#listedAt.get(type) ?? 0)) return;
    if (ev.type === 'DELETED') this.#remove(ev.object.uuid);
    else this.#upsert(this.#normalize(ev.object, type), type);
    this.#revision = Math.max(this.#revision, ev.revision);
  }
}
