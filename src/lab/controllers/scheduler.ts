// The scheduler: binds each pending pod (no spec.nodeName, schedulerName default-scheduler) to a
// Ready, schedulable node whose labels match its nodeSelector and whose NoSchedule/NoExecute taints it
// tolerates, spreading the replicas of one controller: fewest pods of the same owner first, then
// fewest pods, then name. No fit: a FailedScheduling event and PodScheduled=False; pods are retried
// when nodes change. Bindings in flight count as placed, so a burst of replicas still spreads.
import type { Logger } from '../../common/log.js';
import { ReconcileQueue } from '../../common/reconcile-queue.js';
import type { KubeClient } from '../kube/client.js';
import { isConflict, isNotFound } from '../kube/errors.js';
import type { EventRecorder } from '../kube/events.js';
import type { Informer } from '../kube/informer.js';
import { timestamp } from '../kube/registry.js';
import { R } from '../kube/resources.js';
import { isObject, type KubeObject } from '../kube/types.js';
import { asRef, controllerRef, keyOf, nodeReady, podNode, podTerminal, splitKey } from './util.js';

interface Taint {
  key: string;
  value?: string;
  effect: string;
}
interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

export function tolerates(tols: readonly Toleration[], taint: Taint): boolean {
  return tols.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

export interface Placement {
  /** pods (placed or assumed) per node */
  total: ReadonlyMap<string, number>;
  /** pods of the same controller per node */
  sameOwner: ReadonlyMap<string, number>;
}

/** Why no node fits, or the chosen node. Pure. */
export function pickNode(pod: KubeObject, nodes: readonly KubeObject[], placement: Placement): { node: string } | { reason: string } {
  const spec = isObject(pod.spec) ? pod.spec : {};
  const selector = isObject(spec.nodeSelector) ? (spec.nodeSelector as Record<string, string>) : {};
  const tols = Array.isArray(spec.tolerations) ? (spec.tolerations as Toleration[]) : [];
  let notReady = 0;
  let unschedulable = 0;
  let mismatch = 0;
  let tainted = 0;
  const fit: string[] = [];
  for (const n of nodes) {
    const nspec = isObject(n.spec) ? n.spec : {};
    if (!nodeReady(n)) notReady++;
    else if (nspec.unschedulable === true) unschedulable++;
    else if (Object.entries(selector).some(([k, v]) => n.metadata.labels?.[k] !== v)) mismatch++;
    else if ((Array.isArray(nspec.taints) ? (nspec.taints as Taint[]) : []).some((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(tols, t))) tainted++;
    else fit.push(n.metadata.name ?? '');
  }
  if (fit.length === 0) {
    const parts: string[] = [];
    if (notReady) parts.push(`${notReady} node(s) were not ready`);
    if (unschedulable) parts.push(`${unschedulable} node(s) were unschedulable`);
    if (mismatch) parts.push(`${mismatch} node(s) didn't match Pod's node affinity/selector`);
    if (tainted) parts.push(`${tainted} node(s) had untolerated taint`);
    return { reason: `0/${nodes.length} nodes are available${parts.length ? ': ' + parts.join(', ') : ''}.` };
  }
  fit.sort((a, b) => (placement.sameOwner.get(a) ?? 0) - (placement.sameOwner.get(b) ?? 0) || (placement.total.get(a) ?? 0) - (placement.total.get(b) ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
  return { node: fit[0] };
}

export interface SchedulerDeps {
  client: KubeClient;
  pods: Informer;
  nodes: Informer;
  recorder: EventRecorder;
  log: Logger;
}

export class Scheduler {
  readonly queue: ReconcileQueue<string>;
  readonly #d: SchedulerDeps;
  /** pod key → where it is placed (bound, or assumed while its binding is in flight) */
  readonly #placed = new Map<string, { node: string; owner: string | undefined }>();
  /** pods per node, and per owner per node, kept in step with #placed */
  readonly #total = new Map<string, number>();
  readonly #byOwner = new Map<string, Map<string, number>>();
  readonly #assumed = new Set<string>();

  constructor(d: SchedulerDeps) {
    this.#d = d;
    this.queue = new ReconcileQueue({ reconcile: (k) => this.reconcile(k), concurrency: 8, onError: (k, err) => d.log.warn({ pod: k, err: (err as Error).message }, 'scheduling failed') });
    d.pods.on({
      add: (p) => this.#onPod(p),
      update: (p) => this.#onPod(p),
      delete: (p) => {
        this.#assumed.delete(keyOf(p));
        this.#place(keyOf(p), undefined);
      },
    });
    d.nodes.on({
      add: () => this.#requeuePending(),
      update: (n, old) => {
        if (nodeReady(n) !== nodeReady(old) || JSON.stringify(n.spec) !== JSON.stringify(old.spec) || JSON.stringify(n.metadata.labels) !== JSON.stringify(old.metadata.labels)) this.#requeuePending();
      },
    });
  }

  #pending(p: KubeObject): boolean {
    const spec = isObject(p.spec) ? p.spec : {};
    return podNode(p) === '' && !p.metadata.deletionTimestamp && !podTerminal(p) && (spec.schedulerName ?? 'default-scheduler') === 'default-scheduler';
  }

  #place(key: string, where: { node: string; owner: string | undefined } | undefined): void {
    const old = this.#placed.get(key);
    if (old?.node === where?.node && old?.owner === where?.owner) return;
    const bump = (w: { node: string; owner: string | undefined }, by: number): void => {
      this.#total.set(w.node, (this.#total.get(w.node) ?? 0) + by);
      if (w.owner === undefined) return;
      let m = this.#byOwner.get(w.owner);
      if (!m) this.#byOwner.set(w.owner, (m = new Map<string, number>()));
      m.set(w.node, (m.get(w.node) ?? 0) + by);
      if (by < 0 && m.get(w.node) === 0) {
        m.delete(w.node);
        if (m.size === 0) this.#byOwner.delete(w.owner);
      }
    };
    if (old) bump(old, -1);
    if (where) {
      bump(where, 1);
      this.#placed.set(key, where);
    } else this.#placed.delete(key);
  }

  #onPod(p: KubeObject): void {
    const key = keyOf(p);
    const node = podNode(p);
    if (node !== '') {
      this.#assumed.delete(key);
      this.#place(key, podTerminal(p) ? undefined : { node, owner: controllerRef(p)?.uid });
    } else if (!this.#assumed.has(key)) {
      this.#place(key, undefined);
      if (this.#pending(p)) this.queue.enqueue(key);
    }
  }

  #requeuePending(): void {
    for (const p of this.#d.pods.list()) if (this.#pending(p)) this.queue.enqueue(keyOf(p));
  }

  #placement(owner: string | undefined): Placement {
    return { total: this.#total, sameOwner: (owner !== undefined ? this.#byOwner.get(owner) : undefined) ?? new Map<string, number>() };
  }

  async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const pod = this.#d.pods.get(namespace, name);
    if (!pod || !this.#pending(pod) || this.#assumed.has(key)) return;
    const owner = controllerRef(pod)?.uid;
    const choice = pickNode(pod, this.#d.nodes.list(), this.#placement(owner));
    if ('reason' in choice) {
      this.#d.recorder.event(asRef(pod, 'Pod', 'v1'), 'Warning', 'FailedScheduling', choice.reason);
      const conds = isObject(pod.status) && Array.isArray(pod.status.conditions) ? (pod.status.conditions as { type: string; message?: string }[]) : [];
      const cur = conds.find((c) => c.type === 'PodScheduled');
      if (cur?.message !== choice.reason) {
        const next = [...conds.filter((c) => c.type !== 'PodScheduled'), { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: choice.reason, lastProbeTime: null, lastTransitionTime: timestamp(new Date()) }];
        await this.#d.client.patch(R.pods, namespace, name, 'merge', { status: { conditions: next } }, { subresource: 'status' }).catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
      }
      return;
    }
    this.#assumed.add(key);
    this.#place(key, { node: choice.node, owner });
    try {
      await this.#d.client.bind(namespace ?? 'default', name, choice.node, pod.metadata.uid);
    } catch (err) {
      if (this.#assumed.delete(key)) this.#place(key, undefined);
      if (isNotFound(err) || isConflict(err)) return;
      throw err;
    }
    this.#d.recorder.event(asRef(pod, 'Pod', 'v1'), 'Normal', 'Scheduled', `Successfully assigned ${namespace ?? ''}/${name} to ${choice.node}`);
  }
}
