import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { BadRequest } from '../errors.js';
import { renderObjectTypes } from './codegen.js';
import { ALL_TYPES, findType, findTypeByPlural, fqNameRepr, fqNameToString } from './registry.js';
import { validateBody } from './validate.js';

const seeds = JSON.parse(readFileSync(new URL('./testdata/seed-004-objects.json', import.meta.url), 'utf8')) as {
  type: string;
  object: Record<string, unknown>;
}[];

test('the registry has every resource type the seeds and the issue name', () => {
  const names = [
    'config-root', 'domain', 'project', 'global-system-config', 'global-vrouter-config', 'virtual-router', 'network-ipam',
    'virtual-network', 'routing-instance', 'route-target', 'security-group', 'access-control-list', 'network-policy',
    'virtual-machine', 'virtual-machine-interface', 'instance-ip', 'floating-ip-pool', 'floating-ip', 'loadbalancer',
    'loadbalancer-listener', 'loadbalancer-pool', 'loadbalancer-member', 'service-appliance-set', 'bgp-router', 'logical-router',
  ];
  assert.deepEqual(ALL_TYPES.map((t) => t.name).sort(), [...names].sort());
  assert.equal(findTypeByPlural('virtual-networks')?.name, 'virtual-network');
  assert.equal(findType('virtual_network')?.name, 'virtual-network');
});

test('back-refs and children are derived from refs and parents', () => {
  const vn = findType('virtual-network')!;
  assert.deepEqual(
    vn.children.map((c) => [c.field, c.derived]),
    [['routing_instances', true], ['access_control_lists', true], ['floating_ip_pools', false]],
  );
  assert.ok(vn.backRefs.some((b) => b.field === 'virtual_machine_interface_back_refs' && b.source === 'virtual-machine-interface'));
  assert.ok(vn.backRefs.some((b) => b.field === 'instance_ip_back_refs'));
  const ri = findType('routing-instance')!;
  assert.equal(ri.refs.get('route_target_refs')?.attr?.k, 'named');
  assert.ok(ri.backRefs.some((b) => b.field === 'routing_instance_back_refs'), 'RI → RI connections give RI back-refs');
  const fip = findType('floating-ip')!;
  assert.deepEqual(fip.parents, ['floating-ip-pool', 'instance-ip']);
  assert.equal(fip.listProps.floating_ip_port_mappings, 'port_mappings');
  assert.deepEqual(findType('project')!.mapProps.annotations, { field: 'key_value_pair', key: 'key' });
});

test('every VNC object of the seed (appendices A and B) validates against its type', () => {
  assert.equal(seeds.length, 18);
  for (const { type, object } of seeds) {
    const rt = findType(type);
    assert.ok(rt, type);
    assert.doesNotThrow(() => validateBody(rt, object), `${type} ${fqNameToString(object.fq_name as string[])}`);
  }
});

test('validation names unknown fields, wrong types and bad references', () => {
  const vn = findType('virtual-network')!;
  const cases: [Record<string, unknown>, RegExp, string][] = [
    [{ bogus: 1 }, /Unknown field bogus in virtual-network/, 'UNKNOWN_FIELD'],
    [{ port_security_enabled: 'yes' }, /port_security_enabled: expected true or false/, 'INVALID_FIELD'],
    [{ virtual_network_properties: { forwarding_mode: 'l4' } }, /virtual_network_properties\.forwarding_mode: expected one of l2_l3, l2, l3/, 'INVALID_FIELD'],
    [{ virtual_network_properties: { colour: 'red' } }, /virtual_network_properties\.colour: unknown field of VirtualNetworkType/, 'INVALID_FIELD'],
    [{ mac_aging_time: 90000 }, /above the maximum 86400/, 'INVALID_FIELD'],
    [{ network_ipam_refs: {} }, /network_ipam_refs must be a list/, 'INVALID_FIELD'],
    [{ network_ipam_refs: [{ attr: null }] }, /needs uuid or to/, 'INVALID_FIELD'],
    [{ network_ipam_refs: [{ to: ['a'], attr: { ipam_subnets: 'x' } }] }, /network_ipam_refs\[0\]\.attr\.ipam_subnets: expected a list/, 'INVALID_FIELD'],
    [{ virtual_network_refs: [{ to: ['a'], attr: { x: 1 } }] }, /attr must be null/, 'INVALID_FIELD'],
    [{ network_ipam_refs: [{ to: ['a'], weight: 2 }] }, /weight is not a reference field/, 'UNKNOWN_FIELD'],
  ];
  for (const [body, re, code] of cases) {
    assert.throws(
      () => validateBody(vn, body),
      (err: unknown) => err instanceof BadRequest && re.test(err.message) && err.code === code,
      JSON.stringify(body),
    );
  }
  assert.doesNotThrow(() => validateBody(vn, { routing_instances: [{ to: ['x'] }], virtual_machine_interface_back_refs: [] }));
});

test('fq_name helpers print like the original', () => {
  assert.equal(fqNameToString(['default-domain', 'k8s', 'vn']), 'default-domain:k8s:vn');
  assert.equal(fqNameRepr(['default-domain', 'k8s']), "['default-domain', 'k8s']");
});

test('objects.ts is the codegen output of the registry (regenerate: npx tsx src/vnc/schema/codegen.ts > src/vnc/schema/objects.ts)', () => {
  assert.equal(readFileSync(new URL('./objects.ts', import.meta.url), 'utf8'), renderObjectTypes());
});
