import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../kube/config.js';
import { labKubeManagerConf, readKubeManagerExample, setIniValue } from './kubemanager-conf.js';

test('the shipped single-tenant example with the lab ports is a valid kube-manager configuration', () => {
  const text = labKubeManagerConf(readKubeManagerExample(), { kubeApi: 16443, configApi: 18082, introspect: 18108 });
  const cfg = loadConfig(text);
  assert.equal(cfg.httpServerPort, 18108);
  assert.deepEqual(cfg.publicFipPool, ['default-domain', 'default', 'public', 'public-fip-pool']);
  assert.match(text, /^kubernetes_api_port = 16443$/m);
  assert.match(text, /^vnc_endpoint_port = 18082$/m);
  assert.match(text, /^cluster_project = \{'domain': 'default-domain', 'project': 'kubernetes'\}$/m, 'the rest stays as shipped');
});

test('setIniValue replaces in the right section only, or appends to it, or adds the section', () => {
  const t = '[A]\nport = 1\n# c\n\n[B]\nport = 2\n';
  assert.equal(setIniValue(t, 'B', 'port', '9'), '[A]\nport = 1\n# c\n\n[B]\nport = 9\n');
  assert.equal(setIniValue(t, 'A', 'host', 'h'), '[A]\nport = 1\nhost = h\n# c\n\n[B]\nport = 2\n');
  assert.equal(setIniValue(t, 'C', 'x', 'y'), '[A]\nport = 1\n# c\n\n[B]\nport = 2\n\n[C]\nx = y\n');
});
