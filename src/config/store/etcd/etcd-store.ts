// The distributed store engine: etcd v3 (npm etcd3 over gRPC). Several config API processes share
// one namespace and behave as one API: every write is a compare-and-swap transaction, and every
// transaction also touches the namespace's `~rev` key, so the namespace's latest revision is one
// point read (currentRevision) and every namespace transaction shows up in a namespace watch even
// when other namespaces share the etcd cluster. Watches use the raw gRPC watch stream so that a
// compacted start revision surfaces as CompactedError with etcd's compact revision.
//
// Group commit: the transactions submitted during one event-loop turn travel as nested
// transactions of one etcd transaction (one gRPC call, one raft entry). etcd evaluates each nested
// transaction's compares in order against the state the earlier ones left, exactly as separate
// transactions would; they share the outer revision. A group never holds two transactions that
// write the same key (etcd refuses that), and a refused group falls back to one call each.
import { Etcd3, type IKeyValue, type IWatchResponse } from 'etcd3';
import type * as RPC from 'etcd3/lib/rpc.js';
import {
  CompactedError,
  StoreUnavailableError,
  prefixEnd,
  type Compare,
  type KvBatch,
  type KvEvent,
  type KvStore,
  type RangeResult,
  type TxnRequest,
  type TxnResult,
  type WatchCallbacks,
  type WatchHandle,
  type WatchOptions,
} from '../types.js';

interface Pending {
  req: TxnRequest;
  resolve: (r: TxnResult) => void;
  reject: (err: Error) => void;
}

/** Per group: nested transactions (etcd allows 128 operations per level) and request bytes. */
const GROUP_MAX_TXNS = 100;
const GROUP_MAX_BYTES = 1_000_000;
/** Group calls in flight at once. */
const MAX_IN_FLIGHT = 1;

export interface EtcdStoreOptions {
  /** host:port list, e.g. ['127.0.0.1:2379'] (http:// is added when missing) */
  endpoints: string[];
  /** key namespace, e.g. '/tungsten/'; must end with '/' */
  namespace?: string;
  dialTimeoutMs?: number;
}

export const REV_KEY = '~rev';

/** Ends a gRPC watch call for good: end() only half-closes it and keeps the channel (and process) alive. */
function cancelStream(stream: { end(): void } | undefined): void {
  if (!stream) return;
  stream.end();
  (stream as { cancel?: () => void }).cancel?.();
}

function isCompaction(err: unknown): boolean {
  return /compacted/i.test(String((err as Error)?.message ?? err));
}

export class EtcdStore implements KvStore {
  readonly kind = 'etcd' as const;
  readonly description: string;
  readonly #client: Etcd3;
  readonly #ns: string;
  readonly #nsBuf: Buffer;
  #closed = false;
  readonly #streams = new Set<{ end(): void }>();
  #queue: Pending[] = [];
  #scheduled = false;
  #inFlight = 0;

