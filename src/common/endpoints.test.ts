import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labIntrospect, labUrl, readEndpoints, type LabEndpoints } from './endpoints.js';

const dir = mkdtempSync(join(tmpdir(), 'tf-endpoints-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('endpoints.json: absent or broken → undefined; present → lookups by group, service and instance', () => {
  assert.equal(readEndpoints(dir), undefined);
  writeFileSync(join(dir, 'endpoints.json'), '{not json');
  assert.equal(readEndpoints(dir), undefined);
  const eps: LabEndpoints = {
    version: 1, dir, prefix: 'tfl-', supervisorPid: 1, kubeconfig: join(dir, 'kubeconfig'),
    services: [
      { group: 'config', service: 'api', instance: 'api', original: 'x', url: 'http://127.0.0.1:18082' },
      { group: 'control', service: 'control', instance: 'control1', original: 'x', introspect: 'http://127.0.0.1:18083' },
      { group: 'control', service: 'control', instance: 'control2', original: 'x', introspect: 'http://127.0.0.1:18093' },
    ],
  };
  writeFileSync(join(dir, 'endpoints.json'), JSON.stringify(eps));
  assert.equal(labUrl('config', 'api', undefined, dir), 'http://127.0.0.1:18082');
  assert.equal(labIntrospect('control', 'control', undefined, dir), 'http://127.0.0.1:18083', 'the first one by default');
  assert.equal(labIntrospect('control', 'control', 'control2', dir), 'http://127.0.0.1:18093');
  assert.equal(labIntrospect('vrouter', 'agent', undefined, dir), undefined);
});
