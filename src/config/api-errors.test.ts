// Bad input gets a 4xx naming the problem and writes nothing; deletes follow the original's rules
// (children, back-references, relaxed references, system objects, default routing instances).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestConfigApi, type TestConfigApi } from '../../test/support/config-api.js';
import { NoIdError, RefsExistError } from '../vnc/errors.js';

let api: TestConfigApi;
const P = ['default-domain', 'errs'];

before(async () => {
  api = await startTestConfigApi();
  await api.client.create('project', { fq_name: P, parent_type: 'domain' });
});
after(() => api.close());

async function post(path: string, body: string | object, headers: Record<string, string> = {}) {
  const res = await fetch(`${api.url}${path}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
}

test('bad input: a 4xx naming the problem, and nothing written', async () => {
  const vn = (extra: object) => ({ 'virtual-network': { fq_name: [...P, 'vn'], parent_type: 'project', ...extra } });
  const cases: [string, string | object, number, string, RegExp][] = [
    ['/virtual-networks', '{"virtual-network": {', 400, 'MALFORMED_JSON', /Malformed JSON/],
    ['/virtual-networks', '[1,2]', 400, 'BAD_BODY', /must be a JSON object/],
    ['/virtual-networks', { 'virtual-network': 5 }, 400, 'BAD_BODY', /virtual-network must be a JSON object/],
    ['/virtual-networks', { vn: {} }, 400, 'BAD_BODY', /body must be \{"virtual-network"/],
    ['/bogus-types', { 'bogus-type': {} }, 404, 'UNKNOWN_TYPE', /Resource type 'bogus-types' not found/],
    ['/virtual-networks', vn({ colour: 'red' }), 400, 'UNKNOWN_FIELD', /Unknown field colour in virtual-network/],
    ['/virtual-networks', vn({ port_security_enabled: 'yes' }), 400, 'INVALID_FIELD', /port_security_enabled: expected true or false/],
    ['/virtual-networks', vn({ virtual_network_properties: { forwarding_mode: 'l9' } }), 400, 'INVALID_FIELD', /forwarding_mode: expected one of/],
    ['/virtual-networks', { 'virtual-network': { fq_name: [...P, 'a:b'], parent_type: 'project' } }, 400, 'INVALID_NAME', /invalid chars/],
    ['/virtual-networks', { 'virtual-network': { parent_type: 'project' } }, 400, 'MISSING_FQ_NAME', /no fq_name/],
    ['/virtual-networks', { 'virtual-network': { fq_name: ['default-domain', 'nope', 'vn'], parent_type: 'project' } }, 400, 'BAD_PARENT', /Parent \['default-domain', 'nope'\] type project does not exist/],
    ['/virtual-networks', { 'virtual-network': { fq_name: [...P, 'vn'], parent_type: 'domain' } }, 400, 'BAD_PARENT', /Invalid parent type: domain/],
    ['/virtual-networks', { 'virtual-network': { fq_name: ['vn'] } }, 400, 'BAD_PARENT', /Invalid fq-name/],
    ['/virtual-networks', vn({ network_ipam_refs: [{ to: [...P, 'missing-ipam'], attr: null }] }), 404, 'REF_NOT_FOUND', /network-ipam \['default-domain', 'errs', 'missing-ipam'\] not found/],
    ['/virtual-networks', vn({ uuid: 'not-a-uuid' }), 400, 'INVALID_UUID', /Invalid UUID format/],
    ['/virtual-networks', vn({ network_ipam_refs: [{ to: ['default-domain', 'default-project', 'default-network-ipam'], attr: { ipam_subnets: [{ subnet: { ip_prefix: '10.0.0.1', ip_prefix_len: 24 } }] } }] }), 400, 'INVALID_SUBNET', /host bits/],
    ['/virtual-networks', vn({ network_ipam_refs: [{ to: ['default-domain', 'default-project', 'default-network-ipam'], attr: { ipam_subnets: [{ subnet: { ip_prefix: '10.0.0.0', ip_prefix_len: 16 } }, { subnet: { ip_prefix: '10.0.1.0', ip_prefix_len: 24 } }] } }] }), 400, 'INVALID_SUBNET', /overlap/],
    ['/virtual-machine-interfaces', { 'virtual-machine-interface': { fq_name: [...P, 'vmi'], parent_type: 'project' } }, 400, 'MISSING_REF', /Virtual network info missing/],
    ['/routing-instances', { 'routing-instance': { fq_name: ['default-domain', 'default-project', 'ip-fabric', 'x'], parent_type: 'virtual-network', routing_instance_is_default: true } }, 409, 'SYSTEM_RESOURCE', /Cannot modify system resource Routing Instance/],
    ['/ref-update', { type: 'virtual-network' }, 400, 'BAD_BODY', /type\/uuid\/ref-type\/operation is null/],
    ['/fqname-to-id', { type: 'virtual-network', fq_name: 'x' }, 400, 'BAD_BODY', /fq_name must be a list/],
  ];
  const before = await api.client.count('virtual-network');
  const revBefore = api.service.mirror.revision;
  for (const [path, body, status, code, re] of cases) {
    const res = await post(path, body);
    assert.equal(res.status, status, `${path} ${JSON.stringify(body)} → ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error?.code, code, JSON.stringify(res.body));
    assert.match(res.body.error?.message ?? '', re);
  }
  const big = JSON.stringify({ 'virtual-network': { fq_name: [...P, 'big'], parent_type: 'project', display_name: 'x'.repeat(1_100_000) } });
  const res = await post('/virtual-networks', big);
  assert.equal(res.status, 413);
  assert.equal(res.body.error?.code, 'REQUEST_TOO_LARGE');
  assert.equal(await api.client.count('virtual-network'), before);
  assert.equal(api.service.mirror.revision, revBefore, 'no failed request wrote anything');
});

