import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contained, drift, keepRuleUuids } from './diff.js';
import { derivedUuid, ROLE } from './names.js';

const stored = {
  uuid: 'u',
  fq_name: ['d', 'p', 'vn'],
  address_allocation_mode: 'user-defined-subnet-only',
  virtual_network_properties: { forwarding_mode: 'l3', rpf: null },
  network_ipam_refs: [
    { to: ['d', 'p', 'pod-ipam'], uuid: 'a', attr: { ipam_subnets: [{ subnet: null, enable_dhcp: true, subnet_uuid: 's1' }] } },
    { to: ['d', 'p', 'service-ipam'], uuid: 'b', attr: { ipam_subnets: [{ subnet: { ip_prefix: '10.96.0.0', ip_prefix_len: 12 }, default_gateway: '10.111.255.254', subnet_uuid: 's2' }] } },
  ],
  annotations: { key_value_pair: [{ key: 'owner', value: 'k8s' }, { key: 'cluster', value: 'c' }] },
  security_group_entries: { policy_rule: [{ rule_uuid: 'r1', direction: '>', protocol: 'any', src_addresses: [{ security_group: 'local' }] }] },
};

test('in sync: what the server filled in does not count as drift', () => {
  assert.equal(
    drift(
      {
        address_allocation_mode: 'user-defined-subnet-only',
        virtual_network_properties: { forwarding_mode: 'l3' },
        network_ipam_refs: [
          { to: ['d', 'p', 'service-ipam'], attr: { ipam_subnets: [{ subnet: { ip_prefix: '10.96.0.0', ip_prefix_len: 12 } }] } },
          { to: ['d', 'p', 'pod-ipam'], attr: { ipam_subnets: [{ subnet: null, enable_dhcp: true }] } },
        ],
        annotations: { key_value_pair: [{ key: 'cluster', value: 'c' }, { key: 'owner', value: 'k8s' }] },
        security_group_entries: { policy_rule: [{ direction: '>', protocol: 'any', src_addresses: [{ security_group: 'local' }] }] },
      },
      stored,
    ),
    undefined,
  );
});

test('drift: only the fields that differ, rules keep their uuids', () => {
  const d = drift(
    {
      address_allocation_mode: 'flat-subnet-only',
      virtual_network_properties: { forwarding_mode: 'l3' },
      network_ipam_refs: [{ to: ['d', 'p', 'pod-ipam'] }],
      annotations: { key_value_pair: [{ key: 'owner', value: 'k8s' }] },
      security_group_entries: {
        policy_rule: [
          { direction: '>', protocol: 'any', src_addresses: [{ security_group: 'local' }] },
          { direction: '>', protocol: 'tcp', src_addresses: [{ security_group: 'local' }] },
        ],
      },
    },
    stored,
  );
  assert.deepEqual(Object.keys(d ?? {}).sort(), ['address_allocation_mode', 'annotations', 'network_ipam_refs', 'security_group_entries']);
  const rules = (d!.security_group_entries as { policy_rule: { rule_uuid?: string; protocol: string }[] }).policy_rule;
  assert.deepEqual(rules.map((r) => [r.protocol, r.rule_uuid]), [['any', 'r1'], ['tcp', undefined]]);
});

test('containment: null means absent, arrays compare by position and length', () => {
  assert.equal(contained(null, undefined), true);
  assert.equal(contained(null, []), true);
  assert.equal(contained([], undefined), true);
  assert.equal(contained({ a: null }, { a: 1 }), false);
  assert.equal(contained([1], [1, 2]), false);
  assert.equal(contained({ a: [{ b: 1 }] }, { a: [{ b: 1, c: 2 }], d: 3 }), true);
  assert.deepEqual(keepRuleUuids({ policy_rule: [{ protocol: 'x' }] }, undefined), { policy_rule: [{ protocol: 'x' }] });
});

test('derived uuids: stable, distinct per role and object, version 5 shaped', () => {
  const a = derivedUuid('708154c6-f7ab-11e7-a9df-98f2b3a36be0', ROLE.podVmi);
  assert.equal(a, derivedUuid('708154c6-f7ab-11e7-a9df-98f2b3a36be0', ROLE.podVmi));
  assert.notEqual(a, derivedUuid('708154c6-f7ab-11e7-a9df-98f2b3a36be0', ROLE.podIip));
  assert.notEqual(a, derivedUuid('708154c6-f7ab-11e7-a9df-98f2b3a36be1', ROLE.podVmi));
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});
