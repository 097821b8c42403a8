// tf-cni (the POSIX sh forwarder) against a real agent in a node namespace, run exactly as a kubelet runs
// a CNI plugin: the CNI_* environment, the netconf on stdin, the result or the error JSON on stdout and
// the exit code. Conformance with the CNI spec (VERSION, ADD results in 1.0.0 / 0.4.0 / 0.3.1 / 0.2.0,
// DEL idempotence, CHECK, error codes for the environment and the netconf), a bounded wait for an
// interface that never appears, an unreachable or silent agent, and the original's port API. Needs root.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { execInNetns } from '../../src/datapath/linux/netns.js';
import { startTestConfigApi, type TestConfigApi } from '../support/config-api.js';
import { AgentProcess, ConfigBuilder, Fabric, cniEnv, eventually, netconf, rootSkip, runCni, type PodObjects } from '../support/agent-env.js';

describe('tf-cni with a real agent', { skip: rootSkip }, () => {
  let fabric: Fabric;
  let api: TestConfigApi;
  let agent: AgentProcess;
  let cfg: ConfigBuilder;
  let project: string[];
  let net: { uuid: string; fq: string[] };

  before(async () => {
    fabric = await Fabric.create('cn', ['n1']);
    api = await startTestConfigApi({ transformer: true, bookmarkMs: 50, host: fabric.hostIp });
    cfg = new ConfigBuilder(api.client);
    // No control node listens there: the agent renders after --eor-timeout.
    agent = new AgentProcess(fabric, fabric.node('n1'), { configApi: api.url, controls: `${fabric.hostIp}:9`, extra: ['--eor-timeout', '1'] });
    await agent.start();
    project = await cfg.project(`p-${fabric.id}`);
    net = await cfg.network(project, 'pods', '10.62.0.0/24');
  });

  after(async () => {
    await agent?.stop('SIGKILL').catch(() => undefined);
    await api?.close().catch(() => undefined);
    await fabric?.destroy();
  });

  async function pod(name: string): Promise<{ obj: PodObjects; ns: string }> {
    const obj = await cfg.pod(project, 'default', name, net, 'n1');
    return { obj, ns: await fabric.podNs(name) };
  }

  const sh = async (ns: string, ...argv: string[]) => (await execInNetns(ns, argv)).stdout;

  test('VERSION is answered without the agent', async () => {
    const r = await runCni({ CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.0.0"}', { TF_CNI_SOCKET: join(fabric.dir, 'nobody.sock') });
    assert.equal(r.code, 0);
    assert.equal(r.json?.cniVersion, '1.0.0');
    for (const v of ['0.3.1', '0.4.0', '1.0.0']) assert.ok((r.json?.supportedVersions as string[]).includes(v), v);
  });

  test('ADD plumbs the pod and answers a CNI 1.0.0 result; the agent registers the port', async () => {
    const { obj, ns } = await pod('web-1');
    const cfgRes = await fetch(`${agent.portApi}/vm-cfg/k8s__default__web-1`);
    assert.equal(cfgRes.status, 200);
    const vmCfg = (await cfgRes.json()) as { id: string; 'ip-address': string; 'mac-address': string; plen: number; gateway: string; annotations: string[] }[];
    assert.equal(vmCfg[0].id, obj.vmi);
    assert.equal(vmCfg[0]['ip-address'], obj.ip);
    assert.ok(vmCfg[0].annotations.includes('{index:0/1}'));

    const r = await runCni(cniEnv('ADD', 'cid-web-1', ns, { namespace: 'default', name: 'web-1' }), netconf(agent.socket));
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(r.json, {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', mac: obj.mac, sandbox: `/run/netns/${ns}` }],
      ips: [{ address: `${obj.ip}/24`, gateway: '10.62.0.254', interface: 0 }],
      routes: [{ dst: '0.0.0.0/0', gw: '10.62.0.254' }],
      dns: { nameservers: ['10.62.0.253'] },
    });
    const link = JSON.parse(await sh(ns, 'ip', '-j', 'link', 'show', 'dev', 'eth0')) as { address: string; mtu: number }[];
    assert.equal(link[0].address, obj.mac);
    assert.equal(link[0].mtu, 1450, 'the VXLAN MTU (underlay 1500 − 50)');
    const addr = JSON.parse(await sh(ns, 'ip', '-4', '-j', 'addr', 'show', 'dev', 'eth0')) as { addr_info: { local: string; prefixlen: number }[] }[];
    assert.deepEqual(addr[0].addr_info.map((a) => `${a.local}/${a.prefixlen}`), [`${obj.ip}/24`]);
    const vm = (await (await fetch(`${agent.portApi}/vm/${obj.vm}`)).json()) as { id: string }[];
    assert.equal(vm[0].id, obj.vmi);

    // CHECK agrees; a changed pod interface is reported with code 102.
    const check = await runCni(cniEnv('CHECK', 'cid-web-1', ns, { namespace: 'default', name: 'web-1' }), JSON.stringify({ ...JSON.parse(netconf(agent.socket)) as object, prevResult: r.json }));
    assert.equal(check.code, 0, check.stdout);
    await sh(ns, 'ip', 'link', 'set', 'eth0', 'mtu', '1400');
    const bad = await runCni(cniEnv('CHECK', 'cid-web-1', ns, { namespace: 'default', name: 'web-1' }), netconf(agent.socket));
    assert.equal(bad.code, 1);
    assert.equal(bad.json?.code, 102);
    assert.match(String(bad.json?.details), /mtu 1400, expected 1450/);
    const old = await runCni(cniEnv('CHECK', 'cid-web-1', ns, { namespace: 'default', name: 'web-1' }), netconf(agent.socket, {}, '0.3.1'));
    assert.equal(old.json?.code, 1, 'CHECK needs 0.4.0');
  });

  test('results in the version the netconf asks for (0.4.0, 0.3.1, 0.2.0) and CNI_IFNAME honoured', async () => {
    for (const [i, v] of ['0.4.0', '0.3.1', '0.2.0'].entries()) {
      const { obj, ns } = await pod(`ver-${i}`);
      const r = await runCni(cniEnv('ADD', `cid-ver-${i}`, ns, { namespace: 'default', name: `ver-${i}` }, 'net1'), netconf(agent.socket, {}, v));
      assert.equal(r.code, 0, r.stdout);
      assert.equal(r.json?.cniVersion, v);
      if (v === '0.2.0') assert.deepEqual(r.json?.ip4, { ip: `${obj.ip}/24`, gateway: '10.62.0.254', routes: [{ dst: '0.0.0.0/0', gw: '10.62.0.254' }] });
      else {
        assert.deepEqual(r.json?.ips, [{ version: '4', address: `${obj.ip}/24`, gateway: '10.62.0.254', interface: 0 }]);
        assert.deepEqual(r.json?.interfaces, [{ name: 'net1', mac: obj.mac, sandbox: `/run/netns/${ns}` }]);
      }
      assert.match(await sh(ns, 'ip', '-o', 'link', 'show', 'dev', 'net1'), /net1/);
    }
  });

  test('DEL removes the interface, is idempotent and succeeds for unknown containers', async () => {
    const { obj, ns } = await pod('gone-1');
    const env = cniEnv('ADD', 'cid-gone-1', ns, { namespace: 'default', name: 'gone-1' });
    assert.equal((await runCni(env, netconf(agent.socket))).code, 0);
    const tap = `tap${obj.vmi.slice(0, 11)}`;
    assert.equal((await execInNetns(agent.node.ns, ['ip', 'link', 'show', 'dev', tap])).code, 0);
    // A DEL of an older container of the same pod leaves the interface alone.
    const stale = await runCni({ ...env, CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'cid-older' }, netconf(agent.socket));
    assert.equal(stale.code, 0);
    assert.equal((await execInNetns(agent.node.ns, ['ip', 'link', 'show', 'dev', tap])).code, 0, 'kept');
    for (let i = 0; i < 2; i++) {
      const d = await runCni({ ...env, CNI_COMMAND: 'DEL' }, netconf(agent.socket));
      assert.equal(d.code, 0, d.stdout);
      assert.equal(d.stdout, '');
    }
    assert.notEqual((await execInNetns(agent.node.ns, ['ip', 'link', 'show', 'dev', tap])).code, 0, 'tap removed');
    assert.equal((await fetch(`${agent.portApi}/vm/${obj.vm}`)).status, 404);
    const unknown = await runCni({ CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'never-seen', CNI_IFNAME: 'eth0', CNI_ARGS: '' }, netconf(agent.socket));
    assert.equal(unknown.code, 0);
  });

  test('environment errors are CNI error 4 with a clear message', async () => {
    const { ns } = await pod('env-1');
    const good = cniEnv('ADD', 'cid-env-1', ns, { namespace: 'default', name: 'env-1' });
    const cases: [Record<string, string>, RegExp][] = [
      [{ ...good, CNI_COMMAND: '' }, /CNI_COMMAND is not set/],
      [{ ...good, CNI_COMMAND: 'FROB' }, /CNI_COMMAND "FROB" is not supported/],
      [Object.fromEntries(Object.entries(good).filter(([k]) => k !== 'CNI_NETNS')), /CNI_NETNS is not set/],
      [{ ...good, CNI_IFNAME: 'this-name-is-too-long' }, /CNI_IFNAME/],
      [{ ...good, CNI_ARGS: 'IgnoreUnknown=1' }, /K8S_POD_NAMESPACE and K8S_POD_NAME/],
      [{ ...good, CNI_NETNS: '/run/netns/does-not-exist' }, /does not exist/],
    ];
    for (const [env, msg] of cases) {
      const r = await runCni(env, netconf(agent.socket));
      assert.equal(r.code, 1, JSON.stringify(env));
      assert.equal(r.json?.code, 4, r.stdout);
      assert.match(String(r.json?.msg), msg);
      assert.equal(r.json?.cniVersion, '1.0.0');
    }
  });

  test('a bad netconf is CNI error 6, 7 or 1 and plumbs nothing', async () => {
    const { obj, ns } = await pod('conf-1');
    const env = cniEnv('ADD', 'cid-conf-1', ns, { namespace: 'default', name: 'conf-1' });
    const sock = { 'agent-socket': agent.socket };
    const cases: [string, number, RegExp][] = [
      ['{"cniVersion": "1.0.0", "name": ', 6, /not JSON/],
      [JSON.stringify({ cniVersion: '1.0.0', type: 'tf-cni', contrail: sock }), 7, /name is required/],
      [JSON.stringify({ cniVersion: '9.9.9', name: 'n', type: 'tf-cni', contrail: sock }), 1, /9\.9\.9 is not supported/],
      [JSON.stringify({ cniVersion: '1.0.0', name: 'n', type: 'tf-cni', contrail: { ...sock, mtu: 'big' } }), 7, /contrail\.mtu/],
      [JSON.stringify({ cniVersion: '1.0.0', name: 'n', type: 'tf-cni', contrail: { ...sock, 'vif-type': 'macvlan' } }), 7, /vif-type/],
    ];
    for (const [conf, code, msg] of cases) {
      const r = await runCni(env, conf, { TF_CNI_SOCKET: agent.socket });
      assert.equal(r.code, 1, conf);
      assert.equal(r.json?.code, code, r.stdout);
      assert.match(String(r.json?.msg), msg);
    }
    assert.notEqual((await execInNetns(agent.node.ns, ['ip', 'link', 'show', 'dev', `tap${obj.vmi.slice(0, 11)}`])).code, 0, 'nothing plumbed');
  });

  test('ADD for a pod whose interface never appears fails within poll-timeout × poll-retries', async () => {
    const ns = await fabric.podNs('ghost');
    const t0 = Date.now();
    const r = await runCni(cniEnv('ADD', 'cid-ghost', ns, { namespace: 'default', name: 'ghost' }), netconf(agent.socket, { 'poll-timeout': 1, 'poll-retries': 2 }));
    assert.equal(r.code, 1);
    assert.equal(r.json?.code, 100);
    assert.match(String(r.json?.msg), /did not appear in the config within 2 s/);
    assert.match(String(r.json?.details), /no virtual-machine k8s__default__ghost/);
    assert.ok(Date.now() - t0 < 30_000, 'bounded');
  });

  test('an unreachable or silent agent is CNI error 11, not a hang', async () => {
    const env = cniEnv('ADD', 'cid-x', 'whatever', { namespace: 'default', name: 'x' });
    const none = await runCni(env, netconf(join(fabric.dir, 'absent.sock')));
    assert.equal(none.code, 1);
    assert.equal(none.json?.code, 11);
    assert.match(String(none.json?.msg), /not running/);
    // a socket file nobody listens on (an agent that died)
    const dead = join(fabric.dir, 'dead.sock');
    const s1: Server = createServer();
    await new Promise<void>((r) => s1.listen(dead, r));
    await new Promise<void>((r) => s1.close(() => r()));
    writeFileSync(join(fabric.dir, 'marker'), '');
    const refused = await runCni(env, netconf(dead));
    assert.equal(refused.json?.code, 11, refused.stdout);
    // an agent that accepts and never answers: bounded by TF_CNI_TIMEOUT
    const silentPath = join(fabric.dir, 'silent.sock');
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(silentPath, r));
    try {
      const r = await runCni(env, netconf(silentPath), { TF_CNI_TIMEOUT: '2' });
      assert.equal(r.code, 1);
      assert.equal(r.json?.code, 11);
      assert.match(String(r.json?.msg), /did not answer in time/);
    } finally {
      silent.close();
    }
  });

  test('port API: POST /vm validates like the original, DELETE /vm removes the ports', async () => {
    const bad = await fetch(`${agent.portApi}/vm`, { method: 'POST', body: JSON.stringify({ 'vm-name': 'x' }) });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: { message: string } }).error.message, /Invalid or missing field for <vm-uuid>/);
    const { obj, ns } = await pod('api-1');
    const body = { 'vm-uuid': obj.vm, 'vmi-uuid': obj.vmi, 'vn-uuid': net.uuid, 'vm-name': 'k8s__default__api-1', 'host-ifname': `tap${obj.vmi.slice(0, 11)}`, 'vm-ifname': 'eth0', 'vm-namespace': `/run/netns/${ns}`, 'vm-id': 'cid-api-1' };
    assert.equal((await fetch(`${agent.portApi}/vm`, { method: 'POST', body: JSON.stringify(body) })).status, 200);
    // the agent plumbs a registered port with its next render
    await eventually(async () => (await execInNetns(ns, ['ip', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout.includes(obj.ip), 'port plumbed by the render');
    const del = await fetch(`${agent.portApi}/vm/${obj.vm}`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    assert.equal((await fetch(`${agent.portApi}/vm/${obj.vm}`)).status, 404);
    assert.equal((await fetch(`${agent.portApi}/vm-cfg/nobody`)).status, 404);
  });
});
