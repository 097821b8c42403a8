// The config API process in a library call: startConfigApi() opens the store, loads the mirror,
// creates the default objects, and serves the VNC REST API (and optionally the introspect port and
// an in-process schema transformer). Other components' tests start one on a temp SQLite file on
// port 0 in milliseconds:
//   const api = await startConfigApi({ store: `sqlite://${dir}/config.db`, port: 0 });
//   const client = new VncClient({ url: api.url }); … await api.close();
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { DEFAULT_BODY_LIMIT, HttpError, closeServer, listen, sendJson, startIntrospect, type RunningServer } from '../common/http.js';
import { summarize } from '../common/health.js';
import { createLogger, type Logger } from '../common/log.js';
import { Registry } from '../common/metrics.js';
import { TfError, errorMessage } from '../common/errors.js';
import { PORTS } from '../common/defaults.js';
import { AuthFailed, BadRequest, NoIdError } from '../vnc/errors.js';
import { ALL_TYPES, findType, findTypeByPlural, fqNameFromString } from '../vnc/schema.js';
import { stringifyWire, toWire } from '../vnc/wire.js';
import { ensureDefaults } from './defaults.js';
import { serveFeed } from './feed.js';
import { parseFilters, selectUuids, type ListQuery } from './list.js';
import type { StoredObject } from './mirror.js';
import { render } from './render.js';
import { RenderCache } from './render-cache.js';
import { ConfigService, MAX_BATCH_OPERATIONS, propCollection, type BatchOperation, type PropUpdate } from './service.js';
import { requireObject } from './write/create.js';
import { DEFAULT_STORE_URL, openStore } from './store/open.js';
import type { KvStore } from './store/types.js';
import { startTransformerHook, type TransformerHandle, type TransformerOption } from './transformer-hook.js';

export interface ConfigApiOptions {
  /** store URL (sqlite://path | etcd://h:p,h:p[/ns/]) or an open store; default sqlite://./tf-data/config.db */
  store?: string | KvStore;
  /** listen port; 0 picks a free one (default 8082) */
  port?: number;
  host?: string;
  /** when set, every request must carry X-Auth-Token with this value (401 otherwise) */
  adminToken?: string;
  /** start the introspect server (/healthz, /metrics) on this port */
  introspectPort?: number;
  /** run the schema transformer in this process (see transformer-hook.ts); default false */
  transformer?: TransformerOption;
  /** idle interval between BOOKMARK lines on /watch (default 5000 ms) */
  bookmarkMs?: number;
  /** change-feed batches kept in memory for resumption (default 20,000) */
  ringSize?: number;
  /** SQLite only: keep this many revisions of history for /watch resumption (default 100,000) */
  historyRevisions?: number;
  /** skip creating the default objects (tests of the bootstrap itself) */
  noDefaults?: boolean;
  logger?: Logger;
}

export interface RunningConfigApi {
  /** e.g. http://127.0.0.1:40123 */
  readonly url: string;
  readonly port: number;
  readonly service: ConfigService;
  readonly store: KvStore;
  readonly introspect?: RunningServer;
  close(): Promise<void>;
}

/** A request value as text (non-strings as JSON), for messages and ids. */
const text = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));
const bool = (v: string | null): boolean => v !== null && /^(true|1|yes|)$/i.test(v);
const csv = (v: string | null): string[] | undefined => (v === null || v === '' ? undefined : v.split(','));

