// Seed 000/004 multi-tenant mode (cluster_project unset): a project per namespace, the cluster's
// objects in default-domain:default, non-isolated pods of every namespace on its cluster-network,
// isolated namespaces on <project>:<ns>-vn drawing from the shared pod-ipam; a namespace's deletion
// removes its project. Also an Ingress (provider opencontrail, floating IP, status written back)
// and the introspect port.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { R } from '../../src/lab/kube/resources.js';
import { KubeManagerEnv, MULTI, kv, refTos } from './kube-manager-env.js';

let env: KubeManagerEnv;
before(async () => {
  env = await KubeManagerEnv.start({ ini: `${MULTI}[VNC]\npublic_fip_pool = {'project': 'default', 'network': 'public', 'name': 'public-fip-pool'}\n` });
  await env.virtualRouter('node-1');
});
after(async () => {
  await env?.close();
});

test('cluster objects in default-domain:default, a project per namespace', async () => {
  await env.namespace('dev-share');
  await env.namespace('dev', { 'opencontrail.org/isolation': 'true' });
  await env.settle();
  await env.byFq('network-ipam', ['default-domain', 'default', 'pod-ipam']);
  await env.byFq('network-ipam', ['default-domain', 'default', 'service-ipam']);
  const cn = await env.byFq('virtual-network', ['default-domain', 'default', 'cluster-network']);
  assert.equal((cn.perms2 as { global_access: number }).global_access, 5, 'shared with every namespace project');
  const proj = await env.byFq('project', ['default-domain', 'dev-share']);
  assert.deepEqual(kv(proj), { cluster: 'k8s-default', kind: 'Namespace', namespace: 'dev-share', project: 'dev-share', name: 'dev-share', owner: 'k8s', isolated: 'False' });
  assert.equal(kv(await env.byFq('project', ['default-domain', 'dev'])).isolated, 'True');
  const sg = await env.byFq('security-group', ['default-domain', 'dev-share', 'k8s-default-dev-share-default']);
  assert.equal(kv(sg).project, 'dev-share');
  await env.byFq('security-group', ['default-domain', 'dev', 'k8s-default-dev-sg']);
  const vn = await env.byFq('virtual-network', ['default-domain', 'dev', 'dev-vn']);
  assert.deepEqual(refTos(vn, 'network_ipam_refs'), ['default-domain:default:pod-ipam']);
});

test('pods: interfaces in their namespace project, on the shared cluster-network or <ns>-vn', async () => {
  await env.pod('dev-share', 'web', { node: 'node-1' });
  await env.pod('dev', 'client', { node: 'node-1' });
  await env.settle();
  const vmi = (await env.owned('virtual-machine-interface')).find((v) => kv(v).name === 'web')!;
  assert.deepEqual(vmi.fq_name.slice(0, 2), ['default-domain', 'dev-share']);
  assert.deepEqual(refTos(vmi, 'virtual_network_refs'), ['default-domain:default:cluster-network']);
  assert.deepEqual(refTos(vmi, 'security_group_refs'), ['default-domain:dev-share:k8s-default-dev-share-default', 'default-domain:dev-share:k8s-default-dev-share-sg']);
  const iips = await env.owned('instance-ip');
  const web = iips.find((i) => kv(i).name === 'web')!;
  const client = iips.find((i) => kv(i).name === 'client')!;
  assert.equal(web.instance_ip_address, '10.47.255.252');
  assert.equal(client.instance_ip_address, '10.47.255.251', 'one flat pool for every network using pod-ipam');
  assert.deepEqual(refTos(client, 'virtual_network_refs'), ['default-domain:dev:dev-vn']);
  assert.equal(kv(web).project, 'dev-share');
});

