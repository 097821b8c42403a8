import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { ServiceEndpoint } from '../common/endpoints.js';
import { collectStatus, formatStatus, stateOf, statusOf, type ServiceStatus } from './status.js';

test('stateOf maps health answers to contrail-status states', () => {
  assert.deepEqual(stateOf(undefined), { state: 'timeout' });
  assert.equal(stateOf({ status: 200, body: { component: 'x', status: 'up', connections: [] } }).state, 'active');
  assert.deepEqual(stateOf({ status: 503, body: { component: 'x', status: 'initializing', description: 'BGP:control1[Active] connection down', connections: [] } }),
    { state: 'initializing', description: 'BGP:control1[Active] connection down', connections: [] });
  assert.equal(stateOf({ status: 200, body: { component: 'x', status: 'backup', connections: [] } }).state, 'backup');
  assert.equal(stateOf({ status: 200, body: 'ok' }).state, 'active', 'a Kubernetes API answers plain "ok"');
  assert.deepEqual(stateOf({ status: 500, body: 'boom' }), { state: 'initializing', description: 'HTTP 500: boom' });
});

let server: Server;
let base: string;
before(async () => {
  server = createServer((req, res) => {
    const up = req.url === '/up';
    res.writeHead(up ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ component: 'c', status: up ? 'up' : 'initializing', description: up ? undefined : 'ApiServer:config-api[listing config] connection down', connections: [] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

test('collectStatus probes each service over HTTP; a dead PID is inactive without a probe; a closed port is a timeout', async () => {
  const services: ServiceEndpoint[] = [
    { group: 'config', service: 'api', instance: 'api', original: 'contrail-controller-config-api', health: `${base}/up`, pid: process.pid },
    { group: 'control', service: 'control', instance: 'control1', original: 'contrail-controller-control-control', health: `${base}/init` },
    { group: 'control', service: 'control', instance: 'control2', original: 'contrail-controller-control-control', health: 'http://127.0.0.1:1/healthz' },
    { group: 'vrouter', service: 'agent', instance: 'node1', original: 'contrail-vrouter-agent', health: `${base}/up`, pid: 2 ** 22 + 12345 },
  ];
  const st = await collectStatus(services, { timeoutMs: 2_000 });
  assert.deepEqual(st.map((s) => [s.instance, s.process, s.state]), [
    ['api', 'running', 'active'],
    ['control1', 'unknown', 'initializing'],
    ['control2', 'unknown', 'timeout'],
    ['node1', 'exited', 'inactive'],
  ]);
  assert.ok((st[0].uptimeSeconds ?? -1) >= 0);
  const r = await statusOf({ version: 1, dir: '/x', prefix: 'tfl-', supervisorPid: 1, kubeconfig: '/x/k', services });
  assert.equal(r.active, 1);
  assert.equal(r.total, 4);
});

test('formatStatus: the table, then one section per group with each service\'s state', () => {
  const list: ServiceStatus[] = [
    { group: 'vrouter', service: 'agent', instance: 'node1', original: 'contrail-vrouter-agent', process: 'running', pid: 10, uptimeSeconds: 52, state: 'active' },
    { group: 'config', service: 'api', instance: 'api', original: 'contrail-controller-config-api', process: 'running', pid: 11, uptimeSeconds: 300, state: 'active' },
    { group: 'control', service: 'control', instance: 'control1', original: 'contrail-controller-control-control', process: 'running', pid: 12, uptimeSeconds: 90, state: 'initializing', description: 'BGP:gateway connection down' },
    { group: 'control', service: 'control', instance: 'control2', original: 'contrail-controller-control-control', process: 'exited', state: 'inactive', description: 'process 13 is not running' },
  ];
  assert.equal(formatStatus(list), [
    'Pod      Service  Instance  Original Name                        State    Status',
    'config   api      api       contrail-controller-config-api       running  Up 5 minutes',
    'control  control  control1  contrail-controller-control-control  running  Up About a minute',
    'control  control  control2  contrail-controller-control-control  exited   Exited',
    'vrouter  agent    node1     contrail-vrouter-agent               running  Up 52 seconds',
    '',
    '== Contrail config ==',
    'api: active',
    '',
    '== Contrail control ==',
    'control (control1): initializing (BGP:gateway connection down)',
    'control (control2): inactive (process 13 is not running)',
    '',
    '== Contrail vrouter ==',
    'agent (node1): active',
  ].join('\n'));
});
