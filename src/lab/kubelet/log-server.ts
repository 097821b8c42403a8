// The kubelet's HTTP endpoint for container logs, as a real kubelet's :10250 /containerLogs: the API
// server proxies `pods/<name>/log` here. Serves the container's log file (tailLines, limitBytes,
// follow until the container stops or the client leaves). Listens on loopback: in the lab the kubelet
// runs in the host's network namespace beside the API server.
import { createServer, type Server } from 'node:http';
import { open, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';

export interface LogSource {
  /** the log file of a container, or undefined when unknown */
  file(namespace: string, pod: string, container: string): string | undefined;
  /** whether the container is running (follow keeps reading while it is) */
  running(namespace: string, pod: string, container: string): boolean;
}

/** The last `n` lines of `text`. Pure. */
export function tailLines(text: string, n: number): string {
  if (n <= 0) return '';
  const lines = text.split('\n');
  const trailing = text.endsWith('\n');
  const body = trailing ? lines.slice(0, -1) : lines;
  return body.slice(-n).join('\n') + (trailing && body.length ? '\n' : '');
}

export async function startLogServer(src: LogSource, port = 0, host = '127.0.0.1'): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (url.pathname === '/healthz') {
      res.end('ok');
      return;
    }
    if (!m || req.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const [ns, pod, container] = m.slice(1).map(decodeURIComponent);
    const file = src.file(ns, pod, container);
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`container "${container}" in pod "${pod}" is not known to this kubelet`);
      return;
    }
    const follow = url.searchParams.get('follow') === 'true';
    const tail = url.searchParams.get('tailLines');
    const limit = Number(url.searchParams.get('limitBytes') ?? NaN);
    void (async () => {
      let fh;
      try {
        fh = await open(file, 'r');
      } catch {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('');
        return;
      }
      try {
        const size = (await fh.stat()).size;
        const buf = Buffer.alloc(size);
        await fh.read(buf, 0, size, 0);
        let text = buf.toString('utf8');
        if (tail !== null && /^\d+$/.test(tail)) text = tailLines(text, Number(tail));
        if (Number.isFinite(limit) && limit >= 0) text = Buffer.from(text).subarray(0, limit).toString('utf8');
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write(text);
        let pos = size;
        let closed = false;
        req.on('close', () => (closed = true));
        while (follow && !closed) {
          await new Promise((r) => setTimeout(r, 250));
          const now = (await stat(file).catch(() => undefined))?.size ?? pos;
          if (now > pos) {
            const more = Buffer.alloc(now - pos);
            await fh.read(more, 0, more.length, pos);
            pos = now;
            res.write(more);
          } else if (!src.running(ns, pod, container)) break;
        }
        res.end();
      } finally {
        await fh.close();
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
