// The unix socket tf-cni talks to: `POST /cni` with the CNI environment in X-CNI-* headers and the
// netconf as the body; the answer is the plugin's stdout (200) or the CNI error JSON with a 4xx/5xx
// status (tf-cni exits 1 on anything but 2xx). The socket's directory is created; a stale socket file
// left by a dead agent is replaced, a live one is an error (two agents on one socket).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { mkdirSync, rmSync, existsSync, chmodSync } from 'node:fs';
import { dirname } from 'node:path';
import { readBody, closeServer, type RunningServer } from '../common/http.js';
import { errorMessage } from '../common/errors.js';
import { cniErrorBody, cniErrorStatus, CniError } from '../cni/errors.js';
import { envFromHeaders } from '../cni/env.js';
import { isSupportedVersion } from '../cni/versions.js';
import { handleCni } from './cni-handler.js';
import type { Agent } from './agent.js';

function versionOf(stdin: string): string | undefined {
  try {
    const v = (JSON.parse(stdin) as { cniVersion?: unknown }).cniVersion;
    return typeof v === 'string' && isSupportedVersion(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = body === '' ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function handle(agent: Agent, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/cni') {
    send(res, 404, cniErrorBody(new CniError('CNI_INVALID_ENV', `no such endpoint ${req.method} ${req.url}; tf-cni posts to /cni`)));
    return;
  }
  let stdin = '';
  const t0 = performance.now();
  try {
    stdin = (await readBody(req)).toString('utf8');
    const r = await handleCni(agent, { vars: envFromHeaders(req.headers), stdin });
    send(res, 200, r.body);
    agent.logger.debug({ ms: Math.round((performance.now() - t0) * 10) / 10, command: req.headers['x-cni-command'] }, 'CNI request served');
  } catch (err) {
    if (!(err instanceof CniError)) agent.logger.error({ err: errorMessage(err) }, 'CNI request failed');
    else agent.logger.warn({ code: err.code, msg: err.message, details: err.cniDetails }, 'CNI request refused');
    send(res, cniErrorStatus(err), cniErrorBody(err, versionOf(stdin)));
  }
}

function socketAlive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ path });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startCniServer(agent: Agent, path: string): Promise<RunningServer> {
  mkdirSync(dirname(path), { recursive: true });
  if (existsSync(path)) {
    if (await socketAlive(path)) throw new Error(`another process serves the CNI socket ${path}`);
    rmSync(path, { force: true });
  }
  const server = createServer((req, res) => void handle(agent, req, res));
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, 0o660);
  return {
    server,
    port: 0,
    async close() {
      await closeServer(server);
      rmSync(path, { force: true });
    },
  };
}
