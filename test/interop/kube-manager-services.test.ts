// Services → the native load balancer of seed 004 appendix B, exactly: loadbalancer, LB VMI,
// instance-ip = clusterIP, VIP floating IP with port mappings on every member, listener, pool,
// members; endpoint changes; type LoadBalancer (public pool, status.loadBalancer.ingress,
// loadBalancerIP), externalIPs, headless/ExternalName ignored; bad input → Event, nothing created.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { R } from '../../src/lab/kube/resources.js';
import type { KubeObject } from '../../src/lab/kube/types.js';
import type { VncObject } from '../../src/vnc/object.js';
import { KubeManagerEnv, SINGLE, kv, refTos } from './kube-manager-env.js';

let env: KubeManagerEnv;
const P = ['default-domain', 'kubernetes'];
const POOL = ['default-domain', 'default', 'public', 'public-fip-pool'];
let pods: KubeObject[] = [];

before(async () => {
  env = await KubeManagerEnv.start({ ini: `${SINGLE}[VNC]\npublic_fip_pool = {'domain': 'default-domain', 'project': 'default', 'network': 'public', 'name': 'public-fip-pool'}\n` });
  const c = env.client;
  await c.create('project', { fq_name: ['default-domain', 'default'], parent_type: 'domain' });
  const ipam = await c.create('network-ipam', { fq_name: ['default-domain', 'default', 'public-ipam'], parent_type: 'project' });
  for (const [vn, prefix, len, pool] of [['public', '120.136.134.64', 26, 'public-fip-pool'], ['tiny', '120.136.135.0', 30, 'tiny-pool']] as const) {
    await c.create('virtual-network', {
      fq_name: ['default-domain', 'default', vn],
      parent_type: 'project',
      router_external: true,
      network_ipam_refs: [{ to: ipam.fq_name, attr: { ipam_subnets: [{ subnet: { ip_prefix: prefix, ip_prefix_len: len } }] } }],
    });
    await c.create('floating-ip-pool', { fq_name: ['default-domain', 'default', vn, pool], parent_type: 'virtual-network' });
  }
  await env.virtualRouter('node-1');
  await env.namespace('dev-share');
  pods = [];
  for (const n of ['dev-web-669n0', 'dev-web-k528t']) pods.push(await env.pod('dev-share', n, { labels: { app: 'web' }, node: 'node-1', ports: [{ name: 'http', containerPort: 8080 }] }));
  await env.settle();
});
after(async () => {
  await env?.close();
});

async function lbObjects(svcUid: string): Promise<{ lb: VncObject; vmi: VncObject; iip: VncObject; vip: VncObject; listeners: VncObject[]; pools: VncObject[]; members: VncObject[] }> {
  const lb = await env.client.read('loadbalancer', svcUid);
  const vmi = await env.client.read('virtual-machine-interface', (lb.virtual_machine_interface_refs as { uuid: string }[])[0].uuid);
  const iip = (await env.list('instance-ip')).find((i) => refTos(i, 'virtual_machine_interface_refs').includes(vmi.fq_name.join(':')))!;
  const vip = (await env.list('floating-ip')).find((f) => f.parent_type === 'instance-ip' && f.fq_name[0] === iip.fq_name[0])!;
  const listeners = (await env.list('loadbalancer-listener')).filter((l) => refTos(l, 'loadbalancer_refs').includes(lb.fq_name.join(':')));
  const pools = (await env.list('loadbalancer-pool')).filter((p) => listeners.some((l) => refTos(p, 'loadbalancer_listener_refs').includes(l.fq_name.join(':'))));
  const members = (await env.list('loadbalancer-member')).filter((m) => pools.some((p) => p.uuid === m.parent_uuid));
  return { lb, vmi, iip, vip, listeners, pools, members };
}

const podVmi = async (name: string): Promise<VncObject> => (await env.owned('virtual-machine-interface')).find((v) => kv(v).name === name)!;

