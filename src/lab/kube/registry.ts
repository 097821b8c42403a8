// The API's behaviour independent of HTTP: create, get, list, update, patch, delete, watch, and the
// subresources status, scale, binding and finalize, following Kubernetes' rules (optimistic
// concurrency, generation, graceful and finalizer-gated deletion, label/field-filtered watches with
// resume and 410 Expired). The HTTP server and the in-process client both call this; nothing here
// knows about sockets. Reads return the store's frozen objects: callers clone before changing.
import { randomBytes, randomUUID } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { IpAllocator, PortAllocator } from './allocator.js';
import {
  KubeApiError,
  alreadyExists,
  badRequest,
  conflict,
  expired,
  forbidden,
  invalid,
  notFound,
  staleResourceVersion,
} from './errors.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, canonical } from './patch.js';
import { apiVersionOf, storageResource, type ResourceInfo } from './resources.js';
import {
  fromLabelSelector,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  selectorToString,
  type FieldRequirement,
  type LabelSelectorSpec,
  type Selector,
} from './selectors.js';
import type { ObjectStore} from './store.js';
import { objectKey, type StoreEvent } from './store.js';
import type { Strategy, StrategyContext } from './strategy.js';
import { deploymentStrategy, replicaSetStrategy, replicationControllerStrategy, convertDeploymentV1beta1 } from './strategies/workload.js';
import { endpointsStrategy, eventStrategy, ingressStrategy, namespaceStrategy, networkPolicyStrategy, nodeStrategy } from './strategies/misc.js';
import { podStrategy } from './strategies/pod.js';
import { serviceStrategy } from './strategies/service.js';
import { isObject, type DeleteOptions, type KubeList, type KubeObject, type WatchEventType } from './types.js';
import { Causes, checkLabels, checkName } from './validation.js';

const STRATEGIES: Readonly<Record<string, Strategy>> = {
  pods: podStrategy,
  services: serviceStrategy,
  namespaces: namespaceStrategy,
  nodes: nodeStrategy,
  endpoints: endpointsStrategy,
  events: eventStrategy,
  replicationcontrollers: replicationControllerStrategy,
  'replicasets.apps': replicaSetStrategy,
  'deployments.apps': deploymentStrategy,
  'networkpolicies.networking.k8s.io': networkPolicyStrategy,
  'ingresses.networking.k8s.io': ingressStrategy,
};

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export interface WriteOptions {
  dryRun?: boolean;
  /** the body was decoded for this call alone (HTTP): the registry may change it instead of copying */
  bodyOwned?: boolean;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  /** streaming list (watch-list): initial state, then a bookmark marking its end */
  sendInitialEvents?: boolean;
}

export interface RegistryWatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

export interface RegistryOptions {
  store: ObjectStore;
  serviceCidr?: string;
  nodePortRange?: [number, number];
  now?: () => Date;
}

export interface WriteResult {
  object: KubeObject;
  /** 201 for a create, 200 otherwise; 202 for a delete that is pending (grace period, finalizers) */
  code: 200 | 201 | 202;
}

export const timestamp = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

const RANDOM_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(n = 5): string {
  const bytes = randomBytes(n);
  let s = '';
  for (const b of bytes) s += RANDOM_ALPHABET[b % RANDOM_ALPHABET.length];
  return s;
}

const clone = <T>(v: T): T => structuredClone(v);

function withoutRv(o: KubeObject): unknown {
  const { resourceVersion: _rv, managedFields: _mf, ...meta } = o.metadata;
  return canonical({ ...o, metadata: meta });
}

function specView(o: KubeObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  return JSON.stringify(canonical(rest));
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

function decodeContinue(s: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as ContinueToken;
    if (typeof t.rv !== 'number' || typeof t.start !== 'string') throw new Error('shape');
    return t;
  } catch {
    throw badRequest('continue key is not valid: malformed continue token');
  }
}

export class Registry {
  readonly store: ObjectStore;
  readonly clusterIps: IpAllocator;
  readonly nodePorts: PortAllocator;
  readonly #now: () => Date;

