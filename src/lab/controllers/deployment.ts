// The deployment controller: one replica set per pod template (named <deployment>-<template hash>,
// labelled pod-template-hash), rolled out by the RollingUpdate (maxSurge / maxUnavailable) or
// Recreate strategy, old sets scaled to zero and pruned beyond revisionHistoryLimit, and the status
// fields `kubectl rollout status` reads (observedGeneration, updated/ready/available replicas,
// Available and Progressing conditions).
import type { Logger } from '../../common/log.js';
import { ReconcileQueue } from '../../common/reconcile-queue.js';
import type { KubeClient } from '../kube/client.js';
import { isAlreadyExists, isNotFound } from '../kube/errors.js';
import type { EventRecorder } from '../kube/events.js';
import type { Informer } from '../kube/informer.js';
import { canonical } from '../kube/patch.js';
import { timestamp } from '../kube/registry.js';
import { R } from '../kube/resources.js';
import { isObject, type KubeObject } from '../kube/types.js';
import { asRef, controllerRef, keyOf, ownerRefTo, splitKey } from './util.js';

type Obj = Record<string, unknown>;
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const REVISION = 'deployment.kubernetes.io/revision';

function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The pod-template-hash of a template (stable, label-safe). Pure. */
export function podTemplateHash(template: unknown, collisionCount = 0): string {
  const digits = String(fnv32a(JSON.stringify(canonical(template)) + (collisionCount ? `/${collisionCount}` : '')));
  let out = '';
  for (const ch of digits) out += ALPHABET[ch.charCodeAt(0) % ALPHABET.length];
  return out;
}

/** An int-or-percent of `total` (percentages rounded up for surge, down for unavailable). */
export function resolveIntOrPercent(v: unknown, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\d+%$/.test(v)) {
    const x = (Number(v.slice(0, -1)) * total) / 100;
    return roundUp ? Math.ceil(x) : Math.floor(x);
  }
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return roundUp ? Math.ceil(total / 4) : Math.floor(total / 4);
}

const specOf = (o: KubeObject): Obj => (isObject(o.spec) ? o.spec : {});
const statusOf = (o: KubeObject): Obj => (isObject(o.status) ? o.status : {});
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const replicasOf = (rs: KubeObject): number => num(specOf(rs).replicas);
const revisionOf = (rs: KubeObject): number => Number(rs.metadata.annotations?.[REVISION] ?? 0) || 0;

export interface DeploymentDeps {
  client: KubeClient;
  deployments: Informer;
  replicaSets: Informer;
  recorder: EventRecorder;
  log: Logger;
}

export class DeploymentController {
  readonly queue: ReconcileQueue<string>;
  readonly #d: DeploymentDeps;

  constructor(d: DeploymentDeps) {
    this.#d = d;
    this.queue = new ReconcileQueue({ reconcile: (k) => this.reconcile(k), concurrency: 4, onError: (k, err) => d.log.warn({ deployment: k, err: (err as Error).message }, 'sync failed') });
    const enqueue = (o: KubeObject): void => this.queue.enqueue(keyOf(o));
    d.deployments.on({ add: enqueue, update: enqueue, delete: enqueue });
    const fromRs = (rs: KubeObject): void => {
      const ref = controllerRef(rs);
      if (ref?.kind === 'Deployment') this.queue.enqueue(`${rs.metadata.namespace ?? ''}/${ref.name}`);
    };
    d.replicaSets.on({ add: fromRs, update: fromRs, delete: fromRs });
  }

