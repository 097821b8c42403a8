// The writes of one reconcile. `ensure` creates what is missing and updates only what drifted
// (unchanged | created | updated); every write is counted (introspect, "in sync → zero writes"
// tests) and remembered so that `settle()` returns once the cache reflects it, and `rollback()`
// removes what this reconcile created when a later step fails on bad input (nothing half-created).
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import type { BatchOperation, BatchResult, VncClient } from '../vnc/client.js';
import { NoIdError, RefsExistError } from '../vnc/errors.js';
import type { VncObject, VncObjectInput } from '../vnc/object.js';
import { refFieldName } from '../vnc/schema.js';
import { drift } from './diff.js';
import { hasRef, type VncState } from './vnc-state.js';

export interface ObjectSpec {
  type: string;
  uuid?: string;
  fq_name: string[];
  parent_type?: string;
  /** properties, refs (`*_refs` as {to, attr}), annotations, display_name */
  fields: Record<string, unknown>;
}

export type WriteKind = 'create' | 'update' | 'delete' | 'ref';

export class WriteStats {
  readonly counts: Record<WriteKind, number> = { create: 0, update: 0, delete: 0, ref: 0 };
  readonly byType = new Map<string, number>();

  record(kind: WriteKind, type: string): void {
    this.counts[kind]++;
    this.byType.set(`${kind} ${type}`, (this.byType.get(`${kind} ${type}`) ?? 0) + 1);
  }

  get total(): number {
    return this.counts.create + this.counts.update + this.counts.delete + this.counts.ref;
  }
}

const lastModified = (o: VncObject | undefined): string => o?.id_perms?.last_modified ?? '';

const createBody = (spec: ObjectSpec): VncObjectInput => ({ ...spec.fields, fq_name: spec.fq_name, ...(spec.uuid ? { uuid: spec.uuid } : {}), ...(spec.parent_type ? { parent_type: spec.parent_type } : {}) });

export class Tx {
  readonly #client: VncClient;
  readonly #state: VncState;
  readonly #stats: WriteStats;
  readonly #log: Logger;
  readonly #created: { type: string; uuid: string }[] = [];
  readonly #pending: Promise<boolean>[] = [];
  writes = 0;

  constructor(client: VncClient, state: VncState, stats: WriteStats, log: Logger) {
    this.#client = client;
    this.#state = state;
    this.#stats = stats;
    this.#log = log;
  }

  get state(): VncState {
    return this.#state;
  }

