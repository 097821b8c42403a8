// The REST surface of the config API: defaults, reads, updates, lists with their options,
// lookups, ref-update, prop-collection, useragent-kv, ETags and the admin token.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestConfigApi, type TestConfigApi } from '../../test/support/config-api.js';
import { AuthFailed, NoIdError } from '../vnc/errors.js';
import { VncClient } from '../vnc/client.js';

let api: TestConfigApi;
const P = ['default-domain', 'crud'];
let projectUuid: string;

before(async () => {
  api = await startTestConfigApi();
  projectUuid = (await api.client.create('project', { fq_name: P, parent_type: 'domain' })).uuid;
});
after(() => api.close());

test('the default objects exist after the first start', async () => {
  const c = api.client;
  for (const [type, fq] of [
    ['domain', ['default-domain']],
    ['project', ['default-domain', 'default-project']],
    ['global-system-config', ['default-global-system-config']],
    ['global-vrouter-config', ['default-global-system-config', 'default-global-vrouter-config']],
    ['network-ipam', ['default-domain', 'default-project', 'default-network-ipam']],
    ['virtual-network', ['default-domain', 'default-project', 'ip-fabric']],
    ['virtual-network', ['default-domain', 'default-project', '__link_local__']],
    ['routing-instance', ['default-domain', 'default-project', 'ip-fabric', '__default__']],
    ['routing-instance', ['default-domain', 'default-project', 'ip-fabric', 'ip-fabric']],
    ['routing-instance', ['default-domain', 'default-project', '__link_local__', '__link_local__']],
    ['service-appliance-set', ['default-global-system-config', 'native']],
  ] as const) {
    await assert.doesNotReject(c.readByFqName(type, fq), `${type} ${fq.join(':')}`);
  }
  assert.equal((await c.readByFqName('global-system-config', ['default-global-system-config'])).autonomous_system, 64512);
  const fabric = await c.readByFqName('routing-instance', ['default-domain', 'default-project', 'ip-fabric', 'ip-fabric']);
  assert.equal(fabric.routing_instance_is_default, true);
});

test('reads carry name, hrefs, id_perms/perms2 defaults, refs with hrefs, back-refs and children', async () => {
  const c = api.client;
  const ipam = await c.create('network-ipam', { fq_name: [...P, 'ipam'], parent_type: 'project' });
  const vn = await c.create('virtual-network', { fq_name: [...P, 'vn1'], parent_type: 'project', network_ipam_refs: [{ to: ipam.fq_name, attr: { ipam_subnets: [] } }] });
  const got = await c.read('virtual-network', vn.uuid);
  assert.equal(got.name, 'vn1');
  assert.equal(got.display_name, 'vn1');
  assert.equal(got.href, `${api.url}/virtual-network/${vn.uuid}`);
  assert.equal(got.parent_href, `${api.url}/project/${projectUuid}`);
  assert.deepEqual(got.perms2, { owner: 'cloud-admin', owner_access: 7, global_access: 0, share: [] });
  assert.equal(got.id_perms?.permissions?.owner, 'cloud-admin');
  assert.equal(got.id_perms?.enable, true);
  assert.match(String(got.id_perms?.uuid?.uuid_mslong), /^\d+$/);
  assert.equal(got.network_ipam_refs?.[0].href, `${api.url}/network-ipam/${ipam.uuid}`);
  assert.equal(got.routing_instances?.[0].to.join(':'), `${P.join(':')}:vn1:vn1`);
  const ipamRead = await c.read('network-ipam', ipam.uuid);
  assert.deepEqual(ipamRead.virtual_network_back_refs?.map((r) => r.uuid), [vn.uuid]);
  assert.deepEqual(ipamRead.virtual_network_back_refs?.[0].attr, got.network_ipam_refs?.[0].attr);
  const lean = await c.read('virtual-network', vn.uuid, { fields: ['display_name'] });
  assert.equal(lean.network_ipam_refs, undefined);
  assert.ok(lean.id_perms, 'id_perms always come back');
  const noChildren = await c.read('virtual-network', vn.uuid, { excludeChildren: true });
  assert.equal(noChildren.routing_instances, undefined);
});

test('uuid_mslong/lslong are exact 64-bit JSON integers on the wire', async () => {
  const vn = await api.client.create('virtual-network', { fq_name: [...P, 'exact'], parent_type: 'project', uuid: 'c9641741-c785-456e-845b-a14a253c3572' });
  const res = await fetch(`${api.url}/virtual-network/${vn.uuid}`);
  assert.match(await res.text(), /"uuid_mslong":14511749470582293870,"uuid_lslong":9537393975711511922/);
});

