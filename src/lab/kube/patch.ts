// The patch formats of the Kubernetes API, applied to plain JSON documents (pure; inputs untouched):
// RFC 6902 JSON patch, RFC 7386 JSON merge patch, and strategic merge patch (what `kubectl apply`,
// `kubectl edit` and `kubectl patch` send for built-in types). The strategic merge needs each list's
// merge key; Kubernetes reads it from Go struct tags, here a table by field name covers the lab's types.
import { invalid, badRequest } from './errors.js';
import { isObject } from './types.js';

type Json = unknown;
type Obj = Record<string, unknown>;

const clone = <T>(v: T): T => (v === undefined ? v : (structuredClone(v)));

// ---- RFC 7386 ----

export function applyMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const result: Obj = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete result[k];
    else result[k] = applyMergePatch(result[k], v);
  }
  return result;
}

// ---- RFC 6902 ----

export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw badRequest(`json patch: invalid JSON pointer ${JSON.stringify(p)}`);
  return p.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function patchFail(message: string): never {
  throw invalid('', 'JSONPatch', '', [{ reason: 'FieldValueInvalid', message }]);
}

function resolveParent(doc: Json, segs: string[], path: string): { parent: Obj | unknown[]; key: string } {
  let cur: Json = doc;
  for (const s of segs.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(s)];
    else if (isObject(cur)) cur = cur[s];
    else cur = undefined;
    if (cur === undefined) patchFail(`json patch: path ${JSON.stringify(path)} does not exist`);
  }
  if (!Array.isArray(cur) && !isObject(cur)) patchFail(`json patch: parent of ${JSON.stringify(path)} is not a container`);
  return { parent: cur as Obj | unknown[], key: segs[segs.length - 1] };
}

function arrayIndex(arr: unknown[], key: string, forAdd: boolean, path: string): number {
  if (forAdd && key === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(key)) patchFail(`json patch: invalid array index ${JSON.stringify(key)} in ${JSON.stringify(path)}`);
  const i = Number(key);
  if (i > arr.length || (!forAdd && i === arr.length)) patchFail(`json patch: array index ${i} out of range in ${JSON.stringify(path)}`);
  return i;
}

function getAt(doc: Json, path: string): Json {
  let cur: Json = doc;
  for (const s of parsePointer(path)) {
    if (Array.isArray(cur)) cur = cur[Number(s)];
    else if (isObject(cur)) cur = Object.hasOwn(cur, s) ? cur[s] : undefined;
    else cur = undefined;
    if (cur === undefined) patchFail(`json patch: path ${JSON.stringify(path)} does not exist`);
  }
  return cur;
}

function addAt(doc: Json, path: string, value: Json): Json {
  const segs = parsePointer(path);
  if (segs.length === 0) return value;
  const { parent, key } = resolveParent(doc, segs, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true, path), 0, value);
  else parent[key] = value;
  return doc;
}

function removeAt(doc: Json, path: string): Json {
  const segs = parsePointer(path);
  if (segs.length === 0) patchFail('json patch: cannot remove the whole document');
  const { parent, key } = resolveParent(doc, segs, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, false, path), 1);
  else {
    if (!Object.hasOwn(parent, key)) patchFail(`json patch: path ${JSON.stringify(path)} does not exist`);
    delete parent[key];
  }
  return doc;
}

export function applyJsonPatch(target: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) throw badRequest('json patch: the patch must be a JSON array of operations');
  let doc = clone(target);
  for (const raw of ops) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') throw badRequest(`json patch: invalid operation ${JSON.stringify(raw)}`);
    const op = raw as unknown as JsonPatchOp;
    switch (op.op) {
      case 'add':
        doc = addAt(doc, op.path, clone(op.value));
        break;
      case 'remove':
        doc = removeAt(doc, op.path);
        break;
      case 'replace':
        getAt(doc, op.path);
        doc = parsePointer(op.path).length === 0 ? clone(op.value) : addAt(removeAt(doc, op.path), op.path, clone(op.value));
        break;
      case 'move': {
        if (op.from === undefined) throw badRequest('json patch: move needs "from"');
        const v = getAt(doc, op.from);
        doc = addAt(removeAt(doc, op.from), op.path, v);
        break;
      }
      case 'copy': {
        if (op.from === undefined) throw badRequest('json patch: copy needs "from"');
        doc = addAt(doc, op.path, clone(getAt(doc, op.from)));
        break;
      }
      case 'test':
        if (JSON.stringify(canonical(getAt(doc, op.path))) !== JSON.stringify(canonical(op.value))) patchFail(`json patch: test failed at ${JSON.stringify(op.path)}`);
        break;
      default:
        throw badRequest(`json patch: unknown operation ${JSON.stringify((op as { op: string }).op)}`);
    }
  }
  return doc;
}

/** JSON with object keys sorted, for equality tests. */
export function canonical(v: Json): Json {
  if (Array.isArray(v)) return v.map(canonical);
  if (isObject(v)) {
    const out: Obj = {};
    for (const k of Object.keys(v).sort()) out[k] = canonical(v[k]);
    return out;
  }
  return v;
}

