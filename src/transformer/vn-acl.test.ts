import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memWorld, policy, vn } from '../../test/support/transformer-world.js';
import { IMPLICIT_ALLOW_UUID } from './acl-common.js';
import { vnAcl } from './vn-acl.js';

const ANY = { start_port: 0, end_port: 65535 };

test('a network without policies has no ACL', () => {
  const a = vn('d:p:a');
  assert.deepEqual(vnAcl(a, memWorld({ vns: [a] })), { entries: undefined, problems: [] });
});

test('network ACL: policy rules in sequence order, allow within, deny per rule, then pass any', () => {
  const p1 = policy('d:p:p1', [
    {
      rule_uuid: 'r-web',
      direction: '>',
      protocol: 'tcp',
      action_list: { simple_action: 'pass' },
      src_addresses: [{ virtual_network: 'local' }],
      dst_addresses: [{ virtual_network: 'd:p:b' }],
      dst_ports: [{ start_port: 80, end_port: 80 }],
    },
  ]);
  const p0 = policy('d:p:p0', [
    {
      rule_uuid: 'r-deny',
      direction: '<>',
      protocol: 'icmp',
      action_list: { simple_action: 'deny' },
      src_addresses: [{ virtual_network: 'd:p:c' }],
      dst_addresses: [{ virtual_network: 'local', subnet: { ip_prefix: '10.0.0.0', ip_prefix_len: 24 } }],
      src_ports: [{ start_port: -1, end_port: -1 }],
      dst_ports: [{ start_port: -1, end_port: -1 }],
    },
  ]);
  // p1 is attached with sequence 0, p0 with sequence 1: p1's rules come first.
  const a = vn('d:p:a', {}, [p1, p0]);
  const acl = vnAcl(a, memWorld({ vns: [a], policies: [p0, p1] }));
  assert.deepEqual(acl.problems, []);
  assert.deepEqual(acl.entries, {
    dynamic: false,
    acl_rule: [
      {
        match_condition: { protocol: '6', src_address: { virtual_network: 'd:p:a' }, src_port: ANY, dst_address: { virtual_network: 'd:p:b' }, dst_port: { start_port: 80, end_port: 80 } },
        action_list: { simple_action: 'pass' },
        rule_uuid: 'r-web',
        direction: '>',
      },
      {
        match_condition: {
          protocol: '1',
          src_address: { virtual_network: 'd:p:c' },
          src_port: ANY,
          dst_address: { virtual_network: 'd:p:a', subnet: { ip_prefix: '10.0.0.0', ip_prefix_len: 24 } },
          dst_port: ANY,
        },
        action_list: { simple_action: 'deny' },
        rule_uuid: 'r-deny',
        direction: '<>',
      },
      {
        match_condition: { protocol: 'any', src_address: { virtual_network: 'd:p:a' }, src_port: ANY, dst_address: { virtual_network: 'd:p:a' }, dst_port: ANY },
        action_list: { simple_action: 'pass' },
        rule_uuid: IMPLICIT_ALLOW_UUID,
        direction: '<>',
      },
      {
        match_condition: { protocol: 'any', src_address: { virtual_network: 'd:p:a' }, src_port: ANY, dst_address: { virtual_network: 'd:p:b' }, dst_port: ANY },
        action_list: { simple_action: 'deny' },
        rule_uuid: 'r-web',
        direction: '>',
      },
      {
        match_condition: { protocol: 'any', src_address: { virtual_network: 'd:p:c' }, src_port: ANY, dst_address: { virtual_network: 'd:p:a' }, dst_port: ANY },
        action_list: { simple_action: 'deny' },
        rule_uuid: 'r-deny',
        direction: '<>',
      },
      {
        match_condition: { protocol: 'any', src_address: { virtual_network: 'any' }, src_port: ANY, dst_address: { virtual_network: 'any' }, dst_port: ANY },
        action_list: { simple_action: 'pass' },
        rule_uuid: IMPLICIT_ALLOW_UUID,
        direction: '<>',
      },
    ],
  });
});

test('policy addresses expand to the attached networks; bad rules are reported and left out', () => {
  const pol = policy('d:p:pol', [
    { rule_uuid: 'r1', direction: '<>', protocol: 'any', action_list: { simple_action: 'pass' }, src_addresses: [{ network_policy: 'd:p:pol' }], dst_addresses: [{ virtual_network: 'd:p:c' }] },
    { rule_uuid: 'r2', direction: '<>', protocol: 'bogus', action_list: { simple_action: 'pass' }, src_addresses: [{ virtual_network: 'local' }], dst_addresses: [{ virtual_network: 'any' }] },
    { rule_uuid: 'r3', direction: '<>', protocol: 'any', action_list: { simple_action: 'pass', apply_service: ['d:p:si'] }, src_addresses: [{ virtual_network: 'local' }], dst_addresses: [{ virtual_network: 'any' }] },
  ]);
  const a = vn('d:p:a', {}, [pol]);
  const b = vn('d:p:b', {}, [pol]);
  const c = vn('d:p:c', {}, [pol]);
  const w = memWorld({ vns: [a, b, c], policies: [pol] });
  const acl = vnAcl(c, w);
  assert.deepEqual(
    acl.entries!.acl_rule!.filter((r) => r.rule_uuid === 'r1').map((r) => `${r.action_list!.simple_action} ${r.match_condition!.src_address!.virtual_network} ${r.match_condition!.dst_address!.virtual_network}`),
    ['pass d:p:a d:p:c', 'pass d:p:b d:p:c', 'pass d:p:c d:p:c'],
    'the per-rule denies (and the allow within c) repeat these match conditions, so they are left out',
  );
  assert.deepEqual(
    acl.entries!.acl_rule!.map((r) => `${r.action_list!.simple_action} ${r.match_condition!.src_address!.virtual_network} ${r.match_condition!.dst_address!.virtual_network}`),
    ['pass d:p:a d:p:c', 'pass d:p:b d:p:c', 'pass d:p:c d:p:c', 'pass any any'],
  );
  assert.deepEqual(
    acl.problems.map((p) => p.rule_uuid),
    ['r2', 'r3'],
  );
  // For a, the policy address on the source side becomes a itself (it is attached).
  assert.deepEqual(
    vnAcl(a, w).entries!.acl_rule!.filter((r) => r.rule_uuid === 'r1' && r.action_list!.simple_action === 'pass').map((r) => r.match_condition!.src_address),
    [{ virtual_network: 'd:p:a' }],
  );
});
