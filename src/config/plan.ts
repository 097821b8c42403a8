// A write plan: the objects a request creates, changes or deletes, built against the mirror and
// turned into one store transaction. The plan keeps an overlay of object states; toTxn() diffs each
// touched object against the mirror and emits the key writes (object, fq index, children, back-ref
// index) plus the compares that make the transaction valid only against the state it was planned
// on. Allocation reservations are held until the plan is settled.
import { allocKey, childKey, childPrefix, fqKey, objKey, refKey, refPrefix, relaxedKey, relaxedPrefix } from './keys.js';
import type { Allocators } from './alloc/allocators.js';
import { objType, type Mirror, type StoredObject } from './mirror.js';
import type { Compare, TxnRequest } from './store/types.js';
import { fqNameToString, findType } from '../vnc/schema.js';

/** Every ref target uuid of a stored object, with the referring field's target type. */
export function refTargets(obj: StoredObject): Map<string, string> {
  const out = new Map<string, string>();
  const rt = findType(objType(obj));
  if (!rt) return out;
  for (const r of rt.refs.values()) {
    const list = obj[r.field] as { uuid: string }[] | undefined | null;
    if (list) for (const e of list) out.set(e.uuid, r.target);
  }
  return out;
}


export class Plan {
  readonly mirror: Mirror;
  readonly baseRevision: number;
  readonly #alloc: Allocators;
  /** uuid → new state (null = deleted) */
  readonly #overlay = new Map<string, StoredObject | null>();
  readonly #fqOverlay = new Map<string, string | null>();
  readonly #compares = new Map<string, Compare>();
  readonly #puts = new Map<string, string>();
  readonly #deletes = new Set<string>();
  readonly #reservations: { pool: string; value: string }[] = [];
  #settled = false;

  constructor(mirror: Mirror, alloc: Allocators) {
    this.mirror = mirror;
    this.baseRevision = mirror.revision;
    this.#alloc = alloc;
  }

