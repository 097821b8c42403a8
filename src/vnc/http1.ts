// A small HTTP/1.1 client for plain-http request/response calls to the config API: a pool of
// keep-alive TCP connections, each request written as one string, each response parsed from the
// socket's bytes (Content-Length, chunked, or until close). Node's http client spends ~100 µs of
// CPU per request on its object machinery (ClientRequest, agent bookkeeping, IncomingMessage
// streams); every controller makes several calls per Kubernetes object, so this is their largest
// cost. Streams (the change feed) still use Node's client. Errors carry Node's codes
// (ECONNREFUSED, ECONNRESET for a connection closed before the answer) so that callers retry alike.
import { connect, type Socket } from 'node:net';

export interface Http1Response {
  status: number;
  /** lower-case names; repeated headers joined with ", " */
  headers: Record<string, string>;
  body: Buffer;
}

export interface Http1PoolOptions {
  host: string;
  port: number;
  maxSockets: number;
  /** socket inactivity while a request is outstanding fails it with `onTimeout()`; idle sockets close */
  timeoutMs: number;
  onTimeout: (method: string, path: string) => Error;
}

interface Call {
  method: string;
  path: string;
  text: string;
  resolve: (r: Http1Response) => void;
  reject: (err: Error) => void;
}

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
/** Bigger response heads are refused (ours are ~150 bytes). */
const MAX_HEAD = 64 * 1024;

function hangUp(message = 'socket hang up'): Error {
  return Object.assign(new Error(message), { code: 'ECONNRESET' });
}

/** Parses one response from a byte stream; `push` returns true when the response is complete. */
class ResponseParser {
  status = 0;
  headers: Record<string, string> = {};
  #head: Buffer | undefined;
  #phase: 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailers' | 'close' | 'done' = 'head';
  #remaining = 0;
  #body: Buffer[] = [];
  #noBody: boolean;
  /** bytes after the end of the response (protocol error on a request/response connection) */
  extra = false;

  constructor(method: string) {
    this.#noBody = method === 'HEAD';
  }

  get body(): Buffer {
    return this.#body.length === 1 ? this.#body[0] : Buffer.concat(this.#body);
  }

  /** True when the connection must not be reused. */
  get closeAfter(): boolean {
    return /(^|,)\s*close\s*($|,)/i.test(this.headers.connection ?? '');
  }

