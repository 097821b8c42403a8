// Starts the lab's controllers against a KubeClient (in-process beside the API server, or remote):
// scheduler, replica set and replication controller managers, deployments, endpoints, namespace
// cleanup, garbage collection, node lifecycle and event expiry. Informers are shared.
import { createLogger, type Logger } from '../../common/log.js';
import type { KubeClient } from '../kube/client.js';
import { EventRecorder } from '../kube/events.js';
import { InformerFactory } from '../kube/informer.js';
import { R } from '../kube/resources.js';
import { DeploymentController } from './deployment.js';
import { EndpointsController } from './endpoints.js';
import { GarbageCollector } from './gc.js';
import { Housekeeping } from './housekeeping.js';
import { NamespaceController } from './namespace.js';
import { REPLICATION_CONTROLLER, REPLICA_SET, ReplicaController } from './replicas.js';
import { Scheduler } from './scheduler.js';

export interface ControllerOptions {
  log: Logger;
  scheduler: boolean;
  replication: boolean;
  deployments: boolean;
  endpoints: boolean;
  namespaces: boolean;
  gc: boolean;
  housekeeping: boolean;
  nodeGraceMs: number;
  eventTtlMs: number;
  housekeepingIntervalMs: number;
}

export interface RunningControllers {
  readonly informers: InformerFactory;
  readonly scheduler?: Scheduler;
  readonly replicaSets?: ReplicaController;
  readonly replicationControllers?: ReplicaController;
  readonly deployments?: DeploymentController;
  readonly endpoints?: EndpointsController;
  readonly namespaces?: NamespaceController;
  readonly gc?: GarbageCollector;
  readonly recorder: EventRecorder;
  /** resolves when every controller's queue is empty (tests) */
  idle(): Promise<void>;
  stop(): void;
}

export async function startControllers(client: KubeClient, partial: Partial<ControllerOptions> = {}): Promise<RunningControllers> {
  const o: ControllerOptions = {
    log: partial.log ?? createLogger('lab-controllers'),
    scheduler: true,
    replication: true,
    deployments: true,
    endpoints: true,
    namespaces: true,
    gc: true,
    housekeeping: true,
    nodeGraceMs: 40_000,
    eventTtlMs: 3_600_000,
    housekeepingIntervalMs: 5_000,
    ...partial,
  };
  const log = o.log.child({ component: 'lab-controllers' });
  const f = new InformerFactory(client, log);
  const recorder = new EventRecorder(client, { component: 'lab-controller-manager' }, log);
  const pods = f.for(R.pods);
  const nodes = f.for(R.nodes);
  const out: { -readonly [K in keyof RunningControllers]?: RunningControllers[K] } = {};
  if (o.scheduler) out.scheduler = new Scheduler({ client, pods, nodes, recorder: new EventRecorder(client, { component: 'default-scheduler' }, log), log });
  if (o.replication) {
    out.replicaSets = new ReplicaController(REPLICA_SET, { client, owners: f.for(R.replicasets), pods, recorder: new EventRecorder(client, { component: 'replicaset-controller' }, log), log });
    out.replicationControllers = new ReplicaController(REPLICATION_CONTROLLER, { client, owners: f.for(R.replicationcontrollers), pods, recorder: new EventRecorder(client, { component: 'replication-controller' }, log), log });
  }
  if (o.deployments) out.deployments = new DeploymentController({ client, deployments: f.for(R.deployments), replicaSets: f.for(R.replicasets), recorder: new EventRecorder(client, { component: 'deployment-controller' }, log), log });
  if (o.endpoints) out.endpoints = new EndpointsController({ client, services: f.for(R.services), pods, endpoints: f.for(R.endpoints), log });
  if (o.namespaces) out.namespaces = new NamespaceController({ client, namespaces: f.for(R.namespaces), log });
  if (o.gc) {
    const owned = [R.pods, R.replicasets, R.replicationcontrollers, R.deployments, R.services, R.endpoints, R.networkpolicies, R.ingresses, R.leases].map((r) => f.for(r));
    out.gc = new GarbageCollector({ client, informers: owned, log });
  }
  const hk = o.housekeeping ? new Housekeeping({ client, nodes, leases: f.for(R.leases, { namespace: 'kube-node-lease' }), log, nodeGraceMs: o.nodeGraceMs, eventTtlMs: o.eventTtlMs, intervalMs: o.housekeepingIntervalMs }) : undefined;
  await f.start();
  hk?.start();
  const queues = [out.scheduler, out.replicaSets, out.replicationControllers, out.deployments, out.endpoints, out.namespaces, out.gc].filter((c) => c !== undefined).map((c) => c.queue);
  return {
    ...out,
    informers: f,
    recorder,
    async idle() {
      // queues feed each other through the API: wait until all are empty together
      for (let round = 0; round < 50; round++) {
        await Promise.all(queues.map((q) => q.idle()));
        await new Promise((r) => setImmediate(r));
        if (queues.every((q) => q.depth === 0)) return;
      }
    },
    stop() {
      hk?.stop();
      f.stop();
      for (const q of queues) q.stop();
    },
  };
}
