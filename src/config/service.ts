// The config API's operations, independent of HTTP: every write is planned against the mirror and
// committed as one compare-and-swap transaction (retried after the mirror catches up when a
// concurrent writer got there first); every read is served from the mirror after it caught up with
// the store (linearizable on etcd, immediate on SQLite).
import { BadRequest, NoIdError, ServiceUnavailableError, VncError, errorFromResponse } from '../vnc/errors.js';
import { NAMED_TYPES, findType, fqNameRepr, fqNameToString, validateField, FieldError, type ResourceType } from '../vnc/schema.js';
import { Allocators } from './alloc/allocators.js';
import { hooksFor } from './hooks/index.js';
import { systemResource } from './hooks/common.js';
import { isUuid } from './ids.js';
import { objKey, userAgentKey } from './keys.js';
import { Mirror, objType, type StoredObject } from './mirror.js';
import { Plan } from './plan.js';
import type { KvStore } from './store/types.js';
import type { WriteContext } from './write/context.js';
import { planCreate, requireType } from './write/create.js';
import { planDelete, type Href } from './write/delete.js';
import { planUpdate, requireExisting, touch } from './write/update.js';


/** System objects external requests may not delete (type:fq_name). */
export const PROTECTED = new Set([
  'virtual-network:default-domain:default-project:ip-fabric',
  'virtual-network:default-domain:default-project:__link_local__',
  'routing-instance:default-domain:default-project:ip-fabric:__default__',
]);

export interface WriteResult<T> {
  value: T;
  revision: number;
}

export interface ServiceOptions {
  ringSize?: number;
  /** retries of a transaction that lost a race (default 60) */
  maxRetries?: number;
}

export interface RefUpdateRequest {
  type: string;
  uuid: string;
  refType: string;
  refUuid?: string;
  refFqName?: string[];
  operation: 'ADD' | 'DELETE';
  attr?: unknown;
}

/** One write of a batch: create (object with fq_name, …) or update (object = the changed fields). */
export type BatchOperation = { operation: 'create'; type: string; object: unknown } | { operation: 'update'; type: string; uuid: string; object: unknown };

/** Most operations one batch may carry. */
export const MAX_BATCH_OPERATIONS = 1000;

export interface PropUpdate {
  field: string;
  operation: 'add' | 'modify' | 'delete' | 'set';
  value?: unknown;
  position?: string | number;
}

export class ConfigService {
  readonly store: KvStore;
  readonly mirror: Mirror;
  readonly alloc: Allocators;
  readonly #maxRetries: number;
  #conflicts = 0;

  constructor(store: KvStore, opts: ServiceOptions = {}) {
    this.store = store;
    this.alloc = new Allocators(() => this.mirror);
    this.mirror = new Mirror(store, { ringSize: opts.ringSize, onFree: (pool, value) => this.alloc.onFree(pool, value) });
    this.mirror.onReset(() => this.alloc.reset());
    this.#maxRetries = opts.maxRetries ?? 60;
  }

  async start(): Promise<void> {
    await this.mirror.start();
  }

  close(): void {
    this.mirror.close();
  }

  /** Transactions retried because another writer changed what they were planned on. */
  get conflicts(): number {
    return this.#conflicts;
  }