test('creating an existing fq_name or uuid is 409 with the original message', async () => {
  const vn = await api.client.create('virtual-network', { fq_name: [...P, 'dup'], parent_type: 'project' });
  await assert.rejects(
    api.client.create('virtual-network', { fq_name: [...P, 'dup'], parent_type: 'project' }),
    (e: unknown) => e instanceof RefsExistError && e.message === `['default-domain', 'errs', 'dup'] already exists with uuid: ${vn.uuid}`,
  );
  await assert.rejects(api.client.create('virtual-network', { fq_name: [...P, 'dup2'], parent_type: 'project', uuid: vn.uuid }), /already exists with fq_name/);
});

test('delete refuses while children or back-references exist, naming them', async () => {
  const c = api.client;
  const pool = await c.create('network-policy', { fq_name: [...P, 'np'], parent_type: 'project' });
  const vn = await c.create('virtual-network', { fq_name: [...P, 'held'], parent_type: 'project', network_policy_refs: [{ uuid: pool.uuid, attr: { sequence: { major: 0, minor: 0 } } }] });
  await assert.rejects(c.delete('network-policy', pool.uuid), (e: unknown) => e instanceof RefsExistError && e.message.startsWith('Delete when resource still referred:') && e.message.includes(`/virtual-network/${vn.uuid}`));
  const fipPool = await c.create('floating-ip-pool', { fq_name: [...vn.fq_name, 'pool'], parent_type: 'virtual-network' });
  await assert.rejects(c.delete('virtual-network', vn.uuid), (e: unknown) => e instanceof RefsExistError && e.code === 'CHILDREN_EXIST' && e.message.includes(`/floating-ip-pool/${fipPool.uuid}`));
  await c.delete('floating-ip-pool', fipPool.uuid);
  await c.delete('virtual-network', vn.uuid);
  await c.delete('network-policy', pool.uuid);
  await assert.rejects(c.delete('network-policy', pool.uuid), NoIdError);
});

test('ref-relax-for-delete lets the referred object go and drops the reference', async () => {
  const c = api.client;
  const sg = await c.create('security-group', { fq_name: [...P, 'relaxed'], parent_type: 'project' });
  const vn = await c.readByFqName('virtual-network', [...P, 'dup']);
  const vmi = await c.create('virtual-machine-interface', { fq_name: [...P, 'vmi-r'], parent_type: 'project', virtual_network_refs: [{ uuid: vn.uuid }], security_group_refs: [{ uuid: sg.uuid }] });
  await assert.rejects(c.delete('security-group', sg.uuid), RefsExistError);
  await c.refRelaxForDelete(vmi.uuid, sg.uuid);
  await c.delete('security-group', sg.uuid);
  const after = await c.read('virtual-machine-interface', vmi.uuid);
  assert.equal(after.security_group_refs, undefined);
});

test('system objects and default routing instances cannot be deleted or flipped externally', async () => {
  const c = api.client;
  const fabric = await c.readByFqName('virtual-network', ['default-domain', 'default-project', 'ip-fabric']);
  await assert.rejects(c.delete('virtual-network', fabric.uuid), (e: unknown) => e instanceof RefsExistError && /Cannot modify system resource Virtual Network default-domain:default-project:ip-fabric/.test(e.message));
  const vn = await c.readByFqName('virtual-network', [...P, 'dup']);
  const ri = await c.readByFqName('routing-instance', [...vn.fq_name, 'dup']);
  await assert.rejects(c.delete('routing-instance', ri.uuid), /Cannot modify system resource/);
  await assert.rejects(c.update('routing-instance', ri.uuid, { routing_instance_is_default: false }), /Cannot modify system resource/);
  const other = await c.create('routing-instance', { fq_name: [...vn.fq_name, 'extra'], parent_type: 'virtual-network' });
  await c.delete('routing-instance', other.uuid);
});

test('deleting a VN deletes its default RI and drops references to it (connections, VMIs)', async () => {
  const c = api.client;
  const a = await c.create('virtual-network', { fq_name: [...P, 'a'], parent_type: 'project' });
  const b = await c.create('virtual-network', { fq_name: [...P, 'b'], parent_type: 'project' });
  const riA = await c.readByFqName('routing-instance', [...a.fq_name, 'a']);
  const riB = await c.readByFqName('routing-instance', [...b.fq_name, 'b']);
  await c.refUpdate('routing-instance', riB.uuid, 'routing-instance', riA.uuid, 'ADD', {});
  await c.delete('virtual-network', a.uuid);
  await assert.rejects(c.read('routing-instance', riA.uuid), NoIdError);
  assert.equal((await c.read('routing-instance', riB.uuid)).routing_instance_refs, undefined);
});