  #count(kind: WriteKind, type: string): void {
    this.writes++;
    this.#stats.record(kind, type);
  }

  #expectVersion(uuid: string, obj: VncObject): void {
    const lm = lastModified(obj);
    this.#pending.push(this.#state.waitFor(uuid, (o) => o !== undefined && lastModified(o) >= lm));
  }

  /** Makes the stored object match `spec`; `actual` defaults to the cached object with spec.uuid. */
  async ensure(spec: ObjectSpec, actual?: VncObject): Promise<VncObject> {
    const have = actual ?? (spec.uuid ? this.#state.getTyped(spec.type, spec.uuid) : this.#state.byFq(spec.type, spec.fq_name));
    if (!have) return this.create(spec);
    const d = drift(spec.fields, have);
    if (!d) return have;
    return this.update(spec.type, have.uuid, d);
  }

  /**
   * `ensure` for several objects with one request: what is missing is created and what drifted is
   * updated in one config API batch (one transaction — all or nothing). Specs may refer by fq_name
   * to objects created before them in the list. An object an interrupted earlier run created (not
   * in the cache yet) makes the batch fail as a whole; then each spec goes through `ensure`, which
   * adopts it.
   */
  async ensureAll(items: readonly { spec: ObjectSpec; actual?: VncObject }[]): Promise<void> {
    const ops: { spec: ObjectSpec; op: BatchOperation }[] = [];
    for (const { spec, actual } of items) {
      const have = actual ?? (spec.uuid ? this.#state.getTyped(spec.type, spec.uuid) : this.#state.byFq(spec.type, spec.fq_name));
      if (!have) {
        ops.push({ spec, op: { operation: 'create', type: spec.type, object: createBody(spec) } });
        continue;
      }
      const d = drift(spec.fields, have);
      if (d) ops.push({ spec, op: { operation: 'update', type: spec.type, uuid: have.uuid, object: d } });
    }
    if (ops.length < 2) {
      for (const { spec, actual } of items) await this.ensure(spec, actual);
      return;
    }
    let results: BatchResult[];
    try {
      results = await this.#client.batch(ops.map((o) => o.op));
    } catch (err) {
      if (err instanceof RefsExistError && err.code === 'ALREADY_EXISTS') {
        for (const { spec, actual } of items) await this.ensure(spec, actual);
        return;
      }
      throw err;
    }
    results.forEach((r, i) => {
      const kind = ops[i].op.operation;
      this.#count(kind, r.type);
      if (kind === 'create') this.#created.push({ type: r.type, uuid: r.uuid });
      this.#pending.push(this.#state.waitFor(r.uuid, (o) => o !== undefined && lastModified(o) >= r.last_modified));
    });
  }

  async create(spec: ObjectSpec): Promise<VncObject> {
    const body = createBody(spec);
    let obj: VncObject;
    try {
      obj = await this.#client.create(spec.type, body);
    } catch (err) {
      // Created by an earlier, interrupted run that the cache has not shown us yet: reuse it.
      const existing = (err as RefsExistError).details as { uuid?: string } | undefined;
      if (err instanceof RefsExistError && err.code === 'ALREADY_EXISTS' && existing?.uuid && (!spec.uuid || existing.uuid === spec.uuid)) {
        const stored = await this.#client.read(spec.type, existing.uuid);
        if (JSON.stringify(stored.fq_name) !== JSON.stringify(spec.fq_name)) throw err;
        const d = drift(spec.fields, stored);
        return d ? this.update(spec.type, stored.uuid, d) : stored;
      }
      throw err;
    }
    this.#count('create', spec.type);
    this.#created.push({ type: spec.type, uuid: obj.uuid });
    this.#expectVersion(obj.uuid, obj);
    return obj;
  }

  async update(type: string, uuid: string, fields: Record<string, unknown>): Promise<VncObject> {
    const obj = await this.#client.update(type, uuid, fields);
    this.#count('update', type);
    this.#expectVersion(uuid, obj);
    return obj;
  }

  /** Deletes; an object already gone counts as done. */
  async delete(type: string, uuid: string): Promise<void> {
    this.#state.markOwnDelete(uuid);
    try {
      await this.#client.delete(type, uuid);
    } catch (err) {
      this.#state.markOwnDelete(uuid, false);
      if (err instanceof NoIdError) return;
      throw err;
    }
    this.#count('delete', type);
    this.#pending.push(this.#state.waitFor(uuid, (o) => o === undefined));
  }

  async refAdd(type: string, uuid: string, refType: string, refUuid: string, attr?: unknown): Promise<void> {
    await this.#client.refUpdate(type, uuid, refType, refUuid, 'ADD', attr);
    this.#count('ref', type);
    const field = refFieldName(refType);
    this.#pending.push(this.#state.waitFor(uuid, (o) => hasRef(o, field, refUuid)));
  }

  async refDelete(type: string, uuid: string, refType: string, refUuid: string): Promise<void> {
    try {
      await this.#client.refUpdate(type, uuid, refType, refUuid, 'DELETE');
    } catch (err) {
      if (err instanceof NoIdError) return;
      throw err;
    }
    this.#count('ref', type);
    const field = refFieldName(refType);
    this.#pending.push(this.#state.waitFor(uuid, (o) => !hasRef(o, field, refUuid)));
  }

  /** Waits until the cache shows every write of this reconcile. */
  async settle(): Promise<void> {
    const pending = this.#pending.splice(0);
    await Promise.all(pending);
  }

  /** Deletes what this reconcile created, newest first (best effort; logged). */
  async rollback(): Promise<void> {
    for (const c of this.#created.splice(0).reverse()) {
      try {
        await this.delete(c.type, c.uuid);
      } catch (err) {
        this.#log.warn({ type: c.type, uuid: c.uuid, err: errorMessage(err) }, 'rollback delete failed');
      }
    }
  }
}
