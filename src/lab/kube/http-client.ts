// KubeClient over HTTP(S) for processes apart from the API server (the kubelet, `tfctl lab exec`):
// JSON requests on a keep-alive agent, Status bodies turned back into KubeApiErrors, and watch
// streams read as newline-delimited JSON.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { KubeClient, ListQuery, WatchHandle, WatchQuery, WriteOpts } from './client.js';
import { fromStatus, type KubeApiError } from './errors.js';
import type { PatchType } from './registry.js';
import type { DeleteOptions, KubeList, KubeObject, ResourceRef, WatchEvent } from './types.js';

export interface HttpKubeClientOptions {
  /** e.g. http://127.0.0.1:6443 */
  server: string;
  token?: string;
  /** PEM CA bundle for https */
  ca?: string | Buffer;
  insecureSkipTlsVerify?: boolean;
  /** per-request timeout (not for watches), default 30 s */
  timeoutMs?: number;
}

const PATCH_TYPES: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export function resourcePath(r: ResourceRef, namespace: string | undefined, name?: string, sub?: string): string {
  const base = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  const ns = namespace !== undefined && r.resource !== 'namespaces' && r.resource !== 'nodes' ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${r.resource}${name !== undefined ? `/${encodeURIComponent(name)}` : ''}${sub ? `/${sub}` : ''}`;
}

function query(q: Record<string, string | number | boolean | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** The server (and credentials) of a kubeconfig's current context. */
export function kubeconfigClientOptions(path: string): HttpKubeClientOptions {
  const doc = parseYaml(readFileSync(path, 'utf8')) as {
    'current-context'?: string;
    contexts?: { name: string; context: { cluster: string; user?: string } }[];
    clusters?: { name: string; cluster: { server: string; 'certificate-authority-data'?: string; 'insecure-skip-tls-verify'?: boolean } }[];
    users?: { name: string; user: { token?: string } }[];
  };
  const ctx = doc.contexts?.find((c) => c.name === doc['current-context']) ?? doc.contexts?.[0];
  const cluster = doc.clusters?.find((c) => c.name === ctx?.context.cluster) ?? doc.clusters?.[0];
  if (!cluster) throw new Error(`kubeconfig ${path} names no cluster`);
  const user = doc.users?.find((u) => u.name === ctx?.context.user);
  const caData = cluster.cluster['certificate-authority-data'];
  return {
    server: cluster.cluster.server,
    token: user?.user.token,
    ca: caData ? Buffer.from(caData, 'base64') : undefined,
    insecureSkipTlsVerify: cluster.cluster['insecure-skip-tls-verify'],
  };
}

export class HttpKubeClient implements KubeClient {
  readonly #base: URL;
  readonly #agent: HttpAgent;
  readonly #watchAgent: HttpAgent;
  readonly #opts: HttpKubeClientOptions;

  constructor(opts: HttpKubeClientOptions) {
    this.#opts = opts;
    this.#base = new URL(opts.server);
    const https = this.#base.protocol === 'https:';
    const tls = { ca: opts.ca, rejectUnauthorized: !opts.insecureSkipTlsVerify };
    this.#agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: 8, ...tls }) : new HttpAgent({ keepAlive: true, maxSockets: 8 });
    this.#watchAgent = https ? new HttpsAgent({ keepAlive: false, ...tls }) : new HttpAgent({ keepAlive: false });
  }

  get server(): string {
    return this.#opts.server;
  }

  close(): void {
    this.#agent.destroy();
    this.#watchAgent.destroy();
  }

  #send(method: string, path: string, body?: unknown, contentType = 'application/json', agent = this.#agent, timeout = this.#opts.timeoutMs ?? 30_000): Promise<IncomingMessage> {
    const url = new URL(path, this.#base);
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method,
      agent,
      timeout,
      headers: {
        accept: 'application/json',
        ...(payload !== undefined ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}),
        ...(this.#opts.token ? { authorization: `Bearer ${this.#opts.token}` } : {}),
      },
    });
    return new Promise((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out after ${timeout} ms`)));
      req.end(payload);
    });
  }

  async #json<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const res = await this.#send(method, path, body, contentType);
    const chunks: Buffer[] = [];
    for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
    const text = Buffer.concat(chunks).toString('utf8');
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      /* keep the text for the error */
    }
    if ((res.statusCode ?? 500) >= 400) throw fromStatus(res.statusCode ?? 500, parsed);
    return parsed as T;
  }

  get(r: ResourceRef, namespace: string | undefined, name: string): Promise<KubeObject> {
    return this.#json('GET', resourcePath(r, namespace, name));
  }

  list(r: ResourceRef, q: ListQuery = {}): Promise<KubeList> {
    return this.#json('GET', resourcePath(r, q.namespace) + query({ labelSelector: q.labelSelector, fieldSelector: q.fieldSelector, limit: q.limit, continue: q.continue }));
  }

  watch(r: ResourceRef, q: WatchQuery, onEvent: (e: WatchEvent) => void): WatchHandle {
    let finish: (e: KubeApiError | Error | undefined) => void = () => undefined;
    const done = new Promise<KubeApiError | Error | undefined>((resolve) => (finish = resolve));
    let stopped = false;
    let res: IncomingMessage | undefined;
    const path =
      resourcePath(r, q.namespace) +
      query({ watch: 1, labelSelector: q.labelSelector, fieldSelector: q.fieldSelector, resourceVersion: q.resourceVersion, allowWatchBookmarks: q.allowWatchBookmarks, timeoutSeconds: q.timeoutSeconds });
    const end = (err?: KubeApiError | Error): void => {
      if (stopped) return;
      stopped = true;
      res?.destroy();
      finish(err);
    };
    this.#send('GET', path, undefined, undefined, this.#watchAgent, 0).then(
      async (response) => {
        res = response;
        if (stopped) return response.destroy();
        if ((response.statusCode ?? 500) >= 400) {
          const chunks: Buffer[] = [];
          for await (const c of response as AsyncIterable<Buffer>) chunks.push(c);
          let body: unknown = Buffer.concat(chunks).toString('utf8');
          try {
            body = JSON.parse(body as string);
          } catch {
            /* text */
          }
          return end(fromStatus(response.statusCode ?? 500, body));
        }
        let buf = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          buf += chunk;
          let nl: number;
          while (!stopped && (nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line.trim() === '') continue;
            let ev: WatchEvent;
            try {
              ev = JSON.parse(line) as WatchEvent;
            } catch (err) {
              return end(new Error(`watch ${path}: undecodable event: ${(err as Error).message}`));
            }
            if (ev.type === 'ERROR') return end(fromStatus(500, ev.object));
            onEvent(ev);
          }
        });
        response.on('end', () => end());
        response.on('error', (err) => end(err));
        response.on('close', () => end());
      },
      (err: Error) => end(err),
    );
    return { stop: () => end(), done };
  }

  create(r: ResourceRef, namespace: string | undefined, obj: KubeObject, opts: WriteOpts = {}): Promise<KubeObject> {
    return this.#json('POST', resourcePath(r, namespace) + query({ dryRun: opts.dryRun ? 'All' : undefined }), obj);
  }

  update(r: ResourceRef, namespace: string | undefined, obj: KubeObject, opts: WriteOpts & { subresource?: 'status' } = {}): Promise<KubeObject> {
    return this.#json('PUT', resourcePath(r, namespace, obj.metadata.name ?? '', opts.subresource) + query({ dryRun: opts.dryRun ? 'All' : undefined }), obj);
  }

  patch(r: ResourceRef, namespace: string | undefined, name: string, type: PatchType, patch: unknown, opts: WriteOpts & { subresource?: 'status' | 'scale' } = {}): Promise<KubeObject> {
    const q = query({ dryRun: opts.dryRun ? 'All' : undefined, fieldManager: type === 'apply' ? 'tfctl-lab' : undefined });
    return this.#json('PATCH', resourcePath(r, namespace, name, opts.subresource) + q, typeof patch === 'string' ? patch : JSON.stringify(patch), PATCH_TYPES[type]);
  }

  delete(r: ResourceRef, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<KubeObject> {
    return this.#json('DELETE', resourcePath(r, namespace, name), { kind: 'DeleteOptions', apiVersion: 'v1', ...opts });
  }

  async bind(namespace: string, name: string, node: string, uid?: string): Promise<void> {
    await this.#json('POST', resourcePath({ group: '', version: 'v1', resource: 'pods' }, namespace, name, 'binding'), {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name, namespace, ...(uid ? { uid } : {}) },
      target: { apiVersion: 'v1', kind: 'Node', name: node },
    });
  }

  async finalizeNamespace(name: string, finalizers: string[]): Promise<void> {
    const ns = await this.get({ group: '', version: 'v1', resource: 'namespaces' }, undefined, name);
    await this.#json('PUT', resourcePath({ group: '', version: 'v1', resource: 'namespaces' }, undefined, name, 'finalize'), { ...ns, spec: { ...(ns.spec as object), finalizers } });
  }
}

