// `startKubeApi`: the lab's Kubernetes API server in one call: store (memory, optionally persisted in
// SQLite), registry, HTTP(S) listener, the default namespaces and the `kubernetes` service, and, unless
// disabled, the controllers (scheduler, replication, deployments, endpoints, namespaces, garbage
// collection, node lifecycle) running in-process against it.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { closeServer } from '../../common/http.js';
import { createLogger, type Logger } from '../../common/log.js';
import { Registry as Metrics } from '../../common/metrics.js';
import { startControllers, type ControllerOptions, type RunningControllers } from '../controllers/index.js';
import { isAlreadyExists } from './errors.js';
import { createKubeHttpHandler } from './http-server.js';
import { LocalKubeClient } from './local-client.js';
import { sqlitePersistence } from './persist.js';
import { Registry } from './registry.js';
import { ObjectStore } from './store.js';
import { renderKubeconfig } from './kubeconfig.js';

export interface KubeApiOptions {
  port?: number;
  /** listen address (default 127.0.0.1) */
  host?: string;
  /** SQLite file to persist objects in; memory only when absent */
  persist?: string;
  /** default 10.96.0.0/12 */
  serviceCidr?: string;
  nodePortRange?: [number, number];
  /** TLS: PEM certificate and key; plain HTTP when absent */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** run the controllers in this process (default true) */
  controllers?: boolean | Partial<ControllerOptions>;
  /** watch history kept for resume (default 100,000 changes) */
  historySize?: number;
  /** advertised address of the `kubernetes` service's endpoints (default: host, or 127.0.0.1) */
  advertiseAddress?: string;
  watchTimeoutSeconds?: [number, number];
  bookmarkIntervalMs?: number;
  log?: Logger;
}

export interface RunningKubeApi {
  /** e.g. http://127.0.0.1:6443 */
  readonly url: string;
  readonly port: number;
  readonly registry: Registry;
  readonly store: ObjectStore;
  /** in-process client (no HTTP) */
  readonly client: LocalKubeClient;
  readonly controllers: RunningControllers | undefined;
  readonly metrics: Metrics;
  kubeconfig(namespace?: string): string;
  /** ends every open HTTP watch stream (clients resume from their last resourceVersion) */
  closeWatches(): void;
  close(): Promise<void>;
}

const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

async function bootstrap(client: LocalKubeClient, registry: Registry, advertise: string, port: number): Promise<void> {
  const ignoreExists = (err: unknown): void => {
    if (!isAlreadyExists(err)) throw err;
  };
  for (const name of DEFAULT_NAMESPACES) {
    await client.create({ group: '', version: 'v1', resource: 'namespaces' }, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }).catch(ignoreExists);
  }
  const first = registry.clusterIps.cidr;
  const kubeIp = `${(first.addr >>> 24) & 255}.${(first.addr >>> 16) & 255}.${(first.addr >>> 8) & 255}.${(first.addr & 255) + 1}`;
  await client
    .create({ group: '', version: 'v1', resource: 'services' }, 'default', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { clusterIP: kubeIp, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }], sessionAffinity: 'None', type: 'ClusterIP' },
    })
    .catch(ignoreExists);
  await client.update({ group: '', version: 'v1', resource: 'endpoints' }, 'default', {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: advertise }], ports: [{ name: 'https', port, protocol: 'TCP' }] }],
  });
}

export async function startKubeApi(opts: KubeApiOptions = {}): Promise<RunningKubeApi> {
  const log = opts.log ?? createLogger('lab-kube-api');
  const host = opts.host ?? '127.0.0.1';
  const store = new ObjectStore({ historySize: opts.historySize, persistence: opts.persist ? sqlitePersistence(opts.persist) : undefined });
  const registry = new Registry({ store, serviceCidr: opts.serviceCidr, nodePortRange: opts.nodePortRange });
  const metrics = new Metrics();
  metrics.gauge('apiserver_storage_objects', 'Stored objects by resource.', (g) => {
    for (const r of ['pods', 'services', 'endpoints', 'nodes', 'namespaces', 'events']) g.set(store.count(r), { resource: r });
  });
  metrics.gauge('apiserver_resource_version', 'Current resourceVersion.', (g) => g.set(store.rv));
  let address = '';
  const handler = createKubeHttpHandler({ registry, log, metrics, serverAddress: () => address, watchTimeoutSeconds: opts.watchTimeoutSeconds, bookmarkIntervalMs: opts.bookmarkIntervalMs });
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => handler.handle(req, res);
  const server: Server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, onRequest) : createHttpServer(onRequest);
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 6443, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  address = `${urlHost}:${port}`;
  const url = `${opts.tls ? 'https' : 'http'}://${urlHost}:${port}`;
  const client = new LocalKubeClient(registry);
  const advertise = opts.advertiseAddress ?? (host === '0.0.0.0' || host.includes(':') ? '127.0.0.1' : host);
  await bootstrap(client, registry, advertise, port);
  let controllers: RunningControllers | undefined;
  if (opts.controllers !== false) {
    controllers = await startControllers(client, { log, ...(typeof opts.controllers === 'object' ? opts.controllers : {}) });
  }
  log.info({ url, persist: opts.persist ?? null, serviceCidr: opts.serviceCidr ?? '10.96.0.0/12', controllers: controllers !== undefined }, 'lab Kubernetes API listening');
  return {
    url,
    port,
    registry,
    store,
    client,
    controllers,
    metrics,
    kubeconfig: (namespace?: string) => renderKubeconfig({ server: url, namespace }),
    closeWatches: () => handler.closeWatches(),
    async close() {
      controllers?.stop();
      handler.closeWatches();
      await closeServer(server);
      store.close();
    },
  };
}
