import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { createSocket } from 'node:dgram';
import type { KubeObject } from '../kube/types.js';
import { containerArgv, containerEnv, responderPorts, RESPONDER_PORTS_ANNOTATION } from './containers.js';
import { computePodStatus, podPhaseOf, type PodView } from './pod-status.js';
import { serveTcp, serveUdp } from './responder.js';

const pod = (annotations?: Record<string, string>): KubeObject => ({ metadata: { name: 'web-1', annotations }, spec: { restartPolicy: 'Always' } });

test('what a container runs: its command and args, else the responder on its ports', () => {
  const R = ['node', 'responder.js'];
  assert.deepEqual(containerArgv(pod(), { command: ['sleep'], args: ['10'] }, R), ['sleep', '10']);
  assert.deepEqual(containerArgv(pod(), { args: ['ping', 'x'] }, R), ['ping', 'x']);
  assert.deepEqual(containerArgv(pod(), { image: 'cirros', ports: [{ containerPort: 22 }] }, R), ['node', 'responder.js', '--name', 'web-1', '--tcp', '22', '--udp', '22']);
  assert.deepEqual(responderPorts(pod(), { image: 'docker.io/nginx' }), { tcp: [80], udp: [] }, 'an nginx image without declared ports serves 80');
  assert.deepEqual(responderPorts(pod(), { image: 'cirros' }), { tcp: [], udp: [] });
  assert.deepEqual(responderPorts(pod({ [RESPONDER_PORTS_ANNOTATION]: '8080/tcp, 53/udp' }), { image: 'x' }), { tcp: [8080], udp: [53] });
  assert.deepEqual(containerEnv(pod(), { env: [{ name: 'A', value: '1' }, { name: 'B', valueFrom: {} }] }).A, '1');
});

test('responder answers TCP (raw and HTTP) and UDP with the pod name', async () => {
  const closeT = await serveTcp('pod-a', 0, '127.0.0.1');
  const closeU = await serveUdp('pod-a', 0, '127.0.0.1');
  try {
    const raw = await new Promise<string>((resolve, reject) => {
      const s = connect(closeT.port, '127.0.0.1');
      let d = '';
      s.setEncoding('utf8').on('data', (x: string) => (d += x)).on('end', () => resolve(d)).on('error', reject);
    });
    assert.equal(raw, 'pod-a\n');
    const http = await fetch(`http://127.0.0.1:${closeT.port}/`);
    assert.equal(await http.text(), 'pod-a\n');
    const udp = await new Promise<string>((resolve) => {
      const s = createSocket('udp4');
      s.on('message', (m) => {
        s.close();
        resolve(m.toString());
      });
      s.send('hi', closeU.port, '127.0.0.1');
    });
    assert.equal(udp, 'pod-a\n');
  } finally {
    closeT.close();
    closeU.close();
  }
});

test('pod status: phases, readiness, stable transition times', () => {
  const view = (state: PodView['containers'][number]['state'], sandboxReady = true): PodView => ({ sandboxReady, podIPs: sandboxReady ? ['10.0.0.2'] : [], hostIP: '192.0.2.1', startTime: '2024-01-01T00:00:00Z', containers: [{ name: 'c', image: 'i', state, restartCount: 0, started: 'running' in state }] });
  const p: KubeObject = { metadata: { name: 'p' }, spec: { restartPolicy: 'Never' }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: 'T0' }] } };
  const creating = computePodStatus(p, view({ waiting: { reason: 'ContainerCreating' } }, false), 'T1');
  assert.equal(creating.phase, 'Pending');
  assert.equal(creating.podIP, null);
  const running = computePodStatus({ ...p, status: creating }, view({ running: { startedAt: 'T2' } }), 'T2');
  assert.equal(running.phase, 'Running');
  assert.equal(running.podIP, '10.0.0.2');
  const conds = running.conditions as { type: string; status: string; lastTransitionTime: string }[];
  assert.deepEqual(conds.map((c) => [c.type, c.status]), [['PodReadyToStartContainers', 'True'], ['Initialized', 'True'], ['Ready', 'True'], ['ContainersReady', 'True'], ['PodScheduled', 'True']]);
  assert.equal(conds.find((c) => c.type === 'Initialized')?.lastTransitionTime, 'T1', 'unchanged conditions keep their time');
  assert.equal(conds.find((c) => c.type === 'PodScheduled')?.lastTransitionTime, 'T0');
  const done = view({ terminated: { exitCode: 0, reason: 'Completed', startedAt: 'T2', finishedAt: 'T3' } });
  assert.equal(podPhaseOf(p, done), 'Succeeded');
  assert.equal(podPhaseOf({ ...p, spec: { restartPolicy: 'Never' } }, view({ terminated: { exitCode: 2, reason: 'Error', startedAt: 'T2', finishedAt: 'T3' } })), 'Failed');
  assert.equal(podPhaseOf({ ...p, spec: { restartPolicy: 'Always' } }, done), 'Running');
});
