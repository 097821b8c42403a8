// Privileged: the kubelet with real network namespaces and Debian's CNI plugins (bridge, host-local,
// loopback), pods answering with their names over TCP and UDP, `tfctl lab exec`, cleanup on delete,
// and the node-netns mode where the plugins run inside a lab node's namespace.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKubeApi, type RunningKubeApi } from '../kube/api-server.js';
import { HttpKubeClient } from '../kube/http-client.js';
import { R } from '../kube/resources.js';
import { Kubelet } from './kubelet.js';
import { IpNetns } from './netns.js';

const execFileAsync = promisify(execFile);
const skip = process.getuid?.() !== 0 ? 'needs root: network namespaces' : !existsSync('/usr/lib/cni/bridge') ? 'needs containernetworking-plugins (/usr/lib/cni)' : false;
const tag = randomBytes(3).toString('hex');

let api: RunningKubeApi;
let client: HttpKubeClient;
let dir: string;
const cleanups: (() => void | Promise<void>)[] = [];

function writeConf(confDir: string, bridge: string, subnet: string, dataDir: string): void {
  mkdirSync(confDir, { recursive: true });
  writeFileSync(
    join(confDir, '10-lab.conflist'),
    JSON.stringify({
      cniVersion: '1.0.0',
      name: `lab-${tag}`,
      plugins: [
        { type: 'bridge', bridge, isGateway: true, ipMasq: false, ipam: { type: 'host-local', ranges: [[{ subnet }]], dataDir } },
        { type: 'loopback' },
      ],
    }),
  );
}

const until = async (cond: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
};

function tcpHello(ip: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, ip);
    let d = '';
    s.setTimeout(5000, () => s.destroy(new Error('timeout')));
    s.setEncoding('utf8').on('data', (x: string) => (d += x)).on('end', () => resolve(d)).on('error', reject);
  });
}

function udpHello(ip: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      reject(new Error('udp timeout'));
    }, 5000);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(m.toString());
    });
    s.send('hello', port, ip);
  });
}

const podStatus = async (name: string): Promise<{ phase?: string; podIP?: string }> => ((await client.get(R.pods, 'default', name)).status ?? {});

