// Every write the transformer issues goes through here: the write is recorded in the reconcile's
// report (created / updated / deleted) and counted, and the call returns only once the informer
// cache shows its result, so the next reconcile of the same key never decides on a stale view.
import type { VncCache } from '../vnc/cache.js';
import type { VncClient } from '../vnc/client.js';
import { NoIdError } from '../vnc/errors.js';
import type { VncObject, VncObjectInput } from '../vnc/object.js';

export type WriteAction = 'created' | 'updated' | 'deleted';

export interface WriteRecord {
  action: WriteAction;
  type: string;
  fq_name: string[];
  uuid: string;
}

/** What one reconcile did: no writes means "unchanged". */
export interface ReconcileReport {
  key: string;
  writes: WriteRecord[];
  problems: string[];
}

interface Waiter {
  done(obj: VncObject | undefined): boolean;
  resolve(): void;
}

export class Writer {
  readonly #client: VncClient;
  readonly #cache: VncCache;
  readonly #onWrite: (w: WriteRecord) => void;
  readonly #waiters = new Map<string, Waiter[]>();
  readonly #waitMs: number;

  constructor(client: VncClient, cache: VncCache, onWrite: (w: WriteRecord) => void, waitMs = 5000) {
    this.#client = client;
    this.#cache = cache;
    this.#onWrite = onWrite;
    this.#waitMs = waitMs;
  }

  /** Called by the transformer for every cache event on `uuid`. */
  observe(uuid: string): void {
    const list = this.#waiters.get(uuid);
    if (!list) return;
    const obj = this.#cache.get(uuid);
    const left = list.filter((w) => {
      if (!w.done(obj)) return true;
      w.resolve();
      return false;
    });
    if (left.length) this.#waiters.set(uuid, left);
    else this.#waiters.delete(uuid);
  }

  #waitFor(uuid: string, done: (obj: VncObject | undefined) => boolean): Promise<void> {
    if (done(this.#cache.get(uuid))) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(finish, this.#waitMs);
      timer.unref();
      function finish(): void {
        clearTimeout(timer);
        resolve();
      }
      const list = this.#waiters.get(uuid) ?? [];
      list.push({ done, resolve: finish });
      this.#waiters.set(uuid, list);
    });
  }

  #record(report: ReconcileReport, action: WriteAction, type: string, obj: VncObject): void {
    const w = { action, type, fq_name: obj.fq_name, uuid: obj.uuid };
    report.writes.push(w);
    this.#onWrite(w);
  }

  async create(report: ReconcileReport, type: string, input: VncObjectInput): Promise<VncObject> {
    const obj: VncObject = await this.#client.create(type, input);
    this.#record(report, 'created', type, obj);
    const lm = obj.id_perms?.last_modified;
    await this.#waitFor(obj.uuid, (o) => !!o && (!lm || (o.id_perms?.last_modified ?? '') >= lm));
    return obj;
  }

  async update(report: ReconcileReport, type: string, obj: VncObject, fields: Record<string, unknown>): Promise<VncObject> {
    const out: VncObject = await this.#client.update(type, obj.uuid, fields);
    this.#record(report, 'updated', type, obj);
    const lm = out.id_perms?.last_modified;
    await this.#waitFor(obj.uuid, (o) => !o || !lm || (o.id_perms?.last_modified ?? '') >= lm);
    return out;
  }

  /** Deletes; an object already gone counts as done (and is not reported). */
  async delete(report: ReconcileReport, type: string, obj: VncObject): Promise<void> {
    try {
      await this.#client.delete(type, obj.uuid);
    } catch (err) {
      if (err instanceof NoIdError) return;
      throw err;
    }
    this.#record(report, 'deleted', type, obj);
    await this.#waitFor(obj.uuid, (o) => !o);
  }

  close(): void {
    for (const list of this.#waiters.values()) for (const w of list) w.resolve();
    this.#waiters.clear();
  }
}
