// The replica set and replication controller controllers (one implementation, two kinds): keep
// spec.replicas active pods from the template, adopt matching orphans, delete surplus pods (the least
// established first), and report status. Creations and deletions not yet seen by the pod informer
// are remembered (client-go's "expectations"), so a reconcile never acts twice on stale state.
import type { Logger } from '../../common/log.js';
import { ReconcileQueue } from '../../common/reconcile-queue.js';
import type { KubeClient } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import type { EventRecorder } from '../kube/events.js';
import type { Informer } from '../kube/informer.js';
import { canonical } from '../kube/patch.js';
import { R } from '../kube/resources.js';
import { fromLabelSelector, fromMapSelector, matchesLabels, type LabelSelectorSpec, type Selector } from '../kube/selectors.js';
import { isObject, type KubeObject, type ResourceRef } from '../kube/types.js';
import { asRef, controllerRef, keyOf, ownerRefTo, podActive, podNode, podPhase, podReady, splitKey } from './util.js';

export interface ReplicaKind {
  ref: ResourceRef;
  kind: 'ReplicaSet' | 'ReplicationController';
  apiVersion: string;
  selector(o: KubeObject): Selector;
}

export const REPLICA_SET: ReplicaKind = {
  ref: R.replicasets,
  kind: 'ReplicaSet',
  apiVersion: 'apps/v1',
  selector: (o) => fromLabelSelector((isObject(o.spec) ? o.spec.selector : undefined) as LabelSelectorSpec | undefined),
};

export const REPLICATION_CONTROLLER: ReplicaKind = {
  ref: R.replicationcontrollers,
  kind: 'ReplicationController',
  apiVersion: 'v1',
  selector: (o) => fromMapSelector((isObject(o.spec) ? o.spec.selector : undefined) as Record<string, string> | undefined),
};

/** Order in which surplus pods go: unscheduled, pending, not ready, then the newest. Pure. */
export function deletionOrder(a: KubeObject, b: KubeObject): number {
  const rank = (p: KubeObject): number[] => [podNode(p) === '' ? 0 : 1, podPhase(p) === 'Pending' ? 0 : podPhase(p) === 'Unknown' ? 1 : 2, podReady(p) ? 1 : 0];
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] - rb[i];
  return Date.parse(b.metadata.creationTimestamp ?? '') - Date.parse(a.metadata.creationTimestamp ?? '');
}

export interface ReplicaDeps {
  client: KubeClient;
  owners: Informer;
  pods: Informer;
  recorder: EventRecorder;
  log: Logger;
  /** creations per reconcile at most (default 500) */
  burst?: number;
}

const EXPECTATION_TTL_MS = 60_000;

export class ReplicaController {
  readonly queue: ReconcileQueue<string>;
  readonly #k: ReplicaKind;
  readonly #d: ReplicaDeps;
  /** owner key → pod names created / deleted and not yet seen as such, with when */
  readonly #creating = new Map<string, Map<string, number>>();
  readonly #deleting = new Map<string, Map<string, number>>();

