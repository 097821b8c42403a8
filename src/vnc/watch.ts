// Client side of the change feed: follows GET /watch as newline-delimited JSON, resumes after a
// disconnect from the last revision it saw (so no change is missed or repeated), reconnects when
// the stream goes silent, and on 410 (history compacted) asks its owner to relist and resumes from
// the revision the relist returns.
import type { IncomingMessage } from 'node:http';
import { createLogger } from '../common/log.js';
import { RevisionCompacted, errorFromResponse } from './errors.js';
import type { Transport } from './http.js';
import type { VncObject } from './object.js';
import { parseWire } from './wire.js';

const log = createLogger('vnc-watch');

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

/** One line of the feed. BOOKMARK carries only a revision: everything up to it has been sent. */
export interface WatchEvent {
  type: WatchEventType;
  revision: number;
  /** resource type of `object`, e.g. 'virtual-network' (absent on BOOKMARK) */
  object_type?: string;
  /** the object as stored (no hrefs, back-refs or children); for DELETED its last state */
  object?: VncObject;
}

export interface WatchOptions {
  /** resource types to follow (default: all) */
  types?: readonly string[];
  /** deliver changes after this revision (default: from now) */
  since?: number;
  /** called for each event in revision order; the stream waits for a returned promise */
  onEvent(ev: WatchEvent): void | Promise<void>;
  /**
   * Called when `since` was compacted away: relist, then return the revision to resume from.
   * Without it the watch stops and onError receives RevisionCompacted.
   */
  onRelist?(): Promise<number>;
  onError?(err: Error): void;
  /** called after each (re)connection, with the revision the stream resumes from */
  onConnect?(since: number): void;
  /** reconnect when nothing (not even a bookmark) arrived for this long (default 30 s) */
  idleTimeoutMs?: number;
}

export interface WatchHandle {
  /** last revision delivered (or bookmarked) */
  readonly revision: number;
  close(): void;
  /** resolves when the watch stopped (closed or failed for good) */
  readonly done: Promise<void>;
}

export function startWatch(transport: Transport, opts: WatchOptions): WatchHandle {
  // `revision`: every change up to it has been delivered. A batch (one revision) is complete once a
  // later revision or a bookmark arrives; until then `partial` counts its delivered events, so a
  // resume from `revision` skips exactly those and neither loses nor repeats a change.
  let revision = opts.since ?? -1;
  let partial = { rev: -1, count: 0 };
  let closed = false;
  let controller: AbortController | undefined;
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const idleMs = opts.idleTimeoutMs ?? 30_000;

  const path = (): string => {
    const q = new URLSearchParams();
    if (revision >= 0) q.set('since', String(revision));
    if (opts.types && opts.types.length > 0) q.set('types', opts.types.join(','));
    const s = q.toString();
    return `/watch${s ? `?${s}` : ''}`;
  };

  async function consume(res: IncomingMessage): Promise<void> {
    let buf = '';
    let seen = 0;
    let idle: NodeJS.Timeout | undefined;
    const arm = () => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => controller?.abort(), idleMs);
    };
    arm();
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        arm();
        buf += chunk.toString('utf8');
        let nl: number;
        let pos = 0;
        while ((nl = buf.indexOf('\n', pos)) >= 0) {
          const line = buf.slice(pos, nl);
          pos = nl + 1;
          if (!line.trim()) continue;
          const ev = parseWire(line) as WatchEvent;
          if (ev.type === 'BOOKMARK') {
            if (ev.revision >= revision) {
              revision = ev.revision;
              partial = { rev: -1, count: 0 };
            }
            const wait = opts.onEvent(ev);
            if (wait) await wait;
          } else {
            if (ev.revision <= revision) continue;
            if (ev.revision === partial.rev) {
              if (seen < partial.count) {
                seen++;
                continue;
              }
            } else {
              if (partial.rev >= 0) revision = partial.rev;
              partial = { rev: ev.revision, count: 0 };
              seen = 0;
            }
            const wait = opts.onEvent(ev);
            if (wait) await wait;
            partial.count++;
            seen++;
          }
          if (closed) return;
        }
        buf = buf.slice(pos);
      }
    } finally {
      if (idle) clearTimeout(idle);
    }
  }

  void (async () => {
    let attempt = 0;
    while (!closed) {
      controller = new AbortController();
      try {
        const res = await transport.stream(path(), controller.signal);
        if (res.statusCode === 410) {
          const text = await readAll(res);
          const body = safeParse(text) as { error?: { message?: string; details?: { oldest_revision?: number } } } | undefined;
          const err = new RevisionCompacted(body?.error?.message ?? 'revision compacted', body?.error?.details?.oldest_revision ?? 0);
          if (!opts.onRelist) {
            opts.onError?.(err);
            break;
          }
          revision = await opts.onRelist();
          continue;
        }
        if (res.statusCode !== 200) {
          const text = await readAll(res);
          const body = safeParse(text) as { error?: { code?: string; message?: string; details?: unknown } } | undefined;
          const err = errorFromResponse(res.statusCode ?? 0, body?.error?.code, body?.error?.message ?? text, body?.error?.details);
          if (res.statusCode === 401 || res.statusCode === 400 || res.statusCode === 403) {
            opts.onError?.(err);
            break;
          }
          throw err;
        }
        const head = Number(res.headers['x-revision']);
        if (revision < 0 && Number.isFinite(head)) revision = head;
        opts.onConnect?.(revision);
        attempt = 0;
        await consume(res);
      } catch (err) {
        if (closed) break;
        log.debug({ err: (err as Error).message, revision }, 'watch stream interrupted; resuming');
      }
      if (closed) break;
      await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt++)));
    }
    finish();
  })().catch((err: unknown) => {
    opts.onError?.(err as Error);
    finish();
  });

  return {
    get revision() {
      return revision;
    },
    close() {
      closed = true;
      controller?.abort();
    },
    done,
  };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

async function readAll(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}
