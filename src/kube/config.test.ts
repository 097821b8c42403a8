import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { formatCidr } from '../common/ip.js';
import { loadConfig, parseFqDictAnnotation } from './config.js';
import { ConfigError } from './errors.js';

const example = (name: string): string => readFileSync(new URL(`../../examples/${name}`, import.meta.url), 'utf8');

test('single-tenant example: the seeds options, dict options as Python literals', () => {
  const c = loadConfig(example('kubemanager-single-tenant.conf'));
  assert.deepEqual(c.clusterProject, ['default-domain', 'kubernetes']);
  assert.deepEqual(c.publicFipPool, ['default-domain', 'default', 'public', 'public-fip-pool']);
  assert.equal(c.clusterName, 'k8s-default');
  assert.deepEqual(c.podSubnets.map(formatCidr), ['10.32.0.0/12']);
  assert.deepEqual(c.serviceSubnets.map(formatCidr), ['10.96.0.0/12']);
  assert.equal(c.kube.url, 'http://127.0.0.1:6443');
  assert.equal(c.vncUrl, 'http://127.0.0.1:8082');
  assert.equal(c.httpServerPort, 8108);
  assert.equal(c.logLevel, 'info');
  assert.equal(c.workers, 32, 'as the example sets it');
  assert.deepEqual(c.unknown, []);
});

test('multi-tenant example: cluster_project {} means one project per namespace', () => {
  const c = loadConfig(example('kubemanager-multi-tenant.conf'));
  assert.equal(c.clusterProject, undefined);
  assert.equal(c.domain, 'default-domain');
});

test('defaults are the original ones', () => {
  const c = loadConfig('');
  assert.equal(c.clusterProject, undefined);
  assert.equal(c.publicFipPool, undefined);
  assert.equal(c.owner, 'k8s');
  assert.equal(c.kube.url, undefined, 'no API server configured: kubeconfig / in-cluster');
  assert.deepEqual(c.podSubnets.map(formatCidr), ['10.32.0.0/12']);
  assert.equal(c.ipFabricSnat, false);
  assert.equal(c.kubeTimerInterval, 60);
});

test('bad options are errors naming the option and its line', () => {
  const cases: [string, RegExp][] = [
    ["[KUBERNETES]\ncluster_project = {'domain': 'default-domain'", /\[KUBERNETES\] cluster_project \(line 2\)/],
    ["[KUBERNETES]\ncluster_project = {'domain': 'd'}", /missing 'project'/],
    ["[VNC]\npublic_fip_pool = {'project': 'p', 'network': 'n', 'name': 'x', 'extra': 'y'}", /unexpected key 'extra'/],
    ['[KUBERNETES]\npod_subnets = 10.32.0.1/12', /host bits/],
    ['[KUBERNETES]\npod_subnets = 10.0.0.0/8\nservice_subnets = 10.96.0.0/12', /overlaps/],
    ['[VNC]\nvnc_endpoint_port = 99999', /not a port/],
    ['[KUBERNETES]\nip_fabric_forwarding = maybe', /not a boolean/],
    ['[KUBERNETES]\nip_fabric_forwarding = True', /ip_fabric_forwarding \(line 2\): True is not supported/],
    ['[DEFAULTS]\nlog_level = LOUD', /unknown level/],
    ['[DEFAULTS]\nreconcile_workers = 0', /1\.\.1024/],
    ['no section = here', /outside of any \[section\]/],
  ];
  for (const [text, re] of cases) {
    assert.throws(() => loadConfig(text), (e: unknown) => e instanceof ConfigError && re.test(e.message) && e.code.startsWith('KM_CONFIG'), text);
  }
});

test('unknown options are reported, unknown sections ignored', () => {
  const c = loadConfig('[KUBERNETES]\nfrobnicate = 1\n[SANDESH]\nintrospect_ssl_enable = False');
  assert.deepEqual(c.unknown, ['[KUBERNETES] frobnicate']);
});

test('annotation dicts accept JSON and Python syntax, default the domain, reject the rest', () => {
  assert.deepEqual(parseFqDictAnnotation('{"domain": "default-domain", "project": "demo", "name": "red"}', ['domain', 'project', 'name'], 'x'), ['default-domain', 'demo', 'red']);
  assert.deepEqual(parseFqDictAnnotation("{'project': 'demo', 'name': 'red'}", ['domain', 'project', 'name'], 'dd'), ['dd', 'demo', 'red']);
  assert.throws(() => parseFqDictAnnotation('{"project": "demo"', ['domain', 'project', 'name'], 'd'), /not a JSON object/);
  assert.throws(() => parseFqDictAnnotation('{"project": "demo"}', ['domain', 'project', 'name'], 'd'), /missing or empty "name"/);
  assert.throws(() => parseFqDictAnnotation('["a"]', ['domain', 'project', 'name'], 'd'), /not a JSON object/);
});