describe('kubelet with real network namespaces', { skip }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), `lab-netns-${tag}-`));
    api = await startKubeApi({ port: 0, controllers: false });
    client = new HttpKubeClient({ server: api.url });
    cleanups.push(() => client.close(), () => api.close());
  });
  after(async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  test('pods on a host bridge: Running with an IP, answer TCP and UDP with their name, exec, cleanup', async () => {
    const bridge = `lkb${tag}`;
    const subnet = `10.${200 + (parseInt(tag.slice(0, 2), 16) % 50)}.${parseInt(tag.slice(2, 4), 16)}.0/24`;
    const ipam = join(dir, 'ipam-host');
    writeConf(join(dir, 'net.d'), bridge, subnet, ipam);
    const prefix = `lk${tag}-`;
    const kubelet = new Kubelet({ client, node: `host-${tag}`, ip: '192.0.2.31', cniConfDir: join(dir, 'net.d'), cniBinDirs: ['/usr/lib/cni'], netnsPrefix: prefix, stateDir: join(dir, 'state-host'), heartbeatMs: 60_000 });
    cleanups.push(async () => {
      await kubelet.close({ teardownPods: true });
      spawnSync('ip', ['link', 'del', bridge]);
    });
    await kubelet.start();
    const pod = await client.create(R.pods, 'default', { metadata: { name: `web-${tag}` }, spec: { nodeName: `host-${tag}`, containers: [{ name: 'web', image: 'cirros', ports: [{ containerPort: 8080 }] }] } });
    await until(async () => (await podStatus(`web-${tag}`)).phase === 'Running', 'Running');
    const ip = (await podStatus(`web-${tag}`)).podIP ?? '';
    assert.ok(ip.startsWith(subnet.split('.').slice(0, 3).join('.') + '.'), `pod IP ${ip} from ${subnet}`);
    const netns = `${prefix}${pod.metadata.uid ?? ''}`;
    assert.ok((await new IpNetns().list()).includes(netns));
    // the responder starts asynchronously inside the namespace
    await until(() => tcpHello(ip, 8080).then((s) => s === `web-${tag}\n`, () => false), 'TCP answer');
    assert.equal(await udpHello(ip, 8080), `web-${tag}\n`);
    // tfctl lab exec runs in the pod's namespace
    const tfctl = fileURLToPath(new URL('../../bin/tfctl.ts', import.meta.url));
    // (asynchronously: the API server runs in this process)
    const { stdout: out } = await execFileAsync(process.execPath, ['--import', 'tsx', tfctl, 'lab', 'exec', '--server', api.url, `default/web-${tag}`, '--', 'ip', '-4', '-o', 'addr', 'show', 'eth0'], { encoding: 'utf8', env: { ...process.env, TF_LOG_LEVEL: 'silent' } });
    assert.match(out, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/24`));
    // delete: CNI DEL (host-local releases the address), namespace removed, pod gone
    assert.ok(readdirSync(join(ipam, `lab-${tag}`)).includes(ip));
    await client.delete(R.pods, 'default', `web-${tag}`);
    await until(async () => !(await client.get(R.pods, 'default', `web-${tag}`).catch(() => undefined)), 'pod gone');
    assert.equal((await new IpNetns().list()).includes(netns), false);
    assert.equal(readdirSync(join(ipam, `lab-${tag}`)).includes(ip), false, 'address released by CNI DEL');
  });

  test('--node-netns: plugins run inside the node namespace; the bridge lives there, pods reachable from it', async () => {
    const nodeNs = `lkn${tag}`;
    execFileSync('ip', ['netns', 'add', nodeNs]);
    execFileSync('ip', ['-n', nodeNs, 'link', 'set', 'lo', 'up']);
    cleanups.push(() => void spawnSync('ip', ['netns', 'del', nodeNs]));
    const bridge = `lkc${tag}`;
    writeConf(join(dir, 'net.d-node'), bridge, '10.250.1.0/24', join(dir, 'ipam-node'));
    const kubelet = new Kubelet({ client, node: `node-${tag}`, ip: '192.0.2.32', cniConfDir: join(dir, 'net.d-node'), cniBinDirs: ['/usr/lib/cni'], netnsPrefix: `lm${tag}-`, nodeNetns: nodeNs, stateDir: join(dir, 'state-node'), heartbeatMs: 60_000 });
    cleanups.push(() => kubelet.close({ teardownPods: true }));
    await kubelet.start();
    await client.create(R.pods, 'default', { metadata: { name: `inner-${tag}` }, spec: { nodeName: `node-${tag}`, containers: [{ name: 'web', image: 'cirros', ports: [{ containerPort: 9090 }] }] } });
    await until(async () => (await podStatus(`inner-${tag}`)).phase === 'Running', 'Running');
    const ip = (await podStatus(`inner-${tag}`)).podIP ?? '';
    assert.equal(spawnSync('ip', ['link', 'show', bridge]).status !== 0, true, 'no bridge in the host namespace');
    assert.equal(spawnSync('ip', ['-n', nodeNs, 'link', 'show', bridge]).status, 0, 'the bridge is in the node namespace');
    const hello = (): string => spawnSync('ip', ['netns', 'exec', nodeNs, 'bash', '-c', `exec 3<>/dev/tcp/${ip}/9090; timeout 3 cat <&3`], { encoding: 'utf8' }).stdout;
    await until(() => hello() === `inner-${tag}\n`, 'TCP answer from inside the node namespace');
    await client.delete(R.pods, 'default', `inner-${tag}`);
    await until(async () => !(await client.get(R.pods, 'default', `inner-${tag}`).catch(() => undefined)), 'pod gone');
  });
});
