import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { httpJson } from '../../../test/support/http-json.js';
import { startKubeApi, type RunningKubeApi } from './api-server.js';

let api: RunningKubeApi;
before(async () => {
  api = await startKubeApi({ port: 0, controllers: false, historySize: 20 });
});
after(async () => {
  await api.close();
});

const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });

/** Reads a watch stream until `until` says stop or the stream ends; returns the events. */
function watch(path: string, until: (events: { type: string; object: Record<string, unknown> }[]) => boolean, headers: Record<string, string> = {}): Promise<{ type: string; object: Record<string, unknown> }[]> {
  return new Promise((resolve, reject) => {
    const events: { type: string; object: Record<string, unknown> }[] = [];
    const req = request(new URL(path, api.url), { headers }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, i)) as { type: string; object: Record<string, unknown> });
          buf = buf.slice(i + 1);
        }
        if (until(events)) {
          req.destroy();
          resolve(events);
        }
      });
      res.on('end', () => resolve(events));
    });
    req.on('error', (e) => (events.length ? resolve(events) : reject(e)));
    req.end();
  });
}

test('errors are Kubernetes Status objects', async () => {
  const r = await httpJson(api.url, 'GET', '/api/v1/namespaces/default/pods/missing');
  assert.equal(r.status, 404);
  assert.deepEqual(r.json, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "missing" not found', reason: 'NotFound', details: { name: 'missing', group: '', kind: 'pods' }, code: 404 });
  const bad = await httpJson(api.url, 'POST', '/api/v1/namespaces/default/pods', '{not json');
  assert.equal(bad.status, 400);
  assert.equal((bad.json as { reason: string }).reason, 'BadRequest');
  const media = await httpJson(api.url, 'PATCH', '/api/v1/namespaces/default/pods/x', '{}', { 'content-type': 'text/plain' });
  assert.equal(media.status, 415);
  const unknown = await httpJson(api.url, 'GET', '/apis/batch/v1/jobs');
  assert.equal(unknown.status, 404);
  const method = await httpJson(api.url, 'POST', '/api/v1/namespaces/default/pods/x');
  assert.equal(method.status, 405);
});

test('create from YAML, dry run, get as Table and as YAML', async () => {
  const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\ndata:\n  k: v\n';
  const dry = await httpJson(api.url, 'POST', '/api/v1/namespaces/default/configmaps?dryRun=All', yaml, { 'content-type': 'application/yaml' });
  assert.equal(dry.status, 201);
  assert.equal((await httpJson(api.url, 'GET', '/api/v1/namespaces/default/configmaps/y')).status, 404);
  const made = await httpJson(api.url, 'POST', '/api/v1/namespaces/default/configmaps', yaml, { 'content-type': 'application/yaml' });
  assert.equal(made.status, 201);
  const table = await httpJson(api.url, 'GET', '/api/v1/namespaces/default/configmaps', undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
  const t = table.json as { kind: string; columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };
  assert.equal(t.kind, 'Table');
  assert.deepEqual(t.columnDefinitions.map((c) => c.name), ['Name', 'Data', 'Age']);
  assert.deepEqual(t.rows[0].cells.slice(0, 2), ['y', 1]);
  const asYaml = await httpJson(api.url, 'GET', '/api/v1/namespaces/default/configmaps/y', undefined, { accept: 'application/yaml' });
  assert.match(asYaml.text, /^apiVersion: v1\nkind: ConfigMap\n/);
});

test('discovery: legacy and aggregated by Accept, /version, /openapi/v3', async () => {
  const legacy = await httpJson(api.url, 'GET', '/apis');
  assert.equal((legacy.json as { kind: string }).kind, 'APIGroupList');
  const agg = await httpJson(api.url, 'GET', '/api', undefined, { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
  assert.equal(agg.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
  assert.equal((agg.json as { kind: string }).kind, 'APIGroupDiscoveryList');
  const core = await httpJson(api.url, 'GET', '/api');
  assert.deepEqual((core.json as { versions: string[] }).versions, ['v1']);
  assert.equal(((await httpJson(api.url, 'GET', '/version')).json as { minor: string }).minor, '32');
  assert.equal((await httpJson(api.url, 'GET', '/openapi/v3/apis/apps/v1')).status, 200);
});

test('watch over HTTP: initial ADDED events, then changes; a compacted resourceVersion gives an ERROR 410 event', async () => {
  await httpJson(api.url, 'POST', '/api/v1/namespaces/default/pods', pod('w1'));
  const first = watch('/api/v1/namespaces/default/pods?watch=true', (ev) => ev.length >= 2);
  setTimeout(() => void httpJson(api.url, 'POST', '/api/v1/namespaces/default/pods', pod('w2')), 50);
  const evs = await first;
  assert.deepEqual(evs.map((e) => [e.type, (e.object.metadata as { name: string }).name]), [['ADDED', 'w1'], ['ADDED', 'w2']]);
  for (let i = 0; i < 25; i++) await httpJson(api.url, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: `fill-${i}` } });
  const gone = await watch('/api/v1/namespaces/default/pods?watch=1&resourceVersion=1', (ev) => ev.length >= 1);
  assert.equal(gone[0].type, 'ERROR');
  assert.equal(gone[0].object.code, 410);
  assert.equal(gone[0].object.reason, 'Expired');
});

test('watch with bookmarks and sendInitialEvents ends the initial state with a marked BOOKMARK', async () => {
  const evs = await watch('/api/v1/namespaces/default/pods?watch=1&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan', (ev) => ev.some((e) => e.type === 'BOOKMARK'));
  const bm = evs.find((e) => e.type === 'BOOKMARK');
  assert.equal((bm?.object.metadata as { annotations: Record<string, string> }).annotations['k8s.io/initial-events-end'], 'true');
  assert.ok(evs.filter((e) => e.type === 'ADDED').length >= 2);
});

test('watch of one object by name (kubectl delete --wait) and Table watch events', async () => {
  await httpJson(api.url, 'POST', '/api/v1/namespaces/default/pods', pod('solo'));
  const p = watch('/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dsolo&watch=1', (ev) => ev.some((e) => e.type === 'DELETED'), { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
  setTimeout(() => void httpJson(api.url, 'DELETE', '/api/v1/namespaces/default/pods/solo', { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' }), 50);
  const evs = await p;
  assert.deepEqual(evs.map((e) => e.type), ['ADDED', 'DELETED']);
  assert.equal(evs[0].object.kind, 'Table');
  assert.ok(Array.isArray(evs[0].object.columnDefinitions), 'the first event carries the columns');
  assert.equal(evs[1].object.columnDefinitions, null, 'later events do not');
});