test('ClusterIP service: the exact objects of seed 004 B.1-B.3', async () => {
  const svc = await env.service('dev-share', 'svc-dev-web', { selector: { app: 'web' }, ports: [{ protocol: 'TCP', port: 80, targetPort: 8080 }] });
  await env.endpoints('dev-share', 'svc-dev-web', pods, [{ port: 8080, protocol: 'TCP' }]);
  await env.settle();
  const uid = svc.metadata.uid!;
  const clusterIp = (svc.spec as { clusterIP: string }).clusterIP;
  const { lb, vmi, iip, vip, listeners, pools, members } = await lbObjects(uid);
  const lbName = `svc-dev-web__${uid}`;

  assert.deepEqual(lb.fq_name, [...P, lbName]);
  assert.equal(lb.parent_type, 'project');
  assert.equal(lb.display_name, 'dev-share__svc-dev-web');
  assert.equal(lb.loadbalancer_provider, 'native');
  assert.deepEqual(refTos(lb, 'service_appliance_set_refs'), ['default-global-system-config:native']);
  const props = lb.loadbalancer_properties as Record<string, unknown>;
  assert.deepEqual([props.provisioning_status, props.operating_status, props.admin_state, props.vip_address], ['ACTIVE', 'ONLINE', true, clusterIp]);
  assert.deepEqual(kv(lb), { cluster: 'k8s-default', kind: 'Service', namespace: 'dev-share', project: 'kubernetes', name: 'svc-dev-web', owner: 'k8s' });

  assert.deepEqual(vmi.fq_name, [...P, `svc-dev-web__${vmi.uuid}`]);
  assert.equal(vmi.display_name, 'dev-share__svc-dev-web');
  assert.equal(vmi.virtual_machine_interface_device_owner, 'K8S:LOADBALANCER');
  assert.deepEqual(refTos(vmi, 'security_group_refs'), ['default-domain:kubernetes:k8s-default-dev-share-default', 'default-domain:kubernetes:k8s-default-dev-share-sg']);
  assert.deepEqual(refTos(vmi, 'virtual_network_refs'), ['default-domain:kubernetes:cluster-network']);
  assert.deepEqual(refTos(vmi, 'virtual_machine_refs'), []);

  assert.deepEqual(iip.fq_name, [`svc-dev-web__${iip.uuid}`]);
  assert.equal(iip.display_name, 'svc-dev-web');
  assert.equal(iip.instance_ip_address, clusterIp);
  assert.deepEqual(refTos(iip, 'virtual_network_refs'), ['default-domain:kubernetes:cluster-network']);

  const memberVmis = [(await podVmi('dev-web-669n0')).fq_name.join(':'), (await podVmi('dev-web-k528t')).fq_name.join(':')].sort();
  assert.deepEqual(vip.fq_name, [iip.fq_name[0], vip.uuid]);
  assert.equal(vip.display_name, vip.uuid);
  assert.equal(vip.floating_ip_address, clusterIp);
  assert.deepEqual(refTos(vip, 'project_refs'), ['default-domain:kubernetes']);
  assert.deepEqual(refTos(vip, 'virtual_machine_interface_refs'), memberVmis);
  assert.deepEqual((vip.floating_ip_port_mappings as { port_mappings: unknown[] }).port_mappings, [{ protocol: 'TCP', src_port: 80, dst_port: 8080 }]);
  assert.equal(vip.floating_ip_port_mappings_enable, true);
  assert.equal(vip.floating_ip_traffic_direction, 'ingress');

  assert.equal(listeners.length, 1);
  const l = listeners[0];
  assert.deepEqual(l.fq_name, [...P, `${lbName}-TCP-80-${l.uuid}`]);
  assert.equal(l.display_name, l.fq_name[2]);
  const lp = l.loadbalancer_listener_properties as Record<string, unknown>;
  assert.deepEqual([lp.protocol, lp.protocol_port, lp.admin_state], ['TCP', 80, true]);
  assert.equal(pools.length, 1);
  assert.deepEqual(pools[0].fq_name, l.fq_name, 'the pool is named as its listener');
  assert.equal((pools[0].loadbalancer_pool_properties as { protocol: string }).protocol, 'TCP');
  assert.equal(members.length, 2);
  for (const m of members) {
    assert.deepEqual(m.fq_name, [...pools[0].fq_name, m.uuid]);
    assert.equal(m.parent_type, 'loadbalancer-pool');
    assert.equal(m.display_name, m.uuid);
    const mp = m.loadbalancer_member_properties as Record<string, unknown>;
    assert.deepEqual([mp.protocol_port, mp.weight, mp.admin_state], [8080, 1, true]);
  }
  assert.deepEqual(members.map((m) => kv(m).vm).sort(), pods.map((p) => p.metadata.uid).sort());
  assert.deepEqual(members.map((m) => kv(m).vmi).sort(), [(await podVmi('dev-web-669n0')).uuid, (await podVmi('dev-web-k528t')).uuid].sort());
});

