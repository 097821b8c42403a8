import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SecurityGroup } from '../vnc/schema.js';
import { memWorld } from '../../test/support/transformer-world.js';
import { sgAcls } from './sg-acl.js';

const ANY = { start_port: 0, end_port: 65535 };

test('security group ACLs: ingress for rules to local, egress for rules from local; ids, ports and protocols resolved', () => {
  const web: SecurityGroup = { uuid: 'web', fq_name: ['d', 'p', 'web'], security_group_id: 8000002 };
  const sg: SecurityGroup = {
    uuid: 'sg',
    fq_name: ['d', 'p', 'sg'],
    security_group_id: 8000001,
    security_group_entries: {
      policy_rule: [
        { rule_uuid: 'in-any', direction: '>', protocol: 'any', ethertype: 'IPv4', src_addresses: [{ security_group: 'any' }], dst_addresses: [{ security_group: 'local' }] },
        { rule_uuid: 'in-web', direction: '>', protocol: 'tcp', ethertype: 'IPv4', src_addresses: [{ security_group: 'd:p:web' }], dst_addresses: [{ security_group: 'local' }], dst_ports: [{ start_port: 80, end_port: 80 }] },
        { rule_uuid: 'in-missing', direction: '>', protocol: 'tcp', src_addresses: [{ security_group: 'd:p:nope' }], dst_addresses: [{ security_group: 'local' }] },
        { rule_uuid: 'out', direction: '>', protocol: 'icmp', ethertype: 'IPv6', src_addresses: [{ security_group: 'local' }], dst_addresses: [{ subnet: { ip_prefix: '::', ip_prefix_len: 0 } }] },
        { rule_uuid: 'bad', direction: '>', protocol: 'nope', src_addresses: [{ security_group: 'local' }], dst_addresses: [{ security_group: 'any' }] },
      ],
    },
  };
  const acls = sgAcls(sg, memWorld({ sgs: [sg, web] }));
  assert.deepEqual(acls.ingress, {
    dynamic: false,
    acl_rule: [
      {
        match_condition: { protocol: 'any', src_address: { security_group: '-1' }, src_port: ANY, dst_address: { security_group: '8000001' }, dst_port: ANY, ethertype: 'IPv4' },
        action_list: { simple_action: 'pass' },
        rule_uuid: 'in-any',
        direction: '>',
      },
      {
        match_condition: { protocol: '6', src_address: { security_group: '8000002' }, src_port: ANY, dst_address: { security_group: '8000001' }, dst_port: { start_port: 80, end_port: 80 }, ethertype: 'IPv4' },
        action_list: { simple_action: 'pass' },
        rule_uuid: 'in-web',
        direction: '>',
      },
    ],
  });
  assert.deepEqual(acls.egress, {
    dynamic: false,
    acl_rule: [
      {
        match_condition: { protocol: '58', src_address: { security_group: '8000001' }, src_port: ANY, dst_address: { subnet: { ip_prefix: '::', ip_prefix_len: 0 } }, dst_port: ANY, ethertype: 'IPv6' },
        action_list: { simple_action: 'pass' },
        rule_uuid: 'out',
        direction: '>',
      },
    ],
  });
  assert.deepEqual([...acls.referredGroups].sort(), ['d:p:nope', 'd:p:web']);
  assert.equal(acls.problems.length, 1);
  assert.match(acls.problems[0], /bad: unknown protocol "nope"/);
});
