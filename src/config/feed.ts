// The change feed: GET /watch?since=<rev>&types=a,b streams newline-delimited JSON events
//   {"type":"ADDED"|"MODIFIED"|"DELETED","revision":R,"object_type":"virtual-network","object":{…}}
// for every object change with revision > since, in revision order, then follows live changes.
// {"type":"BOOKMARK","revision":R} lines say "everything up to R has been sent" (after catch-up and
// when idle), so a consumer filtering by type can resume from R. A `since` older than the history
// answers 410 with the oldest available revision; the consumer relists. The feed is the mirror's
// own stream (recent batches from its ring, older ones from the store's history), so on etcd every
// API process serves the same revisions.
import type { ServerResponse } from 'node:http';
import { toWire } from '../vnc/wire.js';
import { BadRequest } from '../vnc/errors.js';
import { findType } from '../vnc/schema.js';
import type { Mirror } from './mirror.js';
import type { KvBatch, KvStore } from './store/types.js';

export interface FeedOptions {
  bookmarkMs: number;
  /** a consumer this far behind (bytes buffered) is cut off; it resumes from its last revision */
  maxBufferedBytes: number;
}

function parseTypes(s: string | null): Set<string> | undefined {
  if (!s) return undefined;
  const out = new Set<string>();
  for (const t of s.split(',')) {
    const rt = findType(t.trim());
    if (!rt) throw new BadRequest(`Unknown type ${JSON.stringify(t)} in types`, 'UNKNOWN_TYPE');
    out.add(rt.name);
  }
  return out;
}

/** Reads the store's history (since, upTo] as whole batches. */
function storeHistory(store: KvStore, since: number, upTo: number): Promise<KvBatch[]> {
  return new Promise((resolve, reject) => {
    const out: KvBatch[] = [];
    let done = false;
    const h = store.watch('', since, {
      onBatch: (b) => {
        if (done) return;
        if (b.revision <= upTo) out.push(b);
        if (b.revision >= upTo) {
          done = true;
          h.close();
          resolve(out);
        }
      },
      onError: (err) => {
        if (done) return;
        done = true;
        reject(err);
      },
    });
  });
}

export async function serveFeed(res: ServerResponse, url: URL, mirror: Mirror, store: KvStore, opts: FeedOptions): Promise<void> {
  const sinceParam = url.searchParams.get('since');
  const since = sinceParam === null || sinceParam === '' ? mirror.revision : Number(sinceParam);
  if (!Number.isInteger(since) || since < 0) throw new BadRequest(`since must be a non-negative integer revision, got ${JSON.stringify(sinceParam)}`, 'INVALID_REVISION');
  const types = parseTypes(url.searchParams.get('types'));

  // Subscribe first (synchronously with reading the mirror's revision): no batch can fall between.
  const pending: KvBatch[] = [];
  let live = false;
  let closed = false;
  let last = since;
  let lastWrite = Date.now();
  const cleanup: (() => void)[] = [];
  const finish = (endResponse = true): void => {
    if (closed) return;
    closed = true;
    for (const c of cleanup) c();
    if (endResponse && !res.writableEnded) res.end();
  };
  const write = (text: string): void => {
    if (closed || text.length === 0) return;
    res.write(text);
    lastWrite = Date.now();
    if (res.writableLength > opts.maxBufferedBytes) {
      res.destroy();
      finish();
    }
  };
  // Live batches are coalesced until the current synchronous burst ends (a store's group commit
  // publishes many transactions at once): one socket write, and one read for the consumer.
  let pendingText = '';
  const flushPending = (): void => {
    const text = pendingText;
    pendingText = '';
    write(text);
  };
  const writeLive = (text: string): void => {
    if (text.length === 0) return;
    if (pendingText === '') queueMicrotask(flushPending);
    pendingText += text;
  };
  const encode = (b: KvBatch): string => {
    if (b.revision <= last) return '';
    last = b.revision;
    let out = '';
    for (const ev of b.events) {
      if (ev.key.charCodeAt(0) !== 111 /* o */ || ev.key[1] !== '/') continue;
      const slash = ev.key.indexOf('/', 2);
      const type = ev.key.slice(2, slash);
      if (types && !types.has(type)) continue;
      const kind = ev.type === 'delete' ? 'DELETED' : ev.createRevision === b.revision ? 'ADDED' : 'MODIFIED';
      const body = ev.type === 'delete' ? ev.prevValue : ev.value;
      if (body === undefined) continue;
      out += `{"type":"${kind}","revision":${b.revision},"object_type":"${type}","object":${toWire(body)}}\n`;
    }
    return out;
  };
  cleanup.push(
    mirror.subscribe((b) => {
      if (live) writeLive(encode(b));
      else pending.push(b);
    }),
    mirror.onReset(() => finish()),
  );
  const head = mirror.revision;
  res.on('close', () => finish());

  let history: KvBatch[] = [];
  try {
    if (since < head) history = mirror.ringSince(since) ?? (await storeHistory(store, since, head));
  } catch (err) {
    finish(false);
    throw err;
  }
  if (closed) return;
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache', 'x-revision': String(head) });
  let text = '';
  for (const b of history) if (b.revision <= head) text += encode(b);
  for (const b of pending.splice(0)) text += encode(b);
  live = true;
  last = Math.max(last, head);
  text += `{"type":"BOOKMARK","revision":${last}}\n`;
  write(text);
  const timer = setInterval(() => {
    if (Date.now() - lastWrite >= opts.bookmarkMs) write(`{"type":"BOOKMARK","revision":${Math.max(last, mirror.revision)}}\n`);
  }, Math.max(50, Math.floor(opts.bookmarkMs / 2)));
  timer.unref();
  cleanup.push(() => clearInterval(timer));
}
