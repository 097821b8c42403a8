// The client's HTTP transport: keep-alive connections, JSON bodies with exact 64-bit ids
// (wire.ts), typed errors from error responses, retries with backoff on 502/503 and on refused
// connections, and a per-request timeout (TimeOutError).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { TimeOutError, ServiceUnavailableError, errorFromResponse } from './errors.js';
import { Http1Pool } from './http1.js';
import { parseWire, stringifyWire } from './wire.js';

export interface TransportOptions {
  url: string;
  adminToken?: string;
  /** attempts after the first on 502/503/refused connections (default 6) */
  retries?: number;
  /** first backoff delay, doubled per attempt up to 5 s (default 100 ms) */
  retryBaseMs?: number;
  /** per attempt (default 30 s) */
  timeoutMs?: number;
  /** keep-alive sockets per client (default 64) */
  maxSockets?: number;
}

export interface Response {
  status: number;
  /** lower-case header names */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: unknown;
}

const PLAIN_PATH = /^\/(?!\/)[\x21-\x7e]*$/;

const RETRY_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH']);

export class Transport {
  readonly base: URL;
  readonly #opts: Required<Omit<TransportOptions, 'adminToken'>> & { adminToken?: string };
  readonly #agent: HttpAgent | HttpsAgent;
  /** request options shared by every request (host, port, agent): no URL parsing per request */
  readonly #target: { protocol: string; hostname: string; port: string; agent: HttpAgent | HttpsAgent };
  readonly #headers: Record<string, string>;
  /** plain http: requests go through the small HTTP/1.1 client (http1.ts) */
  readonly #pool: Http1Pool | undefined;
  /** its request head after the request line: host, accept, token */
  readonly #headLines: string;
  #closed = false;

  constructor(opts: TransportOptions) {
    this.base = new URL(opts.url);
    this.#opts = { retries: 6, retryBaseMs: 100, timeoutMs: 30_000, maxSockets: 64, ...opts };
    const agentOpts = { keepAlive: true, maxSockets: this.#opts.maxSockets };
    this.#agent = this.base.protocol === 'https:' ? new HttpsAgent(agentOpts) : new HttpAgent(agentOpts);
    this.#target = { protocol: this.base.protocol, hostname: this.base.hostname.replace(/^\[(.*)\]$/, '$1'), port: this.base.port, agent: this.#agent };
    this.#headers = this.headers();
    this.#headLines = Object.entries({ host: this.base.host, ...this.#headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    // A token that cannot be sent as a header value is left to Node's client, which refuses it.
    if (this.base.protocol === 'http:' && /^[\x20-\x7e]*$/.test(this.#headLines.replace(/\r\n/g, ''))) {
      const { timeoutMs } = this.#opts;
      this.#pool = new Http1Pool({
        host: this.#target.hostname,
        port: Number(this.base.port || 80),
        maxSockets: this.#opts.maxSockets,
        timeoutMs,
        onTimeout: (method, path) => new TimeOutError(`${method} ${path} timed out after ${timeoutMs} ms`),
      });
    }
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { accept: 'application/json', ...(this.#opts.adminToken ? { 'x-auth-token': this.#opts.adminToken } : {}), ...extra };
  }

  /** Opens a raw GET (for the change feed); the caller reads the stream. */
  stream(path: string, signal: AbortSignal): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const url = new URL(path, this.base);
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: 'GET', headers: this.headers(), agent: this.#agent, signal }, resolve);
      req.on('error', reject);
      req.end();
    });
  }

  /** The answer's body: parsed JSON (exact 64-bit ids) when it is JSON, else the text. */
  static #decode(text: string, contentType: string | string[] | undefined): unknown {
    if (text && String(contentType ?? '').includes('json')) {
      try {
        return parseWire(text);
      } catch {
        return text;
      }
    }
    return text;
  }

  async #once(method: string, path: string, payload: string | undefined): Promise<Response> {
    if (this.#pool && PLAIN_PATH.test(path)) {
      const head = `${method} ${path} HTTP/1.1\r\n${this.#headLines}${payload === undefined ? '' : 'content-type: application/json\r\n'}`;
      const r = await this.#pool.request(method, path, head, payload);
      return { status: r.status, headers: r.headers, body: Transport.#decode(r.body.toString('utf8'), r.headers['content-type']) };
    }
    return this.#nodeOnce(method, path, payload);
  }

  #nodeOnce(method: string, path: string, payload: string | undefined): Promise<Response> {
    return new Promise((resolve, reject) => {
      const headers = payload === undefined ? this.#headers : { ...this.#headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) };
      const send = this.#target.protocol === 'https:' ? httpsRequest : httpRequest;
      const onResponse = (res: IncomingMessage): void => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Transport.#decode(text, res.headers['content-type']) });
        });
      };
      // An absolute, already encoded path (`/virtual-networks?…`, as every API call) goes to the base
      // URL's host as is, without parsing a URL per request; anything else is resolved as a URL.
      const req =
        PLAIN_PATH.test(path)
          ? send({ ...this.#target, method, headers, path }, onResponse)
          : send(new URL(path, this.base), { method, headers, agent: this.#agent }, onResponse);
      req.setTimeout(this.#opts.timeoutMs, () => req.destroy(new TimeOutError(`${method} ${path} timed out after ${this.#opts.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * Sends a request and returns the parsed body of a 2xx/304 answer; other statuses throw the typed
   * error. `retryUnsafe` allows retrying after a connection reset (idempotent requests only).
   */
  async request(method: string, path: string, body?: unknown, opts: { retryUnsafe?: boolean } = {}): Promise<Response> {
    if (this.#closed) throw new ServiceUnavailableError('client is closed', 'CLIENT_CLOSED');
    const payload = body === undefined ? undefined : stringifyWire(body);
    const idempotent = method === 'GET' || method === 'PUT' || method === 'DELETE' || opts.retryUnsafe === true;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.#once(method, path, payload);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? '';
        const retriable = code === 'ECONNREFUSED' || (idempotent && RETRY_CODES.has(code));
        if (err instanceof TimeOutError) throw err;
        if (!retriable || attempt >= this.#opts.retries || this.#closed) {
          throw new ServiceUnavailableError(`${method} ${new URL(path, this.base).href} failed: ${(err as Error).message}`, code === 'ECONNREFUSED' ? 'CONNECTION_REFUSED' : 'CONNECTION_FAILED');
        }
        await this.#backoff(attempt);
        continue;
      }
      if ((res.status === 502 || res.status === 503) && attempt < this.#opts.retries && !this.#closed) {
        await this.#backoff(attempt);
        continue;
      }
      if (res.status >= 200 && res.status < 300) return res;
      if (res.status === 304) return res;
      const err = (res.body as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
      const message = err?.message ?? (typeof res.body === 'string' && res.body ? res.body : `HTTP ${res.status}`);
      throw errorFromResponse(res.status, err?.code, message, err?.details);
    }
  }

  #backoff(attempt: number): Promise<void> {
    const ms = Math.min(5000, this.#opts.retryBaseMs * 2 ** attempt) * (0.5 + Math.random() / 2);
    return new Promise((r) => setTimeout(r, ms));
  }

  close(): void {
    this.#closed = true;
    this.#pool?.close();
    this.#agent.destroy();
  }
}
