// POST /batch: several creates and updates in one transaction — all or nothing, later operations
// seeing earlier ones, identity-only answers, the failing operation named by index and field.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestConfigApi, type TestConfigApi } from '../../test/support/config-api.js';
import { BadRequest, NoIdError, RefsExistError, VncError } from '../vnc/errors.js';

let api: TestConfigApi;
const P = ['default-domain', 'batch'];
let vnFq: string[];

before(async () => {
  api = await startTestConfigApi();
  const c = api.client;
  await c.create('project', { fq_name: P, parent_type: 'domain' });
  const ipam = await c.create('network-ipam', { fq_name: [...P, 'ipam'], parent_type: 'project', ipam_subnet_method: 'flat-subnet', ipam_subnets: { subnets: [{ subnet: { ip_prefix: '10.9.0.0', ip_prefix_len: 29 } }] } });
  const vn = await c.create('virtual-network', { fq_name: [...P, 'vn'], parent_type: 'project', network_ipam_refs: [{ to: ipam.fq_name, attr: { ipam_subnets: [{ subnet: null }] } }] });
  vnFq = vn.fq_name;
});
after(() => api.close());

const podOps = (name: string) => [
  { operation: 'create' as const, type: 'virtual-machine', object: { fq_name: [`${name}-vm`], server_type: 'container' } },
  { operation: 'create' as const, type: 'virtual-machine-interface', object: { fq_name: [...P, `${name}-vmi`], parent_type: 'project', virtual_network_refs: [{ to: vnFq }], virtual_machine_refs: [{ to: [`${name}-vm`] }] } },
  { operation: 'create' as const, type: 'instance-ip', object: { fq_name: [`${name}-iip`], virtual_network_refs: [{ to: vnFq }], virtual_machine_interface_refs: [{ to: [...P, `${name}-vmi`] }] } },
];

test('a batch creates objects that refer to each other, in one revision, answering identities', async () => {
  const c = api.client;
  const since = (await c.listPage('virtual-machine', {})).revision;
  const revisions = new Map<string, number>();
  let seen: () => void = () => undefined;
  const three = new Promise<void>((r) => (seen = r));
  const watch = c.watch({
    since,
    types: ['virtual-machine', 'virtual-machine-interface', 'instance-ip'],
    onEvent: (ev) => {
      if (ev.type === 'ADDED' && ev.object) revisions.set(ev.object.uuid, ev.revision);
      if (revisions.size === 3) seen();
    },
  });
  const res = await c.batch(podOps('a'));
  assert.deepEqual(res.map((r) => [r.type, r.fq_name.join(':')]), [
    ['virtual-machine', 'a-vm'],
    ['virtual-machine-interface', `${P.join(':')}:a-vmi`],
    ['instance-ip', 'a-iip'],
  ]);
  for (const r of res) {
    assert.equal(r.href, `${api.url}/${r.type}/${r.uuid}`);
    const got = await c.read(r.type, r.uuid);
    assert.equal(got.id_perms?.last_modified, r.last_modified);
  }
  const iip = await c.read('instance-ip', res[2].uuid);
  assert.equal(iip.instance_ip_address, '10.9.0.4', 'hooks run as for a single create (from the top, below gateway .6 and DNS .5)');
  assert.deepEqual(iip.virtual_machine_interface_refs?.map((x) => x.uuid), [res[1].uuid]);
  const vmi = await c.read('virtual-machine-interface', res[1].uuid);
  assert.match(String(vmi.virtual_machine_interface_mac_addresses?.mac_address?.[0]), /^02:/);
  await three;
  watch.close();
  assert.equal(new Set(res.map((r) => revisions.get(r.uuid))).size, 1, 'one transaction: one revision for the three on the feed');
});

test('updates and creates mix; an update sees a create earlier in the batch', async () => {
  const c = api.client;
  const vm = await c.create('virtual-machine', { fq_name: ['b-vm'] });
  const [upd] = await c.batch([
    { operation: 'update', type: 'virtual-machine', uuid: vm.uuid, object: { display_name: 'renamed' } },
    { operation: 'create', type: 'virtual-machine', object: { fq_name: ['b2-vm'] } },
  ]);
  assert.equal((await c.read('virtual-machine', vm.uuid)).display_name, 'renamed');
  assert.equal(upd.uuid, vm.uuid);
  assert.equal(await c.fqNameToId('virtual-machine', ['b2-vm']) !== '', true);
});

