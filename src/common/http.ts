// HTTP plumbing shared by every daemon: bounded JSON bodies, JSON replies, one error mapper,
// and the introspect server (/healthz, /metrics, component JSON routes).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TfError, errorMessage } from './errors.js';
import type { Registry } from './metrics.js';
import type { HealthReport } from './health.js';

export const DEFAULT_BODY_LIMIT = 1_024_000;

export class HttpError extends TfError {
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(code, message, { status, details });
  }
}

export async function readBody(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new HttpError(413, 'REQUEST_TOO_LARGE', `Request body of ${declared} bytes exceeds the limit of ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw new HttpError(413, 'REQUEST_TOO_LARGE', `Request body exceeds the limit of ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function readJson(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<unknown> {
  const body = await readBody(req, limit);
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (err) {
    throw new HttpError(400, 'MALFORMED_JSON', `Malformed JSON in request body: ${errorMessage(err)}`);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Maps any thrown value to a JSON error reply: {error: {code, message, details}}; non-TfErrors are 500. */
export function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof TfError) {
    sendJson(res, err.status, { error: { code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) } });
  } else {
    sendJson(res, 500, { error: { code: 'INTERNAL', message: errorMessage(err) } });
  }
}

export function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export type IntrospectRoute = (url: URL) => unknown;

export interface IntrospectOptions {
  port: number;
  host?: string;
  registry: Registry;
  health: () => HealthReport;
  /** JSON routes by exact path, e.g. '/Snh_BgpNeighborReq' or '/neighbors'. */
  routes?: Record<string, IntrospectRoute>;
}

export interface RunningServer {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

/** The introspect server every daemon runs: /healthz (200 when up, 503 otherwise), /metrics, JSON routes. */
export async function startIntrospect(opts: IntrospectOptions): Promise<RunningServer> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    void (async () => {
      try {
        if (url.pathname === '/healthz') {
          const h = opts.health();
          sendJson(res, h.status === 'up' ? 200 : 503, h);
        } else if (url.pathname === '/metrics') {
          sendText(res, 200, opts.registry.render(), 'text/plain; version=0.0.4; charset=utf-8');
        } else if (url.pathname === '/') {
          sendJson(res, 200, { routes: ['/healthz', '/metrics', ...Object.keys(opts.routes ?? {})] });
        } else {
          const route = opts.routes?.[url.pathname];
          if (!route) throw new HttpError(404, 'NOT_FOUND', `No introspect route ${url.pathname}`);
          sendJson(res, 200, await route(url));
        }
      } catch (err) {
        sendError(res, err);
      }
    })();
  });
  const addr = await listen(server, opts.port, opts.host ?? '127.0.0.1');
  return { server, port: addr.port, close: () => closeServer(server) };
}
