// VncClient: the typed client of the config API that every component uses (kube-manager, the
// schema transformer, control nodes, agents, the CLI). CRUD, list with every query option,
// fq_name/uuid lookups, ref-update, ref-relax-for-delete, prop-collection, useragent-kv, and
// watch() with resume/relist. Errors are vnc_api's classes (errors.ts); 502/503 and refused
// connections are retried with backoff. Creates carry a client-chosen uuid so a create retried
// after a lost response is recognised instead of failing with "already exists".
import { randomUUID } from 'node:crypto';
import { defaultConfigApiUrl, envOr, ENV } from '../common/defaults.js';
import { BadRequest, RefsExistError } from './errors.js';
import { Transport, type TransportOptions } from './http.js';
import type { VncObject, VncObjectInput } from './object.js';
import type { VncTypeMap } from './schema/objects.js';
import { findType } from './schema/registry.js';
import { startWatch, type WatchHandle, type WatchOptions } from './watch.js';

export type VncType = keyof VncTypeMap;
/** Typed object for known types, VncObject otherwise. */
export type ObjectOf<T extends string> = T extends VncType ? VncTypeMap[T] : VncObject;

export type VncClientOptions = Partial<TransportOptions>;

export interface ReadOptions {
  /** only these fields (plus identity, id_perms, perms2) */
  fields?: readonly string[];
  excludeBackRefs?: boolean;
  excludeChildren?: boolean;
}

export interface ListOptions {
  parentId?: string | readonly string[];
  parentFqName?: readonly string[];
  parentType?: string;
  backRefId?: string | readonly string[];
  objUuids?: readonly string[];
  fqNames?: readonly (readonly string[])[];
  /** full objects instead of {uuid, fq_name, href} */
  detail?: boolean;
  fields?: readonly string[];
  /** property == value (any of several values) */
  filters?: Readonly<Record<string, string | readonly string[]>>;
  excludeHrefs?: boolean;
  /** page size when paginating (list() follows every page; listPage() returns one) */
  pageLimit?: number;
  pageMarker?: string;
}

export interface ListSummary {
  uuid: string;
  fq_name: string[];
  href?: string;
}

export interface Page<T> {
  items: T[];
  /** pass as pageMarker for the next page; null when this was the last */
  marker: string | null;
  /** the store revision the list reflects (resume a watch from here) */
  revision: number;
}

export type RefOperation = 'ADD' | 'DELETE';

export interface PropCollectionUpdate {
  field: string;
  operation: 'add' | 'modify' | 'delete' | 'set';
  value?: unknown;
  position?: string | number;
}

/** One write of `VncClient.batch`. */
export type BatchOperation = { operation: 'create'; type: string; object: VncObjectInput } | { operation: 'update'; type: string; uuid: string; object: VncObjectInput };

/** What a batch answers per operation: the object's identity and the version the write made. */
export interface BatchResult {
  type: string;
  uuid: string;
  fq_name: string[];
  href: string;
  last_modified: string;
}

const csv = (v: string | readonly string[]): string => (typeof v === 'string' ? v : v.join(','));

export class VncClient {
  readonly url: string;
  readonly #t: Transport;

  constructor(opts: VncClientOptions = {}) {
    this.url = (opts.url ?? defaultConfigApiUrl()).replace(/\/$/, '');
    const token = opts.adminToken ?? (envOr(ENV.adminToken, '') || undefined);
    this.#t = new Transport({ ...opts, url: this.url, adminToken: token });
  }

