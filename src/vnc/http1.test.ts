// The small HTTP/1.1 client against Node's own HTTP server: keep-alive reuse, every way a response
// body can end, connections the server closes, refused connections, timeouts and the socket limit.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { after, test } from 'node:test';
import { freePort } from '../../test/support/etcd.js';
import { Http1Pool, type Http1PoolOptions } from './http1.js';

const servers: Server[] = [];
const pools: Http1Pool[] = [];
after(() => {
  pools.forEach((p) => p.close());
  servers.forEach((s) => s.close());
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void, tune?: (s: Server) => void): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString()));
  });
  srv.on('connection', () => connections++);
  tune?.(srv);
  servers.push(srv);
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return { port: (srv.address() as { port: number }).port, connections: () => connections };
}

function pool(port: number, opts: Partial<Http1PoolOptions> = {}): Http1Pool {
  const p = new Http1Pool({ host: '127.0.0.1', port, maxSockets: 4, timeoutMs: 5000, onTimeout: (m, path) => new Error(`timeout ${m} ${path}`), ...opts });
  pools.push(p);
  return p;
}

const head = (method: string, path: string, port: number): string => `${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n`;

test('requests with and without a body; sequential requests reuse one connection', async () => {
  const s = await serve((req, res, body) => {
    const text = JSON.stringify({ method: req.method, url: req.url, body, type: req.headers['content-type'] ?? null });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
  const p = pool(s.port);
  const a = await p.request('POST', '/x', `${head('POST', '/x', s.port)}content-type: application/json\r\n`, '{"é":1}');
  assert.equal(a.status, 200);
  assert.equal(a.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(a.body.toString()), { method: 'POST', url: '/x', body: '{"é":1}', type: 'application/json' });
  for (let i = 0; i < 5; i++) {
    const r = await p.request('GET', `/y${i}`, head('GET', `/y${i}`, s.port), undefined);
    assert.deepEqual(JSON.parse(r.body.toString()), { method: 'GET', url: `/y${i}`, body: '', type: null });
  }
  assert.equal(s.connections(), 1);
});

test('chunked bodies, bodies in many packets, and answers without a body', async () => {
  const big = 'z'.repeat(1_000_000);
  const s = await serve((req, res) => {
    if (req.url === '/chunked') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first,');
      setTimeout(() => res.end('second'), 20);
    } else if (req.url === '/big') {
      res.writeHead(200, { 'content-length': big.length });
      res.end(big);
    } else if (req.url === '/304') {
      res.writeHead(304, { etag: '"x"' });
      res.end();
    } else {
      res.writeHead(204);
      res.end();
    }
  });
  const p = pool(s.port, { maxSockets: 1 });
  const c = await p.request('GET', '/chunked', head('GET', '/chunked', s.port), undefined);
  assert.equal(c.body.toString(), 'first,second');
  assert.equal((await p.request('GET', '/big', head('GET', '/big', s.port), undefined)).body.toString(), big);
  const n = await p.request('GET', '/304', head('GET', '/304', s.port), undefined);
  assert.equal(n.status, 304);
  assert.equal(n.headers.etag, '"x"');
  assert.equal((await p.request('DELETE', '/204', head('DELETE', '/204', s.port), undefined)).status, 204);
  // The connection is still in step after every kind of ending.
  assert.equal((await p.request('GET', '/chunked', head('GET', '/chunked', s.port), undefined)).body.toString(), 'first,second');
  assert.equal(s.connections(), 1);
});

test('a connection the server closes (Connection: close, idle timeout) is replaced', async () => {
  const s = await serve(
    (req, res) => {
      res.writeHead(200, { 'content-length': 2, ...(req.url === '/close' ? { connection: 'close' } : {}) });
      res.end('ok');
    },
    (srv) => (srv.keepAliveTimeout = 50),
  );
  const p = pool(s.port, { maxSockets: 1 });
  assert.equal((await p.request('GET', '/close', head('GET', '/close', s.port), undefined)).body.toString(), 'ok');
  assert.equal((await p.request('GET', '/a', head('GET', '/a', s.port), undefined)).body.toString(), 'ok');
  // Node's server closes an idle connection some time after keepAliveTimeout (a second, in Node 20).
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await p.request('GET', '/b', head('GET', '/b', s.port), undefined)).body.toString(), 'ok');
  assert.equal(s.connections(), 3);
});

test('refused connections and connections dropped before the answer fail with Node’s codes', async () => {
  const port = await freePort();
  await assert.rejects(pool(port).request('GET', '/', head('GET', '/', port), undefined), { code: 'ECONNREFUSED' });
  const s = await serve((req, res) => {
    res.writeHead(200, { 'content-length': 100 });
    res.write('partial');
    setTimeout(() => res.destroy(), 20);
  });
  await assert.rejects(pool(s.port).request('GET', '/', head('GET', '/', s.port), undefined), { code: 'ECONNRESET' });
});

test('a silent server fails the request with the timeout error', async () => {
  const s = await serve(() => undefined);
  await assert.rejects(pool(s.port, { timeoutMs: 100 }).request('GET', '/slow', head('GET', '/slow', s.port), undefined), /timeout GET \/slow/);
});

test('at most maxSockets connections; waiting requests run as connections free up', async () => {
  let open = 0;
  let peak = 0;
  const s = await serve((req, res) => {
    open++;
    peak = Math.max(peak, open);
    setTimeout(() => {
      open--;
      res.writeHead(200, { 'content-length': Buffer.byteLength(req.url ?? '') });
      res.end(req.url);
    }, 5);
  });
  const p = pool(s.port, { maxSockets: 3 });
  const got = await Promise.all(Array.from({ length: 20 }, (_, i) => p.request('GET', `/${i}`, head('GET', `/${i}`, s.port), undefined)));
  assert.deepEqual(got.map((r) => r.body.toString()), Array.from({ length: 20 }, (_, i) => `/${i}`));
  assert.equal(peak, 3);
  assert.equal(s.connections(), 3);
});

test('malformed answers fail the request and drop the connection', async () => {
  const { createServer: createTcp } = await import('node:net');
  const srv = createTcp((sock) => sock.on('data', () => sock.write('HTTP/1.1 200 OK\r\ncontent-length: nope\r\n\r\n')));
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  try {
    const port = (srv.address() as { port: number }).port;
    await assert.rejects(pool(port).request('GET', '/', head('GET', '/', port), undefined), /bad content-length/);
  } finally {
    srv.close();
  }
});
