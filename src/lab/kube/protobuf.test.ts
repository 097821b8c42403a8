// Protobuf bodies recorded from kubectl v1.32's generator subcommands (testdata/*.pb), decoded into
// the JSON objects they stand for; and what the decoder refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { KubeApiError } from './errors.js';
import { decodeKubeProtobuf } from './protobuf.js';

const data = (f: string): Buffer => readFileSync(new URL(`./testdata/${f}`, import.meta.url));

test('kubectl create namespace', () => {
  assert.deepEqual(decodeKubeProtobuf(data('kubectl-create-namespace.pb')), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'pb-ns' }, spec: {} });
});

test('kubectl create deployment pbweb --image=nginx:1.27 --replicas=2 --port=80', () => {
  assert.deepEqual(decodeKubeProtobuf(data('kubectl-create-deployment.pb')), {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'pbweb', labels: { app: 'pbweb' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'pbweb' } },
      template: { metadata: { labels: { app: 'pbweb' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }], resources: {} }] } },
      strategy: {},
    },
  });
});

test('kubectl create service nodeport and secret generic', () => {
  assert.deepEqual(decodeKubeProtobuf(data('kubectl-create-service-nodeport.pb')), {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'pbsvc', labels: { app: 'pbsvc' } },
    spec: { ports: [{ name: '81-8081', protocol: 'TCP', port: 81, targetPort: 8081 }], selector: { app: 'pbsvc' }, type: 'NodePort' },
  });
  assert.deepEqual(decodeKubeProtobuf(data('kubectl-create-secret.pb')), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'pbsec' }, data: { pw: Buffer.from('s3cret').toString('base64') } });
});

test('refused: no magic, unknown kind, truncated input, fields the lab does not decode', () => {
  const is415 = (e: unknown): boolean => e instanceof KubeApiError && e.status === 415;
  assert.throws(() => decodeKubeProtobuf(Buffer.from('{"kind":"Pod"}')), is415);
  const ns = data('kubectl-create-namespace.pb');
  assert.throws(() => decodeKubeProtobuf(ns.subarray(0, ns.length - 3)), is415);
  // an envelope naming kind "Pod" (not among the decoded kinds)
  const typeMeta = Buffer.concat([Buffer.from([0x0a, 2]), Buffer.from('v1'), Buffer.from([0x12, 3]), Buffer.from('Pod')]);
  const env = Buffer.concat([Buffer.from('k8s\0'), Buffer.from([0x0a, typeMeta.length]), typeMeta, Buffer.from([0x12, 0])]);
  assert.throws(() => decodeKubeProtobuf(env), (e: unknown) => is415(e) && /kind "Pod"/.test((e as Error).message));
});