// ---- strategic merge patch ----

/** List fields merged by a key (patchStrategy=merge, patchMergeKey=…) in the lab's types. */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  imagePullSecrets: 'name',
  resourceClaims: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  conditions: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
};

/** Lists of scalars merged as sets (patchStrategy=merge without key). */
const PRIMITIVE_MERGE = new Set(['finalizers']);

type ListStrategy = { kind: 'replace' } | { kind: 'set' } | { kind: 'key'; key: string };

function listStrategy(field: string, a: unknown[], b: unknown[]): ListStrategy {
  if (PRIMITIVE_MERGE.has(field)) return { kind: 'set' };
  const sample = [...a, ...b].filter(isObject);
  if (field === 'ports') {
    if (sample.some((e) => 'containerPort' in e)) return { kind: 'key', key: 'containerPort' };
    if (sample.some((e) => 'port' in e)) return { kind: 'key', key: 'port' };
    return { kind: 'replace' };
  }
  if (field === 'addresses') return sample.length > 0 && sample.every((e) => 'type' in e && !('ip' in e)) ? { kind: 'key', key: 'type' } : { kind: 'replace' };
  const key = MERGE_KEYS[field];
  return key ? { kind: 'key', key } : { kind: 'replace' };
}

const DELETE = Symbol('delete');

/** Removes strategic-merge directives from a value that is inserted as new. */
function stripDirectives(v: unknown): unknown {
  const r = strategic(undefined, v);
  return r === DELETE ? undefined : r;
}

function sameKey(a: unknown, b: unknown, key: string): boolean {
  return isObject(a) && isObject(b) && JSON.stringify(a[key]) === JSON.stringify(b[key]);
}

function mergeList(field: string, orig: unknown, patch: unknown[]): unknown[] {
  const base = Array.isArray(orig) ? orig : [];
  if (patch.some((e) => isObject(e) && e.$patch === 'replace')) {
    return patch.filter((e) => !(isObject(e) && e.$patch === 'replace')).map(stripDirectives);
  }
  const strat = listStrategy(field, base, patch);
  if (strat.kind === 'replace') return patch.map(stripDirectives);
  if (strat.kind === 'set') {
    const out: unknown[] = [...(base as unknown[])];
    for (const v of patch) if (!out.some((o) => JSON.stringify(o) === JSON.stringify(v))) out.push(v);
    return out;
  }
  const out: unknown[] = [...(base as unknown[])];
  for (const p of patch) {
    if (!isObject(p)) throw badRequest(`strategic merge patch: ${field} elements must be objects with a ${strat.key}`);
    const i = out.findIndex((o) => sameKey(o, p, strat.key));
    if (p.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
      continue;
    }
    if (i >= 0) {
      const merged = strategic(out[i], p);
      if (merged === DELETE) out.splice(i, 1);
      else out[i] = merged;
    } else out.push(stripDirectives(p));
  }
  return out;
}

function reorder(list: unknown[], order: unknown[], field: string): unknown[] {
  const strat = listStrategy(field, list, order);
  const keyOf = (e: unknown): string => (strat.kind === 'key' && isObject(e) ? JSON.stringify(e[strat.key]) : JSON.stringify(e));
  const rank = new Map(order.map((e, i) => [keyOf(e), i]));
  const ordered = list.filter((e) => rank.has(keyOf(e))).sort((a, b) => (rank.get(keyOf(a)) ?? 0) - (rank.get(keyOf(b)) ?? 0));
  const rest = list.filter((e) => !rank.has(keyOf(e)));
  return [...ordered, ...rest];
}

function strategic(orig: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === 'delete') return DELETE;
  if (patch.$patch === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return strategic(undefined, rest);
  }
  const result: Obj = isObject(orig) ? { ...orig } : {};
  const orders: [string, unknown[]][] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/')) {
      if (Array.isArray(v)) orders.push([k.slice('$setElementOrder/'.length), v]);
      continue;
    }
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const cur = result[field];
      if (Array.isArray(cur) && Array.isArray(v)) result[field] = cur.filter((x) => !v.some((d) => JSON.stringify(d) === JSON.stringify(x)));
      continue;
    }
    if (v === null) delete result[k];
    else if (Array.isArray(v)) result[k] = mergeList(k, result[k], v);
    else if (isObject(v)) {
      const r = strategic(result[k], v);
      if (r === DELETE) delete result[k];
      else result[k] = r;
    } else result[k] = v;
  }
  for (const [field, order] of orders) {
    const cur = result[field];
    if (Array.isArray(cur)) result[field] = reorder(cur, order, field);
  }
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys as unknown[]);
    for (const k of Object.keys(result)) if (!keep.has(k)) delete result[k];
  }
  return result;
}

export function applyStrategicMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) throw badRequest('strategic merge patch: the patch must be a JSON object');
  const r = strategic(target, patch);
  return r === DELETE ? {} : r;
}