  /** Current state of an object as this plan sees it. */
  get(uuid: string): StoredObject | undefined {
    if (this.#overlay.has(uuid)) return this.#overlay.get(uuid) ?? undefined;
    const o = this.mirror.get(uuid);
    if (!o) return undefined;
    return o;
  }

  typeOf(uuid: string): string | undefined {
    if (this.#overlay.has(uuid)) {
      const o = this.#overlay.get(uuid);
      return o ? objType(o) : undefined;
    }
    return this.mirror.typeOf(uuid);
  }

  uuidByFq(type: string, fq: readonly string[]): string | undefined {
    const k = `${type}/${fqNameToString(fq)}`;
    if (this.#fqOverlay.has(k)) return this.#fqOverlay.get(k) ?? undefined;
    return this.mirror.uuidByFq(type, fqNameToString(fq));
  }

  isNew(uuid: string): boolean {
    return this.#overlay.get(uuid) !== undefined && this.#overlay.get(uuid) !== null && !this.mirror.typeOf(uuid);
  }

  isDeleted(uuid: string): boolean {
    return this.#overlay.has(uuid) && this.#overlay.get(uuid) === null;
  }

  /** Records the new state of an object (create or update). */
  put(obj: StoredObject): void {
    this.#overlay.set(obj.uuid, obj);
    this.#fqOverlay.set(`${objType(obj)}/${fqNameToString(obj.fq_name)}`, obj.uuid);
  }

  remove(obj: StoredObject): void {
    this.#overlay.set(obj.uuid, null);
    this.#fqOverlay.set(`${objType(obj)}/${fqNameToString(obj.fq_name)}`, null);
  }

  compare(c: Compare): void {
    const k = `${c.kind}:${'key' in c ? c.key : c.prefix}`;
    if (!this.#compares.has(k)) this.#compares.set(k, c);
  }

  /** Takes an allocation: the key must be absent at commit. */
  allocate(pool: string, value: string, owner: string): void {
    this.#alloc.reserve(pool, value);
    this.#reservations.push({ pool, value });
    const key = allocKey(pool, value);
    this.compare({ kind: 'absent', key });
    this.#puts.set(key, owner);
  }

  isTaken(pool: string, value: string): boolean {
    return this.#puts.has(allocKey(pool, value)) || this.#alloc.isTaken(pool, value);
  }

  rawPut(key: string, value: string): void {
    this.#puts.set(key, value);
    this.#deletes.delete(key);
  }

  rawDelete(key: string): void {
    this.#deletes.add(key);
    this.#puts.delete(key);
  }

  /** Moves the back-ref edge to → from between the blocking and the relaxed index. */
  relax(to: string, from: string, fromType: string): void {
    this.rawDelete(refKey(to, from));
    this.rawPut(relaxedKey(to, from), fromType);
  }

  /** Guard for reading the target of a new reference: it must still be the same object at commit. */
  #requireExists(uuid: string): void {
    if (this.isNew(uuid)) return;
    const type = this.mirror.typeOf(uuid);
    const e = this.mirror.objectEntry(uuid);
    if (type && e) this.compare({ kind: 'created', key: objKey(type, uuid), revision: e.createRevision });
  }

  toTxn(): TxnRequest {
    for (const [uuid, next] of this.#overlay) {
      const prev = this.mirror.get(uuid);
      const prevEntry = this.mirror.objectEntry(uuid);
      if (next === null) {
        if (!prev || !prevEntry) continue;
        const type = objType(prev);
        this.compare({ kind: 'modified', key: objKey(type, uuid), revision: prevEntry.modRevision });
        for (const prefix of [childPrefix(uuid), refPrefix(uuid), relaxedPrefix(uuid)]) {
          this.compare({ kind: 'rangeUnchangedSince', prefix, revision: this.baseRevision });
        }
        this.rawDelete(objKey(type, uuid));
        this.rawDelete(fqKey(type, fqNameToString(prev.fq_name)));
        if (prev.parent_uuid) this.rawDelete(childKey(prev.parent_uuid, uuid));
        for (const to of refTargets(prev).keys()) {
          this.rawDelete(refKey(to, uuid));
          this.rawDelete(relaxedKey(to, uuid));
        }
        for (const k of this.mirror.allocationKeysOf(uuid)) this.rawDelete(k);
        for (const from of this.mirror.backRefs(uuid).keys()) {
          this.rawDelete(refKey(uuid, from));
          this.rawDelete(relaxedKey(uuid, from));
        }
        continue;
      }
      const type = objType(next);
      this.rawPut(objKey(type, uuid), JSON.stringify(next));
      const nextTargets = refTargets(next);
      if (!prev || !prevEntry) {
        this.compare({ kind: 'absent', key: objKey(type, uuid) });
        const fk = fqKey(type, fqNameToString(next.fq_name));
        this.compare({ kind: 'absent', key: fk });
        this.rawPut(fk, uuid);
        if (next.parent_uuid) {
          this.#requireExists(next.parent_uuid);
          this.rawPut(childKey(next.parent_uuid, uuid), type);
        }
        for (const to of nextTargets.keys()) {
          this.#requireExists(to);
          this.rawPut(refKey(to, uuid), type);
        }
        continue;
      }
      this.compare({ kind: 'modified', key: objKey(type, uuid), revision: prevEntry.modRevision });
      const prevTargets = refTargets(prev);
      for (const to of nextTargets.keys()) {
        if (prevTargets.has(to)) continue;
        this.#requireExists(to);
        this.rawPut(refKey(to, uuid), type);
      }
      for (const to of prevTargets.keys()) {
        if (nextTargets.has(to)) continue;
        this.rawDelete(refKey(to, uuid));
        this.rawDelete(relaxedKey(to, uuid));
      }
    }
    return { compares: [...this.#compares.values()], puts: this.#puts, deletes: this.#deletes };
  }

  /** Ends the plan's reservations (`committed`: the values are now owned in the store). */
  settle(committed: boolean): void {
    if (this.#settled) return;
    this.#settled = true;
    for (const r of this.#reservations) this.#alloc.release(r.pool, r.value, !committed);
  }

  /** Objects this plan created or changed (for the response). */
  touched(): string[] {
    return [...this.#overlay.keys()];
  }
}