test('endpoint changes update members and floating-IP attachments', async () => {
  const svc = await env.k.get(R.services, 'dev-share', 'svc-dev-web');
  await env.endpoints('dev-share', 'svc-dev-web', [pods[1]], [{ port: 8080, protocol: 'TCP' }]);
  await env.settle();
  let o = await lbObjects(svc.metadata.uid!);
  assert.equal(o.members.length, 1);
  assert.equal(kv(o.members[0]).vm, pods[1].metadata.uid);
  assert.deepEqual(refTos(o.vip, 'virtual_machine_interface_refs'), [(await podVmi('dev-web-k528t')).fq_name.join(':')]);
  await env.endpoints('dev-share', 'svc-dev-web', pods, [{ port: 8080, protocol: 'TCP' }]);
  await env.settle();
  o = await lbObjects(svc.metadata.uid!);
  assert.equal(o.members.length, 2);
  assert.equal(refTos(o.vip, 'virtual_machine_interface_refs').length, 2);
});

test('LoadBalancer service: floating IP from the public pool, status.loadBalancer.ingress (B.4)', async () => {
  const svc = await env.service('dev-share', 'svc-lb', { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ protocol: 'TCP', port: 80, targetPort: 'http' }] });
  await env.endpoints('dev-share', 'svc-lb', pods, [{ port: 8080, protocol: 'TCP' }]);
  await env.settle();
  const uid = svc.metadata.uid!;
  const { vmi } = await lbObjects(uid);
  const ext = (await env.list('floating-ip')).filter((f) => f.parent_type === 'floating-ip-pool' && f.fq_name[4].startsWith(`svc-lb__${uid}`));
  assert.equal(ext.length, 1);
  const fip = ext[0];
  assert.deepEqual(fip.fq_name, [...POOL, `svc-lb__${uid}-externalIP`]);
  assert.equal(fip.display_name, `svc-lb__${uid}-externalIP`);
  assert.match(String(fip.floating_ip_address), /^120\.136\.134\./);
  assert.deepEqual(refTos(fip, 'virtual_machine_interface_refs'), [(await podVmi('dev-web-669n0')).fq_name.join(':'), (await podVmi('dev-web-k528t')).fq_name.join(':'), vmi.fq_name.join(':')].sort());
  assert.deepEqual((fip.floating_ip_port_mappings as { port_mappings: unknown[] }).port_mappings, [{ protocol: 'TCP', src_port: 80, dst_port: 8080 }], 'named targetPort resolved from the endpoints');
  assert.deepEqual(refTos(fip, 'project_refs'), ['default-domain:kubernetes']);
  const live = await env.k.get(R.services, 'dev-share', 'svc-lb');
  assert.deepEqual((live.status as { loadBalancer: unknown }).loadBalancer, { ingress: [{ ip: fip.floating_ip_address }] });
});

test('loadBalancerIP and externalIPs: floating IPs for exactly those addresses', async () => {
  const svc = await env.service('dev-share', 'svc-fixed', { type: 'LoadBalancer', loadBalancerIP: '120.136.134.67', externalIPs: ['120.136.134.70'], selector: { app: 'web' }, ports: [{ port: 443 }] });
  const cip = await env.service('dev-share', 'svc-extip', { externalIPs: ['120.136.134.71'], selector: { app: 'web' }, ports: [{ port: 53, protocol: 'UDP' }] });
  await env.settle();
  const fips = await env.list('floating-ip');
  const names = (uid: string) => fips.filter((f) => f.parent_type === 'floating-ip-pool' && f.fq_name[4].startsWith(`svc-`) && f.fq_name[4].includes(uid)).map((f) => `${f.fq_name[4]} ${String(f.floating_ip_address)}`).sort();
  const u = svc.metadata.uid!;
  assert.deepEqual(names(u), [`svc-fixed__${u}120.136.134.67-externalIP 120.136.134.67`, `svc-fixed__${u}120.136.134.70-externalIP 120.136.134.70`]);
  const c = cip.metadata.uid!;
  assert.deepEqual(names(c), [`svc-extip__${c}120.136.134.71-externalIP 120.136.134.71`]);
  const live = await env.k.get(R.services, 'dev-share', 'svc-fixed');
  assert.deepEqual((live.status as { loadBalancer: { ingress: { ip: string }[] } }).loadBalancer.ingress.map((i) => i.ip), ['120.136.134.67', '120.136.134.70']);
  const liveC = await env.k.get(R.services, 'dev-share', 'svc-extip');
  assert.deepEqual((liveC.status as { loadBalancer: unknown }).loadBalancer, {}, 'ClusterIP services get no load-balancer status');
  const { listeners } = await lbObjects(c);
  assert.deepEqual(listeners.map((l) => (l.loadbalancer_listener_properties as { protocol: string }).protocol), ['UDP']);
});

