// The schema transformer: an informer cache over the intent it reads (networks, policies, security
// groups, logical routers and their interfaces, the global ASN) and the objects it derives
// (routing instances, route targets, ACLs); cache events touch keys; keys settle (settle.ts) and
// then run on the reconcile queue — in parallel across keys, never twice at once for one key:
//   alloc:<vn>  allocate the network's own route target      (route-targets.ts)
//   vn:<vn>     default instance refs and the network's ACL  (reconcile-vn.ts)
//   sg:<sg>     a security group's ingress/egress ACLs        (reconcile-sg.ts)
//   rt:<rt>     delete a derived route target nobody needs    (route-targets.ts)
// Each reconcile reads the cache, computes the desired objects and writes only the differences.
import { createLogger, type Logger } from '../common/log.js';
import { ReconcileQueue } from '../common/reconcile-queue.js';
import { errorMessage } from '../common/errors.js';
import { VncCache } from '../vnc/cache.js';
import type { VncClient } from '../vnc/client.js';
import type { GlobalSystemConfig } from '../vnc/schema.js';
import { cacheWorld } from './cache-world.js';
import { DEFAULT_ASN, key, type Ctx, type KeyKind } from './context.js';
import { eventHandlers } from './events.js';
import { Indexes } from './indexes.js';
import { isDerived } from './marks.js';
import { reconcileSg } from './reconcile-sg.js';
import { reconcileVn } from './reconcile-vn.js';
import { reconcileAlloc, reconcileTargetGc } from './route-targets.js';
import { Settler } from './settle.js';
import { Writer, type ReconcileReport, type WriteAction, type WriteRecord } from './writer.js';

export const WATCHED_TYPES = [
  'global-system-config',
  'virtual-network',
  'routing-instance',
  'route-target',
  'access-control-list',
  'network-policy',
  'security-group',
  'logical-router',
  'virtual-machine-interface',
] as const;

export interface TransformerOptions {
  client: VncClient;
  /** quiet time before a network or security group is reconciled (default 50 ms) */
  settleMs?: number;
  /** longest a touched key waits while its inputs keep changing (default 1000 ms) */
  maxDelayMs?: number;
  /** keys reconciled in parallel (default 32) */
  concurrency?: number;
  /** every finished reconcile (tests assert the exact writes) */
  onReconcile?(report: ReconcileReport): void;
  logger?: Logger;
}

export interface TransformerStats {
  synced: boolean;
  revision: number;
  reconciles: number;
  failures: number;
  writes: Record<WriteAction, number>;
  queueDepth: number;
  pending: number;
  /** keys whose last reconcile reported problems (bad intent, names taken), with the problems */
  problems: Record<string, string[]>;
  lastErrors: Record<string, string>;
}

export class Transformer {
  readonly cache: VncCache;
  readonly #client: VncClient;
  readonly #idx = new Indexes();
  readonly #writer: Writer;
  readonly #queue: ReconcileQueue<string>;
  readonly #settler: Settler;
  readonly #ctx: Ctx;
  readonly #log: Logger;
  readonly #opts: TransformerOptions;
  readonly #problems = new Map<string, string[]>();
  readonly #writes: Record<WriteAction, number> = { created: 0, updated: 0, deleted: 0 };
  #synced = false;
  #closed = false;

