// The store interface both engines implement: a transactional key-value store with a global,
// monotonically increasing revision and an ordered change history (etcd's model). Everything
// above it (objects, indexes, allocation, the change feed) is engine-independent.
//
// Keys are strings relative to the store's namespace. Every committed transaction gets one new
// revision; all its changes carry that revision and are delivered together.
import { TfError } from '../../common/errors.js';

export interface KvEntry {
  readonly key: string;
  readonly value: string;
  readonly createRevision: number;
  readonly modRevision: number;
}

/**
 * Conditions checked atomically before a transaction applies.
 * - `absent`: the key does not exist.
 * - `created`: the key exists with exactly this create revision (same incarnation).
 * - `modified`: the key exists with exactly this mod revision (unchanged since read).
 * - `rangeUnchangedSince`: no key starting with `prefix` was created or modified after `revision`.
 */
export type Compare =
  | { readonly kind: 'absent'; readonly key: string }
  | { readonly kind: 'created'; readonly key: string; readonly revision: number }
  | { readonly kind: 'modified'; readonly key: string; readonly revision: number }
  | { readonly kind: 'rangeUnchangedSince'; readonly prefix: string; readonly revision: number };

export interface TxnRequest {
  readonly compares: readonly Compare[];
  readonly puts: ReadonlyMap<string, string>;
  readonly deletes: ReadonlySet<string>;
}

export interface TxnResult {
  readonly succeeded: boolean;
  /** the new revision when succeeded; otherwise the store's revision when the compare failed */
  readonly revision: number;
}

export interface KvEvent {
  readonly type: 'put' | 'delete';
  readonly key: string;
  /** new value (put) */
  readonly value?: string;
  /** value before the change, when the engine knows it (always for deletes delivered by history) */
  readonly prevValue?: string;
  readonly createRevision: number;
}

/** All changes of one transaction. */
export interface KvBatch {
  readonly revision: number;
  readonly events: readonly KvEvent[];
}

export interface RangeResult {
  /** the revision the read reflects */
  readonly revision: number;
  readonly entries: KvEntry[];
  /** more keys follow the last entry */
  readonly more: boolean;
}

export interface WatchHandle {
  close(): void;
}

export interface WatchCallbacks {
  onBatch(batch: KvBatch): void;
  /** the watch ended; CompactedError when `fromRevision` is no longer available */
  onError(err: Error): void;
}

export interface WatchOptions {
  /** deliver prevValue with deletes (default true) */
  readonly prevValues?: boolean;
}

export interface KvStore {
  readonly kind: 'sqlite' | 'etcd';
  /** e.g. "sqlite:/path/config.db" or "etcd:127.0.0.1:2379" */
  readonly description: string;
  /** Keys with `prefix`, in key order, at one revision; `after` continues a paginated read. */
  range(prefix: string, opts?: { revision?: number; limit?: number; after?: string }): Promise<RangeResult>;
  txn(req: TxnRequest): Promise<TxnResult>;
  /** Revision of the latest change in this store's namespace (0 when empty). */
  currentRevision(): Promise<number>;
  /** The last compaction's revision C (0 if never): batches with revision >= C can still be watched. */
  compactedRevision(): Promise<number>;
  /**
   * Delivers every batch with revision > fromRevision under `prefix`, in order, then follows live
   * changes. `prevValues: false` lets an engine leave out the previous value of changes (a caller
   * that keeps its own copy of every key, like the mirror, saves the engine that work).
   */
  watch(prefix: string, fromRevision: number, cb: WatchCallbacks, opts?: WatchOptions): WatchHandle;
  /** Drops the history before `revision`; watch(from) then needs from >= revision - 1. */
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}

/** The requested history was compacted: changes from `compactRevision` on are still available. */
export class CompactedError extends TfError {
  constructor(readonly compactRevision: number) {
    super('REVISION_COMPACTED', `the requested revision has been compacted; the oldest available revision is ${compactRevision}`, {
      status: 410,
      details: { oldest_revision: compactRevision },
    });
  }
}

export class StoreUnavailableError extends TfError {
  constructor(message: string, cause?: unknown) {
    super('STORE_UNAVAILABLE', message, { status: 503, cause });
  }
}

/**
 * The exclusive end of a prefix range: the prefix with its last character incremented, so the
 * range holds exactly the keys starting with `prefix` in both UTF-16 and UTF-8 byte order.
 */
export function prefixEnd(prefix: string): string {
  if (prefix === '') throw new RangeError('prefixEnd of the empty prefix');
  const last = prefix.charCodeAt(prefix.length - 1);
  if (last >= 0x7f) throw new RangeError(`prefix must end with an ASCII character: ${JSON.stringify(prefix)}`);
  return prefix.slice(0, -1) + String.fromCharCode(last + 1);
}
