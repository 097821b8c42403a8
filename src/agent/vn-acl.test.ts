import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aclRuleToVnRule, vnAclConfig } from './vn-acl.js';
import type { ConfigReader } from './config-view.js';
import type { VncObject } from '../vnc/object.js';
import type { AclRuleType } from '../vnc/schema.js';

const vns: Record<string, VncObject> = {
  'default-domain:p:a': { uuid: 'va', fq_name: ['default-domain', 'p', 'a'], virtual_network_network_id: 5 },
  'default-domain:p:b': { uuid: 'vb', fq_name: ['default-domain', 'p', 'b'], virtual_network_network_id: 6 },
};
const acl = { uuid: 'acl', fq_name: ['default-domain', 'p', 'a', 'a'], access_control_list_entries: { acl_rule: [] as AclRuleType[] } } as unknown as VncObject;
const reader: ConfigReader = {
  get: () => undefined,
  list: () => [],
  getByFqName: (type, fq) => (type === 'virtual-network' ? vns[fq.join(':')] : undefined),
  backRefs: () => [],
  children: (uuid, type) => (uuid === 'va' && type === 'access-control-list' ? [acl] : []),
};

const ANY = { start_port: 0, end_port: 65535 };
const rule = (over: Partial<AclRuleType['match_condition']> & object, action = 'pass', direction = '<>'): AclRuleType => ({
  match_condition: { protocol: '6', src_address: { virtual_network: 'default-domain:p:a' }, src_port: ANY, dst_address: { virtual_network: 'default-domain:p:b' }, dst_port: { start_port: 80, end_port: 80 }, ...over },
  action_list: { simple_action: action },
  rule_uuid: 'r1',
  direction,
}) as AclRuleType;

test('network addresses become network ids, ports explicit ranges (full range = none), direction kept', () => {
  assert.deepEqual(aclRuleToVnRule(reader, rule({})), {
    id: 'r1', action: 'pass', protocol: 6, src: { kind: 'network', fqName: 'default-domain:p:a', index: 5 }, dst: { kind: 'network', fqName: 'default-domain:p:b', index: 6 },
    dstPorts: { from: 80, to: 80 }, bidirectional: true,
  });
  const deny = aclRuleToVnRule(reader, rule({ protocol: 'any', dst_port: ANY, dst_address: { virtual_network: 'any' } }, 'deny', '>'));
  assert.deepEqual(deny, { id: 'r1', action: 'deny', protocol: 'any', src: { kind: 'network', fqName: 'default-domain:p:a', index: 5 }, dst: { kind: 'any' }, bidirectional: false });
  const icmp = aclRuleToVnRule(reader, rule({ protocol: '1', src_port: { start_port: 5, end_port: 9 } }));
  assert.equal((icmp as { srcPorts?: unknown }).srcPorts, undefined, 'icmp has no ports');
  assert.equal((icmp as { dstPorts?: unknown }).dstPorts, undefined);
  const unset = aclRuleToVnRule(reader, rule({ dst_port: { start_port: -1, end_port: -1 } }));
  assert.equal((unset as { dstPorts?: unknown }).dstPorts, undefined);
});

test('subnets (one or a list) become CIDRs; IPv6 rules and networks that do not exist are left out silently', () => {
  const sub = aclRuleToVnRule(reader, rule({ src_address: { subnet_list: [{ ip_prefix: '10.1.0.0', ip_prefix_len: 16 }, { ip_prefix: '10.2.3.4', ip_prefix_len: 24 }] } }));
  assert.deepEqual((sub as { src: unknown }).src, { kind: 'cidrs', cidrs: ['10.1.0.0/16', '10.2.3.0/24'] });
  assert.equal(aclRuleToVnRule(reader, rule({ ethertype: 'IPv6' })), undefined);
  assert.equal(aclRuleToVnRule(reader, rule({ src_address: { subnet: { ip_prefix: 'fd00::', ip_prefix_len: 64 } } })), undefined);
  assert.equal(aclRuleToVnRule(reader, rule({ dst_address: { virtual_network: 'default-domain:p:gone' } })), undefined);
});

test('what the datapath cannot enforce is a problem', () => {
  assert.deepEqual(aclRuleToVnRule(reader, rule({ src_address: { security_group: '8000001' } })), { problem: 'security-group addresses are not supported in network policies' });
  assert.deepEqual(aclRuleToVnRule(reader, rule({ protocol: 'gre' })), { problem: 'unknown protocol "gre"' });
  assert.deepEqual(aclRuleToVnRule(reader, rule({}, 'reject')), { problem: 'action "reject" is not supported' });
  assert.deepEqual(aclRuleToVnRule(reader, { rule_uuid: 'x' }), { problem: 'no match condition' });
});

test("the network's ACL is its child named like it; none means no policy", () => {
  (acl as unknown as { access_control_list_entries: { acl_rule: AclRuleType[] } }).access_control_list_entries.acl_rule = [rule({}), rule({ protocol: 'gre' }), rule({ ethertype: 'IPv6' })];
  const problems: string[] = [];
  const rules = vnAclConfig(reader, vns['default-domain:p:a'], problems)!;
  assert.equal(rules.length, 1);
  assert.deepEqual(problems, ['network default-domain:p:a: ACL rule r1 left out: unknown protocol "gre"']);
  assert.equal(vnAclConfig(reader, vns['default-domain:p:b'] as never, []), undefined);
});
