import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTRAIL_DEFAULTS, interfaceWaitSeconds, parseNetConf, supportsCheck } from './netconf.js';
import { CniError } from './errors.js';

const err = (text: string): [number, string] => {
  try {
    parseNetConf(text);
  } catch (e) {
    if (e instanceof CniError) return [e.cniCode, e.message];
    throw e;
  }
  throw new Error('no error');
};

test("the original's contrail block with its defaults", () => {
  const c = parseNetConf(JSON.stringify({ cniVersion: '0.3.1', name: 'contrail-k8s-cni', type: 'contrail-k8s-cni', contrail: {
    'cluster-name': 'k8s-default', mode: 'k8s', 'vif-type': 'veth', mtu: 1400, 'vrouter-ip': '127.0.0.1', 'vrouter-port': 9091,
    'config-dir': '/var/lib/contrail/ports/vm', 'poll-timeout': 5, 'poll-retries': 15, 'log-file': '/var/log/contrail/cni/opencontrail.log', 'log-level': '4',
    'parent-interface': 'eth0', 'meta-plugin': 'multus',
  } }));
  assert.equal(c.cniVersion, '0.3.1');
  assert.deepEqual(c.contrail, {
    clusterName: 'k8s-default', mode: 'k8s', vifType: 'veth', mtu: 1400, pollTimeout: 5, pollRetries: 15, vrouterIp: '127.0.0.1', vrouterPort: 9091,
    configDir: '/var/lib/contrail/ports/vm', logFile: '/var/log/contrail/cni/opencontrail.log', logLevel: '4',
  });
  const d = parseNetConf('{"cniVersion":"1.0.0","name":"n","type":"tf-cni"}');
  assert.deepEqual(d.contrail, CONTRAIL_DEFAULTS);
  assert.equal(parseNetConf('{"name":"n","type":"t"}').cniVersion, '0.2.0', 'absent cniVersion means 0.2.0');
  assert.equal(parseNetConf('{"cniVersion":"1.0.0","name":"n","type":"t","contrail":{"poll-retries":"7"}}').contrail.pollRetries, 7, 'digits as strings');
});

test('bad netconfs: 6 undecodable, 7 invalid, 1 unsupported version', () => {
  assert.deepEqual(err('not json')[0], 6);
  assert.deepEqual(err('[1,2]')[0], 6);
  assert.deepEqual(err('{"cniVersion":"1.0.0","type":"t"}'), [7, 'name is required']);
  assert.deepEqual(err('{"cniVersion":"1.0.0","name":"n"}'), [7, 'type is required']);
  assert.deepEqual(err('{"cniVersion":"1.0.0","name":"bad name","type":"t"}')[0], 7);
  assert.deepEqual(err('{"cniVersion":1,"name":"n","type":"t"}')[0], 7);
  assert.deepEqual(err('{"cniVersion":"1.1.0","name":"n","type":"t"}'), [1, 'CNI version 1.1.0 is not supported']);
  for (const c of [{ mtu: 10 }, { mtu: 'x' }, { 'poll-timeout': -1 }, { mode: 'mesos' }, { 'vif-type': 'macvlan' }, { 'agent-socket': 'rel.sock' }, { 'cluster-name': 'a b' }]) {
    const [code, msg] = err(JSON.stringify({ cniVersion: '1.0.0', name: 'n', type: 't', contrail: c }));
    assert.equal(code, 7, JSON.stringify(c));
    assert.match(msg, /^contrail\./);
  }
  assert.equal(err('{"cniVersion":"1.0.0","name":"n","type":"t","contrail":[]}')[0], 7);
});

test('CHECK from 0.4.0; the interface wait is poll-timeout × poll-retries capped by the agent', () => {
  assert.equal(supportsCheck('0.3.1'), false);
  assert.equal(supportsCheck('0.4.0'), true);
  assert.equal(supportsCheck('1.0.0'), true);
  assert.equal(interfaceWaitSeconds({ ...CONTRAIL_DEFAULTS, pollTimeout: 3, pollRetries: 20 }, 45), 45);
  assert.equal(interfaceWaitSeconds({ ...CONTRAIL_DEFAULTS, pollTimeout: 1, pollRetries: 2 }, 45), 2);
});
