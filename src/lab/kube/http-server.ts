// The lab API's HTTP front: routing, content negotiation (JSON, YAML, Table, PartialObjectMetadata,
// aggregated discovery), request bodies, Status error replies, and watch streams (newline-delimited
// JSON events, bookmarks, timeouts, slow-consumer cut-off). Behaviour lives in the Registry.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { stringify as toYaml, parse as parseYaml } from 'yaml';
import { readBody, HttpError } from '../../common/http.js';
import type { Logger } from '../../common/log.js';
import type { Registry as Metrics } from '../../common/metrics.js';
import { aggregatedDiscovery, AGGREGATED_CONTENT_TYPE, apiGroup, apiGroupList, apiResourceList, apiVersions } from './discovery.js';
import { KubeApiError, badRequest, methodNotAllowed, notFound, toStatus } from './errors.js';
import { negotiateDiscovery, negotiateObject, patchFormat, requestBodyFormat, type ResponseFormat } from './negotiate.js';
import { openApiV3ForPath, openApiV3Index } from './openapi.js';
import { proxyPodLog } from './pod-log.js';
import { decodeKubeProtobuf } from './protobuf.js';
import type { Registry, RegistryWatchEvent } from './registry.js';
import { apiVersionOf, type ResourceInfo } from './resources.js';
import { parseApiPath } from './request-path.js';
import { partialMetadata, toTable, type IncludeObject } from './table.js';
import { isObject, type DeleteOptions, type KubeList, type KubeObject } from './types.js';