test('update replaces present properties and whole ref sets, leaves the rest; fq_name is immutable', async () => {
  const c = api.client;
  const sg1 = await c.create('security-group', { fq_name: [...P, 'sg1'], parent_type: 'project' });
  const sg2 = await c.create('security-group', { fq_name: [...P, 'sg2'], parent_type: 'project' });
  const vn = await c.readByFqName('virtual-network', [...P, 'vn1']);
  const vmi = await c.create('virtual-machine-interface', {
    fq_name: [...P, 'vmi1'],
    parent_type: 'project',
    port_security_enabled: true,
    virtual_network_refs: [{ uuid: vn.uuid }],
    security_group_refs: [{ uuid: sg1.uuid }],
  });
  const up = await c.update('virtual-machine-interface', vmi.uuid, { security_group_refs: [{ to: sg2.fq_name }], display_name: 'renamed' });
  assert.deepEqual(up.security_group_refs?.map((r) => r.uuid), [sg2.uuid]);
  assert.equal(up.port_security_enabled, true);
  assert.equal(up.display_name, 'renamed');
  assert.deepEqual(up.virtual_network_refs?.map((r) => r.uuid), [vn.uuid]);
  assert.ok(up.id_perms!.last_modified! > vmi.id_perms!.last_modified!);
  assert.equal(up.id_perms!.created, vmi.id_perms!.created);
  assert.equal((await c.read('security-group', sg1.uuid)).virtual_machine_interface_back_refs, undefined);
  await assert.rejects(c.update('virtual-machine-interface', vmi.uuid, { fq_name: [...P, 'other'] }), /fq_name cannot be changed/);
});

test('ETag is id_perms.last_modified; If-None-Match answers 304', async () => {
  const vn = await api.client.readByFqName('virtual-network', [...P, 'vn1']);
  const first = await fetch(`${api.url}/virtual-network/${vn.uuid}`);
  const etag = first.headers.get('etag')!;
  assert.equal(etag, `"${(await first.json() as { 'virtual-network': { id_perms: { last_modified: string } } })['virtual-network'].id_perms.last_modified}"`);
  assert.equal((await fetch(`${api.url}/virtual-network/${vn.uuid}`, { headers: { 'if-none-match': etag } })).status, 304);
  await api.client.update('virtual-network', vn.uuid, { display_name: 'changed' });
  assert.equal((await fetch(`${api.url}/virtual-network/${vn.uuid}`, { headers: { 'if-none-match': etag } })).status, 200);
});

test('list: parent_id, parent_fq_name_str, back_ref_id, obj_uuids, detail, count, fields, filters, pages', async () => {
  const c = api.client;
  const made = [];
  for (let i = 0; i < 7; i++) made.push(await c.create('network-policy', { fq_name: [...P, `np-${i}`], parent_type: 'project', display_name: i % 2 ? 'odd' : 'even' }));
  const uuids = made.map((m) => m.uuid).sort();
  assert.deepEqual((await c.list('network-policy', { parentId: projectUuid })).map((x) => x.uuid).sort(), uuids);
  assert.deepEqual((await c.list('network-policy', { parentFqName: P, parentType: 'project' })).map((x) => x.uuid).sort(), uuids);
  assert.equal(await c.count('network-policy', { parentId: projectUuid }), 7);
  assert.deepEqual((await c.list('network-policy', { objUuids: uuids.slice(0, 2) })).map((x) => x.uuid), uuids.slice(0, 2));
  const odd = await c.list('network-policy', { parentId: projectUuid, filters: { display_name: 'odd' }, detail: true });
  assert.equal(odd.length, 3);
  assert.ok(odd.every((o) => o.display_name === 'odd' && o.id_perms));
  const summary = await c.list('network-policy', { parentId: projectUuid, fields: ['display_name'] });
  assert.ok(summary.every((s) => 'display_name' in s && 'href' in s));
  const p1 = await c.listPage('network-policy', { parentId: projectUuid, pageLimit: 3 });
  assert.equal(p1.items.length, 3);
  assert.equal(p1.marker, p1.items[2].uuid);
  const all = await c.list('network-policy', { parentId: projectUuid, pageLimit: 3 });
  assert.deepEqual(all.map((x) => x.uuid), uuids);
  const vn = await c.readByFqName('virtual-network', [...P, 'vn1']);
  assert.deepEqual((await c.list('virtual-machine-interface', { backRefId: vn.uuid })).map((x) => x.fq_name.join(':')), [`${P.join(':')}:vmi1`]);
  const raw = (await (await fetch(`${api.url}/network-policys?parent_id=${projectUuid}&detail=True&page_limit=2&page_marker=`)).json()) as Record<string, unknown>;
  assert.equal((raw['network-policys'] as unknown[]).length, 2);
  assert.equal(typeof raw.marker, 'string');
});

