import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envFromHeaders, parseCniArgs, parseCniEnv, podOf } from './env.js';
import { CniError } from './errors.js';

const base = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'abc123', CNI_NETNS: '/var/run/netns/p1', CNI_IFNAME: 'eth0', CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=dev;K8S_POD_NAME=web-1', CNI_PATH: '/opt/cni/bin' };

const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (err) {
    return err instanceof CniError ? `${err.cniCode}:${err.message}` : String(err);
  }
  return undefined;
};

test('a kubelet environment parses, CNI_ARGS into a map', () => {
  const e = parseCniEnv(base);
  assert.deepEqual(e, { command: 'ADD', containerId: 'abc123', netns: '/var/run/netns/p1', ifname: 'eth0', path: '/opt/cni/bin', args: { IgnoreUnknown: '1', K8S_POD_NAMESPACE: 'dev', K8S_POD_NAME: 'web-1' } });
  assert.deepEqual(podOf(e), { namespace: 'dev', name: 'web-1' });
  assert.deepEqual(podOf(parseCniEnv({ ...base, CNI_ARGS: `${base.CNI_ARGS};K8S_POD_UID=u-1` })), { namespace: 'dev', name: 'web-1', uid: 'u-1' });
});

test('required variables per command (DEL without CNI_NETNS is fine, VERSION needs nothing)', () => {
  assert.equal(parseCniEnv({ CNI_COMMAND: 'VERSION' }).command, 'VERSION');
  assert.equal(parseCniEnv({ ...base, CNI_COMMAND: 'DEL', CNI_NETNS: undefined }).netns, '');
  assert.match(code(() => parseCniEnv({ ...base, CNI_NETNS: '' }))!, /^4:CNI_NETNS is not set \(required for ADD\)/);
  assert.match(code(() => parseCniEnv({ ...base, CNI_COMMAND: 'CHECK', CNI_CONTAINERID: '', CNI_IFNAME: '' }))!, /^4:CNI_CONTAINERID, CNI_IFNAME are not set/);
  assert.match(code(() => parseCniEnv({ ...base, CNI_COMMAND: undefined }))!, /^4:CNI_COMMAND is not set/);
  assert.match(code(() => parseCniEnv({ ...base, CNI_COMMAND: 'GC' }))!, /^4:CNI_COMMAND "GC" is not supported/);
});

test('bad values are refused with the variable named', () => {
  assert.match(code(() => parseCniEnv({ ...base, CNI_IFNAME: 'a-name-longer-than-15' }))!, /^4:CNI_IFNAME/);
  assert.match(code(() => parseCniEnv({ ...base, CNI_IFNAME: 'eth 0' }))!, /^4:CNI_IFNAME/);
  assert.match(code(() => parseCniEnv({ ...base, CNI_NETNS: 'relative/path' }))!, /^4:CNI_NETNS .* absolute path/);
  assert.match(code(() => parseCniEnv({ ...base, CNI_CONTAINERID: '-x' }))!, /^4:CNI_CONTAINERID/);
  assert.match(code(() => parseCniEnv({ ...base, CNI_ARGS: 'K8S_POD_NAME' }))!, /^4:CNI_ARGS: "K8S_POD_NAME" is not KEY=VALUE/);
  assert.match(code(() => podOf(parseCniEnv({ ...base, CNI_ARGS: 'IgnoreUnknown=1' })))!, /^4:CNI_ARGS must name the pod/);
});

test('CNI_ARGS tolerates empty parts; headers map to variables', () => {
  assert.deepEqual(parseCniArgs(';A=1;;B=x=y;'), { A: '1', B: 'x=y' });
  assert.deepEqual(envFromHeaders({ 'x-cni-command': 'DEL', 'x-cni-ifname': ['eth0', 'eth1'], other: 'x' }), {
    CNI_COMMAND: 'DEL', CNI_CONTAINERID: undefined, CNI_NETNS: undefined, CNI_IFNAME: 'eth0', CNI_ARGS: undefined, CNI_PATH: undefined,
  });
});
