// The lab's port relay: processes inside a network namespace cannot reach the host's loopback, and the
// host cannot reach theirs, but both see the same file system. A mapping listens on one end and, per
// connection, connects to the other, piping bytes both ways (half-closes kept, so long-lived HTTP
// watches and request/response both work). One relay in the host namespace and one per lab namespace,
// each with several mappings:
//   in tfl-node1:  tcp:127.0.0.1:8082 → unix:<run>/config.sock     (agent → config API)
//   on the host:   unix:<run>/config.sock → tcp:127.0.0.1:8082
//   on the host:   tcp:127.0.0.1:8085 → unix:<run>/node1-8085.sock (tfctl vr → agent introspect)
//   in tfl-node1:  unix:<run>/node1-8085.sock → tcp:127.0.0.1:8085
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { LabOptionError } from './errors.js';

export type RelayEnd = { readonly kind: 'tcp'; readonly host: string; readonly port: number } | { readonly kind: 'unix'; readonly path: string };

export interface RelayMapping {
  readonly listen: RelayEnd;
  readonly connect: RelayEnd;
}

/** Longest unix socket path Linux accepts (sun_path is 108 bytes with the NUL). */
export const UNIX_PATH_MAX = 107;

/** Parses `tcp:host:port` or `unix:/path`. Pure. */
export function parseEnd(s: string): RelayEnd {
  if (s.startsWith('unix:')) {
    const path = s.slice(5);
    if (!path.startsWith('/')) throw new LabOptionError(`relay end ${JSON.stringify(s)}: the unix socket path must be absolute`, 'map');
    if (Buffer.byteLength(path) > UNIX_PATH_MAX) throw new LabOptionError(`relay end ${JSON.stringify(s)}: a unix socket path has at most ${UNIX_PATH_MAX} bytes`, 'map');
    return { kind: 'unix', path };
  }
  const m = /^tcp:([^:]+):(\d{1,5})$/.exec(s);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new LabOptionError(`relay end ${JSON.stringify(s)} must be tcp:<host>:<port> or unix:<absolute path>`, 'map');
  return { kind: 'tcp', host: m[1], port: Number(m[2]) };
}

export function formatEnd(e: RelayEnd): string {
  return e.kind === 'unix' ? `unix:${e.path}` : `tcp:${e.host}:${e.port}`;
}

/** Parses `<listen>=<connect>`. Pure. */
export function parseMapping(s: string): RelayMapping {
  const i = s.indexOf('=');
  if (i <= 0) throw new LabOptionError(`relay mapping ${JSON.stringify(s)} must look like <listen>=<connect>`, 'map');
  return { listen: parseEnd(s.slice(0, i)), connect: parseEnd(s.slice(i + 1)) };
}

export function formatMapping(m: RelayMapping): string {
  return `${formatEnd(m.listen)}=${formatEnd(m.connect)}`;
}

export interface RunningRelay {
  readonly mappings: readonly RelayMapping[];
  /** connections currently piped */
  readonly active: () => number;
  close(): Promise<void>;
}

function pipe(client: Socket, target: RelayEnd, live: Set<Socket>): void {
  const upstream = target.kind === 'unix' ? createConnection({ path: target.path, allowHalfOpen: true }) : createConnection({ host: target.host, port: target.port, allowHalfOpen: true });
  live.add(client);
  live.add(upstream);
  const done = (): void => {
    client.destroy();
    upstream.destroy();
    live.delete(client);
    live.delete(upstream);
  };
  client.setNoDelay(true);
  upstream.setNoDelay?.(true);
  client.pipe(upstream);
  upstream.pipe(client);
  client.on('error', done);
  upstream.on('error', done);
  // 'close' comes once both directions are finished (or on error): nothing more can be delivered.
  client.on('close', done);
  upstream.on('close', done);
}

function listenOn(server: Server, end: RelayEnd): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const ok = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (end.kind === 'unix') {
      rmSync(end.path, { force: true });
      server.listen(end.path, ok);
    } else server.listen(end.port, end.host, ok);
  });
}

/** Starts every mapping; on failure nothing stays open. */
export async function startRelay(mappings: readonly RelayMapping[]): Promise<RunningRelay> {
  const servers: Server[] = [];
  const live = new Set<Socket>();
  const close = async (): Promise<void> => {
    for (const s of live) s.destroy();
    live.clear();
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    for (const m of mappings) if (m.listen.kind === 'unix') rmSync(m.listen.path, { force: true });
  };
  try {
    for (const m of mappings) {
      const server = createServer({ allowHalfOpen: true }, (c) => pipe(c, m.connect, live));
      await listenOn(server, m.listen);
      servers.push(server);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { mappings, active: () => live.size, close };
}
