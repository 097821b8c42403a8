// Kill kube-manager, change pods, services and namespaces behind its back, leave half-created and
// foreign objects around, restart: exactly the expected state, no leaks, no duplicates, foreign
// objects untouched; a second restart writes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { R } from '../../src/lab/kube/resources.js';
import { derivedUuid, ROLE } from '../../src/kube/names.js';
import { KubeManagerEnv, kv } from './kube-manager-env.js';

let env: KubeManagerEnv;
const P = ['default-domain', 'kubernetes'];
before(async () => {
  env = await KubeManagerEnv.start();
});
after(async () => {
  await env?.close();
});

const ann = (kind: string, ns: string, name: string, owner = 'k8s', cluster = 'k8s-default') => ({
  key_value_pair: Object.entries({ cluster, kind, namespace: ns, project: 'kubernetes', name, owner }).map(([key, value]) => ({ key, value })),
});

test('restart after changes made while down: exact state, no leaks, no duplicates', async () => {
  await env.virtualRouter('node-1');
  await env.namespace('a');
  await env.namespace('b', { 'opencontrail.org/isolation': 'true' });
  const p1 = await env.pod('a', 'p1', { labels: { app: 's' }, node: 'node-1' });
  const p2 = await env.pod('a', 'p2', { labels: { app: 's' }, node: 'node-1' });
  await env.pod('b', 'q1', {});
  const s1 = await env.service('a', 's1', { selector: { app: 's' }, ports: [{ port: 80 }] });
  await env.endpoints('a', 's1', [p1, p2], [{ port: 80 }]);
  await env.settle();
  const s1Lb = await env.client.read('loadbalancer', s1.metadata.uid!);
  assert.ok(s1Lb);

  await env.stopKm();
  // --- while kube-manager is down ---------------------------------------------------------
  await env.deletePod('a', 'p2');
  await env.deletePod('a', 'p1');
  const p1b = await env.pod('a', 'p1', { labels: { app: 's' }, node: 'node-1' }); // same name, new uid
  const p3 = await env.pod('a', 'p3', { labels: { app: 's' }, node: 'node-1' });
  await env.k.delete(R.services, 'a', 's1');
  const s2 = await env.service('a', 's2', { selector: { app: 's' }, ports: [{ port: 8080 }] });
  await env.endpoints('a', 's2', [p1b, p3], [{ port: 8080 }]);
  await env.deletePod('b', 'q1');
  await env.k.delete(R.namespaces, undefined, 'b');
  for (let i = 0; i < 200; i++) {
    try {
      await env.k.get(R.namespaces, undefined, 'b');
      await new Promise((r) => setTimeout(r, 20));
    } catch {
      break;
    }
  }
  // a crash half-way through creating p3: its VM and interface exist, its instance IP does not
  const c = env.client;
  const p3uid = p3.metadata.uid!;
  await c.create('virtual-machine', { uuid: p3uid, fq_name: [`p3__${p3uid}`], annotations: ann('Pod', 'a', 'p3') });
  const vmiUuid = derivedUuid(p3uid, ROLE.podVmi);
  await c.create('virtual-machine-interface', {
    uuid: vmiUuid,
    fq_name: [...P, `p3__${vmiUuid}`],
    parent_type: 'project',
    virtual_network_refs: [{ to: [...P, 'cluster-network'] }],
    virtual_machine_refs: [{ to: [`p3__${p3uid}`] }],
    annotations: ann('Pod', 'a', 'p3'),
  });
  // owned leftovers of objects that never existed / are gone, and look-alikes we do not own
  await c.create('virtual-machine', { fq_name: ['ghost__00000000-0000-4000-8000-000000000001'], uuid: '00000000-0000-4000-8000-000000000001', annotations: ann('Pod', 'a', 'ghost') });
  await c.create('virtual-machine', { fq_name: ['other-cluster-pod'], annotations: ann('Pod', 'a', 'p1', 'k8s', 'another-cluster') });
  await c.create('virtual-machine', { fq_name: ['other-owner-pod'], annotations: ann('Pod', 'a', 'p1', 'someone-else') });
  await c.create('security-group', { fq_name: [...P, 'k8s-default-zz-sg'], parent_type: 'project', annotations: ann('Namespace', 'zz', 'k8s-default-zz-sg', 'k8s', 'another-cluster') });

  // --- restart ----------------------------------------------------------------------------
  await env.startKm();
  await env.settle();

  const vms = await env.owned('virtual-machine');
  assert.deepEqual(vms.map((v) => `${kv(v).namespace}/${kv(v).name} ${v.uuid}`).filter((x) => x.startsWith('a/') || x.startsWith('b/')).sort(), [`a/p1 ${p1b.metadata.uid}`, `a/p3 ${p3uid}`].sort());
  const vmis = (await env.owned('virtual-machine-interface')).filter((v) => kv(v).namespace === 'a' || kv(v).namespace === 'b');
  assert.deepEqual(vmis.map((v) => kv(v).name).sort(), ['p1', 'p3'], 'one interface per pod');
  assert.ok(vmis.some((v) => v.uuid === vmiUuid), 'the half-created interface was completed, not duplicated');
  const iips = (await env.owned('instance-ip')).filter((v) => kv(v).namespace === 'a' || kv(v).namespace === 'b');
  assert.deepEqual(iips.map((v) => kv(v).name).sort(), ['p1', 'p3']);
  assert.equal(new Set(iips.map((i) => i.instance_ip_address)).size, 2);
  const vr = await env.byFq('virtual-router', ['default-global-system-config', 'node-1']);
  assert.deepEqual(((vr.virtual_machine_refs as { uuid: string }[]) ?? []).map((r) => r.uuid).sort(), [p1b.metadata.uid, p3uid].sort(), 'router links of gone pods removed');

  await assert.rejects(env.client.read('loadbalancer', s1.metadata.uid!));
  await assert.rejects(env.client.read('virtual-machine-interface', (s1Lb.virtual_machine_interface_refs as { uuid: string }[])[0].uuid));
  const lb2 = await env.client.read('loadbalancer', s2.metadata.uid!);
  assert.equal(lb2.display_name, 'a__s2');
  const members = (await env.list('loadbalancer-member')).filter((m) => [p1b.metadata.uid, p3uid].includes(kv(m).vm));
  assert.equal(members.length, 2);

  const sgNames = (await env.list('security-group')).map((s) => s.fq_name.join(':'));
  assert.ok(!sgNames.some((n) => n.includes('k8s-default-b-')), 'namespace b groups gone');
  await assert.rejects(env.byFq('virtual-network', [...P, 'b-vn']));
  assert.ok(sgNames.includes('default-domain:kubernetes:k8s-default-zz-sg'), 'another cluster’s group untouched');
  const allVms = (await env.list('virtual-machine')).map((v) => v.fq_name[0]);
  assert.ok(allVms.includes('other-cluster-pod') && allVms.includes('other-owner-pod'), 'foreign objects untouched');
  assert.ok(!allVms.some((n) => n.startsWith('ghost__')), 'an owned leftover of a pod that never existed is deleted');

  await env.stopKm();
  const km = await env.startKm();
  await env.settle();
  assert.equal(km.stats.total, 0, JSON.stringify([...km.stats.byType]));
});
