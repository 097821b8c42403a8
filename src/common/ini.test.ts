import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IniError, parseIni } from './ini.js';

test('reads sections, both delimiters, comments, continuations and [DEFAULT]', () => {
  const ini = parseIni(
    [
      '# kube-manager',
      '[DEFAULT]',
      'log_level = SYS_INFO',
      '',
      '[KUBERNETES]',
      "cluster_project = {'domain': 'default-domain', 'project': 'kubernetes'}",
      'Pod_Subnets: 10.32.0.0/12 ; inline comment',
      'service_subnets = 10.96.0.0/12',
      '  10.200.0.0/16',
      '; another comment',
      '[VNC]',
      'vnc_endpoint_port=8082',
      'vnc_endpoint_port = 18082',
      'empty =',
    ].join('\n'),
  );
  assert.equal(ini.get('KUBERNETES', 'cluster_project'), "{'domain': 'default-domain', 'project': 'kubernetes'}");
  assert.equal(ini.get('KUBERNETES', 'pod_subnets'), '10.32.0.0/12');
  assert.equal(ini.get('KUBERNETES', 'service_subnets'), '10.96.0.0/12\n10.200.0.0/16');
  assert.equal(ini.get('KUBERNETES', 'log_level'), 'SYS_INFO', 'inherited from [DEFAULT]');
  assert.equal(ini.get('VNC', 'vnc_endpoint_port'), '18082', 'the last duplicate wins');
  assert.equal(ini.get('VNC', 'empty'), '');
  assert.equal(ini.get('VNC', 'missing'), undefined);
  assert.equal(ini.lines.get('KUBERNETES.pod_subnets'), 7);
});

test('reports malformed lines with their number', () => {
  assert.throws(() => parseIni('key = value'), (e: unknown) => e instanceof IniError && e.line === 1 && e.code === 'INI_INVALID');
  assert.throws(() => parseIni('[A]\njust words'), (e: unknown) => e instanceof IniError && e.line === 2);
  assert.throws(() => parseIni('[A]\n= value'), /expected "key = value"/);
});