export async function startConfigApi(opts: ConfigApiOptions = {}): Promise<RunningConfigApi> {
  const log = opts.logger ?? createLogger('config-api');
  const store = typeof opts.store === 'object' ? opts.store : openStore(opts.store ?? DEFAULT_STORE_URL);
  const service = new ConfigService(store, { ringSize: opts.ringSize });
  const registry = new Registry();
  const requests = registry.counter('tf_config_api_requests_total', 'config API requests by method and status');
  const latency = registry.histogram('tf_config_api_request_seconds', 'config API request latency');
  registry.gauge('tf_config_objects', 'objects in the config store', (g) => g.set(service.mirror.objectCount));
  registry.gauge('tf_config_revision', 'store revision the API reflects', (g) => g.set(service.mirror.revision));
  registry.gauge('tf_config_write_conflicts', 'transactions retried after losing a race', (g) => g.set(service.conflicts));
  try {
    await service.start();
    if (!opts.noDefaults) {
      const n = await ensureDefaults(service);
      if (n > 0) log.info({ created: n }, 'created default objects');
    }
  } catch (err) {
    service.close();
    await store.close();
    throw err;
  }

  const host = opts.host ?? '127.0.0.1';
  const historyRevisions = opts.historyRevisions ?? 100_000;
  let compactTimer: NodeJS.Timeout | undefined;
  if (store.kind === 'sqlite') {
    const compact = (): void => {
      const upTo = service.mirror.revision - historyRevisions;
      if (upTo > 0) store.compact(upTo).catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'history compaction failed'));
    };
    compactTimer = setInterval(compact, 60_000);
    compactTimer.unref();
  }

  let port = 0;
  const server: Server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const t0 = performance.now();
    res.on('finish', () => {
      requests.inc({ method: req.method ?? '', status: String(res.statusCode) });
      latency.observe((performance.now() - t0) / 1000);
    });
    handle(req, res).catch((err: unknown) => sendFailure(res, err, log));
  });

  const feedOpts = { bookmarkMs: opts.bookmarkMs ?? 5000, maxBufferedBytes: 64 * 1024 * 1024 };
  const renderCache = new RenderCache(service.mirror);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (opts.adminToken !== undefined && req.headers['x-auth-token'] !== opts.adminToken) {
      req.resume();
      throw new AuthFailed();
    }
    // The WHATWG URL parser only when needed: a plain origin-form target is split by hand (hot path).
    const raw = req.url ?? '/';
    let parsed: URL | undefined;
    const url = (): URL => (parsed ??= new URL(raw, 'http://localhost'));
    const plain = raw.charCodeAt(0) === 47 /* / */ && !raw.includes('/.') && !raw.includes('\\') && !raw.includes('#');
    const qmark = raw.indexOf('?');
    const pathname = plain ? (qmark < 0 ? raw : raw.slice(0, qmark)) : url().pathname;
    const base = `http://${req.headers.host ?? `${host}:${port}`}`;
    const method = req.method ?? 'GET';
    const parts = pathname.split('/').filter((p) => p !== '');
    const reply = (status: number, body: unknown, revision = service.mirror.revision, extra?: Record<string, string>): void => {
      const text = body instanceof Serialized ? body.text : stringifyWire(body);
      const headers = ['content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(text)), 'x-revision', String(revision)];
      if (extra) for (const [k, v] of Object.entries(extra)) headers.push(k, v);
      res.writeHead(status, headers);
      res.end(text);
    };
    const body = async (): Promise<Record<string, unknown>> => requireObject(await readBodyJson(req), 'request body');

    if (parts.length === 0 && method === 'GET') {
      return reply(200, {
        href: base,
        links: ALL_TYPES.map((t) => ({ link: { rel: 'collection', href: `${base}/${t.plural}`, name: t.name } })).concat(
          ['fqname-to-id', 'id-to-fqname', 'ref-update', 'ref-relax-for-delete', 'prop-collection-get', 'prop-collection-update', 'list-bulk-collection', 'useragent-kv', 'chown', 'batch', 'watch'].map(
            (a) => ({ link: { rel: 'action', href: `${base}/${a}`, name: a } }),
          ),
        ),
      });
    }
    if (parts.length === 1) {
      const action = parts[0];
      switch (`${method} ${action}`) {
        case 'GET watch':
          return serveFeed(res, url(), service.mirror, store, feedOpts);
        case 'POST fqname-to-id': {
          const b = await body();
          await service.sync();
          return reply(200, { uuid: service.fqNameToId(text(b.type), b.fq_name) });
        }
        case 'POST id-to-fqname': {
          const b = await body();
          await service.sync();
          return reply(200, service.idToFqName(text(b.uuid)));
        }
        case 'POST ref-update': {
          const b = await body();
          const op = text(b.operation).toUpperCase();
          if (!b.type || !b.uuid || !b['ref-type'] || !b.operation) {
            throw new BadRequest(`Bad Request: type/uuid/ref-type/operation is null: ${text(b.type)}, ${text(b.uuid)}, ${text(b['ref-type'])}, ${text(b.operation)}`, 'BAD_BODY');
          }
          if (op !== 'ADD' && op !== 'DELETE') throw new BadRequest(`Bad Request: operation should be add or delete: ${text(b.operation)}`, 'BAD_OPERATION');
          if (!b['ref-uuid'] && !b['ref-fq-name']) throw new BadRequest('Bad Request: ref-uuid or ref-fq-name must be specified', 'BAD_BODY');
          const r = await service.refUpdate({
            type: text(b.type),
            uuid: text(b.uuid),
            refType: text(b['ref-type']),
            refUuid: b['ref-uuid'] ? text(b['ref-uuid']) : undefined,
            refFqName: b['ref-fq-name'] as string[] | undefined,
            operation: op,
            attr: b.attr,
          });
          return reply(200, { uuid: r.value.uuid }, r.revision);
        }
        case 'POST ref-relax-for-delete': {
          const b = await body();
          if (!b.uuid || !b['ref-uuid']) throw new BadRequest('Bad Request: Both uuid and ref-uuid should be specified', 'BAD_BODY');
          const r = await service.refRelaxForDelete(text(b.uuid), text(b['ref-uuid']));
          return reply(200, { uuid: r.value }, r.revision);
        }
        case 'GET prop-collection-get': {
          const uuid = url().searchParams.get('uuid') ?? '';
          await service.sync();
          const type = service.mirror.typeOf(uuid);
          if (!type) throw new NoIdError(`Object Not Found: ${uuid}`, 'NO_ID');
          const fields = csv(url().searchParams.get('fields')) ?? [];
          return reply(200, propCollection(findType(type)!, service.mirror.get(uuid)!, fields, url().searchParams.get('position') ?? undefined));
        }
        case 'POST prop-collection-update': {
          const b = await body();
          if (typeof b.uuid !== 'string' || !Array.isArray(b.updates)) throw new BadRequest('Bad Request, need uuid and a list of updates', 'BAD_BODY');
          const r = await service.propCollectionUpdate(b.uuid, b.updates as PropUpdate[]);
          return reply(200, {}, r.revision);
        }
        case 'POST list-bulk-collection': {
          const b = await body();
          const type = text(b.type);
          const list = (v: unknown): string[] | undefined => (v === undefined || v === null ? undefined : Array.isArray(v) ? v.map(text) : text(v).split(','));
          const filters = b.filters === undefined || b.filters === null ? undefined : typeof b.filters === 'string' ? parseFilters(b.filters) : new Map(Object.entries(b.filters as Record<string, unknown>).map(([k, v]) => [k, (Array.isArray(v) ? v : [v]).map(text)]));
          await service.sync();
          return reply(200, listBody(base, type, {
            parentIds: list(b.parent_id),
            backRefIds: list(b.back_ref_id),
            objUuids: list(b.obj_uuids),
            filters,
            pageMarker: b.page_marker === undefined ? undefined : text(b.page_marker),
            pageLimit: b.page_limit === undefined ? undefined : Number(b.page_limit),
          }, { detail: b.detail === true || b.detail === 'true' || b.detail === 'True', count: b.count === true || b.count === 'true', fields: list(b.fields), excludeHrefs: b.exclude_hrefs === true }));
        }
        case 'POST batch': {
          const ops = batchOperations(await body());
          const r = await service.batch(ops);
          // Identity only (no rendering of whole objects): callers of a batch follow the feed.
          const results = r.value.map((o, i) => {
            const lm = (o.id_perms as { last_modified?: string } | undefined)?.last_modified ?? '';
            return `{"type":"${ops[i].type}","uuid":"${o.uuid}","fq_name":${JSON.stringify(o.fq_name)},"href":${JSON.stringify(`${base}/${ops[i].type}/${o.uuid}`)},"last_modified":"${lm}"}`;
          });
          return reply(200, new Serialized(`{"results":[${results.join(',')}]}`), r.revision);
        }
        case 'POST useragent-kv': {
          const b = await body();
          return reply(200, await service.userAgentKv(text(b.operation), b.key, b.value));
        }
        case 'POST chown': {
          const b = await body();
          const r = await service.chown(b.uuid, b.owner);
          return reply(200, {}, r.revision);
        }
      }
      const rt = findTypeByPlural(action);
      if (rt && method === 'GET') {
        await service.sync();
        const q = url().searchParams;
        let parentIds = csv(q.get('parent_id'));
        if (q.has('parent_fq_name_str')) {
          const pfq = fqNameFromString(q.get('parent_fq_name_str') ?? '');
          const ptypes = q.get('parent_type') ? [q.get('parent_type')!] : rt.parents;
          parentIds = ptypes.map((t) => service.mirror.uuidByFq(t, pfq.join(':'))).filter((u): u is string => !!u);
        }
        let objUuids = csv(q.get('obj_uuids'));
        if (q.has('fq_names')) {
          const found = (csv(q.get('fq_names')) ?? []).map((f) => service.mirror.uuidByFq(rt.name, f)).filter((u): u is string => !!u);
          objUuids = [...(objUuids ?? []), ...found];
        }
        const pageLimit = q.get('page_limit');
        return reply(200, listBody(base, rt.name, {
          parentIds,
          backRefIds: csv(q.get('back_ref_id')),
          objUuids,
          filters: parseFilters(q.get('filters')),
          pageMarker: q.has('page_marker') ? (q.get('page_marker') ?? '') : undefined,
          pageLimit: pageLimit === null ? undefined : intParam('page_limit', pageLimit),
        }, { detail: bool(q.get('detail')) && q.get('detail') !== '', count: bool(q.get('count')) && q.get('count') !== '', fields: csv(q.get('fields')), excludeHrefs: q.has('exclude_hrefs') }));
      }
      if (rt && method === 'POST') {
        const b = await body();
        const inner = b[rt.name];
        if (inner === undefined) throw new BadRequest(`Bad Request, body must be {"${rt.name}": {...}}`, 'BAD_BODY');
        const r = await service.create(rt.name, inner);
        // Rendered, not cached: a detail list caches what it renders; keeping the text of every new
        // object costs memory and GC time on the create path.
        return reply(200, new Serialized(`{"${rt.name}":${toWire(JSON.stringify(render(service.mirror, r.value, { base })))}}`), r.revision);
      }
      throw new NoIdError(rt ? `Method ${method} not allowed on ${pathname}` : `Resource type '${action}' not found`, rt ? 'METHOD_NOT_ALLOWED' : 'UNKNOWN_TYPE');
    }
    if (parts.length === 2) {
      const rt = findType(parts[0]);
      if (!rt || parts[0] !== rt.name) throw new NoIdError(`Resource type '${parts[0]}' not found`, 'UNKNOWN_TYPE');
      const uuid = parts[1];
      if (method === 'GET') {
        await service.sync();
        const obj = service.read(rt.name, uuid);
        const q = url().searchParams;
        const etag = `"${String((obj.id_perms as { last_modified?: string } | undefined)?.last_modified ?? '')}"`;
        const inm = req.headers['if-none-match'];
        if (inm && (inm === etag || inm === etag.slice(1, -1))) {
          res.writeHead(304, { etag, 'x-revision': String(service.mirror.revision) });
          res.end();
          return;
        }
        const fields = csv(q.get('fields'));
        return reply(200, {
          [rt.name]: render(service.mirror, obj, {
            base,
            fields: fields ? new Set(fields) : undefined,
            excludeHrefs: q.has('exclude_hrefs'),
            backRefs: !fields && !bool(q.get('exclude_back_refs')),
            children: !fields && !bool(q.get('exclude_children')),
          }),
        }, service.mirror.revision, { etag });
      }
      if (method === 'PUT') {
        const b = await body();
        const inner = b[rt.name];
        if (inner === undefined) throw new BadRequest(`Bad Request, body must be {"${rt.name}": {...}}`, 'BAD_BODY');
        const r = await service.update(rt.name, uuid, inner);
        return reply(200, new Serialized(`{"${rt.name}":${renderCache.detail(r.value, base, false)}}`), r.revision);
      }
      if (method === 'DELETE') {
        const r = await service.delete(rt.name, uuid, base);
        return reply(200, {}, r.revision);
      }
    }
    throw new NoIdError(`No route for ${method} ${pathname}`, 'NOT_FOUND');
  }

  function listBody(
    base: string,
    type: string,
    q: ListQuery,
    o: { detail: boolean; count: boolean; fields?: string[]; excludeHrefs: boolean },
  ): Record<string, unknown> | Serialized {
    const rt = findType(type);
    if (!rt) throw new NoIdError(`Resource type '${type}' not found`, 'UNKNOWN_TYPE');
    const key = rt.plural;
    const sel = selectUuids(service.mirror, rt.name, q);
    if (o.count) return { [key]: { count: sel.uuids.length } };
    if (o.detail && !o.fields) {
      // The hot path of relisting controllers: cached per-object JSON, concatenated.
      const parts = sel.uuids.map((u) => `{"${rt.name}":${renderCache.cached(u, base, o.excludeHrefs) ?? renderCache.detail(service.mirror.get(u)!, base, o.excludeHrefs)}}`);
      const marker = sel.marker === undefined ? '' : `,"marker":${JSON.stringify(sel.marker)}`;
      return new Serialized(`{"${key}":[${parts.join(',')}]${marker}}`);
    }
    const fields = o.fields ? new Set(o.fields) : undefined;
    const items = sel.uuids.map((u) => {
      const obj = service.mirror.get(u) as StoredObject;
      if (o.detail) return { [rt.name]: render(service.mirror, obj, { base, fields, excludeHrefs: o.excludeHrefs }) };
      const item: Record<string, unknown> = { ...(o.excludeHrefs ? {} : { href: `${base}/${rt.name}/${u}` }), fq_name: obj.fq_name, uuid: u };
      if (fields) for (const f of fields) if (f in obj) item[f] = obj[f];
      return item;
    });
    return sel.marker !== undefined ? { [key]: items, marker: sel.marker } : { [key]: items };
  }

  try {
    const addr = await listen(server, opts.port ?? PORTS.configApi, host);
    port = addr.port;
  } catch (err) {
    service.close();
    await store.close();
    throw err;
  }
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let introspect: RunningServer | undefined;
  let transformer: TransformerHandle | undefined;
  const stop = async (): Promise<void> => {
    if (compactTimer) clearInterval(compactTimer);
    await transformer?.close().catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'transformer close failed'));
    await introspect?.close();
    await closeServer(server);
    service.close();
    await store.close();
  };
  try {
    if (opts.introspectPort !== undefined) {
      introspect = await startIntrospect({
        port: opts.introspectPort,
        host,
        registry,
        health: () =>
          summarize('config-api', [
            { type: 'Database', name: store.kind, server_addrs: [store.description], status: service.mirror.connected ? 'Up' : 'Down' },
          ]),
        routes: { '/Snh_ConfigStatus': () => ({ revision: service.mirror.revision, objects: service.mirror.objectCount, store: store.description, conflicts: service.conflicts }) },
      });
    }
    if (opts.transformer) transformer = await startTransformerHook(opts.transformer, { configApiUrl: url, adminToken: opts.adminToken, logger: log });
  } catch (err) {
    await stop();
    throw err;
  }
  log.info({ url, store: store.description, revision: service.mirror.revision }, 'config API listening');
  return { url, port, service, store, introspect, close: stop };
}