  /**
   * Plans with `build`, commits, and retries on lost races; resolves after the mirror applied it.
   * The first plan is built on the mirror as it is (no store round trip): a stale mirror can only
   * make the commit's compares fail (then the mirror catches up and the plan is rebuilt) or make the
   * plan itself refuse the request (404/409 on something another replica just changed) — so a
   * refusal from an unsynchronised plan is re-checked after a linearizable sync before it is final.
   */
  async mutate<T>(build: (ctx: WriteContext) => T, opts: { internal?: boolean } = {}): Promise<WriteResult<T>> {
    let synced = this.store.kind === 'sqlite';
    for (let attempt = 0; ; attempt++) {
      const plan = new Plan(this.mirror, this.alloc);
      let value: T;
      try {
        value = build(this.#context(plan, opts.internal ?? false));
      } catch (err) {
        plan.settle(false);
        if (!synced && err instanceof VncError && (err.status === 404 || err.status === 409 || err.status === 400)) {
          await this.mirror.sync();
          synced = true;
          continue;
        }
        throw err;
      }
      const txn = plan.toTxn();
      let res;
      try {
        res = await this.store.txn(txn);
      } catch (err) {
        plan.settle(false);
        throw err;
      }
      if (res.succeeded) {
        plan.settle(true);
        await this.mirror.waitFor(res.revision);
        return { value, revision: res.revision };
      }
      plan.settle(false);
      this.#conflicts++;
      if (attempt >= this.#maxRetries) {
        throw new ServiceUnavailableError(`Write conflicted with concurrent writers ${attempt + 1} times; retry later`, 'CONFLICT_RETRY');
      }
      await this.mirror.waitFor(res.revision);
      if (attempt > 2) await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 * attempt)));
    }
  }

  #context(plan: Plan, internal: boolean): WriteContext {
    const ctx: WriteContext = {
      plan,
      alloc: this.alloc,
      internal,
      protectedFq: PROTECTED,
      createNested: (type, input) => planCreate({ ...ctx, internal: true }, hooksFor, type, input),
      deleteNested: (uuid) => {
        const t = plan.typeOf(uuid);
        if (t) planDelete({ ...ctx, internal: true }, hooksFor, t, uuid, this.#href);
      },
    };
    return ctx;
  }

  /** Relative hrefs inside error messages ("/virtual-network/<uuid>"), as the original lists them. */
  #href: Href = (type, uuid) => `/${type}/${uuid}`;

  hrefs(base: string): Href {
    return (type, uuid) => `${base}/${type}/${uuid}`;
  }

  // --- writes ------------------------------------------------------------------------------

  async create(type: string, body: unknown, opts: { internal?: boolean } = {}): Promise<WriteResult<StoredObject>> {
    const rt = requireType(type);
    // Not primed into the mirror's parsed objects: most new objects (instance IPs, interfaces) are
    // never read back by the API, and keeping each one parsed costs memory and GC time per create.
    const r = await this.mutate((ctx) => planCreate(ctx, hooksFor, rt.name, body), opts);
    return { value: r.value, revision: r.revision };
  }

  async update(type: string, uuid: string, body: unknown): Promise<WriteResult<StoredObject>> {
    const rt = requireType(type);
    const r = await this.mutate((ctx) => planUpdate(ctx, hooksFor, rt.name, uuid, body));
    this.mirror.prime(r.value, r.revision);
    return { value: this.mirror.get(uuid) ?? r.value, revision: r.revision };
  }

  /**
   * Creates and updates several objects in one transaction: all of them or, on the first refusal,
   * none. Operations see the ones before them (a reference by fq_name to an object created earlier
   * in the batch resolves). A refusal is the operation's own error, its message prefixed with the
   * operation's position and `details.operation` = that index.
   */
  async batch(ops: readonly BatchOperation[]): Promise<WriteResult<StoredObject[]>> {
    if (ops.length > MAX_BATCH_OPERATIONS) throw new BadRequest(`Bad Request, a batch carries at most ${MAX_BATCH_OPERATIONS} operations (got ${ops.length})`, 'BATCH_TOO_LARGE');
    const types = ops.map((op, i) => {
      try {
        return requireType(op.type).name;
      } catch (err) {
        throw inOperation(err, i, op);
      }
    });
    return this.mutate((ctx) =>
      ops.map((op, i) => {
        try {
          return op.operation === 'create' ? planCreate(ctx, hooksFor, types[i], op.object) : planUpdate(ctx, hooksFor, types[i], op.uuid, op.object);
        } catch (err) {
          throw inOperation(err, i, op);
        }
      }),
    );
  }

  async delete(type: string, uuid: string, base = ''): Promise<WriteResult<StoredObject>> {
    const rt = requireType(type);
    return this.mutate((ctx) => {
      const obj = requireExisting(ctx, rt.name, uuid);
      if (!ctx.internal && PROTECTED.has(`${rt.name}:${fqNameToString(obj.fq_name)}`)) throw systemResource(obj);
      return planDelete(ctx, hooksFor, rt.name, uuid, (t, u) => `${base}/${t}/${u}`);
    });
  }

  /** Changes a copy of an existing object and records it, running the type's update rules. */
  #patch(ctx: WriteContext, rt: ResourceType, uuid: string, change: (next: StoredObject) => void): StoredObject {
    const prev = requireExisting(ctx, rt.name, uuid);
    const next: StoredObject = { ...prev };
    change(next);
    touch(next, prev);
    hooksFor(rt.name).beforeUpdate?.(ctx, next, prev);
    ctx.plan.put(next);
    return next;
  }

  async refUpdate(req: RefUpdateRequest): Promise<WriteResult<StoredObject>> {
    const rt = requireType(req.type);
    const ref = rt.refsByTarget.get(req.refType.replace(/_/g, '-'));
    if (!ref) throw new BadRequest(`Bad Request: ${rt.name} has no reference to ${req.refType}`, 'BAD_REF_TYPE');
    if (req.attr !== undefined && req.attr !== null) {
      if (!ref.attr) throw new BadRequest(`Bad Request: ${ref.field} carries no attr`, 'INVALID_FIELD');
      try {
        validateField(ref.attr, req.attr, `${ref.field}.attr`, NAMED_TYPES);
      } catch (err) {
        if (err instanceof FieldError) throw new BadRequest(`Bad reference: ${err.message}`, 'INVALID_FIELD', { field: err.path });
        throw err;
      }
    }
    const r = await this.mutate((ctx) => {
      let refUuid = req.refUuid;
      if (refUuid) {
        if (ctx.plan.typeOf(refUuid) !== ref.target) throw new NoIdError(`uuid ${refUuid} not found`, 'REF_NOT_FOUND');
      } else {
        refUuid = ctx.plan.uuidByFq(ref.target, req.refFqName ?? []);
        if (!refUuid) throw new NoIdError(`Name ${fqNameRepr(req.refFqName ?? [])} not found`, 'REF_NOT_FOUND');
      }
      const target = ctx.plan.get(refUuid)!;
      const to = refUuid;
      return this.#patch(ctx, rt, req.uuid, (next) => {
        const list = [...((next[ref.field] as { uuid: string; to: string[]; attr: unknown }[] | undefined) ?? [])];
        const i = list.findIndex((e) => e.uuid === to);
        if (req.operation === 'ADD') {
          const entry = { to: target.fq_name, uuid: to, attr: req.attr ?? null };
          if (i >= 0) list[i] = entry;
          else list.push(entry);
        } else if (i >= 0) {
          list.splice(i, 1);
        }
        if (list.length > 0) next[ref.field] = list;
        else delete next[ref.field];
      });
    });
    return { value: this.mirror.get(req.uuid) ?? r.value, revision: r.revision };
  }

  async refRelaxForDelete(uuid: string, refUuid: string): Promise<WriteResult<string>> {
    return this.mutate((ctx) => {
      const fromType = ctx.plan.typeOf(uuid);
      if (!fromType) throw new NoIdError(`uuid ${uuid} not found`, 'NO_ID');
      const br = ctx.plan.mirror.backRefs(refUuid).get(uuid);
      if (!br) throw new NoIdError(`No reference from ${uuid} to ${refUuid}`, 'NO_ID');
      const e = ctx.plan.mirror.objectEntry(uuid)!;
      ctx.plan.compare({ kind: 'modified', key: objKey(fromType, uuid), revision: e.modRevision });
      ctx.plan.relax(refUuid, uuid, fromType);
      return uuid;
    });
  }

  async propCollectionUpdate(uuid: string, updates: readonly PropUpdate[]): Promise<WriteResult<StoredObject>> {
    await this.mirror.sync();
    const type = this.mirror.typeOf(uuid);
    if (!type) throw new NoIdError(`Object Not Found: ${uuid}`, 'NO_ID');
    const rt = findType(type)!;
    return this.mutate((ctx) =>
      this.#patch(ctx, rt, uuid, (next) => {
        for (const u of updates) applyPropUpdate(rt, next, u);
      }),
    );
  }

  async userAgentKv(op: string, key: unknown, value: unknown): Promise<unknown> {
    switch (op.toUpperCase()) {
      case 'STORE':
        if (typeof key !== 'string' || typeof value !== 'string') throw new BadRequest('Bad Request, STORE needs a string key and value', 'BAD_BODY');
        await this.mutate((ctx) => ctx.plan.rawPut(userAgentKey(key), value));
        return {};
      case 'DELETE':
        if (typeof key !== 'string') throw new BadRequest('Bad Request, DELETE needs a string key', 'BAD_BODY');
        await this.mutate((ctx) => ctx.plan.rawDelete(userAgentKey(key)));
        return {};
      case 'RETRIEVE': {
        await this.mirror.sync();
        if (typeof key === 'string') {
          const e = this.mirror.entry(userAgentKey(key));
          if (!e) throw new NoIdError(`Unknown User-Agent key ${key}`, 'NO_ID');
          return { value: e.value };
        }
        const keys = Array.isArray(key) ? (key as unknown[]).map(String) : undefined;
        if (!keys) throw new BadRequest('Bad Request, RETRIEVE needs a key or a list of keys', 'BAD_BODY');
        return { value: keys.map((k) => this.mirror.entry(userAgentKey(k))?.value).filter((v) => v !== undefined) };
      }
      default:
        throw new NoIdError(`Invalid Operation ${op}`, 'BAD_OPERATION');
    }
  }

  async chown(uuid: unknown, owner: unknown): Promise<WriteResult<StoredObject>> {
    if (!isUuid(uuid)) throw new BadRequest('Bad Request, invalid resource UUID', 'INVALID_UUID');
    if (typeof owner !== 'string' || owner === '') throw new BadRequest('Bad Request, no owner UUID provided to chown', 'BAD_BODY');
    await this.mirror.sync();
    const type = this.mirror.typeOf(uuid);
    if (!type) throw new NoIdError(`Object Not Found: ${uuid}`, 'NO_ID');
    const rt = findType(type)!;
    return this.mutate((ctx) =>
      this.#patch(ctx, rt, uuid, (next) => {
        next.perms2 = { ...(next.perms2 as object), owner };
      }),
    );
  }

  // --- reads -------------------------------------------------------------------------------

  /** Waits until reads reflect every write committed before this call. */
  sync(): Promise<void> {
    return this.mirror.sync();
  }

  read(type: string, uuid: string): StoredObject {
    const rt = requireType(type);
    const obj = this.mirror.typeOf(uuid) === rt.name ? this.mirror.get(uuid) : undefined;
    if (!obj) throw new NoIdError(`No ${rt.name} object found for id ${uuid}`, 'NO_ID', { uuid });
    return obj;
  }

  fqNameToId(type: string, fq: unknown): string {
    const rt = requireType(type);
    if (!Array.isArray(fq) || !fq.every((p) => typeof p === 'string')) throw new BadRequest('Bad Request, fq_name must be a list of strings', 'BAD_BODY');
    const uuid = this.mirror.uuidByFq(rt.name, fqNameToString(fq));
    if (!uuid) throw new NoIdError(`Name ${fqNameRepr(fq)} not found`, 'NO_ID');
    return uuid;
  }

  idToFqName(uuid: string): { fq_name: string[]; type: string } {
    const obj = this.mirror.get(uuid);
    if (!obj) throw new NoIdError(`UUID ${uuid} not found`, 'NO_ID');
    return { fq_name: obj.fq_name, type: objType(obj) };
  }
}