test('fqname-to-id, id-to-fqname, and the 404s of unknown names and ids', async () => {
  const c = api.client;
  const id = await c.fqNameToId('project', P);
  assert.equal(id, projectUuid);
  assert.deepEqual(await c.idToFqName(id), { fq_name: P, type: 'project' });
  await assert.rejects(c.fqNameToId('project', ['default-domain', 'nope']), (e: unknown) => e instanceof NoIdError && /Name \['default-domain', 'nope'\] not found/.test(e.message));
  await assert.rejects(c.idToFqName('00000000-0000-0000-0000-000000000000'), NoIdError);
  await assert.rejects(c.read('virtual-network', projectUuid), (e: unknown) => e instanceof NoIdError && /No virtual-network object found for id/.test(e.message));
});

test('ref-update ADD (and ADD again to change attr) and DELETE', async () => {
  const c = api.client;
  const np = await c.readByFqName('network-policy', [...P, 'np-0']);
  const vn = await c.readByFqName('virtual-network', [...P, 'vn1']);
  await c.refUpdate('virtual-network', vn.uuid, 'network-policy', np.uuid, 'ADD', { sequence: { major: 0, minor: 0 } });
  await c.refUpdate('virtual-network', vn.uuid, 'network-policy', np.fq_name, 'ADD', { sequence: { major: 1, minor: 0 } });
  let got = await c.read('virtual-network', vn.uuid);
  assert.equal(got.network_policy_refs?.length, 1);
  assert.deepEqual(got.network_policy_refs?.[0].attr, { sequence: { major: 1, minor: 0 } });
  await c.refUpdate('virtual-network', vn.uuid, 'network-policy', np.uuid, 'DELETE');
  got = await c.read('virtual-network', vn.uuid);
  assert.equal(got.network_policy_refs, undefined);
  await assert.rejects(c.refUpdate('virtual-network', vn.uuid, 'network-policy', '00000000-0000-0000-0000-000000000000', 'ADD'), NoIdError);
});

test('prop-collection-get/update on list and map properties', async () => {
  const c = api.client;
  const vn = await c.readByFqName('virtual-network', [...P, 'vn1']);
  await c.propCollectionUpdate(vn.uuid, [
    { field: 'annotations', operation: 'set', value: { key: 'owner', value: 'k8s' } },
    { field: 'annotations', operation: 'set', value: { key: 'cluster', value: 'k8s-default' } },
    { field: 'virtual_network_fat_flow_protocols', operation: 'add', value: { protocol: 'tcp', port: 80 } },
  ]);
  await c.propCollectionUpdate(vn.uuid, [{ field: 'annotations', operation: 'set', value: { key: 'owner', value: 'me' } }]);
  const got = await c.propCollectionGet(vn.uuid, ['annotations', 'virtual_network_fat_flow_protocols']);
  assert.deepEqual(got.annotations, [[{ key: 'owner', value: 'me' }, 'owner'], [{ key: 'cluster', value: 'k8s-default' }, 'cluster']]);
  assert.deepEqual(got.virtual_network_fat_flow_protocols, [[{ protocol: 'tcp', port: 80 }, '0']]);
  await c.propCollectionUpdate(vn.uuid, [{ field: 'annotations', operation: 'delete', position: 'cluster' }]);
  assert.deepEqual((await c.propCollectionGet(vn.uuid, ['annotations'], 'owner')).annotations, [[{ key: 'owner', value: 'me' }, 'owner']]);
  await assert.rejects(c.propCollectionUpdate(vn.uuid, [{ field: 'display_name', operation: 'set', value: 'x' }]), /Invalid list or map property name/);
});

test('useragent-kv stores, retrieves and deletes values', async () => {
  const c = api.client;
  await c.userAgentKvStore('kube-manager:cluster', 'k8s-default');
  assert.equal(await c.userAgentKvRetrieve('kube-manager:cluster'), 'k8s-default');
  await c.userAgentKvDelete('kube-manager:cluster');
  await assert.rejects(c.userAgentKvRetrieve('kube-manager:cluster'), /Unknown User-Agent key/);
});

test('GET / lists every collection and action', async () => {
  const body = (await (await fetch(`${api.url}/`)).json()) as { links: { link: { name: string; rel: string } }[] };
  const names = body.links.map((l) => l.link.name);
  for (const n of ['virtual-network', 'instance-ip', 'bgp-router', 'ref-update', 'fqname-to-id', 'watch']) assert.ok(names.includes(n), n);
});

test('with an admin token every request without it gets 401', async () => {
  const secured = await startTestConfigApi({ adminToken: 's3cret' });
  try {
    assert.equal((await fetch(`${secured.url}/virtual-networks`)).status, 401);
    assert.equal((await fetch(`${secured.url}/watch`)).status, 401);
    assert.equal((await fetch(`${secured.url}/virtual-networks`, { headers: { 'x-auth-token': 'wrong' } })).status, 401);
    const anonymous = new VncClient({ url: secured.url, adminToken: '' });
    await assert.rejects(anonymous.list('virtual-network'), AuthFailed);
    anonymous.close();
    assert.ok((await secured.client.list('virtual-network')).length >= 2);
  } finally {
    await secured.close();
  }
});
