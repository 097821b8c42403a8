// The kubelet with a fake CNI plugin (a real executable that logs its calls) and namespaces kept as
// files: everything but the kernel part, unprivileged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirNetns, fakeCni, SLEEPING_RESPONDER, type FakeCni } from '../../../test/support/lab-fakes.js';
import { startKubeApi, type RunningKubeApi } from '../kube/api-server.js';
import { R } from '../kube/resources.js';
import type { KubeObject } from '../kube/types.js';
import { Kubelet } from './kubelet.js';

let api: RunningKubeApi;
let dir: string;
let cni: FakeCni;
let netns: DirNetns;
let kubelet: Kubelet;

const opts = () => ({
  client: api.client,
  node: 'node-1',
  ip: '192.0.2.21',
  cniConfDir: cni.confDir,
  cniBinDirs: [cni.binDir],
  netns,
  stateDir: join(dir, 'state'),
  responder: SLEEPING_RESPONDER,
  heartbeatMs: 60_000,
  backoff: { baseMs: 50, maxMs: 200 },
  restartBackoff: { baseMs: 50, maxMs: 100 },
});

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lab-kubelet-'));
  cni = fakeCni(join(dir, 'cni'), 1);
  netns = new DirNetns(join(dir, 'netns'));
  api = await startKubeApi({ port: 0, controllers: false });
  kubelet = new Kubelet(opts());
  await kubelet.start();
});
after(async () => {
  await kubelet.close({ teardownPods: true });
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

const until = async (cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
};
const status = async (name: string): Promise<Record<string, unknown>> => ((await api.client.get(R.pods, 'default', name)).status ?? {}) as Record<string, unknown>;
const bound = (name: string, spec: Record<string, unknown> = {}): KubeObject => ({ metadata: { name }, spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox' }], ...spec } });
const events = async (name: string): Promise<string[]> => (await api.client.list(R.events, { namespace: 'default', fieldSelector: `involvedObject.name=${name}` })).items.map((e) => String(e.reason));

test('registers its Node: InternalIP, Ready, kubelet version', async () => {
  const n = await api.client.get(R.nodes, undefined, 'node-1');
  const st = n.status as { addresses: { type: string; address: string }[]; conditions: { type: string; status: string }[]; nodeInfo: { kubeletVersion: string } };
  assert.deepEqual(st.addresses[0], { type: 'InternalIP', address: '192.0.2.21' });
  assert.equal(st.conditions.find((c) => c.type === 'Ready')?.status, 'True');
  assert.equal(n.metadata.labels?.['kubernetes.io/hostname'], 'node-1');
  const lease = await api.client.get(R.leases, 'kube-node-lease', 'node-1');
  assert.equal((lease.spec as { holderIdentity: string }).holderIdentity, 'node-1');
  assert.equal(lease.metadata.ownerReferences?.[0].uid, n.metadata.uid);
  const nodeRv = n.metadata.resourceVersion;
  await new Promise((r) => setTimeout(r, 5));
  await kubelet.heartbeat();
  const renewed = await api.client.get(R.leases, 'kube-node-lease', 'node-1');
  assert.notEqual((renewed.spec as { renewTime: string }).renewTime, (lease.spec as { renewTime: string }).renewTime);
  assert.equal((await api.client.get(R.nodes, undefined, 'node-1')).metadata.resourceVersion, nodeRv, 'a heartbeat renews the lease, not the Node');
});

test('a bound pod gets a sandbox through CNI ADD with the kubelet environment, then Running with its IP', async () => {
  const pod = await api.client.create(R.pods, 'default', bound('p1'));
  await until(async () => (await status('p1')).phase === 'Running', 'Running');
  const st = await status('p1');
  assert.match(String(st.podIP), /^10\.99\.1\.\d+$/);
  assert.deepEqual(st.podIPs, [{ ip: st.podIP }]);
  assert.equal(st.hostIP, '192.0.2.21');
  assert.equal((st.conditions as { type: string; status: string }[]).find((c) => c.type === 'Ready')?.status, 'True');
  const adds = cni.calls().filter((c) => c.command === 'ADD');
  assert.equal(adds.length, 1);
  const uid = pod.metadata.uid ?? '';
  assert.equal(adds[0].env.CNI_NETNS, join(dir, 'netns', `lab-${uid}`));
  assert.equal(adds[0].env.CNI_IFNAME, 'eth0');
  assert.equal(adds[0].env.CNI_ARGS, `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=p1;K8S_POD_INFRA_CONTAINER_ID=${adds[0].env.CNI_CONTAINERID};K8S_POD_UID=${uid}`);
  assert.match(adds[0].env.CNI_CONTAINERID, /^[0-9a-f]{64}$/);
  assert.equal(adds[0].env.CNI_PATH, cni.binDir);
  assert.deepEqual(adds[0].stdin, { cniVersion: '1.0.0', name: 'fakenet', type: 'fakecni' });
  assert.deepEqual(kubelet.sandboxOf('default', 'p1')?.podIPs, [st.podIP]);
  await until(async () => {
    const seen = await events('p1');
    return ['Pulled', 'Created', 'Started'].every((r) => seen.includes(r));
  }, 'container events');
});

test('CNI failure: ContainerCreating with a FailedCreatePodSandBox event, DEL of the attempt, retried until it works', async () => {
  cni.failAdds(true);
  const before = cni.calls().length;
  await api.client.create(R.pods, 'default', bound('p2'));
  await until(async () => (await events('p2')).includes('FailedCreatePodSandBox'), 'the event');
  const st = await status('p2');
  assert.equal(st.phase, 'Pending');
  assert.deepEqual((st.containerStatuses as { state: unknown }[])[0].state, { waiting: { reason: 'ContainerCreating' } });
  await until(() => cni.calls().slice(before).filter((c) => c.command === 'ADD').length >= 2, 'a retry');
  const after = cni.calls().slice(before);
  assert.equal(after[0].command, 'ADD');
  assert.equal(after[1].command, 'DEL', 'a DEL follows the failed ADD');
  assert.equal(after[1].env.CNI_CONTAINERID, after[0].env.CNI_CONTAINERID);
  const ev = (await api.client.list(R.events, { namespace: 'default', fieldSelector: 'involvedObject.name=p2,reason=FailedCreatePodSandBox' })).items[0];
  assert.equal(ev.message, 'Failed to create pod sandbox: plugin type="fakecni" failed (add): fake plugin told to fail');
  assert.ok(Number(ev.count) >= 1);
  cni.failAdds(false);
  await until(async () => (await status('p2')).phase === 'Running', 'Running after the fix');
});

test('delete: containers stop, CNI DEL with the sandbox id, namespace removed, deletion confirmed', async () => {
  const sandbox = kubelet.sandboxOf('default', 'p1');
  assert.ok(sandbox);
  const add = cni.calls().find((c) => c.command === 'ADD' && c.env.CNI_ARGS.includes('K8S_POD_NAME=p1;'));
  await api.client.delete(R.pods, 'default', 'p1');
  await until(async () => !(await api.client.get(R.pods, 'default', 'p1').catch(() => undefined)), 'the pod gone');
  const del = cni.calls().filter((c) => c.command === 'DEL' && c.env.CNI_CONTAINERID === add?.env.CNI_CONTAINERID);
  assert.equal(del.length, 1);
  assert.ok(del[0].stdin.prevResult, 'DEL carries the cached result');
  assert.equal(existsSync(join(dir, 'netns', sandbox.netns)), false);
});

test('containers: exit codes, restart policy Never → Failed, Always → restarts with back-off', async () => {
  await api.client.create(R.pods, 'default', bound('once', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'exit 3'] }] }));
  await until(async () => (await status('once')).phase === 'Failed', 'Failed');
  const cs = ((await status('once')).containerStatuses as { state: { terminated?: { exitCode: number } } }[])[0];
  assert.equal(cs.state.terminated?.exitCode, 3);
  await api.client.create(R.pods, 'default', bound('crash', { containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'exit 1'] }] }));
  await until(async () => ((await status('crash')).containerStatuses as { restartCount: number }[] | undefined)?.[0]?.restartCount !== undefined && ((await status('crash')).containerStatuses as { restartCount: number }[])[0].restartCount >= 2, 'restarts');
});