  #typeName(type: string): string {
    const rt = findType(type);
    if (!rt) throw new BadRequest(`Unknown resource type ${JSON.stringify(type)}`, 'UNKNOWN_TYPE');
    return rt.name;
  }

  /** Creates an object; returns it as stored, with what the server assigned (ids, addresses, MAC). */
  async create<T extends string>(type: T, obj: VncObjectInput): Promise<ObjectOf<T>> {
    const t = this.#typeName(type);
    const generated = obj.uuid === undefined || obj.uuid === null;
    const body = { ...obj, uuid: generated ? randomUUID() : obj.uuid! };
    try {
      const res = await this.#t.request('POST', `/${t}s`, { [t]: body }, { retryUnsafe: true });
      return (res.body as Record<string, ObjectOf<T>>)[t];
    } catch (err) {
      // A retried create whose first attempt was committed: the object with our uuid exists.
      const existing = (err as RefsExistError).details as { uuid?: string } | undefined;
      if (generated && err instanceof RefsExistError && err.code === 'ALREADY_EXISTS' && existing?.uuid === body.uuid) {
        const got: VncObject = await this.read(t, body.uuid);
        if (JSON.stringify(got.fq_name) === JSON.stringify(body.fq_name)) return got as ObjectOf<T>;
      }
      throw err;
    }
  }

  /**
   * Creates and updates several objects in one transaction (all or none; later operations see
   * earlier ones). A refusal throws the failing operation's typed error with
   * `details.operation` = its index. Not retried after a lost connection (it may have committed).
   */
  async batch(ops: readonly BatchOperation[]): Promise<BatchResult[]> {
    const operations = ops.map((op) =>
      op.operation === 'create'
        ? { operation: 'create', type: this.#typeName(op.type), object: op.object }
        : { operation: 'update', type: this.#typeName(op.type), uuid: op.uuid, object: op.object },
    );
    const res = await this.#t.request('POST', '/batch', { operations });
    return (res.body as { results: BatchResult[] }).results;
  }

  async read<T extends string>(type: T, uuid: string, opts: ReadOptions = {}): Promise<ObjectOf<T>> {
    const t = this.#typeName(type);
    const q = new URLSearchParams();
    if (opts.fields) q.set('fields', opts.fields.join(','));
    if (opts.excludeBackRefs) q.set('exclude_back_refs', 'true');
    if (opts.excludeChildren) q.set('exclude_children', 'true');
    const s = q.toString();
    const res = await this.#t.request('GET', `/${t}/${encodeURIComponent(uuid)}${s ? `?${s}` : ''}`);
    return (res.body as Record<string, ObjectOf<T>>)[t];
  }

  async readByFqName<T extends string>(type: T, fqName: readonly string[], opts: ReadOptions = {}): Promise<ObjectOf<T>> {
    return this.read(type, await this.fqNameToId(type, fqName), opts);
  }

  /** Properties present replace the stored ones; each ref field present replaces that ref set. */
  async update<T extends string>(type: T, uuid: string, obj: VncObjectInput): Promise<ObjectOf<T>> {
    const t = this.#typeName(type);
    const res = await this.#t.request('PUT', `/${t}/${encodeURIComponent(uuid)}`, { [t]: obj });
    return (res.body as Record<string, ObjectOf<T>>)[t];
  }

  async delete(type: string, uuid: string): Promise<void> {
    const t = this.#typeName(type);
    await this.#t.request('DELETE', `/${t}/${encodeURIComponent(uuid)}`);
  }

  #listQuery(opts: ListOptions, count = false): string {
    const q = new URLSearchParams();
    if (opts.parentId !== undefined) q.set('parent_id', csv(opts.parentId));
    if (opts.parentFqName) q.set('parent_fq_name_str', opts.parentFqName.join(':'));
    if (opts.parentType) q.set('parent_type', opts.parentType);
    if (opts.backRefId !== undefined) q.set('back_ref_id', csv(opts.backRefId));
    if (opts.objUuids) q.set('obj_uuids', opts.objUuids.join(','));
    if (opts.fqNames) q.set('fq_names', opts.fqNames.map((f) => f.join(':')).join(','));
    if (opts.detail) q.set('detail', 'true');
    if (opts.fields) q.set('fields', opts.fields.join(','));
    if (opts.filters) {
      q.set('filters', Object.entries(opts.filters).flatMap(([k, v]) => (typeof v === 'string' ? [v] : v).map((x) => `${k}==${x}`)).join(','));
    }
    if (opts.excludeHrefs) q.set('exclude_hrefs', 'true');
    if (opts.pageLimit !== undefined) q.set('page_limit', String(opts.pageLimit));
    if (opts.pageMarker !== undefined || opts.pageLimit !== undefined) q.set('page_marker', opts.pageMarker ?? '');
    if (count) q.set('count', 'true');
    const s = q.toString();
    return s ? `?${s}` : '';
  }

  /** One page (or everything when no pageLimit is given) with the revision it reflects. */
  async listPage<T extends string>(type: T, opts: ListOptions & { detail: true }): Promise<Page<ObjectOf<T>>>;
  async listPage(type: string, opts?: ListOptions): Promise<Page<ListSummary>>;
  async listPage(type: string, opts: ListOptions = {}): Promise<Page<unknown>> {
    const t = this.#typeName(type);
    const res = await this.#t.request('GET', `/${t}s${this.#listQuery(opts)}`);
    const body = res.body as Record<string, unknown>;
    const raw = (body[`${t}s`] as unknown[]) ?? [];
    const items = opts.detail ? raw.map((e) => (e as Record<string, unknown>)[t]) : raw;
    return { items, marker: (body.marker as string | null | undefined) ?? null, revision: Number(res.headers['x-revision'] ?? 0) };
  }

  /** Every matching object (following pages when pageLimit is set). */
  async list<T extends string>(type: T, opts: ListOptions & { detail: true }): Promise<ObjectOf<T>[]>;
  async list(type: string, opts?: ListOptions): Promise<ListSummary[]>;
  async list(type: string, opts: ListOptions = {}): Promise<unknown[]> {
    if (opts.pageLimit === undefined) return (await this.listPage(type, opts)).items;
    const out: unknown[] = [];
    let marker: string | undefined = opts.pageMarker;
    for (;;) {
      const page: Page<unknown> = await this.listPage(type, { ...opts, pageMarker: marker });
      out.push(...page.items);
      if (!page.marker) return out;
      marker = page.marker;
    }
  }

  async count(type: string, opts: ListOptions = {}): Promise<number> {
    const t = this.#typeName(type);
    const res = await this.#t.request('GET', `/${t}s${this.#listQuery(opts, true)}`);
    return ((res.body as Record<string, { count: number }>)[`${t}s`]).count;
  }

  async fqNameToId(type: string, fqName: readonly string[]): Promise<string> {
    const res = await this.#t.request('POST', '/fqname-to-id', { type: this.#typeName(type), fq_name: fqName }, { retryUnsafe: true });
    return (res.body as { uuid: string }).uuid;
  }

  async idToFqName(uuid: string): Promise<{ fq_name: string[]; type: string }> {
    const res = await this.#t.request('POST', '/id-to-fqname', { uuid }, { retryUnsafe: true });
    return res.body as { fq_name: string[]; type: string };
  }

  /** ADD a reference (updating its attr if it exists) or DELETE it. `ref` is a uuid or an fq_name. */
  async refUpdate(type: string, uuid: string, refType: string, ref: string | readonly string[], operation: RefOperation, attr?: unknown): Promise<void> {
    await this.#t.request(
      'POST',
      '/ref-update',
      {
        type: this.#typeName(type),
        uuid,
        'ref-type': this.#typeName(refType),
        ...(typeof ref === 'string' ? { 'ref-uuid': ref } : { 'ref-fq-name': ref }),
        operation,
        ...(attr === undefined ? {} : { attr }),
      },
      { retryUnsafe: true },
    );
  }

  /** Lets `refUuid` be deleted although `uuid` refers to it (the reference is then dropped). */
  async refRelaxForDelete(uuid: string, refUuid: string): Promise<void> {
    await this.#t.request('POST', '/ref-relax-for-delete', { uuid, 'ref-uuid': refUuid }, { retryUnsafe: true });
  }

  async propCollectionGet(uuid: string, fields: readonly string[], position?: string | number): Promise<Record<string, [unknown, string][]>> {
    const q = new URLSearchParams({ uuid, fields: fields.join(',') });
    if (position !== undefined) q.set('position', String(position));
    const res = await this.#t.request('GET', `/prop-collection-get?${q.toString()}`);
    return res.body as Record<string, [unknown, string][]>;
  }

  async propCollectionUpdate(uuid: string, updates: readonly PropCollectionUpdate[]): Promise<void> {
    await this.#t.request('POST', '/prop-collection-update', { uuid, updates });
  }

  async userAgentKvStore(key: string, value: string): Promise<void> {
    await this.#t.request('POST', '/useragent-kv', { operation: 'STORE', key, value }, { retryUnsafe: true });
  }

  async userAgentKvRetrieve(key: string): Promise<string> {
    const res = await this.#t.request('POST', '/useragent-kv', { operation: 'RETRIEVE', key }, { retryUnsafe: true });
    return (res.body as { value: string }).value;
  }

  async userAgentKvDelete(key: string): Promise<void> {
    await this.#t.request('POST', '/useragent-kv', { operation: 'DELETE', key }, { retryUnsafe: true });
  }

  async chown(uuid: string, owner: string): Promise<void> {
    await this.#t.request('POST', '/chown', { uuid, owner }, { retryUnsafe: true });
  }

  /** Follows the change feed; see watch.ts for resume and relist semantics. */
  watch(opts: WatchOptions): WatchHandle {
    return startWatch(this.#t, { ...opts, types: opts.types?.map((t) => this.#typeName(t)) });
  }

  close(): void {
    this.#t.close();
  }
}