export const LAB_KUBE_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0-tungsten-lab', gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean', buildDate: '2025-01-01T00:00:00Z', goVersion: 'n/a', compiler: 'tsc', platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}` };

const BODY_LIMIT = 3 * 1024 * 1024;

export interface KubeHttpOptions {
  registry: Registry;
  log: Logger;
  metrics: Metrics;
  /** host:port advertised in /api */
  serverAddress: () => string;
  /** server-side watch timeout bounds in seconds when the client gives none (default 1800-3600) */
  watchTimeoutSeconds?: [number, number];
  /** bookmark interval for watches that allow them (default 60 s) */
  bookmarkIntervalMs?: number;
  /** a watch whose unsent output exceeds this many bytes is closed (default 64 MiB) */
  watchBufferLimit?: number;
}

export interface KubeHttpHandler {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** ends every open watch stream */
  closeWatches(): void;
  readonly openWatches: number;
}

function send(res: ServerResponse, code: number, body: unknown, format: ResponseFormat | { kind: 'json' } = { kind: 'json' }, contentType?: string, json?: (o: KubeObject) => string): void {
  const yaml = format.kind === 'yaml';
  const text = yaml ? toYaml(body) : json && isObject(body) && Object.isFrozen(body) ? json(body as KubeObject) : JSON.stringify(body);
  res.writeHead(code, { 'content-type': contentType ?? (yaml ? 'application/yaml' : 'application/json'), 'content-length': Buffer.byteLength(text), 'cache-control': 'no-cache, private' });
  res.end(text);
}

function sendStatus(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  let e = err;
  if (err instanceof HttpError && err.status === 413) e = new KubeApiError(413, 'RequestEntityTooLarge', err.message);
  const status = toStatus(e);
  send(res, status.code, status);
}

const boolParam = (q: URLSearchParams, k: string): boolean => q.get(k) === 'true' || q.get(k) === '1';

function intParam(q: URLSearchParams, k: string): number | undefined {
  const v = q.get(k);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`invalid value for ${k}: ${JSON.stringify(v)}`);
  return n;
}

function dryRun(q: URLSearchParams): boolean {
  const v = q.getAll('dryRun');
  for (const d of v) if (d !== 'All') throw badRequest(`dryRun: Unsupported value: ${JSON.stringify(d)}: supported values: "All"`);
  return v.length > 0;
}

function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  if (v === null || v === '' || v === 'Metadata') return 'Metadata';
  if (v === 'None' || v === 'Object') return v;
  throw badRequest(`includeObject: unsupported value ${JSON.stringify(v)}`);
}

async function readObjectBody(req: IncomingMessage): Promise<unknown> {
  const fmt = requestBodyFormat(req.headers['content-type']);
  const raw = await readBody(req, BODY_LIMIT);
  if (raw.length === 0) return undefined;
  if (fmt === 'protobuf') return decodeKubeProtobuf(raw);
  try {
    return fmt === 'yaml' ? (parseYaml(raw.toString('utf8')) as unknown) : (JSON.parse(raw.toString('utf8')) as unknown);
  } catch (err) {
    throw badRequest(`the body of the request could not be decoded: ${(err as Error).message}`);
  }
}

const withKind = (info: ResourceInfo, o: KubeObject): KubeObject => ({ apiVersion: apiVersionOf(info), kind: info.kind, ...o });

export function createKubeHttpHandler(opts: KubeHttpOptions): KubeHttpHandler {
  const { registry, log, metrics } = opts;
  const requests = metrics.counter('apiserver_request_total', 'API requests by verb, resource and code.');
  const watchGauge = metrics.gauge('apiserver_registered_watchers', 'Open watch streams.');
  const watchers = new Set<() => void>();
  const [tmin, tmax] = opts.watchTimeoutSeconds ?? [1800, 3600];
  const bookmarkMs = opts.bookmarkIntervalMs ?? 60_000;
  const bufferLimit = opts.watchBufferLimit ?? 64 * 1024 * 1024;
  const jsonCache = new WeakMap<object, string>();

  const objectJson = (o: KubeObject): string => {
    let s = jsonCache.get(o);
    if (s === undefined) {
      s = JSON.stringify(o);
      if (Object.isFrozen(o)) jsonCache.set(o, s);
    }
    return s;
  };

  function formatList(info: ResourceInfo, list: KubeList, format: ResponseFormat, q: URLSearchParams): unknown {
    if (format.kind === 'table') return toTable(info, list.items.map((o) => withKind(info, o)), { includeObject: includeObject(q), version: format.version }, list.metadata);
    if (format.kind === 'metadata') {
      return { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${format.version}`, metadata: list.metadata, items: list.items.map((o) => partialMetadata(o, format.version)) };
    }
    return list;
  }

  function formatObject(info: ResourceInfo, o: KubeObject, format: ResponseFormat, q: URLSearchParams): unknown {
    if (format.kind === 'table') return toTable(info, [o], { includeObject: includeObject(q), version: format.version });
    if (format.kind === 'metadata') return partialMetadata(o, format.version);
    return o;
  }

  function startWatch(req: IncomingMessage, res: ServerResponse, info: ResourceInfo, ns: string | undefined, q: URLSearchParams, format: ResponseFormat): void {
    const bookmarks = boolParam(q, 'allowWatchBookmarks') && format.kind === 'json';
    const sendInitialEvents = q.get('sendInitialEvents') === 'true';
    if (sendInitialEvents && !bookmarks) throw badRequest('sendInitialEvents is only supported with allowWatchBookmarks=true');
    const timeoutParam = intParam(q, 'timeoutSeconds');
    const timeoutS = timeoutParam !== undefined && timeoutParam > 0 ? timeoutParam : tmin + Math.random() * (tmax - tmin);
    let first = true;
    const lines: string[] = [];
    const write = (e: RegistryWatchEvent): void => {
      let obj: string;
      if (format.kind === 'table' && e.type !== 'BOOKMARK' && e.type !== 'ERROR') {
        obj = JSON.stringify(toTable(info, [e.object], { includeObject: includeObject(q), version: format.version, noHeaders: !first }));
        first = false;
      } else if (format.kind === 'metadata' && e.type !== 'BOOKMARK' && e.type !== 'ERROR') obj = JSON.stringify(partialMetadata(e.object, format.version));
      else obj = objectJson(e.object);
      lines.push(`{"type":"${e.type}","object":${obj}}\n`);
    };
    let unsubscribe: (() => void) | undefined;
    const timerRef: { t?: NodeJS.Timeout } = {};
    let ended = false;
    let bm: NodeJS.Timeout | undefined;
    let flushScheduled = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      unsubscribe?.();
      if (timerRef.t) clearTimeout(timerRef.t);
      clearInterval(bm);
      watchers.delete(end);
      watchGauge.set(watchers.size);
      if (!res.writableEnded) res.end();
    };
    const flush = (): void => {
      flushScheduled = false;
      if (ended || lines.length === 0) return;
      const chunk = lines.join('');
      lines.length = 0;
      res.write(chunk);
      if (res.writableLength > bufferLimit) {
        log.warn({ resource: info.resource, buffered: res.writableLength }, 'closing a watch whose client does not keep up');
        end();
      }
    };
    // events arriving in one tick go out in one write
    const sink = (e: RegistryWatchEvent): void => {
      write(e);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    };
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    try {
      unsubscribe = registry.watch(info, ns, { labelSelector: q.get('labelSelector') ?? undefined, fieldSelector: q.get('fieldSelector') ?? undefined, resourceVersion: q.get('resourceVersion') ?? undefined, sendInitialEvents }, sink);
    } catch (err) {
      // as the API server's watch cache: a 200 stream carrying one ERROR event with the Status
      if (!(err instanceof KubeApiError)) throw err;
      sink({ type: 'ERROR', object: err.toStatus() as unknown as KubeObject });
      setImmediate(() => {
        flush();
        end();
      });
      return;
    }
    watchers.add(end);
    watchGauge.set(watchers.size);
    const timer = setTimeout(() => {
      flush();
      end();
    }, timeoutS * 1000);
    timerRef.t = timer;
    if (bookmarks) bm = setInterval(() => sink(registry.bookmark(info)), bookmarkMs);
    req.on('close', end);
    res.on('close', end);
  }

  async function handleResource(req: IncomingMessage, res: ServerResponse, url: URL, p: Extract<ReturnType<typeof parseApiPath>, { kind: 'resource' }>): Promise<string> {
    const { info, name, subresource } = p;
    const q = url.searchParams;
    const ns = info.namespaced ? p.namespace : undefined;
    const method = req.method ?? 'GET';
    if (subresource !== undefined && !info.subresources.some((s) => s.name === subresource)) {
      if (info.resource === 'pods' && (subresource === 'exec' || subresource === 'attach' || subresource === 'portforward')) {
        throw notFound('', `pods/${subresource}`, name ?? '');
      }
      throw notFound(info.group, `${info.resource}/${subresource}`, name ?? '');
    }
    if (info.namespaced && name !== undefined && ns === undefined) throw notFound(info.group, info.resource, name);
    if (method === 'GET' || method === 'HEAD') {
      const format = subresource === 'log' ? { kind: 'json' as const } : negotiateObject(req.headers.accept);
      if (name === undefined || p.watchPrefix) {
        if (p.watchPrefix || boolParam(q, 'watch')) {
          if (name !== undefined) q.set('fieldSelector', [q.get('fieldSelector'), `metadata.name=${name}`].filter(Boolean).join(','));
          startWatch(req, res, info, ns, q, format);
          return 'watch';
        }
        const list = registry.list(info, ns, { labelSelector: q.get('labelSelector') ?? undefined, fieldSelector: q.get('fieldSelector') ?? undefined, limit: intParam(q, 'limit'), continue: q.get('continue') ?? undefined });
        send(res, 200, formatList(info, list, format, q), format);
        return 'list';
      }
      if (subresource === 'scale') {
        send(res, 200, registry.getScale(info, ns, name), format);
        return 'get';
      }
      if (subresource === 'log' && ns !== undefined) {
        proxyPodLog(registry, ns, name, q, req, res);
        return 'get';
      }
      send(res, 200, formatObject(info, registry.get(info, ns, name), format, q), format);
      return 'get';
    }
    const format = negotiateObject(req.headers.accept);
    const dry = dryRun(q);
    switch (method) {
      case 'POST': {
        if (name !== undefined && subresource === 'binding' && ns !== undefined) {
          const body = await readObjectBody(req);
          send(res, 201, registry.bind(info, ns, name, body, { dryRun: dry }), format);
          return 'create';
        }
        if (name !== undefined) throw methodNotAllowed(`the server does not allow this method on the requested resource`);
        const body = await readObjectBody(req);
        const r = registry.create(info, ns, body, { dryRun: dry, bodyOwned: true });
        send(res, r.code, formatObject(info, r.object, format, q), format, undefined, objectJson);
        return 'create';
      }
      case 'PUT': {
        if (name === undefined) throw methodNotAllowed('the server does not allow this method on the requested resource');
        const body = await readObjectBody(req);
        if (subresource === 'scale') {
          send(res, 200, registry.updateScale(info, ns, name, body, { dryRun: dry }).object, format);
        } else if (subresource === 'finalize') {
          send(res, 200, registry.finalizeNamespace(info, name, body, { dryRun: dry }).object, format);
        } else {
          const r = registry.update(info, ns, name, body, { dryRun: dry, bodyOwned: true, subresource: subresource === 'status' ? 'status' : undefined });
          send(res, r.code, formatObject(info, r.object, format, q), format);
        }
        return 'update';
      }
      case 'PATCH': {
        if (name === undefined) throw methodNotAllowed('the server does not allow this method on the requested resource');
        const type = patchFormat(req.headers['content-type']);
        const raw = await readBody(req, BODY_LIMIT);
        if (type === 'apply' && !q.get('fieldManager')) throw badRequest('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
        if (subresource === 'scale') {
          send(res, 200, registry.patchScale(info, ns, name, type, raw, { dryRun: dry }).object, format);
        } else {
          const r = registry.patch(info, ns, name, type, raw, { dryRun: dry, subresource: subresource === 'status' ? 'status' : undefined, force: boolParam(q, 'force') });
          send(res, r.code, formatObject(info, r.object, format, q), format);
        }
        return 'patch';
      }
      case 'DELETE': {
        const body = await readObjectBody(req);
        const opts: DeleteOptions = isObject(body) ? { ...(body as DeleteOptions) } : {};
        const grace = intParam(q, 'gracePeriodSeconds');
        if (grace !== undefined) opts.gracePeriodSeconds = grace;
        const pp = q.get('propagationPolicy');
        if (pp) {
          if (pp !== 'Orphan' && pp !== 'Background' && pp !== 'Foreground') throw badRequest(`propagationPolicy: Unsupported value: ${JSON.stringify(pp)}`);
          opts.propagationPolicy = pp;
        }
        if (q.has('orphanDependents')) opts.orphanDependents = boolParam(q, 'orphanDependents');
        if (dry) opts.dryRun = ['All'];
        if (name === undefined) {
          const list = registry.deleteCollection(info, ns, { labelSelector: q.get('labelSelector') ?? undefined, fieldSelector: q.get('fieldSelector') ?? undefined }, opts);
          send(res, 200, list, format);
          return 'deletecollection';
        }
        const r = registry.delete(info, ns, name, opts);
        send(res, r.code, formatObject(info, r.object, format, q), format);
        return 'delete';
      }
      default:
        throw methodNotAllowed(`the server does not allow the ${method} method`);
    }
  }

  function handleDiscovery(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const p = parseApiPath(path);
    if (p.kind === 'api' || p.kind === 'apis') {
      const fmt = negotiateDiscovery(req.headers.accept);
      if (fmt.kind === 'aggregated') send(res, 200, aggregatedDiscovery(p.kind === 'api', fmt.version), { kind: 'json' }, AGGREGATED_CONTENT_TYPE(fmt.version));
      else send(res, 200, p.kind === 'api' ? apiVersions(opts.serverAddress()) : apiGroupList());
      return true;
    }
    if (p.kind === 'group') {
      const g = apiGroup(p.group);
      if (!g) throw notFound('', 'groups', p.group);
      send(res, 200, g);
      return true;
    }
    if (p.kind === 'groupVersion') {
      send(res, 200, apiResourceList(p.group, p.version));
      return true;
    }
    return false;
  }

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<string> {
    const path = url.pathname;
    switch (path) {
      case '/healthz':
      case '/livez':
      case '/readyz':
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('ok');
        return 'health';
      case '/version':
        send(res, 200, LAB_KUBE_VERSION);
        return 'version';
      case '/metrics':
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(metrics.render());
        return 'metrics';
      case '/openapi/v3':
        send(res, 200, openApiV3Index());
        return 'openapi';
      case '/':
        send(res, 200, { paths: ['/api', '/api/v1', '/apis', '/healthz', '/livez', '/metrics', '/openapi/v3', '/readyz', '/version'] });
        return 'root';
    }
    if (path.startsWith('/openapi/v3/')) {
      const doc = openApiV3ForPath(path.slice('/openapi/v3/'.length));
      if (!doc) throw new KubeApiError(404, 'NotFound', `the server could not find the requested resource`);
      send(res, 200, doc);
      return 'openapi';
    }
    if (req.method === 'GET' && handleDiscovery(req, res, url)) return 'discovery';
    const p = parseApiPath(path);
    if (p.kind !== 'resource') throw new KubeApiError(404, 'NotFound', 'the server could not find the requested resource');
    return handleResource(req, res, url, p);
  }

  return {
    handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      void route(req, res, url).then(
        (verb) => {
          if (verb !== 'health' && verb !== 'metrics') requests.inc({ verb, code: String(res.statusCode) });
        },
        (err: unknown) => {
          if (!(err instanceof KubeApiError)) log.error({ err, method: req.method, url: req.url }, 'request failed');
          sendStatus(res, err);
          requests.inc({ verb: (req.method ?? 'GET').toLowerCase(), code: String(res.statusCode) });
        },
      );
    },
    closeWatches() {
      for (const end of [...watchers]) end();
    },
    get openWatches() {
      return watchers.size;
    },
  };
}

