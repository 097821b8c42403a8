import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatMapping, parseEnd, parseMapping, startRelay } from './relay.js';
import { LabOptionError } from './errors.js';
import { freePort } from './ports.js';

const dir = mkdtempSync(join(tmpdir(), 'tf-relay-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('mappings parse and format back', () => {
  const m = parseMapping('tcp:127.0.0.1:8082=unix:/run/x/config.sock');
  assert.deepEqual(m, { listen: { kind: 'tcp', host: '127.0.0.1', port: 8082 }, connect: { kind: 'unix', path: '/run/x/config.sock' } });
  assert.equal(formatMapping(m), 'tcp:127.0.0.1:8082=unix:/run/x/config.sock');
  for (const bad of ['tcp:1.2.3.4', 'tcp:h:0', 'tcp:h:70000', 'unix:rel/path', `unix:/${'a'.repeat(120)}`, 'udp:h:1']) {
    assert.throws(() => parseEnd(bad), LabOptionError, bad);
  }
  assert.throws(() => parseMapping('tcp:h:1'), LabOptionError);
});

function echoServer(): Promise<{ port: number; close(): Promise<void> }> {
  const s = createServer({ allowHalfOpen: true }, (c) => {
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => chunks.push(d));
    // answers only after the client half-closed: checks that half-closes cross the relay
    c.on('end', () => c.end(`echo:${Buffer.concat(chunks).toString()}`));
  });
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve({ port: (s.address() as AddressInfo).port, close: () => new Promise<void>((r) => s.close(() => r())) })));
}

function request(port: number, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    let out = '';
    c.on('data', (d: Buffer) => (out += d.toString()));
    c.on('end', () => resolve(out));
    c.on('error', reject);
    c.end(body);
  });
}

test('tcp → unix → tcp through two relays (as host and namespace relays chain), half-close kept', async () => {
  const echo = await echoServer();
  const sock = join(dir, 'hop.sock');
  const port = await freePort();
  // "namespace" side: unix → the echo server; "host" side: a TCP port → the unix socket
  const inner = await startRelay([parseMapping(`unix:${sock}=tcp:127.0.0.1:${echo.port}`)]);
  const outer = await startRelay([parseMapping(`tcp:127.0.0.1:${port}=unix:${sock}`)]);
  try {
    const answers = await Promise.all(['a', 'bb', 'ccc'].map((b) => request(port, b)));
    assert.deepEqual(answers, ['echo:a', 'echo:bb', 'echo:ccc']);
  } finally {
    await outer.close();
    await inner.close();
    await echo.close();
  }
  assert.equal(existsSync(sock), false, 'the unix socket file is removed on close');
});

test('a connection to a dead target is closed, the relay keeps serving', async () => {
  const sock = join(dir, 'dead.sock');
  const relay = await startRelay([parseMapping(`unix:${sock}=tcp:127.0.0.1:1`)]);
  try {
    for (let i = 0; i < 2; i++) {
      const how = await new Promise<string>((resolve) => {
        const c = connect({ path: sock });
        c.on('error', () => resolve('error'));
        c.on('close', () => resolve('closed'));
      });
      assert.ok(['closed', 'error'].includes(how));
    }
    assert.equal(relay.active(), 0);
  } finally {
    await relay.close();
  }
});

test('a leftover socket file of a crashed relay does not stop a new one', async () => {
  const echo = await echoServer();
  const sock = join(dir, 'stale.sock');
  writeFileSync(sock, '');
  const relay = await startRelay([parseMapping(`unix:${sock}=tcp:127.0.0.1:${echo.port}`)]);
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      const c = connect({ path: sock, allowHalfOpen: true });
      let out = '';
      c.on('data', (d: Buffer) => (out += d.toString()));
      c.on('end', () => resolve(out));
      c.on('error', reject);
      c.end('x');
    });
    assert.equal(answer, 'echo:x');
  } finally {
    await relay.close();
    await echo.close();
  }
});

test('a mapping that cannot listen fails the whole relay and leaves nothing open', async () => {
  const port = await freePort();
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
  const sock = join(dir, 'first.sock');
  try {
    await assert.rejects(startRelay([parseMapping(`unix:${sock}=tcp:127.0.0.1:1`), parseMapping(`tcp:127.0.0.1:${port}=unix:${sock}`)]), /EADDRINUSE/);
    assert.equal(existsSync(sock), false, 'the first mapping was closed again');
  } finally {
    await new Promise<void>((r) => blocker.close(() => r()));
  }
});
