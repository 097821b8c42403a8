// The namespace controller: when a namespace is being deleted (phase Terminating), delete everything
// in it (pods gracefully, through their kubelets), and once nothing is left, remove the `kubernetes`
// finalizer so the namespace itself goes. Retries while content remains.
import type { Logger } from '../../common/log.js';
import { ReconcileQueue } from '../../common/reconcile-queue.js';
import type { KubeClient } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import type { Informer } from '../kube/informer.js';
import { RESOURCES } from '../kube/resources.js';
import { isObject, type KubeObject } from '../kube/types.js';
import { RequeueError, keyOf, splitKey } from './util.js';

/** One (preferred) version of each namespaced resource. */
export const NAMESPACED = RESOURCES.filter((r, i) => r.namespaced && RESOURCES.findIndex((x) => x.storage === r.storage) === i);

export interface NamespaceDeps {
  client: KubeClient;
  namespaces: Informer;
  log: Logger;
}

export class NamespaceController {
  readonly queue: ReconcileQueue<string>;
  readonly #d: NamespaceDeps;

  constructor(d: NamespaceDeps) {
    this.#d = d;
    this.queue = new ReconcileQueue({
      reconcile: (k) => this.reconcile(k),
      concurrency: 2,
      baseBackoffMs: 250,
      maxBackoffMs: 5_000,
      onError: (k, err) => {
        if (!(err instanceof RequeueError)) d.log.warn({ namespace: k, err: (err as Error).message }, 'namespace cleanup failed');
      },
    });
    const enqueue = (o: KubeObject): void => {
      if (o.metadata.deletionTimestamp) this.queue.enqueue(keyOf(o));
    };
    d.namespaces.on({ add: enqueue, update: enqueue });
  }

  async reconcile(key: string): Promise<void> {
    const { name } = splitKey(key);
    const ns = this.#d.namespaces.get(undefined, name);
    if (!ns?.metadata.deletionTimestamp) return;
    let remaining = 0;
    for (const r of NAMESPACED) {
      const list = await this.#d.client.list(r, { namespace: name });
      for (const item of list.items) {
        remaining++;
        if (item.metadata.deletionTimestamp) continue;
        await this.#d.client.delete(r, name, item.metadata.name ?? '', { propagationPolicy: 'Background' }).catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
      }
    }
    if (remaining > 0) throw new RequeueError(`namespace ${name}: ${remaining} object(s) still terminating`);
    const spec = isObject(ns.spec) ? ns.spec : {};
    const finalizers = Array.isArray(spec.finalizers) ? (spec.finalizers as string[]) : [];
    if (finalizers.includes('kubernetes')) {
      await this.#d.client.finalizeNamespace(name, finalizers.filter((f) => f !== 'kubernetes')).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    }
  }
}