test('a refused operation writes nothing and is named by index', async () => {
  const c = api.client;
  const before = await c.count('virtual-machine');
  const ops = podOps('c');
  ops[2].object.virtual_machine_interface_refs = [{ to: [...P, 'no-such-vmi'] }];
  await assert.rejects(c.batch(ops), (e: unknown) => e instanceof VncError && e.status === 404 && (e.details as { operation: number }).operation === 2 && /^operation 2 \(create instance-ip\): /.test(e.message));
  assert.equal(await c.count('virtual-machine'), before, 'the VM of operation 0 was not written');
  await assert.rejects(c.fqNameToId('virtual-machine-interface', [...P, 'c-vmi']), NoIdError);

  // a wrong property type names the field
  const bad = podOps('d');
  (bad[1].object as Record<string, unknown>).port_security_enabled = 'yes';
  await assert.rejects(c.batch(bad), (e: unknown) => e instanceof BadRequest && (e.details as { operation: number }).operation === 1 && /port_security_enabled/.test(e.message));

  // a duplicate inside the batch itself
  const dup = [...podOps('e').slice(0, 1), ...podOps('e').slice(0, 1)];
  await assert.rejects(c.batch(dup), (e: unknown) => e instanceof RefsExistError && e.code === 'ALREADY_EXISTS' && (e.details as { operation: number }).operation === 1);
  await assert.rejects(c.fqNameToId('virtual-machine', ['e-vm']), NoIdError);
  assert.equal(await c.count('virtual-machine'), before);
});

test('address exhaustion inside a batch keeps its code and leaves nothing half-created', async () => {
  const c = api.client;
  // the /29 leaves .1-.4 for instances; a-iip took .4
  const results: unknown[] = [];
  for (const n of ['f', 'g', 'h', 'i', 'j']) {
    try {
      results.push(await c.batch(podOps(n)));
    } catch (e) {
      results.push(e);
    }
  }
  const failed = results.filter((r): r is VncError => r instanceof VncError);
  assert.ok(failed.length >= 1, 'the small subnet ran out');
  for (const e of failed) {
    assert.equal(e.code, 'SUBNET_EXHAUSTED');
    assert.equal((e.details as { operation: number }).operation, 2);
  }
  const made = results.filter((r) => Array.isArray(r)).length;
  assert.equal((await c.list('instance-ip', { fqNames: ['f', 'g', 'h', 'i', 'j'].map((n) => [`${n}-iip`]) })).length, made);
  assert.equal((await c.list('virtual-machine', { fqNames: ['f', 'g', 'h', 'i', 'j'].map((n) => [`${n}-vm`]) })).length, made, 'no VM without its address');
});

test('bad batch bodies are 400 naming the field', async () => {
  const post = async (body: unknown): Promise<{ status: number; json: { error: { code: string; message: string; details?: { field?: string } } } }> => {
    const res = await fetch(`${api.url}/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as { error: { code: string; message: string; details?: { field?: string } } } };
  };
  for (const [body, field] of [
    [{}, 'operations'],
    [{ operations: [] }, 'operations'],
    [{ operations: [{ operation: 'create', type: 'virtual-machine' }] }, 'operations[0].object'],
    [{ operations: [{ operation: 'create', type: 'virtual-machine', object: { fq_name: ['x'] } }, { operation: 'remove', type: 'virtual-machine', object: {} }] }, 'operations[1].operation'],
    [{ operations: [{ operation: 'update', type: 'virtual-machine', object: {} }] }, 'operations[0].uuid'],
    [{ operations: [{ operation: 'create', object: {} }] }, 'operations[0].type'],
  ] as const) {
    const r = await post(body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.json.error.details?.field, field);
    assert.ok(r.json.error.message.includes(field), r.json.error.message);
  }
  const unknown = await post({ operations: [{ operation: 'create', type: 'no-such-type', object: {} }] });
  assert.equal(unknown.status, 404);
  assert.match(unknown.json.error.message, /^operation 0 \(create no-such-type\): /);
  const tooMany = await post({ operations: Array.from({ length: 1001 }, (_, i) => ({ operation: 'create', type: 'virtual-machine', object: { fq_name: [`m${i}`] } })) });
  assert.equal(tooMany.status, 400);
  assert.equal(tooMany.json.error.code, 'BATCH_TOO_LARGE');
  await assert.rejects(api.client.fqNameToId('virtual-machine', ['x']), NoIdError);
});