function applyPropUpdate(rt: ResourceType, obj: StoredObject, u: PropUpdate): void {
  const listField = rt.listProps[u.field];
  const map = rt.mapProps[u.field];
  if (!listField && !map) throw new BadRequest(`Invalid list or map property name: ${u.field}`, 'INVALID_FIELD');
  const wrapperField = listField ?? map.field;
  const items = [...(((obj[u.field] as Record<string, unknown> | null | undefined)?.[wrapperField] as unknown[] | undefined) ?? [])];
  const pos = u.position === undefined ? undefined : String(u.position);
  if (listField) {
    const idx = pos === undefined ? undefined : Number(pos);
    if (idx !== undefined && (!Number.isInteger(idx) || idx < 0)) throw new BadRequest(`Invalid position ${pos} for ${u.field}`, 'INVALID_FIELD');
    if (u.operation === 'add') {
      if (idx === undefined || idx >= items.length) items.push(u.value);
      else items.splice(idx, 0, u.value);
    } else if (u.operation === 'modify') {
      if (idx === undefined || idx >= items.length) throw new BadRequest(`No element at position ${pos} of ${u.field}`, 'INVALID_FIELD');
      items[idx] = u.value;
    } else if (u.operation === 'delete') {
      if (idx === undefined || idx >= items.length) throw new BadRequest(`No element at position ${pos} of ${u.field}`, 'INVALID_FIELD');
      items.splice(idx, 1);
    } else {
      throw new BadRequest(`Invalid operation ${u.operation} for list property ${u.field}`, 'BAD_OPERATION');
    }
  } else {
    const keyField = map.key;
    if (u.operation === 'set') {
      const k = (u.value as Record<string, unknown> | null)?.[keyField];
      if (typeof k !== 'string') throw new BadRequest(`${u.field}: set needs a value with a ${keyField}`, 'INVALID_FIELD');
      const i = items.findIndex((e) => (e as Record<string, unknown>)[keyField] === k);
      if (i >= 0) items[i] = u.value;
      else items.push(u.value);
    } else if (u.operation === 'delete') {
      const i = items.findIndex((e) => (e as Record<string, unknown>)[keyField] === pos);
      if (i < 0) throw new BadRequest(`No element with ${keyField} ${pos} in ${u.field}`, 'INVALID_FIELD');
      items.splice(i, 1);
    } else {
      throw new BadRequest(`Invalid operation ${u.operation} for map property ${u.field}`, 'BAD_OPERATION');
    }
  }
  const value = { ...((obj[u.field] as Record<string, unknown> | null | undefined) ?? {}), [wrapperField]: items };
  try {
    validateField(rt.props[u.field], value, u.field, NAMED_TYPES);
  } catch (err) {
    if (err instanceof FieldError) throw new BadRequest(`Bad property in ${rt.name}: ${err.message}`, 'INVALID_FIELD', { field: err.path });
    throw err;
  }
  obj[u.field] = value;
}

/** prop-collection-get: elements of list/map properties with their positions (index or key). */
export function propCollection(rt: ResourceType, obj: StoredObject, fields: readonly string[], position?: string): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const f of fields) {
    const listField = rt.listProps[f];
    const map = rt.mapProps[f];
    if (!listField && !map) throw new BadRequest(`Invalid list or map property name: ${f}`, 'INVALID_FIELD');
    const items = ((obj[f] as Record<string, unknown> | null | undefined)?.[listField ?? map.field] as unknown[] | undefined) ?? [];
    const pairs = items.map((e, i): [unknown, string] => [e, listField ? String(i) : String((e as Record<string, unknown>)[map.key])]);
    out[f] = position === undefined ? pairs : pairs.filter(([, p]) => p === position);
  }
  return out;
}

/** The error of batch operation `i`, saying which operation it was. */
function inOperation(err: unknown, i: number, op: BatchOperation): unknown {
  if (!(err instanceof VncError)) return err;
  const details = typeof err.details === 'object' && err.details !== null ? { ...err.details, operation: i } : { operation: i };
  return errorFromResponse(err.status, err.code, `operation ${i} (${op.operation} ${op.type}): ${err.message}`, details);
}
