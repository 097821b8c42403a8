// VncClient transport behaviour: retries on refused connections and 503, typed errors by status,
// and recognising a create whose response was lost.
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { after, test } from 'node:test';
import { startTestConfigApi } from '../../test/support/config-api.js';
import { freePort } from '../../test/support/etcd.js';
import { VncClient } from './client.js';
import { OverQuota, PermissionDenied, RequestSizeError, TimeOutError, BadRequest } from './errors.js';

const servers: Server[] = [];
after(() => servers.forEach((s) => s.close()));

function serve(handler: (n: number, res: ServerResponse) => void): Promise<string> {
  let n = 0;
  const srv = createServer((req, res) => {
    req.resume();
    handler(n++, res);
  });
  servers.push(srv);
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(srv.address() as { port: number }).port}`)));
}

test('retries while the API is not listening yet (connection refused), then succeeds', async () => {
  const port = await freePort();
  const client = new VncClient({ url: `http://127.0.0.1:${port}`, retries: 8, retryBaseMs: 50 });
  const later = new Promise<Awaited<ReturnType<typeof startTestConfigApi>>>((resolve) => setTimeout(() => resolve(startTestConfigApi({ port })), 200));
  try {
    const list = await client.list('virtual-network');
    assert.ok(list.length >= 2);
  } finally {
    client.close();
    await (await later).close();
  }
});

test('retries 503 and 502, gives up with the typed error after the retries', async () => {
  const url = await serve((n, res) => {
    if (n < 2) {
      res.writeHead(n === 0 ? 503 : 502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'SERVICE_UNAVAILABLE', message: 'busy' } }));
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ 'virtual-networks': [] }));
    }
  });
  const client = new VncClient({ url, retryBaseMs: 5 });
  assert.deepEqual(await client.list('virtual-network'), []);
  const always = await serve((_n, res) => {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'STORE_UNAVAILABLE', message: 'store down' } }));
  });
  const c2 = new VncClient({ url: always, retries: 2, retryBaseMs: 5 });
  await assert.rejects(c2.list('virtual-network'), (e: unknown) => (e as Error).name === 'ServiceUnavailableError' && (e as { code: string }).code === 'STORE_UNAVAILABLE');
  client.close();
  c2.close();
});

test('maps statuses to vnc_api error classes', async () => {
  const statuses = [[400, BadRequest], [403, PermissionDenied], [412, OverQuota], [413, RequestSizeError], [504, TimeOutError]] as const;
  for (const [status, cls] of statuses) {
    const url = await serve((_n, res) => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(`plain ${status}`);
    });
    const c = new VncClient({ url, retries: 0 });
    await assert.rejects(c.read('virtual-network', 'x'), (e: unknown) => e instanceof cls && (e as Error).message === `plain ${status}`);
    c.close();
  }
});

test('a create retried after its response was lost returns the object it created', async () => {
  const api = await startTestConfigApi();
  try {
    const body = { fq_name: ['default-domain', 'default-project', 'lost'], parent_type: 'project' };
    const first = await api.client.create('network-policy', { ...body, uuid: '6b1c3f1e-0d5e-4a35-9b7a-4b4c9a0e2f11' });
    // Simulate the retry of the same request (same client-chosen uuid) reaching the server again.
    const res = await fetch(`${api.url}/network-policys`, { method: 'POST', body: JSON.stringify({ 'network-policy': { ...body, uuid: first.uuid } }), headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 409);
    const details = ((await res.json()) as { error: { details: { uuid: string } } }).error.details;
    assert.equal(details.uuid, first.uuid, 'the 409 names the existing uuid, which the client matches against its own');
  } finally {
    await api.close();
  }
});