/**
 * The request body as JSON: 413 past the original's 1,024,000-byte limit (by Content-Length or
 * while reading), 400 when malformed. Event-based (cheaper than async iteration on the hot path).
 */
function readBodyJson(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(new HttpError(413, 'REQUEST_TOO_LARGE', `Request body of ${declared} bytes exceeds the limit of ${limit} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(new HttpError(413, 'REQUEST_TOO_LARGE', `Request body exceeds the limit of ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
      failed = true;
    });
    req.on('end', () => {
      if (failed) return;
      if (size === 0) return resolve(undefined);
      try {
        resolve(JSON.parse((chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8')) as unknown);
      } catch (err) {
        reject(new HttpError(400, 'MALFORMED_JSON', `Malformed JSON in request body: ${errorMessage(err)}`));
      }
    });
  });
}

/** A response body already serialized to wire JSON. */
class Serialized {
  constructor(readonly text: string) {}
}

function intParam(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new BadRequest(`${name} must be a positive integer, got ${JSON.stringify(v)}`, 'INVALID_PARAM');
  return n;
}

/** The operations of a POST /batch body, checked for shape (each operation's content is checked as its write is planned). */
function batchOperations(b: Record<string, unknown>): BatchOperation[] {
  const list = b.operations;
  if (!Array.isArray(list) || list.length === 0) throw new BadRequest('Bad Request, operations must be a non-empty list', 'BAD_BODY', { field: 'operations' });
  if (list.length > MAX_BATCH_OPERATIONS) throw new BadRequest(`Bad Request, a batch carries at most ${MAX_BATCH_OPERATIONS} operations (got ${list.length})`, 'BATCH_TOO_LARGE', { field: 'operations' });
  return list.map((raw, i): BatchOperation => {
    const field = (f: string): string => `operations[${i}].${f}`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new BadRequest(`Bad Request, operations[${i}] must be a JSON object`, 'BAD_BODY', { field: `operations[${i}]`, operation: i });
    const op = raw as Record<string, unknown>;
    if (typeof op.type !== 'string' || op.type === '') throw new BadRequest(`Bad Request, ${field('type')} must be a resource type name`, 'BAD_BODY', { field: field('type'), operation: i });
    if (typeof op.object !== 'object' || op.object === null || Array.isArray(op.object)) throw new BadRequest(`Bad Request, ${field('object')} must be a JSON object`, 'BAD_BODY', { field: field('object'), operation: i });
    if (op.operation === 'create') return { operation: 'create', type: op.type, object: op.object };
    if (op.operation === 'update') {
      if (typeof op.uuid !== 'string' || op.uuid === '') throw new BadRequest(`Bad Request, ${field('uuid')} is required for an update`, 'BAD_BODY', { field: field('uuid'), operation: i });
      return { operation: 'update', type: op.type, uuid: op.uuid, object: op.object };
    }
    throw new BadRequest(`Bad Request, ${field('operation')} must be "create" or "update", got ${JSON.stringify(op.operation)}`, 'BAD_OPERATION', { field: field('operation'), operation: i });
  });
}

function sendFailure(res: ServerResponse, err: unknown, log: Logger): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof TfError) {
    sendJson(res, err.status, { error: { code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) } });
    return;
  }
  log.error({ err: errorMessage(err), stack: (err as Error)?.stack }, 'internal error');
  sendJson(res, 500, { error: { code: 'INTERNAL', message: errorMessage(err) } });
}