test('container output through pods/<name>/log (kubectl logs), with tailLines', async () => {
  await api.client.create(R.pods, 'default', bound('talker', { containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo hello; echo world; exec sleep 600'] }] }));
  await until(async () => (await status('talker')).phase === 'Running', 'Running');
  const get = async (q = ''): Promise<{ status: number; text: string }> => {
    const r = await fetch(`${api.url}/api/v1/namespaces/default/pods/talker/log${q}`);
    return { status: r.status, text: await r.text() };
  };
  await until(async () => (await get()).text === 'hello\nworld\n', 'both lines');
  assert.deepEqual(await get('?tailLines=1&container=c'), { status: 200, text: 'world\n' });
  const wrong = await get('?container=nope');
  assert.equal(wrong.status, 400);
  assert.equal((JSON.parse(wrong.text) as { message: string }).message, 'container nope is not valid for pod talker');
  await api.client.delete(R.pods, 'default', 'talker');
});

test('a restarted kubelet re-adopts its sandboxes (no second ADD) and cleans up pods deleted meanwhile', async () => {
  const adds = () => cni.calls().filter((c) => c.command === 'ADD').length;
  const n = adds();
  await kubelet.close();
  await api.client.delete(R.pods, 'default', 'crash');
  await api.client.delete(R.pods, 'default', 'crash', { gracePeriodSeconds: 0 });
  kubelet = new Kubelet(opts());
  await kubelet.start();
  await until(async () => (await status('p2')).phase === 'Running' && kubelet.sandboxOf('default', 'p2') !== undefined, 'p2 adopted');
  await until(() => kubelet.queue.depth === 0, 'quiet');
  assert.equal(adds(), n, 'no ADD for adopted sandboxes');
  const crashDel = cni.calls().filter((c) => c.command === 'DEL' && c.env.CNI_ARGS.includes('K8S_POD_NAME=crash;'));
  assert.equal(crashDel.length, 1, 'the sandbox of the pod deleted while the kubelet was away is torn down');
});