test('an Ingress: loadbalancer (provider opencontrail), listener, pool per rule, floating IP, status', async () => {
  const c = env.client;
  const ipam = await c.create('network-ipam', { fq_name: ['default-domain', 'default', 'public-ipam'], parent_type: 'project' });
  await c.create('virtual-network', { fq_name: ['default-domain', 'default', 'public'], parent_type: 'project', network_ipam_refs: [{ to: ipam.fq_name, attr: { ipam_subnets: [{ subnet: { ip_prefix: '203.0.113.0', ip_prefix_len: 24 } }] } }] });
  await c.create('floating-ip-pool', { fq_name: ['default-domain', 'default', 'public', 'public-fip-pool'], parent_type: 'virtual-network' });
  const svc = await env.service('dev-share', 'web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] });
  const ing = await env.k.create(R.ingresses, 'dev-share', {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'site' },
    spec: { rules: [{ host: 'www.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } }] } }] },
  });
  await env.settle();
  const lb = await env.client.read('loadbalancer', ing.metadata.uid!);
  assert.equal(lb.loadbalancer_provider, 'opencontrail');
  assert.deepEqual(refTos(lb, 'service_appliance_set_refs'), ['default-global-system-config:opencontrail']);
  assert.deepEqual(lb.fq_name, ['default-domain', 'dev-share', `site__${ing.metadata.uid}`]);
  assert.equal(kv(lb).kind, 'Ingress');
  const vip = (lb.loadbalancer_properties as { vip_address: string }).vip_address;
  assert.match(vip, /^10\.(9[6-9]|1[01][0-9])\./, 'the VIP comes from the service subnet of cluster-network');
  const listeners = (await env.list('loadbalancer-listener')).filter((l) => refTos(l, 'loadbalancer_refs').includes(lb.fq_name.join(':')));
  assert.deepEqual(listeners.map((l) => (l.loadbalancer_listener_properties as { protocol_port: number }).protocol_port), [80]);
  const pools = (await env.list('loadbalancer-pool')).filter((p) => refTos(p, 'loadbalancer_listener_refs').includes(listeners[0].fq_name.join(':')));
  assert.equal(pools.length, 1);
  assert.deepEqual(kv({ ...pools[0], annotations: pools[0].loadbalancer_pool_custom_attributes } as never), { host: 'www.example.com', path: '/' });
  const members = (await env.list('loadbalancer-member')).filter((m) => m.parent_uuid === pools[0].uuid);
  assert.deepEqual(members.map((m) => [(m.loadbalancer_member_properties as { address: string }).address, (m.loadbalancer_member_properties as { protocol_port: number }).protocol_port]), [[(svc.spec as { clusterIP: string }).clusterIP, 80]]);
  const fip = (await env.list('floating-ip')).find((f) => f.fq_name[4] === `site__${ing.metadata.uid}-externalIP`)!;
  assert.match(String(fip.floating_ip_address), /^203\.0\.113\./);
  const live = await env.k.get(R.ingresses, 'dev-share', 'site');
  assert.deepEqual((live.status as { loadBalancer: unknown }).loadBalancer, { ingress: [{ ip: fip.floating_ip_address }] });
});

test('introspect: /healthz, /status with per-kind counts and queue, /metrics', async () => {
  const port = env.km!.introspect!.port;
  const fetchText = (path: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      get({ host: '127.0.0.1', port, path }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }).on('error', reject);
    });
  const h = await fetchText('/healthz');
  assert.equal(h.status, 200);
  assert.equal((JSON.parse(h.body) as { status: string }).status, 'up');
  const s = JSON.parse((await fetchText('/status')).body) as { mode: string; kubernetes: { objects: Record<string, number> }; vnc: { owned: Record<string, number> }; queue: { depth: number }; errors: Record<string, string> };
  assert.equal(s.mode, 'multi-tenant');
  assert.equal(s.kubernetes.objects.pods, 2);
  assert.equal(s.vnc.owned['virtual-machine'], 2);
  assert.equal(s.queue.depth, 0);
  assert.deepEqual(s.errors, {});
  const m = await fetchText('/metrics');
  assert.match(m.body, /tf_kube_manager_queue_depth 0/);
  assert.match(m.body, /tf_kube_manager_reconciles_total\{kind="Pod",result="ok"\} \d+/);
});

test('deleting a namespace removes its project once its pods are gone', async () => {
  await env.k.delete(R.ingresses, 'dev-share', 'site');
  await env.k.delete(R.services, 'dev-share', 'web');
  await env.deletePod('dev', 'client');
  await env.k.delete(R.namespaces, undefined, 'dev');
  await env.settle();
  await assert.rejects(env.byFq('project', ['default-domain', 'dev']));
  await assert.rejects(env.byFq('virtual-network', ['default-domain', 'dev', 'dev-vn']));
  await env.byFq('project', ['default-domain', 'dev-share']);
});