  constructor(opts: EtcdStoreOptions) {
    const ns = opts.namespace ?? '/tungsten/';
    if (!ns.endsWith('/')) throw new RangeError(`etcd namespace must end with '/': ${ns}`);
    this.#ns = ns;
    this.#nsBuf = Buffer.from(ns);
    const hosts = opts.endpoints.map((e) => (/^https?:\/\//.test(e) ? e : `http://${e}`));
    this.description = `etcd:${opts.endpoints.join(',')}${ns}`;
    this.#client = new Etcd3({ hosts, dialTimeout: opts.dialTimeoutMs ?? 5000 });
  }

  #k(key: string): Buffer {
    return Buffer.from(this.#ns + key);
  }

  #strip(key: Buffer): string {
    return key.subarray(this.#nsBuf.length).toString();
  }

  #end(prefix: string): Buffer {
    return Buffer.from(prefixEnd(this.#ns + prefix));
  }

  async #call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreUnavailableError('etcd store is closed');
    try {
      return await fn();
    } catch (err) {
      if (isCompaction(err)) throw new CompactedError(await this.compactedRevision().catch(() => 0));
      throw new StoreUnavailableError(`etcd ${what} failed: ${(err as Error).message}`, err);
    }
  }

  async range(prefix: string, opts: { revision?: number; limit?: number; after?: string } = {}): Promise<RangeResult> {
    const key = opts.after !== undefined ? Buffer.concat([this.#k(opts.after), Buffer.from([0])]) : this.#k(prefix);
    const res = await this.#call('range', () =>
      this.#client.kv.range({
        key,
        range_end: this.#end(prefix),
        ...(opts.limit ? { limit: opts.limit } : {}),
        ...(opts.revision ? { revision: opts.revision } : {}),
      }),
    );
    return {
      revision: Number(res.header.revision),
      entries: res.kvs.map((kv) => ({
        key: this.#strip(kv.key),
        value: kv.value.toString(),
        createRevision: Number(kv.create_revision),
        modRevision: Number(kv.mod_revision),
      })),
      more: res.more,
    };
  }

  #compare(c: Compare): RPC.ICompare {
    switch (c.kind) {
      case 'absent':
        return { key: this.#k(c.key), target: 'Version', result: 'Equal', version: 0 };
      case 'created':
        return { key: this.#k(c.key), target: 'Create', result: 'Equal', create_revision: c.revision };
      case 'modified':
        return { key: this.#k(c.key), target: 'Mod', result: 'Equal', mod_revision: c.revision };
      case 'rangeUnchangedSince':
        return { key: this.#k(c.prefix), range_end: this.#end(c.prefix), target: 'Mod', result: 'Less', mod_revision: c.revision + 1 };
    }
  }

  #ops(req: TxnRequest): RPC.IRequestOp[] {
    const ops: RPC.IRequestOp[] = [];
    for (const [key, value] of req.puts) ops.push({ request_put: { key: this.#k(key), value: Buffer.from(value) } });
    for (const key of req.deletes) if (!req.puts.has(key)) ops.push({ request_delete_range: { key: this.#k(key) } });
    return ops;
  }

  txn(req: TxnRequest): Promise<TxnResult> {
    return new Promise((resolve, reject) => {
      if (this.#closed) {
        reject(new StoreUnavailableError('etcd store is closed'));
        return;
      }
      this.#queue.push({ req, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  /**
   * Sends the next group when no group call is in flight. While one travels (an etcd commit waits
   * for its WAL fsync), new transactions gather into the next group: under load groups grow and the
   * per-call gRPC cost is shared by more transactions; an idle store sends at once.
   */
  #flush(): void {
    this.#scheduled = false;
    while (this.#inFlight < MAX_IN_FLIGHT && this.#queue.length > 0) {
      const group = this.#takeGroup();
      this.#inFlight++;
      void this.#send(group).finally(() => {
        this.#inFlight--;
        if (this.#queue.length > 0 && !this.#scheduled) {
          this.#scheduled = true;
          setImmediate(() => this.#flush());
        }
      });
    }
  }

  /** The longest head of the queue that fits one group and writes no key twice. */
  #takeGroup(): Pending[] {
    const keys = new Set<string>();
    let bytes = 0;
    let n = 0;
    for (const p of this.#queue) {
      const touched = [...p.req.puts.keys(), ...p.req.deletes];
      const size = touched.reduce((sum, k) => sum + k.length + (p.req.puts.get(k)?.length ?? 0), 0);
      if (n > 0 && (n >= GROUP_MAX_TXNS || bytes + size > GROUP_MAX_BYTES || touched.some((k) => keys.has(k)))) break;
      for (const k of touched) keys.add(k);
      bytes += size;
      n++;
    }
    return this.#queue.splice(0, n);
  }

  async #single(p: Pending): Promise<void> {
    const success = this.#ops(p.req);
    if (success.length > 0) success.push({ request_put: { key: this.#k(REV_KEY), value: Buffer.alloc(0) } });
    try {
      const res = await this.#call('txn', () => this.#client.kv.txn({ compare: p.req.compares.map((c) => this.#compare(c)), success, failure: [] }));
      p.resolve({ succeeded: res.succeeded, revision: Number(res.header.revision) });
    } catch (err) {
      p.reject(err as Error);
    }
  }

  async #send(group: Pending[]): Promise<void> {
    if (group.length === 1) return this.#single(group[0]);
    const success: RPC.IRequestOp[] = group.map((p) => ({
      request_txn: { compare: p.req.compares.map((c) => this.#compare(c)), success: this.#ops(p.req), failure: [] },
    }));
    success.push({ request_put: { key: this.#k(REV_KEY), value: Buffer.alloc(0) } });
    let res: RPC.ITxnResponse;
    try {
      res = await this.#client.kv.txn({ compare: [], success, failure: [] });
    } catch (err) {
      if (this.#closed || isCompaction(err)) {
        for (const p of group) p.reject(new StoreUnavailableError(`etcd txn failed: ${(err as Error).message}`, err));
        return;
      }
      // e.g. a request over etcd's size limit: one call each.
      await Promise.all(group.map((p) => this.#single(p)));
      return;
    }
    const revision = Number(res.header.revision);
    group.forEach((p, i) => p.resolve({ succeeded: res.responses[i]?.response_txn?.succeeded === true, revision }));
  }

  async currentRevision(): Promise<number> {
    const res = await this.#call('range', () => this.#client.kv.range({ key: this.#k(REV_KEY) }));
    return res.kvs.length > 0 ? Number(res.kvs[0].mod_revision) : 0;
  }

  /**
   * etcd has no direct "compact revision" query (and hashKV is not in the client's proto): a read
   * at revision r fails exactly when r is below the compact revision, so a binary search over
   * [1, current] finds it in about log2(revision) point reads. Used only on the 410 path.
   */
  async compactedRevision(): Promise<number> {
    const probe = async (rev: number): Promise<boolean> => {
      try {
        await this.#client.kv.range({ key: this.#k(REV_KEY), revision: rev });
        return true;
      } catch (err) {
        if (isCompaction(err)) return false;
        throw new StoreUnavailableError(`etcd range failed: ${(err as Error).message}`, err);
      }
    };
    if (this.#closed) throw new StoreUnavailableError('etcd store is closed');
    const head = await this.#client.kv.range({ key: this.#k(REV_KEY) }).catch((err: Error) => {
      throw new StoreUnavailableError(`etcd range failed: ${err.message}`, err);
    });
    let lo = 1;
    let hi = Number(head.header.revision);
    if (await probe(lo)) return 0;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (await probe(mid)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  watch(prefix: string, fromRevision: number, cb: WatchCallbacks, opts: WatchOptions = {}): WatchHandle {
    const prevKv = opts.prevValues ?? true;
    let closed = false;
    let stream: RPC.IDuplexStream<RPC.IWatchRequest, IWatchResponse> | undefined;
    const fail = (err: Error): void => {
      if (closed) return;
      closed = true;
      cancelStream(stream);
      cb.onError(err);
    };
    const handle = {
      end: () => {
        closed = true;
        cancelStream(stream);
      },
    };
    this.#streams.add(handle);
    const toEvent = (kv: IKeyValue, prev: IKeyValue | undefined, type: string): KvEvent =>
      /delete/i.test(type)
        ? { type: 'delete', key: this.#strip(kv.key), prevValue: prev?.value.toString(), createRevision: 0 }
        : {
            type: 'put',
            key: this.#strip(kv.key),
            value: kv.value.toString(),
            prevValue: prev?.value.toString(),
            createRevision: Number(kv.create_revision),
          };
    void (async () => {
      try {
        if (this.#closed) throw new StoreUnavailableError('etcd store is closed');
        stream = await this.#client.watchClient.watch();
      } catch (err) {
        fail(new StoreUnavailableError(`etcd watch failed: ${(err as Error).message}`, err));
        return;
      }
      if (closed) {
        cancelStream(stream);
        return;
      }
      stream.on('data', (res: IWatchResponse) => {
        if (closed) return;
        if (res.canceled || Number(res.compact_revision) > 0) {
          const compact = Number(res.compact_revision);
          fail(compact > 0 ? new CompactedError(compact) : new StoreUnavailableError(`etcd watch canceled: ${res.cancel_reason}`));
          return;
        }
        if (!res.events || res.events.length === 0) return;
        let batch: { revision: number; events: KvEvent[] } | undefined;
        const batches: KvBatch[] = [];
        for (const ev of res.events) {
          const rev = Number(ev.kv.mod_revision);
          if (!batch || batch.revision !== rev) {
            batch = { revision: rev, events: [] };
            batches.push(batch);
          }
          batch.events.push(toEvent(ev.kv, ev.prev_kv ?? undefined, String(ev.type)));
        }
        for (const b of batches) if (!closed) cb.onBatch(b);
      });
      stream.on('error', (err: Error) => fail(new StoreUnavailableError(`etcd watch stream failed: ${err.message}`, err)));
      // A cancelled call reports CANCELLED; closing is not a failure.
      stream.on('end', () => fail(new StoreUnavailableError('etcd watch stream ended')));
      stream.write({
        create_request: { key: this.#k(prefix), range_end: this.#end(prefix), start_revision: fromRevision + 1, prev_kv: prevKv },
      });
    })();
    return {
      close: () => {
        handle.end();
        this.#streams.delete(handle);
      },
    };
  }

  async compact(revision: number): Promise<void> {
    await this.#call('compact', () => this.#client.kv.compact({ revision, physical: true }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of this.#queue.splice(0)) p.reject(new StoreUnavailableError('etcd store is closed'));
    for (const s of this.#streams) s.end();
    this.#streams.clear();
    this.#client.close();
  }
}