  async #scale(rs: KubeObject, replicas: number, deploy: KubeObject): Promise<void> {
    if (replicasOf(rs) === replicas) return;
    const dspec = specOf(deploy);
    const annotations = { 'deployment.kubernetes.io/desired-replicas': String(num(dspec.replicas)), 'deployment.kubernetes.io/max-replicas': String(num(dspec.replicas) + resolveIntOrPercent(isObject(dspec.strategy) && isObject(dspec.strategy.rollingUpdate) ? dspec.strategy.rollingUpdate.maxSurge : '25%', num(dspec.replicas), true)) };
    await this.#d.client.patch(R.replicasets, rs.metadata.namespace, rs.metadata.name ?? '', 'merge', { metadata: { annotations }, spec: { replicas } });
    this.#d.recorder.event(asRef(deploy, 'Deployment', 'apps/v1'), 'Normal', 'ScalingReplicaSet', `Scaled ${replicas > replicasOf(rs) ? 'up' : 'down'} replica set ${rs.metadata.name ?? ''} from ${replicasOf(rs)} to ${replicas}`);
  }

  async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const deploy = this.#d.deployments.get(namespace, name);
    if (!deploy || deploy.metadata.deletionTimestamp) return;
    const uid = deploy.metadata.uid;
    const spec = specOf(deploy);
    const desired = num(spec.replicas ?? 1);
    const template = isObject(spec.template) ? spec.template : {};
    const owned = this.#d.replicaSets.list(namespace).filter((rs) => controllerRef(rs)?.uid === uid);
    const hash = podTemplateHash(template);
    let newRs = owned.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
    const old = owned.filter((rs) => rs !== newRs).sort((a, b) => revisionOf(a) - revisionOf(b));
    const maxRevision = owned.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
    const strategy = isObject(spec.strategy) ? spec.strategy : {};
    const recreate = strategy.type === 'Recreate';
    const ru = isObject(strategy.rollingUpdate) ? strategy.rollingUpdate : {};
    const surge = recreate ? 0 : resolveIntOrPercent(ru.maxSurge ?? '25%', desired, true);
    let unavailable = recreate ? desired : resolveIntOrPercent(ru.maxUnavailable ?? '25%', desired, false);
    if (surge === 0 && unavailable === 0) unavailable = 1;
    const oldActive = old.reduce((n, rs) => n + replicasOf(rs), 0);

    if (!newRs) {
      const tmeta = isObject(template.metadata) ? template.metadata : {};
      const labels = { ...((tmeta.labels as Record<string, string> | undefined) ?? {}), 'pod-template-hash': hash };
      const sel = isObject(spec.selector) ? spec.selector : {};
      const initial = recreate ? (oldActive > 0 ? 0 : desired) : oldActive === 0 ? desired : Math.max(0, Math.min(desired, desired + surge - oldActive));
      const rsName = `${name}-${hash}`;
      try {
        newRs = await this.#d.client.create(R.replicasets, namespace, {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: {
            name: rsName,
            namespace,
            labels,
            annotations: { [REVISION]: String(maxRevision + 1), 'deployment.kubernetes.io/desired-replicas': String(desired), 'deployment.kubernetes.io/max-replicas': String(desired + surge) },
            ownerReferences: [ownerRefTo(deploy, 'apps/v1', 'Deployment')],
          },
          spec: {
            replicas: initial,
            minReadySeconds: num(spec.minReadySeconds),
            selector: { ...sel, matchLabels: { ...(isObject(sel.matchLabels) ? (sel.matchLabels as Record<string, string>) : {}), 'pod-template-hash': hash } },
            template: { ...template, metadata: { ...tmeta, labels } },
          },
        });
        this.#d.recorder.event(asRef(deploy, 'Deployment', 'apps/v1'), 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${rsName} from 0 to ${initial}`);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        return; // the informer will show it; the RS event requeues us
      }
    } else if (revisionOf(newRs) < maxRevision) {
      // a rollback to an older template: it becomes the newest revision again
      await this.#d.client.patch(R.replicasets, namespace, newRs.metadata.name ?? '', 'merge', { metadata: { annotations: { [REVISION]: String(maxRevision + 1) } } });
      return;
    } else if (recreate) {
      if (oldActive > 0) for (const rs of old) await this.#scale(rs, 0, deploy);
      else if (old.every((rs) => num(statusOf(rs).replicas) === 0)) await this.#scale(newRs, desired, deploy);
    } else {
      // scale up the new set within maxSurge
      const all = replicasOf(newRs) + oldActive;
      const up = Math.min(desired, replicasOf(newRs) + Math.max(0, desired + surge - all));
      if (old.length === 0 || up > replicasOf(newRs)) await this.#scale(newRs, old.length === 0 ? desired : up, deploy);
      // scale old sets down within maxUnavailable, unhealthy replicas first
      const available = owned.reduce((n, rs) => n + num(statusOf(rs).availableReplicas), 0);
      let budget = Math.max(0, available - (desired - unavailable));
      for (const rs of old) {
        const unhealthy = Math.max(0, replicasOf(rs) - num(statusOf(rs).availableReplicas));
        const cut = Math.min(replicasOf(rs), unhealthy + budget);
        if (cut > 0) {
          budget -= Math.max(0, cut - unhealthy);
          await this.#scale(rs, replicasOf(rs) - cut, deploy);
        }
      }
    }
    // prune old, empty sets beyond the history limit
    const limit = typeof spec.revisionHistoryLimit === 'number' ? spec.revisionHistoryLimit : 10;
    const empty = old.filter((rs) => replicasOf(rs) === 0 && num(statusOf(rs).replicas) === 0);
    for (const rs of empty.slice(0, Math.max(0, empty.length - limit))) {
      await this.#d.client.delete(R.replicasets, namespace, rs.metadata.name ?? '', { propagationPolicy: 'Background' }).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    }
    await this.#updateStatus(deploy, newRs, owned, desired, unavailable);
  }

  async #updateStatus(deploy: KubeObject, newRs: KubeObject, owned: KubeObject[], desired: number, maxUnavailable: number): Promise<void> {
    const sets = owned.some((rs) => rs.metadata.uid === newRs.metadata.uid) ? owned : [...owned, newRs];
    const sum = (f: string): number => sets.reduce((n, rs) => n + num(statusOf(rs)[f]), 0);
    const replicas = sum('replicas');
    const available = sum('availableReplicas');
    const updated = num(statusOf(newRs).replicas);
    const complete = updated === desired && replicas === desired && available === desired && replicasOf(newRs) === desired;
    const cur = statusOf(deploy);
    const conds = Array.isArray(cur.conditions) ? (cur.conditions as Obj[]) : [];
    const now = timestamp(new Date());
    const cond = (type: string, status: string, reason: string, message: string): Obj => {
      const prev = conds.find((c) => c.type === type);
      const same = prev?.status === status && prev.reason === reason && prev.message === message;
      if (same && prev) return prev;
      return { type, status, lastUpdateTime: now, lastTransitionTime: prev?.status === status ? prev.lastTransitionTime : now, reason, message };
    };
    const name = deploy.metadata.name ?? '';
    const status: Obj = {
      observedGeneration: deploy.metadata.generation ?? 1,
      replicas,
      updatedReplicas: updated,
      readyReplicas: sum('readyReplicas'),
      availableReplicas: available,
      ...(desired - available > 0 ? { unavailableReplicas: desired - available } : {}),
      conditions: [
        available >= desired - maxUnavailable ? cond('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.') : cond('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'),
        complete
          ? cond('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${newRs.metadata.name ?? ''}" has successfully progressed.`)
          : cond('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${newRs.metadata.name ?? ''}" is progressing.`),
      ],
    };
    const { conditions: _c, ...curRest } = cur;
    const { conditions: _n, ...nextRest } = status;
    const sameStatus = JSON.stringify(canonical(curRest)) === JSON.stringify(canonical(nextRest)) && JSON.stringify(canonical(conds)) === JSON.stringify(canonical(status.conditions));
    const revision = newRs.metadata.annotations?.[REVISION];
    if (revision && deploy.metadata.annotations?.[REVISION] !== revision) {
      await this.#d.client.patch(R.deployments, deploy.metadata.namespace, name, 'merge', { metadata: { annotations: { [REVISION]: revision } } });
    }
    if (sameStatus) return;
    if (!('unavailableReplicas' in status)) status.unavailableReplicas = null;
    await this.#d.client.patch(R.deployments, deploy.metadata.namespace, name, 'merge', { status }, { subresource: 'status' }).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }
}