  constructor(opts: RegistryOptions) {
    this.store = opts.store;
    this.clusterIps = new IpAllocator(opts.serviceCidr ?? '10.96.0.0/12');
    const [min, max] = opts.nodePortRange ?? [30000, 32767];
    this.nodePorts = new PortAllocator(min, max);
    this.#now = opts.now ?? (() => new Date());
    // rebuild allocations from persisted services
    for (const svc of this.store.list('services')) {
      const spec = svc.spec as { clusterIP?: string; type?: string; ports?: { nodePort?: number }[] } | undefined;
      if (spec?.clusterIP && spec.clusterIP !== 'None' && this.clusterIps.contains(spec.clusterIP) && !this.clusterIps.isUsed(spec.clusterIP)) this.clusterIps.reserve(spec.clusterIP);
      for (const p of spec?.ports ?? []) if (typeof p.nodePort === 'number') this.#tryReservePort(p.nodePort);
    }
  }

  #tryReservePort(p: number): void {
    try {
      this.nodePorts.reserve(p);
    } catch {
      /* out of range after a configuration change: keep the service as it is */
    }
  }

  #strategy(info: ResourceInfo): Strategy {
    return STRATEGIES[info.storage] ?? {};
  }

  #ctx(dryRun: boolean): StrategyContext {
    return { now: this.#now(), clusterIps: this.clusterIps, nodePorts: this.nodePorts, dryRun, rollback: [], onCommit: [] };
  }

  /** Runs `write` with allocation bookkeeping: undo on failure or dry run, deferred releases on commit. */
  #transact<T>(dryRun: boolean, fn: (ctx: StrategyContext) => T): T {
    const ctx = this.#ctx(dryRun);
    let result: T;
    try {
      result = fn(ctx);
    } catch (err) {
      for (const undo of ctx.rollback.reverse()) undo();
      throw err;
    }
    if (dryRun) for (const undo of ctx.rollback.reverse()) undo();
    else for (const done of ctx.onCommit) done();
    return result;
  }

  // ---- conversion between the request's version and the stored one ----

  toExternal(info: ResourceInfo, obj: KubeObject): KubeObject {
    const want = apiVersionOf(info);
    return obj.apiVersion === want ? obj : { ...obj, apiVersion: want };
  }

  #toStorage(info: ResourceInfo, body: KubeObject): KubeObject {
    const stored = storageResource(info);
    if (info.storage === 'deployments.apps' && info.version === 'v1beta1') convertDeploymentV1beta1(body);
    body.apiVersion = apiVersionOf(stored);
    body.kind = info.kind;
    return body;
  }

  #checkBody(info: ResourceInfo, body: unknown, owned = false): KubeObject {
    if (!isObject(body)) throw badRequest(`the body of the request must be a ${info.kind} object`);
    const obj = (owned ? body : clone(body)) as KubeObject;
    if (obj.kind !== undefined && obj.kind !== info.kind) throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersionOf(info)}) or the kind ${String(obj.kind)} does not match ${info.kind}`);
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(info)) throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersionOf(info)})`);
    if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
    if (!isObject(obj.metadata)) throw badRequest('metadata must be an object');
    return obj;
  }

  #checkNamespace(info: ResourceInfo, ns: string | undefined, obj: KubeObject, verb: 'create' | 'update'): void {
    if (!info.namespaced) {
      delete obj.metadata.namespace;
      return;
    }
    if (ns === undefined) throw badRequest(`${info.resource} are namespaced: the request must name a namespace`);
    if (obj.metadata.namespace !== undefined && obj.metadata.namespace !== '' && obj.metadata.namespace !== ns) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    obj.metadata.namespace = ns;
    if (verb === 'create') {
      const nsObj = this.store.get('namespaces', undefined, ns);
      if (!nsObj) throw notFound('', 'namespaces', ns);
      if (nsObj.metadata.deletionTimestamp) {
        throw forbidden(`${info.resource} "${obj.metadata.name ?? obj.metadata.generateName ?? ''}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`, { name: obj.metadata.name, kind: info.resource });
      }
    }
  }

  #validate(info: ResourceInfo, obj: KubeObject, old: KubeObject | undefined): void {
    const c = new Causes();
    const meta = obj.metadata;
    const strategy = this.#strategy(info);
    if (typeof meta.name !== 'string' || meta.name === '') c.required('metadata.name', 'Required value: name or generateName is required');
    else checkName(c, meta.name, strategy.nameKind ?? 'subdomain');
    checkLabels(c, 'metadata.labels', meta.labels);
    if (meta.annotations !== undefined && meta.annotations !== null) {
      if (!isObject(meta.annotations) || Object.values(meta.annotations).some((v) => typeof v !== 'string')) c.invalid('metadata.annotations', meta.annotations, 'must be a map of strings');
      else if (JSON.stringify(meta.annotations).length > 262144) c.list.push({ reason: 'FieldValueTooLong', field: 'metadata.annotations', message: 'Too long: must have at most 262144 bytes' });
    }
    if (meta.finalizers !== undefined && meta.finalizers !== null && (!Array.isArray(meta.finalizers) || meta.finalizers.some((f) => typeof f !== 'string'))) c.invalid('metadata.finalizers', meta.finalizers, 'must be a list of strings');
    if (meta.ownerReferences !== undefined && meta.ownerReferences !== null) {
      if (!Array.isArray(meta.ownerReferences)) c.invalid('metadata.ownerReferences', meta.ownerReferences, 'must be a list');
      else meta.ownerReferences.forEach((o, i) => {
        for (const k of ['apiVersion', 'kind', 'name', 'uid'] as const) if (!isObject(o) || typeof o[k] !== 'string' || o[k] === '') c.required(`metadata.ownerReferences[${i}].${k}`);
      });
      if (Array.isArray(meta.ownerReferences) && meta.ownerReferences.filter((o) => isObject(o) && o.controller === true).length > 1) c.invalid('metadata.ownerReferences', meta.ownerReferences, 'Only one reference can have Controller set to true');
    }
    if (c.list.length === 0) strategy.validate?.(obj, c, old);
    if (c.list.length > 0) throw invalid(info.group, info.kind, meta.name ?? '', c.list);
  }

  // ---- reads ----

  get(info: ResourceInfo, ns: string | undefined, name: string): KubeObject {
    const obj = this.store.get(info.storage, info.namespaced ? ns : undefined, name);
    if (!obj) throw notFound(info.group, info.resource, name);
    return this.toExternal(info, obj);
  }

  #filters(info: ResourceInfo, labelSelector: string | undefined, fieldSelector: string | undefined): { labels: Selector; fields: FieldRequirement[] } {
    return {
      labels: parseLabelSelector(labelSelector),
      fields: parseFieldSelector(fieldSelector, ['metadata.name', 'metadata.namespace', ...info.fieldLabels]),
    };
  }

  list(info: ResourceInfo, ns: string | undefined, opts: ListOptions = {}): KubeList {
    const { labels, fields } = this.#filters(info, opts.labelSelector, opts.fieldSelector);
    const all = this.store.list(info.storage, info.namespaced ? ns : undefined);
    let start = 0;
    if (opts.continue) {
      const t = decodeContinue(opts.continue);
      if (t.rv < this.store.compactedRv) throw expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
      start = all.findIndex((o) => objectKey(o.metadata.namespace, o.metadata.name ?? '') > t.start);
      if (start < 0) start = all.length;
    }
    const items: KubeObject[] = [];
    let next: string | undefined;
    let remaining = 0;
    for (let i = start; i < all.length; i++) {
      const o = all[i];
      if (!matchesLabels(labels, o.metadata.labels) || !matchesFields(fields, o)) continue;
      if (opts.limit !== undefined && opts.limit > 0 && items.length >= opts.limit) {
        if (next === undefined) {
          const last = items[items.length - 1];
          next = encodeContinue({ rv: this.store.rv, start: objectKey(last.metadata.namespace, last.metadata.name ?? '') });
        }
        remaining++;
        continue;
      }
      items.push(this.#listItem(info, o));
    }
    const metadata: KubeList['metadata'] = { resourceVersion: String(this.store.rv) };
    if (next !== undefined) {
      metadata.continue = next;
      if (labels.requirements.length === 0 && fields.length === 0) metadata.remainingItemCount = remaining;
    }
    return { apiVersion: apiVersionOf(info), kind: `${info.kind}List`, metadata, items };
  }

  /** List items carry no kind/apiVersion, as the Kubernetes API server sends them. */
  #listItem(info: ResourceInfo, o: KubeObject): KubeObject {
    const { apiVersion: _a, kind: _k, ...rest } = o;
    void info;
    return rest;
  }

  // ---- writes ----

  create(info: ResourceInfo, ns: string | undefined, body: unknown, opts: WriteOptions = {}): WriteResult {
    const obj = this.#checkBody(info, body, opts.bodyOwned);
    const meta = obj.metadata;
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== '') throw badRequest('resourceVersion should not be set on objects to be created');
    this.#checkNamespace(info, ns, obj, 'create');
    if ((meta.name === undefined || meta.name === '') && typeof meta.generateName === 'string' && meta.generateName !== '') {
      for (let i = 0; i < 8; i++) {
        const candidate = `${meta.generateName}${randomSuffix()}`;
        if (!this.store.get(info.storage, meta.namespace, candidate)) {
          meta.name = candidate;
          break;
        }
      }
    }
    return this.#transact(opts.dryRun ?? false, (ctx) => this.#createPrepared(info, obj, ctx, opts.dryRun ?? false));
  }

  #createPrepared(info: ResourceInfo, obj: KubeObject, ctx: StrategyContext, dryRun: boolean): WriteResult {
    const meta = obj.metadata;
    this.#toStorage(info, obj);
    meta.uid = randomUUID();
    meta.creationTimestamp = timestamp(ctx.now);
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.resourceVersion;
    delete meta.managedFields;
    delete meta.selfLink;
    if (info.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    const strategy = this.#strategy(info);
    strategy.defaults?.(obj, info);
    this.#validate(info, obj, undefined);
    if (this.store.get(info.storage, meta.namespace, meta.name ?? '')) throw alreadyExists(info.group, info.resource, meta.name ?? '');
    strategy.prepareCreate?.(obj, ctx);
    const stored = dryRun ? { ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.store.rv) } } : this.store.commit(info.storage, 'ADDED', obj);
    return { object: this.toExternal(info, stored), code: 201 };
  }

  update(info: ResourceInfo, ns: string | undefined, name: string, body: unknown, opts: WriteOptions & { subresource?: 'status' } = {}): WriteResult {
    const obj = this.#checkBody(info, body, opts.bodyOwned);
    if (obj.metadata.name !== undefined && obj.metadata.name !== name) throw badRequest(`the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${name})`);
    obj.metadata.name = name;
    this.#checkNamespace(info, ns, obj, 'update');
    const old = this.store.get(info.storage, info.namespaced ? ns : undefined, name);
    if (!old) {
      if (this.#strategy(info).allowCreateOnUpdate && !opts.subresource) {
        delete obj.metadata.resourceVersion;
        return this.create(info, ns, obj, opts);
      }
      throw notFound(info.group, info.resource, name);
    }
    return this.#updateFrom(info, old, obj, opts);
  }

  #updateFrom(info: ResourceInfo, old: KubeObject, obj: KubeObject, opts: WriteOptions & { subresource?: 'status' }): WriteResult {
    const name = old.metadata.name ?? '';
    const rv = obj.metadata.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== old.metadata.resourceVersion) throw staleResourceVersion(info.group, info.resource, name);
    if (obj.metadata.uid !== undefined && obj.metadata.uid !== '' && obj.metadata.uid !== old.metadata.uid) {
      throw conflict(info.group, info.resource, name, `Precondition failed: UID in precondition: ${String(obj.metadata.uid)}, UID in object meta: ${String(old.metadata.uid)}`);
    }
    this.#toStorage(info, obj);
    let next: KubeObject;
    if (opts.subresource === 'status') {
      next = clone(old);
      if (obj.status !== undefined) next.status = obj.status;
    } else {
      next = obj;
      const m = next.metadata;
      const o = old.metadata;
      m.uid = o.uid;
      m.creationTimestamp = o.creationTimestamp;
      m.namespace = o.namespace;
      if (o.deletionTimestamp) {
        m.deletionTimestamp = o.deletionTimestamp;
        m.deletionGracePeriodSeconds = o.deletionGracePeriodSeconds;
      } else {
        delete m.deletionTimestamp;
        delete m.deletionGracePeriodSeconds;
      }
      if (o.generation !== undefined) m.generation = o.generation;
      else delete m.generation;
      delete m.managedFields;
      if (info.hasStatus) {
        if (old.status === undefined) delete next.status;
        else next.status = clone(old.status);
      }
      if (o.deletionTimestamp && Array.isArray(m.finalizers) && m.finalizers.some((f) => !(o.finalizers ?? []).includes(f))) {
        throw invalid(info.group, info.kind, name, [{ reason: 'FieldValueForbidden', field: 'metadata.finalizers', message: 'Forbidden: no new finalizers can be added if the object is being deleted' }]);
      }
    }
    delete next.metadata.resourceVersion;
    return this.#transact(opts.dryRun ?? false, (ctx) => {
      const strategy = this.#strategy(info);
      if (opts.subresource !== 'status') {
        strategy.defaults?.(next, info);
        strategy.prepareUpdate?.(next, old, ctx);
      }
      this.#validate(info, next, old);
      if (info.tracksGeneration && specView(next) !== specView(old)) next.metadata.generation = (old.metadata.generation ?? 0) + 1;
      next.metadata.resourceVersion = old.metadata.resourceVersion;
      if (JSON.stringify(withoutRv(next)) === JSON.stringify(withoutRv(old))) return { object: this.toExternal(info, old), code: 200 as const };
      if (opts.dryRun) return { object: this.toExternal(info, next), code: 200 as const };
      if (this.#finalizable(info, next)) {
        const gone = this.store.commit(info.storage, 'DELETED', next);
        strategy.afterDelete?.(gone, ctx);
        return { object: this.toExternal(info, gone), code: 200 as const };
      }
      return { object: this.toExternal(info, this.store.commit(info.storage, 'MODIFIED', next)), code: 200 as const };
    });
  }

  /** An object being deleted whose last finalizer is gone (and whose grace period is over). */
  #finalizable(info: ResourceInfo, o: KubeObject): boolean {
    const m = o.metadata;
    if (!m.deletionTimestamp) return false;
    if ((m.finalizers ?? []).length > 0) return false;
    if (info.storage === 'namespaces') {
      const spec = o.spec as { finalizers?: string[] } | undefined;
      return (spec?.finalizers ?? []).length === 0;
    }
    return (m.deletionGracePeriodSeconds ?? 0) === 0;
  }

  patch(
    info: ResourceInfo,
    ns: string | undefined,
    name: string,
    type: PatchType,
    body: unknown,
    opts: WriteOptions & { subresource?: 'status'; force?: boolean } = {},
  ): WriteResult {
    const patch = this.#parsePatch(type, body);
    const key = info.namespaced ? ns : undefined;
    const old = this.store.get(info.storage, key, name);
    if (!old) {
      if (type === 'apply' && !opts.subresource) {
        if (!isObject(patch)) throw badRequest('apply patch must be an object');
        const meta = isObject(patch.metadata) ? patch.metadata : {};
        if (meta.name !== undefined && meta.name !== name) throw badRequest(`the name of the object (${JSON.stringify(meta.name)}) does not match the name on the URL (${name})`);
        return this.create(info, ns, { ...patch, metadata: { ...meta, name } }, opts);
      }
      throw notFound(info.group, info.resource, name);
    }
    const current = this.toExternal(info, old) as unknown;
    let patched: unknown;
    switch (type) {
      case 'json':
        patched = applyJsonPatch(current, patch);
        break;
      case 'merge':
        patched = applyMergePatch(current, patch);
        break;
      case 'strategic':
      case 'apply':
        patched = applyStrategicMergePatch(current, patch);
        if (type === 'apply' && isObject(patched) && isObject(patched.metadata)) delete patched.metadata.managedFields;
        break;
    }
    if (!isObject(patched)) throw badRequest('the patch did not produce an object');
    const obj = this.#checkBody(info, patched);
    // a patch that carries metadata.resourceVersion is a precondition; otherwise the current one
    const patchRv = isObject(patch) && isObject(patch.metadata) ? patch.metadata.resourceVersion : undefined;
    obj.metadata.resourceVersion = typeof patchRv === 'string' ? patchRv : old.metadata.resourceVersion;
    if (obj.metadata.name !== name) throw badRequest(`the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${name})`);
    return this.#updateFrom(info, old, obj, opts);
  }

  #parsePatch(type: PatchType, body: unknown): unknown {
    if (typeof body !== 'string' && !Buffer.isBuffer(body)) return body;
    const text = body.toString();
    try {
      return type === 'apply' ? (parseYaml(text) as unknown) : (JSON.parse(text) as unknown);
    } catch (err) {
      throw badRequest(`error decoding patch: ${(err as Error).message}`);
    }
  }

  delete(info: ResourceInfo, ns: string | undefined, name: string, opts: DeleteOptions = {}): WriteResult {
    const dryRun = (opts.dryRun ?? []).includes('All');
    const old = this.store.get(info.storage, info.namespaced ? ns : undefined, name);
    if (!old) throw notFound(info.group, info.resource, name);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== old.metadata.uid) throw conflict(info.group, info.resource, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${String(old.metadata.uid)}`);
    if (pre?.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(info.group, info.resource, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${String(old.metadata.resourceVersion)}`);
    }
    const strategy = this.#strategy(info);
    return this.#transact(dryRun, (ctx) => {
      const now = ctx.now;
      const next = clone(old);
      const m = next.metadata;
      delete m.resourceVersion;
      const policy = opts.propagationPolicy ?? (opts.orphanDependents === true ? 'Orphan' : opts.orphanDependents === false ? 'Background' : undefined);
      const finalizers = [...(m.finalizers ?? [])];
      if (!m.deletionTimestamp) {
        if (policy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
        if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
      }
      if (finalizers.length > 0) m.finalizers = finalizers;
      if (info.storage === 'namespaces') {
        const spec = (next.spec ?? {}) as { finalizers?: string[] };
        if ((spec.finalizers ?? []).length > 0 || finalizers.length > 0) {
          if (m.deletionTimestamp) return { object: this.toExternal(info, old), code: 202 as const };
          m.deletionTimestamp = timestamp(now);
          m.deletionGracePeriodSeconds = 0;
          next.status = { ...(isObject(next.status) ? next.status : {}), phase: 'Terminating' };
          return this.#commitPending(info, next, dryRun);
        }
      }
      const grace = strategy.gracePeriod?.(old, opts) ?? 0;
      if (grace > 0) {
        const until = new Date(now.getTime() + grace * 1000);
        if (m.deletionTimestamp && m.deletionGracePeriodSeconds !== undefined && Date.parse(m.deletionTimestamp) <= until.getTime()) {
          return { object: this.toExternal(info, old), code: 202 as const };
        }
        m.deletionTimestamp = timestamp(until);
        m.deletionGracePeriodSeconds = grace;
        return this.#commitPending(info, next, dryRun);
      }
      if (finalizers.length > 0) {
        if (m.deletionTimestamp && (m.deletionGracePeriodSeconds ?? 0) === 0 && JSON.stringify(finalizers) === JSON.stringify(old.metadata.finalizers ?? [])) {
          return { object: this.toExternal(info, old), code: 202 as const };
        }
        m.deletionTimestamp ??= timestamp(now);
        m.deletionGracePeriodSeconds = 0;
        return this.#commitPending(info, next, dryRun);
      }
      if (dryRun) return { object: this.toExternal(info, old), code: 200 as const };
      m.deletionTimestamp ??= timestamp(now);
      m.deletionGracePeriodSeconds = 0;
      const gone = this.store.commit(info.storage, 'DELETED', next);
      strategy.afterDelete?.(gone, ctx);
      return { object: this.toExternal(info, gone), code: 200 as const };
    });
  }

  #commitPending(info: ResourceInfo, next: KubeObject, dryRun: boolean): WriteResult {
    if (dryRun) return { object: this.toExternal(info, next), code: 202 };
    return { object: this.toExternal(info, this.store.commit(info.storage, 'MODIFIED', next)), code: 202 };
  }

  deleteCollection(info: ResourceInfo, ns: string | undefined, list: ListOptions, opts: DeleteOptions = {}): KubeList {
    const { items } = this.list(info, ns, { labelSelector: list.labelSelector, fieldSelector: list.fieldSelector });
    const out: KubeObject[] = [];
    for (const item of items) {
      try {
        out.push(this.delete(info, item.metadata.namespace, item.metadata.name ?? '', opts).object);
      } catch (err) {
        if (!(err instanceof KubeApiError && err.code === 'NotFound')) throw err;
      }
    }
    return { apiVersion: apiVersionOf(info), kind: `${info.kind}List`, metadata: { resourceVersion: String(this.store.rv) }, items: out };
  }

  // ---- subresources ----

  #selectorString(info: ResourceInfo, obj: KubeObject): string {
    const spec = (obj.spec ?? {}) as { selector?: unknown };
    if (info.storage === 'replicationcontrollers') {
      const sel = isObject(spec.selector) ? (spec.selector as Record<string, string>) : {};
      return Object.keys(sel).sort().map((k) => `${k}=${sel[k]}`).join(',');
    }
    try {
      return selectorToString(fromLabelSelector(spec.selector as LabelSelectorSpec));
    } catch {
      return '';
    }
  }

  getScale(info: ResourceInfo, ns: string | undefined, name: string): KubeObject {
    const obj = this.get(info, ns, name);
    const spec = (obj.spec ?? {}) as { replicas?: number };
    const status = (obj.status ?? {}) as { replicas?: number };
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name, namespace: obj.metadata.namespace, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, creationTimestamp: obj.metadata.creationTimestamp },
      spec: { replicas: spec.replicas ?? 0 },
      status: { replicas: status.replicas ?? 0, selector: this.#selectorString(info, obj) },
    };
  }

  updateScale(info: ResourceInfo, ns: string | undefined, name: string, body: unknown, opts: WriteOptions = {}): WriteResult {
    if (!isObject(body) || !isObject(body.spec)) throw badRequest('the body of the request must be a Scale object');
    const replicas = body.spec.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw invalid('autoscaling', 'Scale', name, [{ reason: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` }]);
    }
    const old = this.store.get(info.storage, ns, name);
    if (!old) throw notFound(info.group, info.resource, name);
    const meta = isObject(body.metadata) ? body.metadata : {};
    const next = clone(this.toExternal(info, old));
    (next.spec as { replicas: number }).replicas = replicas;
    next.metadata.resourceVersion = typeof meta.resourceVersion === 'string' && meta.resourceVersion !== '' ? meta.resourceVersion : old.metadata.resourceVersion;
    this.#updateFrom(info, old, next, opts);
    return { object: this.getScale(info, ns, name), code: 200 };
  }

  patchScale(info: ResourceInfo, ns: string | undefined, name: string, type: PatchType, body: unknown, opts: WriteOptions = {}): WriteResult {
    const patch = this.#parsePatch(type, body);
    const current = this.getScale(info, ns, name) as unknown;
    const patched = type === 'json' ? applyJsonPatch(current, patch) : type === 'merge' ? applyMergePatch(current, patch) : applyStrategicMergePatch(current, patch);
    return this.updateScale(info, ns, name, patched, opts);
  }

  /** POST pods/<name>/binding: assigns a pod to a node once. */
  bind(info: ResourceInfo, ns: string, name: string, body: unknown, opts: WriteOptions = {}): KubeObject {
    if (!isObject(body) || !isObject(body.target) || typeof body.target.name !== 'string' || body.target.name === '') {
      throw invalid('', 'Binding', name, [{ reason: 'FieldValueRequired', field: 'target.name', message: 'Required value' }]);
    }
    const node = body.target.name;
    const old = this.store.get(info.storage, ns, name);
    if (!old) throw notFound('', 'pods', name);
    const spec = (old.spec ?? {}) as { nodeName?: string };
    if (spec.nodeName) throw conflict('', 'pods/binding', name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
    if (old.metadata.deletionTimestamp) throw conflict('', 'pods/binding', name, `pod ${name} is being deleted, cannot be assigned to a host`);
    const meta = isObject(body.metadata) ? body.metadata : {};
    if (typeof meta.uid === 'string' && meta.uid !== old.metadata.uid) throw conflict('', 'pods/binding', name, 'Precondition failed: UID mismatch');
    const next = clone(old);
    (next.spec as { nodeName: string }).nodeName = node;
    const status = (isObject(next.status) ? next.status : (next.status = {})) as { conditions?: { type: string }[] };
    status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== 'PodScheduled'), { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: timestamp(this.#now()) } as { type: string }];
    delete next.metadata.resourceVersion;
    if (!opts.dryRun) this.store.commit(info.storage, 'MODIFIED', next);
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
  }

  /** PUT namespaces/<name>/finalize: replaces spec.finalizers; the namespace goes once none are left. */
  finalizeNamespace(info: ResourceInfo, name: string, body: unknown, opts: WriteOptions = {}): WriteResult {
    if (!isObject(body)) throw badRequest('the body of the request must be a Namespace object');
    const old = this.store.get(info.storage, undefined, name);
    if (!old) throw notFound('', 'namespaces', name);
    const spec = isObject(body.spec) ? body.spec : {};
    const finalizers = Array.isArray(spec.finalizers) ? spec.finalizers.filter((f): f is string => typeof f === 'string') : [];
    const next = clone(old);
    (next.spec as { finalizers: string[] }).finalizers = finalizers;
    delete next.metadata.resourceVersion;
    if (opts.dryRun) return { object: next, code: 200 };
    if (this.#finalizable(info, next)) return { object: this.store.commit(info.storage, 'DELETED', next), code: 200 };
    return { object: this.store.commit(info.storage, 'MODIFIED', next), code: 200 };
  }

  // ---- watch ----

  /**
   * Streams changes to `sink` until the returned function is called. Without a resourceVersion (or
   * "0") the stream starts with the current state as ADDED events; with one it resumes after it, or
   * throws 410 Expired when history no longer reaches back that far. Filters apply to the old and
   * new state: an object leaving the selection is DELETED, one entering it ADDED (as Kubernetes).
   */
  watch(info: ResourceInfo, ns: string | undefined, opts: WatchOptions, sink: (e: RegistryWatchEvent) => void): () => void {
    const { labels, fields } = this.#filters(info, opts.labelSelector, opts.fieldSelector);
    const nsFilter = info.namespaced ? ns : undefined;
    const matches = (o: KubeObject | undefined): boolean =>
      o !== undefined && (nsFilter === undefined || o.metadata.namespace === nsFilter) && matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o);
    const emit = (ev: StoreEvent): void => {
      const now = ev.type !== 'DELETED' && matches(ev.object);
      const before = ev.old !== undefined && matches(ev.old);
      if (ev.type === 'DELETED') {
        if (before || matches(ev.object)) sink({ type: 'DELETED', object: this.toExternal(info, ev.object) });
      } else if (now && before) sink({ type: 'MODIFIED', object: this.toExternal(info, ev.object) });
      else if (now) sink({ type: 'ADDED', object: this.toExternal(info, ev.object) });
      else if (before && ev.old) {
        const gone = { ...ev.old, metadata: { ...ev.old.metadata, resourceVersion: String(ev.rv) } };
        sink({ type: 'DELETED', object: this.toExternal(info, gone) });
      }
    };
    const rvParam = opts.resourceVersion ?? '';
    const initial = rvParam === '' || rvParam === '0' || opts.sendInitialEvents === true;
    let backlog: StoreEvent[] = [];
    if (!initial) {
      const since = Number(rvParam);
      if (!Number.isInteger(since) || since < 0) throw badRequest(`invalid resource version: ${JSON.stringify(rvParam)}`);
      const changes = this.store.changesSince(info.storage, since);
      if (changes === 'expired') throw expired(`too old resource version: ${since} (${this.store.compactedRv + 1})`);
      backlog = changes;
    }
    const unsubscribe = this.store.subscribe(info.storage, emit);
    if (initial) {
      for (const o of this.store.list(info.storage, nsFilter)) if (matches(o)) sink({ type: 'ADDED', object: this.toExternal(info, o) });
      if (opts.sendInitialEvents === true) {
        sink({
          type: 'BOOKMARK',
          object: { kind: info.kind, apiVersion: apiVersionOf(info), metadata: { resourceVersion: String(this.store.rv), annotations: { 'k8s.io/initial-events-end': 'true' } } },
        });
      }
    } else for (const ev of backlog) emit(ev);
    return unsubscribe;
  }

  bookmark(info: ResourceInfo): RegistryWatchEvent {
    return { type: 'BOOKMARK', object: { kind: info.kind, apiVersion: apiVersionOf(info), metadata: { resourceVersion: String(this.store.rv) } } };
  }
}
