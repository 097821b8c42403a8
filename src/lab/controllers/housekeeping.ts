// Periodic housekeeping: the node lifecycle check (a node whose kubelet stopped reporting - neither
// node status nor lease renewal - for longer than the grace period gets Ready=Unknown, as the node
// controller does; pods are not evicted) and
// the event TTL (events older than the TTL are deleted, as the API server's event expiry).
import type { Logger } from '../../common/log.js';
import type { KubeClient } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import type { Informer } from '../kube/informer.js';
import { timestamp } from '../kube/registry.js';
import { R } from '../kube/resources.js';
import { isObject, type KubeObject } from '../kube/types.js';

type Obj = Record<string, unknown>;

export interface HousekeepingOptions {
  client: KubeClient;
  nodes: Informer;
  /** node leases (kube-node-lease), renewed by kubelets between node status reports */
  leases: Informer;
  log: Logger;
  /** default 40 s, as kube-controller-manager's node-monitor-grace-period */
  nodeGraceMs: number;
  /** default 1 h */
  eventTtlMs: number;
  intervalMs: number;
}

/**
 * Nodes whose Ready condition claims True but whose last sign of life (the Ready heartbeat or the
 * node's lease renewal, whichever is newer) is older than the grace. Pure.
 */
export function staleNodes(nodes: readonly KubeObject[], now: number, graceMs: number, leaseRenewals: ReadonlyMap<string, number> = new Map()): KubeObject[] {
  return nodes.filter((n) => {
    const conds = isObject(n.status) && Array.isArray(n.status.conditions) ? (n.status.conditions as Obj[]) : [];
    const ready = conds.find((c) => c.type === 'Ready');
    if (!ready || ready.status !== 'True') return false;
    const hb = typeof ready.lastHeartbeatTime === 'string' ? Date.parse(ready.lastHeartbeatTime) : NaN;
    const lease = leaseRenewals.get(n.metadata.name ?? '') ?? NaN;
    const last = Math.max(Number.isFinite(hb) ? hb : -Infinity, Number.isFinite(lease) ? lease : -Infinity);
    return Number.isFinite(last) && now - last > graceMs;
  });
}

function leaseRenewals(leases: readonly KubeObject[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of leases) {
    const spec = isObject(l.spec) ? l.spec : {};
    if (typeof spec.renewTime === 'string') out.set(l.metadata.name ?? '', Date.parse(spec.renewTime));
  }
  return out;
}

export class Housekeeping {
  readonly #o: HousekeepingOptions;
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(o: HousekeepingOptions) {
    this.#o = o;
  }

  start(): void {
    this.#timer = setInterval(() => void this.tick(), this.#o.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async tick(now = Date.now()): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      for (const n of staleNodes(this.#o.nodes.list(), now, this.#o.nodeGraceMs, leaseRenewals(this.#o.leases.list('kube-node-lease')))) {
        const conds = ((n.status as Obj).conditions as Obj[]).map((c) =>
          c.type === 'Ready' ? { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: timestamp(new Date(now)) } : c,
        );
        this.#o.log.warn({ node: n.metadata.name }, 'node stopped reporting: Ready=Unknown');
        await this.#o.client.patch(R.nodes, undefined, n.metadata.name ?? '', 'merge', { status: { conditions: conds } }, { subresource: 'status' }).catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
      }
      const events = await this.#o.client.list(R.events);
      for (const e of events.items) {
        const when = [e.lastTimestamp, e.eventTime, e.metadata.creationTimestamp].find((x): x is string => typeof x === 'string' && x !== '');
        const t = when === undefined ? NaN : Date.parse(when);
        if (Number.isFinite(t) && now - t > this.#o.eventTtlMs) {
          await this.#o.client.delete(R.events, e.metadata.namespace, e.metadata.name ?? '').catch((err: unknown) => {
            if (!isNotFound(err)) throw err;
          });
        }
      }
    } catch (err) {
      this.#o.log.warn({ err: (err as Error).message }, 'housekeeping failed');
    } finally {
      this.#running = false;
    }
  }
}
