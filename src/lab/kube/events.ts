// Records Kubernetes Events about objects, as client-go's EventRecorder: one Event per (object,
// type, reason, message); a repeat bumps its count and lastTimestamp instead of creating another.
// Fire and forget: a failure to record is logged, never thrown.
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../common/log.js';
import type { KubeClient } from './client.js';
import { isNotFound } from './errors.js';
import { timestamp } from './registry.js';
import { R } from './resources.js';
import type { KubeObject } from './types.js';

export interface EventSource {
  component: string;
  host?: string;
}

export type EventType = 'Normal' | 'Warning';

const CACHE_LIMIT = 4096;

export class EventRecorder {
  readonly #client: KubeClient;
  readonly #source: EventSource;
  readonly #log: Logger | undefined;
  readonly #seen = new Map<string, { name: string; namespace: string; count: number; first: string }>();
  #chain: Promise<void> = Promise.resolve();

  constructor(client: KubeClient, source: EventSource, log?: Logger) {
    this.#client = client;
    this.#source = source;
    this.#log = log;
  }

  /** Resolves when every event recorded so far has been written (tests). */
  flush(): Promise<void> {
    return this.#chain;
  }

  event(involved: KubeObject, type: EventType, reason: string, message: string, fieldPath?: string): void {
    this.#chain = this.#chain.then(() => this.#write(involved, type, reason, message, fieldPath)).catch((err: unknown) => {
      this.#log?.warn({ err: (err as Error).message, reason }, 'could not record event');
    });
  }

  async #write(involved: KubeObject, type: EventType, reason: string, message: string, fieldPath?: string): Promise<void> {
    const m = involved.metadata;
    const namespace = m.namespace || 'default';
    const key = [m.uid, type, reason, message, fieldPath ?? ''].join('\u0000');
    const now = timestamp(new Date());
    const prior = this.#seen.get(key);
    if (prior) {
      prior.count++;
      try {
        await this.#client.patch(R.events, prior.namespace, prior.name, 'merge', { count: prior.count, lastTimestamp: now });
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.#seen.delete(key);
      }
    }
    const name = `${m.name ?? 'object'}.${randomBytes(8).toString('hex')}`;
    await this.#client.create(R.events, namespace, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        kind: involved.kind,
        namespace: m.namespace,
        name: m.name,
        uid: m.uid,
        apiVersion: involved.apiVersion,
        resourceVersion: m.resourceVersion,
        ...(fieldPath ? { fieldPath } : {}),
      },
      reason,
      message,
      source: { component: this.#source.component, ...(this.#source.host ? { host: this.#source.host } : {}) },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: this.#source.component,
      reportingInstance: this.#source.host ?? '',
    });
    this.#seen.set(key, { name, namespace, count: 1, first: now });
    if (this.#seen.size > CACHE_LIMIT) this.#seen.delete(this.#seen.keys().next().value as string);
  }
}
