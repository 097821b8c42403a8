// The real kubectl (v1.32) against the lab API with the seeds' manifests (examples/kubernetes):
// create -f, apply -f, get -o wide, get svc, describe, delete, errors.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { eventually, kubectlSkip, startKubectlLab, table, type KubectlLab } from '../support/kubectl-lab.js';

const ex = (f: string): string => fileURLToPath(new URL(`../../examples/kubernetes/${f}`, import.meta.url));
let lab: KubectlLab;

describe('kubectl with the seed manifests', { skip: kubectlSkip }, () => {
  before(async () => {
    lab = await startKubectlLab();
  });
  after(async () => {
    await lab?.close();
  });

  test('discovery: version, api-resources, namespaces', async () => {
    assert.match(await lab.ok(['version']), /Server Version: v1\.32\.0-tungsten-lab/);
    const res = await lab.ok(['api-resources']);
    for (const line of [/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m, /^pods\s+po\s+v1\s+true\s+Pod$/m, /^networkpolicies\s+netpol\s+networking\.k8s\.io\/v1\s+true\s+NetworkPolicy$/m]) assert.match(res, line);
    const ns = table(await lab.ok(['get', 'ns']));
    assert.deepEqual(ns.map((r) => r.NAME), ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    assert.ok(ns.every((r) => r.STATUS === 'Active'));
    const nodes = table(await lab.ok(['get', 'nodes', '-o', 'wide']));
    assert.deepEqual(nodes.map((n) => [n.NAME, n.STATUS, n['INTERNAL-IP']]), [['node-a', 'Ready', '192.0.2.11'], ['node-b', 'Ready', '192.0.2.12']]);
  });

  test('namespaces: dev-unisolated, dev-isolated (annotation), dev-customized (network annotation)', async () => {
    for (const f of ['namespace-dev-unisolated.yaml', 'namespace-dev-isolated.yaml', 'namespace-dev-customized.yaml']) assert.match(await lab.ok(['create', '-f', ex(f)]), /^namespace\/dev-\w+ created$/m);
    assert.equal(await lab.ok(['get', 'ns', 'dev-isolated', '-o', 'jsonpath={.metadata.annotations.opencontrail\\.org/isolation}']), 'true');
    assert.equal(await lab.ok(['get', 'ns', 'dev-customized', '-o', 'jsonpath={.metadata.annotations.opencontrail\\.org/network}']), '{"domain": "default-domain", "project": "demo", "name": "red"}');
    const dup = await lab.kubectl(['create', '-f', ex('namespace-dev-isolated.yaml')]);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /Error from server \(AlreadyExists\).*namespaces "dev-isolated" already exists/);
  });

  test('create -f nginx-1.yaml -n dev-unisolated; get pods -o wide shows IP and NODE', async () => {
    assert.equal((await lab.ok(['create', '-f', ex('nginx-1.yaml'), '-n', 'dev-unisolated'])).trim(), 'pod/nginx-1 created');
    const rows = await eventually(async () => table(await lab.ok(['get', 'pods', '-n', 'dev-unisolated', '-o', 'wide'])), (r) => r[0]?.STATUS === 'Running', 'nginx-1 Running');
    assert.deepEqual(Object.keys(rows[0]), ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
    assert.equal(rows[0].READY, '1/1');
    assert.match(rows[0].IP, /^10\.99\.0\.\d+$/);
    assert.match(rows[0].NODE, /^node-[ab]$/);
    const described = await lab.ok(['describe', 'pod', 'nginx-1', '-n', 'dev-unisolated']);
    assert.match(described, /Status:\s+Running/);
    assert.match(described, /Normal\s+Scheduled\s+.*default-scheduler\s+Successfully assigned dev-unisolated\/nginx-1 to node-[ab]/);
    assert.match(described, /Normal\s+Started\s+.*kubelet\s+Started container nginx/);
  });

  test('apply -f web-qa RC and the ClusterIP service; re-apply is unchanged; LoadBalancer form; endpoints', async () => {
    assert.equal((await lab.ok(['apply', '-f', ex('web-qa-rc.yaml')])).trim(), 'replicationcontroller/web-qa created');
    assert.equal((await lab.ok(['apply', '-f', ex('web-qa-rc.yaml')])).trim(), 'replicationcontroller/web-qa unchanged');
    assert.equal((await lab.ok(['apply', '-f', ex('web-qa-svc-clusterip.yaml')])).trim(), 'service/web-qa created');
    const svc = table(await lab.ok(['get', 'svc', 'web-qa', '-o', 'wide']))[0];
    assert.equal(svc.TYPE, 'ClusterIP');
    assert.match(svc['CLUSTER-IP'], /^10\.(9[6-9]|10\d|11[01])\.\d+\.\d+$/);
    assert.equal(svc['EXTERNAL-IP'], '<none>');
    assert.equal(svc['PORT(S)'], '80/TCP');
    assert.equal(svc.SELECTOR, 'app=web-qa');
    const ep = await eventually(async () => table(await lab.ok(['get', 'endpoints', 'web-qa']))[0], (r) => (r?.ENDPOINTS ?? '').split(',').length === 2, 'two endpoints');
    assert.match(ep.ENDPOINTS, /^10\.99\.0\.\d+:80,10\.99\.0\.\d+:80$/);
    assert.equal((await lab.ok(['apply', '-f', ex('web-qa-svc-loadbalancer.yaml')])).trim(), 'service/web-qa configured');
    const lb = table(await lab.ok(['get', 'svc', 'web-qa']))[0];
    assert.equal(lb.TYPE, 'LoadBalancer');
    assert.equal(lb['CLUSTER-IP'], svc['CLUSTER-IP'], 'the ClusterIP is kept');
    assert.equal(lb['EXTERNAL-IP'], '<pending>');
    assert.match(lb['PORT(S)'], /^80:3\d{4}\/TCP$/);
  });

  test('apps/v1beta1 first-containers.yaml: created, rolled out, pods spread', async () => {
    assert.equal((await lab.ok(['create', '-f', ex('first-containers.yaml')])).trim(), 'deployment.apps/cirros-deployment created');
    assert.match(await lab.ok(['rollout', 'status', 'deployment/cirros-deployment', '--timeout=60s']), /successfully rolled out/);
    const d = table(await lab.ok(['get', 'deploy', 'cirros-deployment', '-o', 'wide']))[0];
    assert.deepEqual([d.READY, d['UP-TO-DATE'], d.AVAILABLE, d.SELECTOR], ['2/2', '2', '2', 'app=cirros-deployment']);
    const pods = table(await lab.ok(['get', 'pods', '-l', 'app=cirros-deployment', '-o', 'wide']));
    assert.equal(pods.length, 2);
    assert.match(pods[0].NAME, /^cirros-deployment-[a-z0-9]+-[a-z0-9]{5}$/);
    assert.deepEqual(new Set(pods.map((p) => p.NODE)), new Set(['node-a', 'node-b']));
    assert.equal(await lab.ok(['get', 'deploy', 'cirros-deployment', '-o', 'jsonpath={.apiVersion}']), 'apps/v1');
  });

  test('patch, label, annotate, replace, server-side apply, dry runs', async () => {
    assert.match(await lab.ok(['label', 'svc', 'web-qa', 'tier=frontend']), /service\/web-qa labeled/);
    assert.match(await lab.ok(['annotate', 'svc', 'web-qa', 'opencontrail.org/fip-pool={"domain":"default-domain"}']), /annotated/);
    assert.match(await lab.ok(['patch', 'rc', 'web-qa', '-p', '{"metadata":{"labels":{"patched":"strategic"}}}']), /patched/);
    assert.match(await lab.ok(['patch', 'rc', 'web-qa', '--type=merge', '-p', '{"metadata":{"labels":{"patched":"merge"}}}']), /patched/);
    assert.match(await lab.ok(['patch', 'rc', 'web-qa', '--type=json', '-p', '[{"op":"add","path":"/metadata/labels/json","value":"yes"}]']), /patched/);
    assert.equal(await lab.ok(['get', 'rc', 'web-qa', '-o', 'jsonpath={.metadata.labels.patched}/{.metadata.labels.json}']), 'merge/yes');
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: "1"\n';
    assert.match(await lab.ok(['apply', '--server-side', '-f', '-'], cm), /configmap\/ssa serverside-applied/);
    assert.match(await lab.ok(['create', 'configmap', 'dry', '--from-literal=a=b', '--dry-run=server']), /configmap\/dry created \(server dry run\)/);
    assert.equal((await lab.kubectl(['get', 'cm', 'dry'])).code, 1);
    const got = await lab.ok(['get', 'cm', 'ssa', '-o', 'yaml']);
    assert.match(await lab.ok(['replace', '-f', '-'], got.replace('a: "1"', 'a: "2"')), /configmap\/ssa replaced/);
    assert.equal(await lab.ok(['get', 'cm', 'ssa', '-o', 'jsonpath={.data.a}']), '2');
  });

  test('generator subcommands (protobuf bodies): create namespace, deployment, service, secret; expose', async () => {
    assert.equal((await lab.ok(['create', 'namespace', 'gen'])).trim(), 'namespace/gen created');
    assert.equal((await lab.ok(['create', 'deployment', 'gen-web', '-n', 'gen', '--image=nginx', '--replicas=2', '--port=80'])).trim(), 'deployment.apps/gen-web created');
    assert.equal((await lab.ok(['expose', 'deployment', 'gen-web', '-n', 'gen', '--port=8080', '--target-port=80'])).trim(), 'service/gen-web exposed');
    assert.equal((await lab.ok(['create', 'service', 'nodeport', 'gen-np', '-n', 'gen', '--tcp=81:8081'])).trim(), 'service/gen-np created');
    assert.equal((await lab.ok(['create', 'secret', 'generic', 'gen-s', '-n', 'gen', '--from-literal=pw=x'])).trim(), 'secret/gen-s created');
    await lab.ok(['rollout', 'status', 'deploy/gen-web', '-n', 'gen', '--timeout=60s']);
    const ep = await eventually(async () => lab.ok(['get', 'endpoints', 'gen-web', '-n', 'gen', '-o', 'jsonpath={.subsets[*].addresses[*].ip}']), (s) => s.split(' ').filter(Boolean).length === 2, 'two endpoints');
    assert.match(ep, /^10\.99\.0\.\d+ 10\.99\.0\.\d+$/);
    assert.match(table(await lab.ok(['get', 'svc', 'gen-np', '-n', 'gen']))[0]['PORT(S)'], /^81:3\d{4}\/TCP$/);
  });

  test('errors read like Kubernetes\'', async () => {
    const missing = await lab.kubectl(['get', 'pod', 'nope']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim(), 'Error from server (NotFound): pods "nope" not found');
    const invalid = await lab.kubectl(['create', '-f', '-'], 'apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\nspec:\n  ports:\n  - port: 99999\n');
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /The Service "bad" is invalid: \n\* spec\.ports\[0\]\.port: Invalid value: 99999: must be between 1 and 65535, inclusive/);
  });

  test('delete -f waits until the pod is gone; deleting a namespace removes its content', async () => {
    assert.equal((await lab.ok(['delete', '-f', ex('nginx-1.yaml'), '-n', 'dev-unisolated'])).trim(), 'pod "nginx-1" deleted');
    assert.equal((await lab.kubectl(['get', 'pod', 'nginx-1', '-n', 'dev-unisolated'])).code, 1, 'gone once delete returns');
    await lab.ok(['run', 'tmp', '-n', 'dev-isolated', '--image=busybox', '--restart=Never', '--', 'sleep', '600']);
    assert.match(await lab.ok(['delete', 'ns', 'dev-isolated', '--timeout=60s']), /namespace "dev-isolated" deleted/);
    assert.equal((await lab.kubectl(['get', 'ns', 'dev-isolated'])).code, 1);
    assert.match(await lab.ok(['delete', 'deploy', 'cirros-deployment']), /deleted/);
    await eventually(async () => (await lab.ok(['get', 'pods', '-l', 'app=cirros-deployment', '-o', 'name'])).trim(), (s) => s === '', 'deployment pods collected');
    assert.equal((await lab.ok(['get', 'rs', '-o', 'name'])).trim(), '');
  });
});
