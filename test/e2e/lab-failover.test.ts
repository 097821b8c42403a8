// Failures in a running lab (issue 9, e2e scenario 7): a control node is SIGKILLed — traffic between pods
// on two nodes keeps flowing, an open TCP connection too, and a pod created afterwards is reachable
// (the agents keep their session to the other control node); a vRouter agent is SIGKILLed and started
// again — the datapath it left keeps forwarding meanwhile, and after the restart traffic and the
// established connection are still there.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { holdConnection, startServer, type HeldConnection, type NetnsServer } from '../support/netns-tcp.js';
import { agentSkip, kubectlMissing, nodeOf, podIP, rootSkip, startE2eLab, until, type E2eLab } from '../support/lab-e2e.js';
import type { KubeObject } from '../../src/lab/kube/types.js';

const skip = rootSkip || kubectlMissing || agentSkip;
let e: E2eLab;
let a: KubeObject;
let b: KubeObject;
let server: NetnsServer | undefined;
let conn: HeldConnection | undefined;

before(async () => {
  if (skip) return;
  e = await startE2eLab('fail');
  await e.kubectlOk(['create', 'deployment', 'pair', '--image=busybox', '--replicas=2', '--', 'sleep', '100000']);
  [a, b] = await e.running('default', 'app=pair', 2);
  assert.notEqual(nodeOf(a), nodeOf(b));
  assert.ok(await e.pingEventually(e.netnsOf(a), podIP(b)), 'the pair is connected before anything fails');
  server = await startServer(e.netnsOf(b), 'b', [7000]);
  conn = await holdConnection(e.netnsOf(a), podIP(b), 7000);
});
after(async () => {
  await conn?.close();
  await server?.stop();
  await e?.close();
});

const pingsAll = async (from: KubeObject, to: KubeObject, n = 3): Promise<boolean> => {
  for (let i = 0; i < n; i++) if (!(await e.ping(e.netnsOf(from), podIP(to)))) return false;
  return true;
};

test('kill a control node: traffic keeps flowing, the open connection survives, new pods still get routes', { skip }, async () => {
  assert.match(conn!.greeting, /^b:7000:/);
  await e.lab.kill('control1');
  assert.equal(e.lab.supervisor.info('control1')?.state, 'stopped');
  assert.ok(await pingsAll(a, b), 'a → b right after control1 died');
  assert.ok(await pingsAll(b, a), 'b → a');
  assert.equal(await conn!.roundTrip('after-control-kill'), 'after-control-kill');
  // control2 still has both agents; a new pod's route reaches the other node through it alone
  const nei = await e.tfctl(['ctr', '--host', `http://127.0.0.1:${e.lab.ports.controlIntrospect[1]}`, 'nei']);
  assert.match(nei.stdout, /\| node1 +\| 10\.0\.0\.101 .*Established/);
  assert.match(nei.stdout, /\| node2 +\| 10\.0\.0\.102 .*Established/);
  await e.kubectlOk(['scale', 'deployment', 'pair', '--replicas=3']);
  const third = (await e.running('default', 'app=pair', 3)).find((p) => p.metadata.uid !== a.metadata.uid && p.metadata.uid !== b.metadata.uid)!;
  const remote = nodeOf(third) === nodeOf(a) ? b : a;
  assert.ok(await e.pingEventually(e.netnsOf(remote), podIP(third)), 'a pod created with one control node down is reachable from the other node');
  await e.lab.resume('control1');
  await until(() => e.lab.health('control1'), (h) => h.status === 'up', 'control1 back and healthy');
  assert.ok(await pingsAll(a, b), 'still flowing with control1 back');
});

test('kill and restart an agent: forwarding continues while it is down, recovers after, the established connection survives', { skip }, async () => {
  const node = nodeOf(a);
  const agent = `agent-${node}`;
  const pid = e.lab.supervisor.info(agent)!.pid!;
  await e.lab.kill(agent);
  assert.equal(e.lab.supervisor.info(agent)?.state, 'stopped');
  assert.ok(await pingsAll(a, b), 'the datapath stays in place while the agent is down');
  assert.equal(await conn!.roundTrip('agent-down'), 'agent-down');
  await e.lab.resume(agent);
  assert.notEqual(e.lab.supervisor.info(agent)?.pid, pid);
  await until(() => e.lab.health(agent), (h) => h.status === 'up', `${agent} back and healthy`);
  assert.ok(await e.pingEventually(e.netnsOf(a), podIP(b)), 'a → b after the restart');
  assert.ok(await pingsAll(b, a), 'b → a after the restart');
  assert.equal(await conn!.roundTrip('agent-restarted'), 'agent-restarted', 'the connection opened before the crash still works');
  // the restarted agent serves new pods on its node
  await e.kubectlOk(['run', 'late', `--overrides={"spec":{"nodeName":"${node}"}}`, '--image=busybox', '--labels=app=late', '--', 'sleep', '100000']);
  const [late] = await e.running('default', 'app=late', 1);
  assert.ok(await e.pingEventually(e.netnsOf(b), podIP(late)), 'a pod plumbed by the restarted agent is reachable from the other node');
});