test('headless and ExternalName services get nothing', async () => {
  const h = await env.service('dev-share', 'headless', { clusterIP: 'None', selector: { app: 'web' }, ports: [{ port: 80 }] });
  const x = await env.service('dev-share', 'external', { type: 'ExternalName', externalName: 'example.com' });
  await env.settle();
  for (const s of [h, x]) await assert.rejects(env.client.read('loadbalancer', s.metadata.uid!), /NO_ID|not found|No loadbalancer/i);
});

test('bad input: an Event on the service, a log line, nothing created', async () => {
  const before = (await env.list('loadbalancer')).length;
  const bad = await env.service('dev-share', 'bad-pool', { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80 }] }, { 'opencontrail.org/fip-pool': '{"domain": "default-domain", "project": ' });
  const unknown = await env.service('dev-share', 'unknown-pool', { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80 }] }, { 'opencontrail.org/fip-pool': '{"domain": "default-domain", "project": "default", "network": "public", "name": "nope"}' });
  const full = await env.service('dev-share', 'full-pool', { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80 }] }, { 'opencontrail.org/fip-pool': '{"domain": "default-domain", "project": "default", "network": "tiny", "name": "tiny-pool"}' });
  await env.settle();
  assert.equal((await env.list('loadbalancer')).length, before, 'no load balancer for any of them');
  for (const s of [bad, unknown, full]) {
    const uid = s.metadata.uid!;
    for (const t of ['virtual-machine-interface', 'instance-ip', 'loadbalancer-listener', 'floating-ip']) {
      assert.equal((await env.list(t)).filter((o) => o.fq_name.join(':').includes(`${s.metadata.name}__`)).length, 0, `${t} of ${s.metadata.name}`);
    }
    await assert.rejects(env.client.read('loadbalancer', uid));
  }
  const events = await env.events('dev-share');
  const reasons = (name: string) => events.filter((e) => (e.involvedObject as { name: string }).name === name).map((e) => String(e.reason));
  assert.deepEqual(reasons('bad-pool'), ['InvalidAnnotation']);
  assert.deepEqual(reasons('unknown-pool'), ['FloatingIpPoolNotFound']);
  assert.deepEqual(reasons('full-pool'), ['AddressAllocationFailed']);
  assert.match(String(events.find((e) => e.reason === 'AddressAllocationFailed')!.message), /exhausted/);
  assert.equal(events.find((e) => e.reason === 'InvalidAnnotation')!.type, 'Warning');

  // The pool appears later: the waiting service proceeds without any timer.
  await env.client.create('floating-ip-pool', { fq_name: ['default-domain', 'default', 'public', 'nope'], parent_type: 'virtual-network' });
  await env.settle();
  const lb = await env.client.read('loadbalancer', unknown.metadata.uid!);
  assert.equal(lb.display_name, 'dev-share__unknown-pool');
});

test('deleting a service removes its whole object graph; in sync → zero writes', async () => {
  const svc = await env.k.get(R.services, 'dev-share', 'svc-lb');
  const uid = svc.metadata.uid!;
  const vmiUuid = ((await env.client.read('loadbalancer', uid)).virtual_machine_interface_refs as { uuid: string }[])[0].uuid;
  await env.k.delete(R.services, 'dev-share', 'svc-lb');
  await env.settle();
  await assert.rejects(env.client.read('loadbalancer', uid));
  await assert.rejects(env.client.read('virtual-machine-interface', vmiUuid));
  assert.equal((await env.list('floating-ip')).filter((f) => f.fq_name.join(':').includes(`svc-lb__${uid}`)).length, 0);
  assert.equal((await env.list('loadbalancer-listener')).filter((f) => f.fq_name.join(':').includes(`svc-lb__${uid}`)).length, 0);
  const live = await env.k.get(R.services, 'dev-share', 'svc-dev-web');
  assert.ok(await env.client.read('loadbalancer', live.metadata.uid!));

  // (a service that cannot be satisfied is retried on every start: out of the way first)
  for (const n of ['bad-pool', 'full-pool']) await env.k.delete(R.services, 'dev-share', n);
  await env.settle();
  await env.stopKm();
  const km = await env.startKm();
  await env.settle();
  assert.equal(km.stats.total, 0, JSON.stringify([...km.stats.byType]));
});