  /** Feeds bytes; true when the response is complete. Throws on malformed input. */
  push(chunk: Buffer): boolean {
    let buf = chunk;
    while (buf.length > 0) {
      switch (this.#phase) {
        case 'head': {
          const joined = this.#head ? Buffer.concat([this.#head, buf]) : buf;
          const end = joined.indexOf(HEAD_END);
          if (end < 0) {
            if (joined.length > MAX_HEAD) throw hangUp('response head too large');
            this.#head = joined;
            return false;
          }
          this.#head = undefined;
          this.#parseHead(joined.toString('latin1', 0, end));
          buf = joined.subarray(end + 4);
          if (this.status >= 100 && this.status < 200) {
            this.headers = {};
            continue;
          }
          const te = this.headers['transfer-encoding'];
          const cl = this.headers['content-length'];
          if (this.#noBody || this.status === 204 || this.status === 304) this.#phase = 'done';
          else if (te !== undefined && /chunked\s*$/i.test(te)) this.#phase = 'chunk-size';
          else if (cl !== undefined) {
            if (!/^\d+$/.test(cl)) throw hangUp(`bad content-length ${JSON.stringify(cl)}`);
            this.#remaining = Number(cl);
            this.#phase = this.#remaining === 0 ? 'done' : 'length';
          } else this.#phase = 'close';
          break;
        }
        case 'length': {
          const take = Math.min(this.#remaining, buf.length);
          this.#body.push(take === buf.length ? buf : buf.subarray(0, take));
          this.#remaining -= take;
          buf = buf.subarray(take);
          if (this.#remaining === 0) this.#phase = 'done';
          break;
        }
        case 'chunk-size':
        case 'trailers': {
          const joined = this.#head ? Buffer.concat([this.#head, buf]) : buf;
          const eol = joined.indexOf(CRLF);
          if (eol < 0) {
            if (joined.length > MAX_HEAD) throw hangUp('chunk header too large');
            this.#head = joined;
            return false;
          }
          this.#head = undefined;
          const line = joined.toString('latin1', 0, eol);
          buf = joined.subarray(eol + 2);
          if (this.#phase === 'trailers') {
            if (line === '') this.#phase = 'done';
            break;
          }
          const size = parseInt(line, 16);
          if (!Number.isFinite(size) || size < 0 || !/^[0-9a-fA-F]+/.test(line)) throw hangUp(`bad chunk size ${JSON.stringify(line)}`);
          this.#remaining = size;
          this.#phase = size === 0 ? 'trailers' : 'chunk-data';
          break;
        }
        case 'chunk-data': {
          const take = Math.min(this.#remaining, buf.length);
          this.#body.push(buf.subarray(0, take));
          this.#remaining -= take;
          buf = buf.subarray(take);
          if (this.#remaining === 0) {
            this.#phase = 'chunk-crlf';
            this.#remaining = 2;
          }
          break;
        }
        case 'chunk-crlf': {
          const take = Math.min(this.#remaining, buf.length);
          this.#remaining -= take;
          buf = buf.subarray(take);
          if (this.#remaining === 0) this.#phase = 'chunk-size';
          break;
        }
        case 'close':
          this.#body.push(buf);
          return false;
        case 'done':
          this.extra = true;
          return true;
      }
      if (this.#phase === 'done') {
        if (buf.length > 0) this.extra = true;
        return true;
      }
    }
    return this.#phase === 'done';
  }

  /** The peer closed the connection: a body read until close is complete then. */
  ended(): boolean {
    return this.#phase === 'close' || this.#phase === 'done';
  }

  #parseHead(text: string): void {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
    if (!m) throw hangUp(`bad status line ${JSON.stringify(lines[0].slice(0, 80))}`);
    this.status = Number(m[1]);
    const headers: Record<string, string> = {};
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(':');
      if (colon <= 0) continue;
      const name = lines[i].slice(0, colon).trim().toLowerCase();
      const value = lines[i].slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    this.headers = headers;
  }
}

class Connection {
  readonly socket: Socket;
  call: Call | undefined;
  #parser: ResponseParser | undefined;

  constructor(
    readonly pool: Http1Pool,
    opts: Http1PoolOptions,
  ) {
    this.socket = connect({ host: opts.host, port: opts.port, noDelay: true, keepAlive: true, keepAliveInitialDelay: 1000 });
    this.socket.setTimeout(opts.timeoutMs);
    this.socket.on('data', (chunk: Buffer) => this.#data(chunk));
    this.socket.on('error', (err) => this.#fail(err));
    this.socket.on('close', () => {
      if (this.call && this.#parser?.ended()) this.#complete();
      this.#fail(hangUp());
    });
    this.socket.on('timeout', () => {
      const c = this.call;
      this.#fail(c ? opts.onTimeout(c.method, c.path) : hangUp());
    });
  }

  send(call: Call): void {
    this.call = call;
    this.#parser = new ResponseParser(call.method);
    this.socket.write(call.text);
  }

  #data(chunk: Buffer): void {
    const parser = this.#parser;
    if (!this.call || !parser) {
      this.#fail(hangUp('unexpected data on an idle connection'));
      return;
    }
    let done: boolean;
    try {
      done = parser.push(chunk);
    } catch (err) {
      this.#fail(err as Error);
      return;
    }
    if (done) this.#complete();
  }

  #complete(): void {
    const call = this.call!;
    const parser = this.#parser!;
    this.call = undefined;
    this.#parser = undefined;
    call.resolve({ status: parser.status, headers: parser.headers, body: parser.body });
    if (parser.extra || parser.closeAfter || this.socket.destroyed) this.#fail(hangUp());
    else this.pool.released(this);
  }

  /** Ends the connection for good, failing the call in progress. */
  #fail(err: Error): void {
    const call = this.call;
    this.call = undefined;
    this.#parser = undefined;
    if (!this.socket.destroyed) this.socket.destroy();
    this.pool.dropped(this);
    call?.reject(err);
  }
}

export class Http1Pool {
  readonly #opts: Http1PoolOptions;
  readonly #idle: Connection[] = [];
  readonly #all = new Set<Connection>();
  readonly #waiting: Call[] = [];
  #closed = false;

  constructor(opts: Http1PoolOptions) {
    this.#opts = opts;
  }

  /** `head` is the request line and header lines without the final blank line; `body` is sent as UTF-8. */
  request(method: string, path: string, head: string, body: string | undefined): Promise<Http1Response> {
    return new Promise((resolve, reject) => {
      if (this.#closed) {
        reject(hangUp('client is closed'));
        return;
      }
      const text = body === undefined ? `${head}\r\n` : `${head}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
      const call: Call = { method, path, text, resolve, reject };
      const conn = this.#idle.pop();
      if (conn) conn.send(call);
      else if (this.#all.size < this.#opts.maxSockets) this.#open().send(call);
      else this.#waiting.push(call);
    });
  }

  #open(): Connection {
    const c = new Connection(this, this.#opts);
    this.#all.add(c);
    return c;
  }

  /** A connection finished its call and may take the next. */
  released(c: Connection): void {
    const next = this.#waiting.shift();
    if (next) c.send(next);
    else this.#idle.push(c);
  }

  /** A connection is gone; a waiting call gets a new one. */
  dropped(c: Connection): void {
    if (!this.#all.delete(c)) return;
    const i = this.#idle.indexOf(c);
    if (i >= 0) this.#idle.splice(i, 1);
    if (this.#waiting.length > 0 && !this.#closed) this.#open().send(this.#waiting.shift()!);
  }

  close(): void {
    this.#closed = true;
    for (const call of this.#waiting.splice(0)) call.reject(hangUp('client is closed'));
    for (const c of [...this.#all]) c.socket.destroy();
  }
}
