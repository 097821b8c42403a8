// A minimal OpenAPI v3 description: one document per group-version listing each resource's paths and
// the query parameters the lab honours. kubectl reads it to learn that the server validates fields
// itself (the `fieldValidation` parameter on PATCH), so `create`/`apply` work with the default
// `--validate=strict` without client-side schemas. No object schemas are published (see docs).
import { createHash } from 'node:crypto';
import { apiGroups, resourcesOf, type ResourceInfo } from './resources.js';

const param = (name: string): unknown => ({ name, in: 'query', description: name, schema: { type: 'string', uniqueItems: true } });

const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'pretty'].map(param);
const PATCH_PARAMS = [...WRITE_PARAMS, param('force')];
const LIST_PARAMS = ['allowWatchBookmarks', 'continue', 'fieldSelector', 'labelSelector', 'limit', 'resourceVersion', 'resourceVersionMatch', 'sendInitialEvents', 'timeoutSeconds', 'watch', 'pretty'].map(param);
const DELETE_PARAMS = ['dryRun', 'gracePeriodSeconds', 'orphanDependents', 'propagationPolicy', 'pretty'].map(param);

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

function op(r: ResourceInfo, action: string, parameters: unknown[], kind = r.kind, group = r.group, version = r.version): unknown {
  return {
    operationId: `${action}${r.kind}`,
    parameters,
    responses: { '200': { description: 'OK' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group, version, kind },
  };
}

function resourcePaths(r: ResourceInfo): Record<string, unknown> {
  const base = `/${gvPath(r.group, r.version)}`;
  const coll = r.namespaced ? `${base}/namespaces/{namespace}/${r.resource}` : `${base}/${r.resource}`;
  const item = `${coll}/{name}`;
  const out: Record<string, unknown> = {
    [coll]: { get: op(r, 'list', LIST_PARAMS), post: op(r, 'post', WRITE_PARAMS), delete: op(r, 'deletecollection', [...DELETE_PARAMS, ...LIST_PARAMS]) },
    [item]: { get: op(r, 'get', []), put: op(r, 'put', WRITE_PARAMS), patch: op(r, 'patch', PATCH_PARAMS), delete: op(r, 'delete', DELETE_PARAMS) },
  };
  if (r.namespaced) out[`${base}/${r.resource}`] = { get: op(r, 'list', LIST_PARAMS) };
  for (const s of r.subresources) {
    const p = `${item}/${s.name}`;
    if (s.name === 'binding') out[p] = { post: op(r, 'post', WRITE_PARAMS, s.kind, s.group, s.version) };
    else if (s.name === 'finalize') out[p] = { put: op(r, 'put', WRITE_PARAMS, s.kind, s.group, s.version) };
    else if (s.name === 'log') out[p] = { get: op(r, 'get', ['container', 'follow', 'tailLines', 'limitBytes'].map(param), 'string', '', '') };
    else out[p] = { get: op(r, 'get', [], s.kind, s.group, s.version), put: op(r, 'put', WRITE_PARAMS, s.kind, s.group, s.version), patch: op(r, 'patch', PATCH_PARAMS, s.kind, s.group, s.version) };
  }
  return out;
}

export function openApiV3Doc(group: string, version: string): unknown {
  const list = resourcesOf(group, version);
  if (list.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  for (const r of list) Object.assign(paths, resourcePaths(r));
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas: {} } };
}

let hashes: Map<string, string> | undefined;

function docHash(path: string): string {
  hashes ??= new Map();
  let h = hashes.get(path);
  if (!h) {
    const [g, v] = path.startsWith('api/') ? ['', path.slice(4)] : path.slice(5).split('/');
    h = createHash('sha512').update(JSON.stringify(openApiV3Doc(g, v))).digest('hex').slice(0, 128).toUpperCase();
    hashes.set(path, h);
  }
  return h;
}

export function openApiV3Index(): unknown {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const g of apiGroups()) {
    for (const v of g.versions) {
      const p = gvPath(g.name, v);
      paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${docHash(p)}` };
    }
  }
  return { paths };
}

/** `/openapi/v3/api/v1` → the document for core v1; undefined when unknown. */
export function openApiV3ForPath(path: string): unknown {
  const m = /^(?:api\/([^/]+)|apis\/([^/]+)\/([^/]+))$/.exec(path);
  if (!m) return undefined;
  return m[1] !== undefined ? openApiV3Doc('', m[1]) : openApiV3Doc(m[2], m[3]);
}