  constructor(kind: ReplicaKind, d: ReplicaDeps) {
    this.#k = kind;
    this.#d = d;
    this.queue = new ReconcileQueue({ reconcile: (k) => this.reconcile(k), concurrency: 4, onError: (k, err) => d.log.warn({ [kind.kind]: k, err: (err as Error).message }, 'sync failed') });
    d.owners.on({ add: (o) => this.queue.enqueue(keyOf(o)), update: (o) => this.queue.enqueue(keyOf(o)), delete: (o) => this.queue.enqueue(keyOf(o)) });
    d.pods.on({ add: (p) => this.#onPod(p), update: (p, old) => this.#onPod(p, old), delete: (p) => this.#onPod(p) });
  }

  #ownersOf(p: KubeObject): string[] {
    const ref = controllerRef(p);
    if (ref) return ref.kind === this.#k.kind ? [`${p.metadata.namespace ?? ''}/${ref.name}`] : [];
    // an orphan: every owner whose selector matches may adopt it
    return this.#d.owners.list(p.metadata.namespace).filter((o) => matchesLabels(this.#k.selector(o), p.metadata.labels)).map(keyOf);
  }

  #onPod(p: KubeObject, old?: KubeObject): void {
    for (const k of this.#ownersOf(p)) this.queue.enqueue(k);
    if (old && JSON.stringify(old.metadata.labels) !== JSON.stringify(p.metadata.labels)) for (const k of this.#ownersOf(old)) this.queue.enqueue(k);
  }

  #expect(map: Map<string, Map<string, number>>, key: string): Map<string, number> {
    let m = map.get(key);
    if (!m) map.set(key, (m = new Map<string, number>()));
    return m;
  }

  async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const owner = this.#d.owners.get(namespace, name);
    if (!owner) {
      this.#creating.delete(key);
      this.#deleting.delete(key);
      return;
    }
    if (owner.metadata.deletionTimestamp) return;
    const uid = owner.metadata.uid;
    const selector = this.#k.selector(owner);
    const now = Date.now();
    const pods = this.#d.pods.list(namespace);
    const mine: KubeObject[] = [];
    const orphans: KubeObject[] = [];
    for (const p of pods) {
      const ref = controllerRef(p);
      if (ref?.uid === uid) mine.push(p);
      else if (!ref && !p.metadata.deletionTimestamp && matchesLabels(selector, p.metadata.labels)) orphans.push(p);
    }
    for (const p of orphans) {
      await this.#d.client
        .patch(R.pods, namespace, p.metadata.name ?? '', 'strategic', { metadata: { ownerReferences: [ownerRefTo(owner, this.#k.apiVersion, this.#k.kind)], uid: p.metadata.uid } })
        .then((adopted) => mine.push(adopted))
        .catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
    }
    // settle expectations against what the informer now shows
    const creating = this.#expect(this.#creating, key);
    const deleting = this.#expect(this.#deleting, key);
    const byName = new Map(mine.map((p) => [p.metadata.name ?? '', p]));
    for (const [n, t] of creating) if (byName.has(n) || now - t > EXPECTATION_TTL_MS) creating.delete(n);
    for (const [n, t] of deleting) {
      const p = byName.get(n);
      if (!p || !podActive(p) || now - t > EXPECTATION_TTL_MS) deleting.delete(n);
    }
    const active = mine.filter((p) => podActive(p) && !deleting.has(p.metadata.name ?? ''));
    const spec = isObject(owner.spec) ? owner.spec : {};
    const desired = typeof spec.replicas === 'number' ? spec.replicas : 1;
    const diff = desired - (active.length + creating.size);
    if (diff > 0) await this.#createPods(owner, Math.min(diff, this.#d.burst ?? 500), creating);
    else if (diff < 0 && creating.size === 0) await this.#deletePods(owner, [...active].sort(deletionOrder).slice(0, -diff), deleting);
    await this.#updateStatus(owner, mine);
  }

  async #createPods(owner: KubeObject, n: number, creating: Map<string, number>): Promise<void> {
    const spec = isObject(owner.spec) ? owner.spec : {};
    const template = isObject(spec.template) ? spec.template : {};
    const tmeta = isObject(template.metadata) ? template.metadata : {};
    const ns = owner.metadata.namespace;
    const ownerName = owner.metadata.name ?? '';
    const results = await Promise.allSettled(
      Array.from({ length: n }, () =>
        this.#d.client.create(R.pods, ns, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            generateName: `${ownerName}-`,
            namespace: ns,
            labels: { ...((tmeta.labels as Record<string, string> | undefined) ?? {}) },
            ...(isObject(tmeta.annotations) ? { annotations: { ...(tmeta.annotations as Record<string, string>) } } : {}),
            ownerReferences: [ownerRefTo(owner, this.#k.apiVersion, this.#k.kind)],
          },
          spec: structuredClone(template.spec ?? {}),
        }),
      ),
    );
    const ref = asRef(owner, this.#k.kind, this.#k.apiVersion);
    let failure: Error | undefined;
    for (const r of results) {
      if (r.status === 'fulfilled') {
        creating.set(r.value.metadata.name ?? '', Date.now());
        this.#d.recorder.event(ref, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata.name ?? ''}`);
      } else {
        failure = r.reason instanceof Error ? r.reason : new Error(String(r.reason));
        this.#d.recorder.event(ref, 'Warning', 'FailedCreate', `Error creating: ${failure.message}`);
      }
    }
    if (failure) throw failure;
  }

  async #deletePods(owner: KubeObject, victims: KubeObject[], deleting: Map<string, number>): Promise<void> {
    const ref = asRef(owner, this.#k.kind, this.#k.apiVersion);
    await Promise.all(
      victims.map(async (p) => {
        const pname = p.metadata.name ?? '';
        deleting.set(pname, Date.now());
        try {
          await this.#d.client.delete(R.pods, p.metadata.namespace, pname, { preconditions: { uid: p.metadata.uid } });
          this.#d.recorder.event(ref, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pname}`);
        } catch (err) {
          if (!isNotFound(err)) {
            deleting.delete(pname);
            throw err;
          }
        }
      }),
    );
  }

  async #updateStatus(owner: KubeObject, mine: KubeObject[]): Promise<void> {
    const active = mine.filter(podActive);
    const ready = active.filter(podReady).length;
    const selector = this.#k.selector(owner);
    const status: Record<string, unknown> = {
      replicas: active.length,
      fullyLabeledReplicas: active.filter((p) => matchesLabels(selector, p.metadata.labels)).length,
      readyReplicas: ready,
      availableReplicas: ready,
      observedGeneration: owner.metadata.generation ?? 1,
    };
    const cur = isObject(owner.status) ? owner.status : {};
    const same = JSON.stringify(canonical({ ...status, conditions: cur.conditions })) === JSON.stringify(canonical({ ...cur }));
    if (same) return;
    await this.#d.client.patch(this.#k.ref, owner.metadata.namespace, owner.metadata.name ?? '', 'merge', { status }, { subresource: 'status' }).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }
}