  constructor(opts: TransformerOptions) {
    this.#opts = opts;
    this.#client = opts.client;
    this.#log = opts.logger ?? createLogger('transformer');
    this.cache = new VncCache(opts.client, WATCHED_TYPES, { idleTimeoutMs: 60_000 });
    this.#writer = new Writer(opts.client, this.cache, (w) => this.#onWrite(w));
    this.#queue = new ReconcileQueue<string>({
      concurrency: opts.concurrency ?? 32,
      reconcile: (k) => this.#reconcile(k),
      onError: (k, err, attempt) => this.#log.warn({ key: k, attempt, err: errorMessage(err) }, 'reconcile failed; will retry'),
    });
    this.#settler = new Settler({
      settleMs: opts.settleMs ?? 50,
      maxDelayMs: opts.maxDelayMs ?? 1000,
      release: (k) => this.#queue.enqueue(k),
    });
    const cache = this.cache;
    this.#ctx = {
      cache,
      client: opts.client,
      world: cacheWorld(cache, (fq) => this.#idx.listersOf(fq)),
      idx: this.#idx,
      writer: this.#writer,
      log: this.#log,
      touch: (kind: KeyKind, uuid: string) => this.#settler.touch(key(kind, uuid), kind === 'alloc' || kind === 'rt'),
      asn: () => (cache.getByFqName('global-system-config', ['default-global-system-config']) as GlobalSystemConfig | undefined)?.autonomous_system ?? DEFAULT_ASN,
    };
    this.cache.on(eventHandlers(this.#ctx, (uuid) => this.#writer.observe(uuid)));
  }

  /** Lists, then follows the change feed; resolves once the first full view is in (work then starts). */
  async start(): Promise<void> {
    await this.cache.start();
    this.#synced = true;
    // Derived targets left over from a crash between creating one and linking it, or whose owner
    // went away while we were down.
    for (const rt of this.cache.list('route-target')) if (isDerived(rt)) this.#ctx.touch('rt', rt.uuid);
    this.#settler.resume();
    this.#log.info({ revision: this.cache.revision, objects: this.cache.size }, 'schema transformer synced');
  }

  async #reconcile(k: string): Promise<void> {
    if (this.#closed) return;
    const i = k.indexOf(':');
    const kind = k.slice(0, i) as KeyKind;
    const uuid = k.slice(i + 1);
    const report: ReconcileReport = { key: k, writes: [], problems: [] };
    try {
      if (kind === 'alloc') await reconcileAlloc(this.#ctx, uuid, report);
      else if (kind === 'vn') await reconcileVn(this.#ctx, uuid, report);
      else if (kind === 'sg') await reconcileSg(this.#ctx, uuid, report);
      else if (kind === 'rt') await reconcileTargetGc(this.#ctx, uuid, report);
    } finally {
      if (report.problems.length) {
        if (JSON.stringify(this.#problems.get(k)) !== JSON.stringify(report.problems)) this.#log.warn({ key: k, problems: report.problems }, 'intent problems');
        this.#problems.set(k, report.problems);
      } else this.#problems.delete(k);
      this.#opts.onReconcile?.(report);
    }
  }

  #onWrite(w: WriteRecord): void {
    this.#writes[w.action]++;
    this.#log.debug({ ...w }, 'write');
  }

  /**
   * Resolves when the transformer has caught up: its cache has seen every change up to the API's
   * current revision (as far as bookmarks tell) and no key is waiting, settling or running — and
   * stayed so across one more check (its own writes move the revision).
   */
  async settled(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let stableAt = -1;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`transformer did not settle within ${timeoutMs} ms (queue ${this.#queue.depth}, settling ${this.#settler.size})`);
      const rev = (await this.#client.listPage('global-system-config', {})).revision;
      while (this.cache.revision < rev && Date.now() < deadline) await sleep(10);
      if (this.#settler.size === 0 && this.#queue.depth === 0) {
        if (stableAt === rev) return;
        stableAt = rev;
      } else stableAt = -1;
      await sleep(20);
    }
  }

  stats(): TransformerStats {
    return {
      synced: this.#synced,
      revision: this.cache.revision,
      reconciles: this.#queue.processed,
      failures: this.#queue.failed,
      writes: { ...this.#writes },
      queueDepth: this.#queue.depth,
      pending: this.#settler.size,
      problems: Object.fromEntries(this.#problems),
      lastErrors: Object.fromEntries(this.#queue.lastErrors),
    };
  }

  /** Stops taking work and waits for running reconciles; the client stays the caller's. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#settler.stop();
    this.#queue.stop();
    this.cache.close();
    this.#writer.close();
    await this.#queue.idle();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
