// Controllers converge under kubectl: scale a replication controller 2 → 5 → 1, roll a deployment
// to a new image and back (rollout undo), and see endpoints follow.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { eventually, kubectlSkip, startKubectlLab, table, type KubectlLab } from '../support/kubectl-lab.js';

const ex = (f: string): string => fileURLToPath(new URL(`../../examples/kubernetes/${f}`, import.meta.url));
let lab: KubectlLab;

const running = async (selector: string): Promise<Record<string, string>[]> => table(await lab.ok(['get', 'pods', '-l', selector, '-o', 'wide'])).filter((r) => r.STATUS === 'Running');

describe('controllers driven by kubectl', { skip: kubectlSkip }, () => {
  before(async () => {
    lab = await startKubectlLab();
  });
  after(async () => {
    await lab?.close();
  });

  test('kubectl scale rc web-qa 2 → 5 → 1; endpoints follow', async () => {
    await lab.ok(['create', '-f', ex('web-qa-rc.yaml')]);
    await lab.ok(['create', '-f', ex('web-qa-svc-clusterip.yaml')]);
    await eventually(() => running('app=web-qa'), (r) => r.length === 2, '2 running');
    assert.match(await lab.ok(['scale', 'rc', 'web-qa', '--replicas=5']), /replicationcontroller\/web-qa scaled/);
    const five = await eventually(() => running('app=web-qa'), (r) => r.length === 5, '5 running');
    assert.deepEqual(new Set(five.map((r) => r.NODE)), new Set(['node-a', 'node-b']));
    await eventually(async () => table(await lab.ok(['get', 'rc', 'web-qa']))[0], (r) => r.READY === '5' && r.CURRENT === '5', 'rc 5/5');
    await eventually(async () => (await lab.ok(['get', 'endpoints', 'web-qa', '-o', 'jsonpath={.subsets[*].addresses[*].ip}'])).split(' ').filter(Boolean).length, (n) => n === 5, '5 endpoints');
    await lab.ok(['scale', 'rc', 'web-qa', '--replicas=1']);
    await eventually(async () => (await lab.ok(['get', 'pods', '-l', 'app=web-qa', '-o', 'name'])).trim().split('\n').filter(Boolean).length, (n) => n === 1, 'one pod left');
    await eventually(async () => (await lab.ok(['get', 'endpoints', 'web-qa', '-o', 'jsonpath={.subsets[*].addresses[*].ip}'])).split(' ').filter(Boolean).length, (n) => n === 1, '1 endpoint');
  });

  test('deployment: set image rolls out a new replica set, rollout undo goes back', async () => {
    await lab.ok(['create', '-f', ex('first-containers.yaml')]);
    await lab.ok(['rollout', 'status', 'deploy/cirros-deployment', '--timeout=60s']);
    await lab.ok(['set', 'image', 'deploy/cirros-deployment', 'cirros=cirros:0.6.2']);
    assert.match(await lab.ok(['rollout', 'status', 'deploy/cirros-deployment', '--timeout=60s']), /successfully rolled out/);
    const rs = table(await lab.ok(['get', 'rs', '-l', 'app=cirros-deployment', '-o', 'wide']));
    assert.equal(rs.length, 2);
    assert.deepEqual(rs.map((r) => [r.DESIRED, r.IMAGES]).sort(), [['0', 'cirros'], ['2', 'cirros:0.6.2']]);
    assert.match(await lab.ok(['rollout', 'history', 'deploy/cirros-deployment']), /^1\s+<none>\n2\s+<none>/m);
    await lab.ok(['rollout', 'undo', 'deploy/cirros-deployment']);
    await lab.ok(['rollout', 'status', 'deploy/cirros-deployment', '--timeout=60s']);
    await eventually(async () => lab.ok(['get', 'pods', '-l', 'app=cirros-deployment', '-o', 'jsonpath={.items[*].spec.containers[0].image}']), (s) => s === 'cirros cirros', 'pods back on the first image');
  });
});
