// GET pods/<name>/log: finds the pod's node and proxies to that node's kubelet log endpoint (as the API
// server proxies to a kubelet's :10250), streaming the answer through (`kubectl logs [-f]`).
import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import { KubeApiError, badRequest } from './errors.js';
import type { Registry } from './registry.js';
import { findResource } from './resources.js';
import { isObject } from './types.js';

const PASSED = ['follow', 'tailLines', 'limitBytes', 'timestamps', 'sinceSeconds'];

export function proxyPodLog(registry: Registry, ns: string, name: string, q: URLSearchParams, req: IncomingMessage, res: ServerResponse): void {
  const pods = findResource('', 'v1', 'pods');
  const nodes = findResource('', 'v1', 'nodes');
  if (!pods || !nodes) throw new KubeApiError(500, 'InternalError', 'resource table without pods or nodes');
  const pod = registry.get(pods, ns, name);
  const spec = isObject(pod.spec) ? pod.spec : {};
  const names = (Array.isArray(spec.containers) ? spec.containers : []).filter(isObject).map((c) => String(c.name as string));
  let container = q.get('container') ?? '';
  if (container === '') {
    const dflt = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
    if (dflt && names.includes(dflt)) container = dflt;
    else if (names.length === 1) container = names[0];
    else throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
  }
  if (!names.includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
  const nodeName = typeof spec.nodeName === 'string' ? spec.nodeName : '';
  const statuses = isObject(pod.status) && Array.isArray(pod.status.containerStatuses) ? pod.status.containerStatuses.filter(isObject) : [];
  const started = statuses.find((c) => c.name === container);
  if (!nodeName || !started || (isObject(started.state) && isObject(started.state.waiting) && started.started !== true && (started.restartCount ?? 0) === 0)) {
    const reason = isObject(started?.state) && isObject(started.state.waiting) ? String(started.state.waiting.reason) : 'ContainerCreating';
    throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${reason}`);
  }
  const node = registry.get(nodes, undefined, nodeName);
  const st = isObject(node.status) ? node.status : {};
  const endpoint = isObject(st.daemonEndpoints) && isObject(st.daemonEndpoints.kubeletEndpoint) ? Number(st.daemonEndpoints.kubeletEndpoint.Port) : 0;
  const addresses = Array.isArray(st.addresses) ? st.addresses.filter(isObject) : [];
  const internal = addresses.find((a) => a.type === 'InternalIP')?.address;
  const host = node.metadata.annotations?.['lab.tungsten.io/kubelet-address'] ?? (typeof internal === 'string' ? internal : '');
  if (!endpoint || !host) throw new KubeApiError(503, 'ServiceUnavailable', `node ${nodeName} publishes no kubelet endpoint`);
  const query = new URLSearchParams();
  for (const k of PASSED) {
    const v = q.get(k);
    if (v !== null) query.set(k, v);
  }
  const upstream = request({ host, port: endpoint, path: `/containerLogs/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}?${query.toString()}`, method: 'GET' }, (up) => {
    if ((up.statusCode ?? 500) !== 200) {
      let text = '';
      up.setEncoding('utf8').on('data', (d: string) => (text += d));
      up.on('end', () => {
        const err = new KubeApiError(up.statusCode === 404 ? 404 : 500, up.statusCode === 404 ? 'NotFound' : 'InternalError', text || `kubelet answered ${up.statusCode ?? 0}`);
        const body = JSON.stringify(err.toStatus());
        res.writeHead(err.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
    up.pipe(res);
  });
  upstream.on('error', (err) => {
    if (res.headersSent) return void res.destroy();
    const e = new KubeApiError(503, 'ServiceUnavailable', `Get "http://${host}:${endpoint}/containerLogs/${ns}/${name}/${container}": ${err.message}`);
    const body = JSON.stringify(e.toStatus());
    res.writeHead(503, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  req.on('close', () => upstream.destroy());
  upstream.end();
}
