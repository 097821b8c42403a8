import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CniError, CniRunner, cniEnv, loadNetworkConfig, parseNetworkConfig, pluginStdin, podIpsOf, resultIps } from './cni.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lab-cni-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const params = { containerId: 'abc', netnsPath: '/var/run/netns/lab-x', ifName: 'eth0', podNamespace: 'default', podName: 'web-1', podUid: 'uid-1' };

test('CNI environment and CNI_ARGS exactly as a kubelet sets them', () => {
  assert.deepEqual(cniEnv('ADD', params, ['/opt/cni/bin', '/usr/lib/cni']), {
    CNI_COMMAND: 'ADD',
    CNI_CONTAINERID: 'abc',
    CNI_NETNS: '/var/run/netns/lab-x',
    CNI_IFNAME: 'eth0',
    CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-1;K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=uid-1',
    CNI_PATH: '/opt/cni/bin:/usr/lib/cni',
  });
});

test('network configuration: first file by name, conf and conflist, errors', () => {
  const conf = join(dir, 'conf');
  mkdirSync(conf);
  writeFileSync(join(conf, '20-b.conf'), JSON.stringify({ cniVersion: '0.3.1', name: 'b', type: 'bridge' }));
  writeFileSync(join(conf, '10-a.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'a', plugins: [{ type: 'tf-cni' }, { type: 'portmap', capabilities: { portMappings: true } }] }));
  writeFileSync(join(conf, '00-readme.txt'), 'ignored');
  const net = loadNetworkConfig(conf);
  assert.equal(net.name, 'a');
  assert.deepEqual(net.plugins.map((p) => p.type), ['tf-cni', 'portmap']);
  assert.deepEqual(pluginStdin(net, net.plugins[1], { ips: [] }), { type: 'portmap', capabilities: { portMappings: true }, cniVersion: '1.0.0', name: 'a', prevResult: { ips: [] } });
  assert.equal(parseNetworkConfig('x.conf', '{"name":"n","type":"t"}').cniVersion, '0.2.0');
  for (const bad of ['nope', '{"type":"t"}', '{"name":"n"}', '{"name":"n","plugins":[]}']) assert.throws(() => parseNetworkConfig('x.conflist', bad), CniError);
  assert.throws(() => loadNetworkConfig(join(dir, 'missing')), (e: unknown) => e instanceof CniError && e.code === 'CNI_NO_CONFIG');
});

test('results of CNI 1.0, 0.4, 0.2 give the pod addresses; host-side interfaces are skipped', () => {
  const r100 = { cniVersion: '1.0.0', interfaces: [{ name: 'veth1' }, { name: 'eth0', sandbox: '/var/run/netns/x' }], ips: [{ address: '10.1.1.1/24', interface: 0 }, { address: '10.47.255.252/12', gateway: '10.47.255.254', interface: 1 }] };
  assert.deepEqual(podIpsOf(r100), ['10.47.255.252']);
  assert.deepEqual(resultIps({ cniVersion: '0.4.0', ips: [{ version: '4', address: '10.0.0.5/24' }] }), [{ address: '10.0.0.5/24' }]);
  assert.deepEqual(podIpsOf({ cniVersion: '0.2.0', ip4: { ip: '10.0.0.6/24' } }), ['10.0.0.6']);
  assert.deepEqual(podIpsOf({}), []);
});

/** A plugin that records its stdin and answers with a result naming itself, chained on prevResult. */
function writePlugin(bin: string, name: string, fail = false): void {
  const script = `#!/bin/sh
stdin=$(cat)
printf '%s %s\\n' "$CNI_COMMAND" "$stdin" >> "${bin}/${name}.log"
${fail ? `echo '{"cniVersion":"1.0.0","code":7,"msg":"no address left","details":"pool exhausted"}'; exit 1` : ''}
if [ "$CNI_COMMAND" = ADD ]; then echo '{"cniVersion":"1.0.0","ips":[{"address":"10.9.9.${name === 'first' ? 1 : 2}/24"}],"dns":{}}'; fi
`;
  writeFileSync(join(bin, name), script);
  chmodSync(join(bin, name), 0o755);
}

test('conflist ADD chains prevResult; DEL runs in reverse with the cached result; errors carry the plugin message', async () => {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writePlugin(bin, 'first');
  writePlugin(bin, 'second');
  writePlugin(bin, 'broken', true);
  const runner = new CniRunner({ binDirs: [join(dir, 'nothing-here'), bin] });
  const net = parseNetworkConfig('x.conflist', JSON.stringify({ cniVersion: '1.0.0', name: 'n', plugins: [{ type: 'first' }, { type: 'second', extra: 1 }] }));
  const result = await runner.add(net, params);
  assert.deepEqual(podIpsOf(result), ['10.9.9.2']);
  const secondAdd = JSON.parse(readFileSync(join(bin, 'second.log'), 'utf8').split('\n')[0].slice(4)) as Record<string, unknown>;
  assert.deepEqual(secondAdd, { type: 'second', extra: 1, cniVersion: '1.0.0', name: 'n', prevResult: { cniVersion: '1.0.0', ips: [{ address: '10.9.9.1/24' }], dns: {} } });
  await runner.del(net, params, result);
  const firstLines = readFileSync(join(bin, 'first.log'), 'utf8').trim().split('\n');
  assert.equal(firstLines.length, 2);
  assert.deepEqual((JSON.parse(firstLines[1].slice(4)) as { prevResult: unknown }).prevResult, result, 'DEL gets the cached ADD result');
  const old = parseNetworkConfig('x.conf', JSON.stringify({ cniVersion: '0.3.1', name: 'n', type: 'first' }));
  await runner.del(old, params, result);
  const lastDel = readFileSync(join(bin, 'first.log'), 'utf8').trim().split('\n').pop() ?? '';
  assert.equal('prevResult' in (JSON.parse(lastDel.slice(4)) as object), false, 'no prevResult on DEL before spec 0.4.0');
  const brokenNet = parseNetworkConfig('x.conf', JSON.stringify({ cniVersion: '1.0.0', name: 'n', type: 'broken' }));
  await assert.rejects(runner.add(brokenNet, params), (e: unknown) => e instanceof CniError && e.code === 'CNI_PLUGIN_FAILED' && e.message === 'plugin type="broken" failed (add): no address left; pool exhausted');
  await assert.rejects(runner.add(parseNetworkConfig('x.conf', '{"name":"n","type":"absent"}'), params), (e: unknown) => e instanceof CniError && e.code === 'CNI_PLUGIN_NOT_FOUND');
});
