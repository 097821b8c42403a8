import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildResult } from './result.js';
import { cniErrorBody, cniErrorStatus, CniError } from './errors.js';
import { TfError } from '../common/errors.js';
import { compareVersions, isSupportedVersion, versionInfo } from './versions.js';

const r = { ifname: 'eth0', mac: '02:5a:1f:c0:3e:f7', sandbox: '/var/run/netns/p', ip: '10.47.255.252', plen: 12, gateway: '10.47.255.254', dns: '10.47.255.253' };

test('a 1.0.0 result: interface with sandbox, ips without version, default route, DNS', () => {
  assert.deepEqual(buildResult('1.0.0', r), {
    cniVersion: '1.0.0',
    interfaces: [{ name: 'eth0', mac: '02:5a:1f:c0:3e:f7', sandbox: '/var/run/netns/p' }],
    ips: [{ address: '10.47.255.252/12', gateway: '10.47.255.254', interface: 0 }],
    routes: [{ dst: '0.0.0.0/0', gw: '10.47.255.254' }],
    dns: { nameservers: ['10.47.255.253'] },
  });
});

test('0.4.0 / 0.3.x results carry ip version "4"; 0.2.0 / 0.1.0 use ip4', () => {
  for (const v of ['0.4.0', '0.3.1', '0.3.0'] as const) {
    const x = buildResult(v, r) as { cniVersion: string; ips: unknown[] };
    assert.equal(x.cniVersion, v);
    assert.deepEqual(x.ips, [{ version: '4', address: '10.47.255.252/12', gateway: '10.47.255.254', interface: 0 }]);
  }
  assert.deepEqual(buildResult('0.2.0', { ...r, dns: undefined }), {
    cniVersion: '0.2.0', ip4: { ip: '10.47.255.252/12', gateway: '10.47.255.254', routes: [{ dst: '0.0.0.0/0', gw: '10.47.255.254' }] }, dns: {},
  });
});

test('error JSON: CNI codes, other TfErrors and plain errors', () => {
  const e = new CniError('CNI_INTERFACE_TIMEOUT', 'no interface', 'vm missing');
  assert.deepEqual(cniErrorBody(e, '0.4.0'), { cniVersion: '0.4.0', code: 100, msg: 'no interface', details: 'vm missing' });
  assert.equal(cniErrorStatus(e), 504);
  assert.deepEqual(cniErrorBody(new CniError('CNI_INVALID_ENV', 'x')), { cniVersion: '1.0.0', code: 4, msg: 'x' });
  assert.deepEqual(cniErrorBody(new TfError('DATAPATH_APPLY_FAILED', 'boom', { status: 500 })), { cniVersion: '1.0.0', code: 999, msg: 'DATAPATH_APPLY_FAILED: boom' });
  assert.deepEqual(cniErrorBody(new Error('plain')), { cniVersion: '1.0.0', code: 999, msg: 'plain' });
  assert.equal(cniErrorStatus(new Error('plain')), 500);
});

test('versions', () => {
  assert.ok(isSupportedVersion('0.3.1') && !isSupportedVersion('1.1.0'));
  assert.ok(compareVersions('0.10.0', '0.4.0') > 0 && compareVersions('1.0.0', '1.0.0') === 0);
  assert.deepEqual(versionInfo(), { cniVersion: '1.0.0', supportedVersions: ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0'] });
});
