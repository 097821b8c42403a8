import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  buildRuleset,
  directionRules,
  groupSetName,
  normaliseElements,
  rulesetInSync,
  rulesetScript,
  rulesetText,
  securityRuleText,
  vrfPolicyRules,
  vrfRuleTexts,
} from './nft-ruleset.js';
import { parseSnapshot } from './read.js';
import { resolveOwnership } from './ownership.js';
import type { KNftTable } from './kernel-state.js';
import { emptyNodeState, type InterfacePolicy, type NodeState, type SecurityRule, type VrfPolicyRule } from '../model.js';

const dir = new URL('./testdata/', import.meta.url);
const own = resolveOwnership();
const loadState = (): NodeState => JSON.parse(readFileSync(new URL('node-a.state.json', dir), 'utf8')) as NodeState;
const loadTable = (): KNftTable =>
  parseSnapshot(JSON.parse(readFileSync(new URL('node-a.json', dir), 'utf8')) as Record<string, string | null>, own).nft!;

test('the ruleset of the fixture node', () => {
  assert.equal(
    rulesetText(buildRuleset(loadState(), own)),
    `table ip tf {
	map tf_egress {
		type ifname : verdict
	}
	set tf_g_8000001 {
		type ipv4_addr
		flags interval
		elements = { 10.47.255.250, 10.47.255.251, 10.47.255.252 }
	}
	set tf_g_vn5001 {
		type ipv4_addr
		flags interval
		elements = { 10.47.255.250, 10.47.255.251, 10.47.255.252 }
	}
	map tf_ingress {
		type ifname : verdict
		elements = { "tapa2" : jump tf_sg_98dc90141d84 }
	}
	map tf_vn {
		type ifname : verdict
		elements = { "tapa3" : jump tf_vn_fa2c392aeb16 }
	}
	chain tf_raw_pre {
		type filter hook prerouting priority raw; policy accept;
		ip daddr 192.168.77.1 udp dport 4789 notrack
	}
	chain tf_raw_out {
		type filter hook output priority raw; policy accept;
		ip saddr 192.168.77.1 udp dport 4789 notrack
	}
	chain tf_mark {
		type filter hook prerouting priority mangle; policy accept;
		ct direction reply ct mark & 0x00100000 == 0x00100000 meta mark set meta mark | 0x00100000
		ct direction reply ct status snat meta mark set meta mark | 0x00200000
	}
	chain tf_dnat {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr 10.96.0.10 tcp dport 80 dnat ip to jhash ip saddr . tcp sport mod 2 seed 0x7466 map { 0 : 10.47.255.252 . 8080, 1 : 10.47.255.251 . 8080 }
		ip daddr 10.96.0.10 drop
		iifname "ulA" ip daddr 203.0.113.10 tcp dport 80 ct mark set ct mark | 0x00100000 dnat ip to 10.47.255.252:8080
		iifname "ulA" ip daddr 203.0.113.10 drop
	}
	chain tf_forward {
		type filter hook forward priority filter; policy accept;
		ct state established,related accept
		iifname vmap @tf_vn
		oifname vmap @tf_vn
		iifname vmap @tf_egress
		oifname vmap @tf_ingress
	}
	chain tf_snat {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 10.47.255.252 ip daddr 10.47.255.252 ct status dnat snat ip to 10.47.255.254
		oifname "ulA" ip saddr 10.48.0.0/16 masquerade
	}
	chain tf_sg_98dc90141d84 {
		tcp dport 80 return
		ip saddr 10.32.0.0/12 meta l4proto icmp return
		ip saddr @tf_g_8000001 meta l4proto udp return
		drop
	}
	chain tf_vn_fa2c392aeb16 {
		ip saddr @tf_g_vn5001 ip daddr 10.48.0.0/16 tcp dport 80 return
		ip saddr 10.48.0.0/16 ip daddr @tf_g_vn5001 tcp sport 80 return
		ip saddr 10.48.0.0/16 ip daddr 10.48.0.0/16 return
		ip saddr @tf_g_vn5001 drop
		ip daddr @tf_g_vn5001 drop
	}
	chain tf_info {
		return comment "tf-datapath v2 cd6b54bd1a98f00d"
	}
}
`,
  );
});

test('in sync with the table a kernel reported for it; out of sync on any drift', () => {
  const rs = buildRuleset(loadState(), own);
  assert.equal(rulesetInSync(rs, loadTable()), true);
  assert.equal(rulesetInSync(rs, null), false);
  const drifts: ((t: KNftTable) => void)[] = [
    (t) => (t.comments = []),
    (t) => (t.chains.get('tf_forward')!.rules = 1),
    (t) => t.chains.set('tf_extra', { name: 'tf_extra', rules: 0 }),
    (t) => (t.sets.get('tf_g_8000001')!.elements = 2),
    (t) => t.sets.delete('tf_g_8000001'),
    (t) => (t.chains.get('tf_dnat')!.hook = 'output'),
    (t) => (t.chains.get('tf_sg_98dc90141d84')!.hook = 'forward'),
    (t) => (t.sets.get('tf_ingress')!.elements = 0),
    (t) => (t.sets.get('tf_vn')!.kind = 'set'),
  ];
  for (const drift of drifts) {
    const t = loadTable();
    drift(t);
    assert.equal(rulesetInSync(rs, t), false, drift.toString());
  }
  const cheap = loadTable();
  for (const c of cheap.chains.values()) if (c.name !== 'tf_info') c.rules = undefined;
  assert.equal(rulesetInSync(rs, cheap), true, 'unknown rule counts are not held against the table');
  const changed = loadState();
  changed.services[0].ports[0].members.pop();
  assert.equal(rulesetInSync(buildRuleset(changed, own), loadTable()), false, 'a different desired state has a different marker');
});

test('the apply script flushes kept sets and maps, deletes what is no longer wanted, then declares everything', () => {
  const state = loadState();
  state.addressGroups = [{ id: 'g2', addresses: ['10.0.0.1'] }];
  state.interfaces[1].policy = undefined;
  state.vrfs[1].policy = undefined;
  const have = loadTable();
  have.chains.get('tf_dnat')!.prio = -50;
  const script = rulesetScript(buildRuleset(state, own), have);
  const head = script.split('\n').slice(0, 11);
  assert.deepEqual(head, [
    'table ip tf {}',
    'flush table ip tf',
    'flush map ip tf tf_egress',
    'delete set ip tf tf_g_8000001',
    'delete set ip tf tf_g_vn5001',
    'flush map ip tf tf_ingress',
    'flush map ip tf tf_vn',
    'delete chain ip tf tf_dnat',
    'delete chain ip tf tf_sg_98dc90141d84',
    'delete chain ip tf tf_vn_fa2c392aeb16',
    'table ip tf {',
  ]);
  const keep = rulesetScript(buildRuleset(loadState(), own), loadTable()).split('\n').slice(0, 8);
  assert.deepEqual(keep, [
    'table ip tf {}',
    'flush table ip tf',
    'flush map ip tf tf_egress',
    'flush set ip tf tf_g_8000001',
    'flush set ip tf tf_g_vn5001',
    'flush map ip tf tf_ingress',
    'flush map ip tf tf_vn',
    'table ip tf {',
  ]);
  assert.deepEqual(rulesetScript(buildRuleset(loadState(), own), null).split('\n').slice(0, 3), ['table ip tf {}', 'flush table ip tf', 'table ip tf {']);
});

test('security rules compile to one plain rule each, remote as source for ingress and destination for egress', () => {
  const cases: [SecurityRule, 'ingress' | 'egress', string][] = [
    [{ protocol: 'any' }, 'ingress', 'return'],
    [{ protocol: 'any', remoteCidr: '0.0.0.0/0' }, 'ingress', 'return'],
    [{ protocol: 'tcp', ports: { from: 80, to: 80 } }, 'ingress', 'tcp dport 80 return'],
    [{ protocol: 'tcp', ports: { from: 8000, to: 8080 }, remoteCidr: '10.0.0.0/8' }, 'ingress', 'ip saddr 10.0.0.0/8 tcp dport 8000-8080 return'],
    [{ protocol: 'udp', ports: { from: 0, to: 65535 }, remoteCidr: '10.1.2.3/32' }, 'egress', 'ip daddr 10.1.2.3 meta l4proto udp return'],
    [{ protocol: 'sctp' }, 'egress', 'meta l4proto sctp return'],
    [{ protocol: 'icmp', remoteGroup: 'sg-1' }, 'egress', `ip daddr @${groupSetName('sg-1')} meta l4proto icmp return`],
    [{ protocol: 47 }, 'ingress', 'meta l4proto 47 return'],
  ];
  for (const [rule, dir, text] of cases) assert.equal(securityRuleText(rule, dir), text, JSON.stringify(rule));
  assert.equal(directionRules({ default: 'allow', rules: [{ protocol: 'tcp' }] }, 'ingress'), null);
  assert.deepEqual(directionRules({ default: 'deny', rules: [] }, 'egress'), ['drop']);
});

test('interfaces with the same policy share one chain; the maps send each interface to its chains; tf_forward never changes', () => {
  const state = loadState();
  const policy: InterfacePolicy = { ingress: { default: 'deny', rules: [] }, egress: { default: 'deny', rules: [{ protocol: 'udp', ports: { from: 53, to: 53 } }] } };
  for (const f of state.interfaces) f.policy = policy;
  const rs = buildRuleset(state, own);
  const sg = rs.chains.filter((c) => c.name.startsWith('tf_sg_'));
  assert.equal(sg.length, 2);
  const fwd = rs.chains.find((c) => c.name === 'tf_forward')!.rules;
  const eg = sg.find((c) => c.rules[0] === 'udp dport 53 return')!.name;
  const ing = sg.find((c) => c.rules[0] === 'drop')!.name;
  assert.deepEqual(fwd, ['ct state established,related accept', 'iifname vmap @tf_vn', 'oifname vmap @tf_vn', 'iifname vmap @tf_egress', 'oifname vmap @tf_ingress']);
  assert.deepEqual(fwd, buildRuleset(emptyNodeState(), own).chains.find((c) => c.name === 'tf_forward')!.rules, 'the same with nothing to filter');
  const map = (n: string) => rs.sets.find((x) => x.name === n)!;
  assert.deepEqual(map('tf_egress'), { name: 'tf_egress', kind: 'vmap', elements: [`"tapa1" : jump ${eg}`, `"tapa2" : jump ${eg}`, `"tapa3" : jump ${eg}`] });
  assert.deepEqual(map('tf_ingress').elements, [`"tapa1" : jump ${ing}`, `"tapa2" : jump ${ing}`, `"tapa3" : jump ${ing}`]);
  assert.deepEqual(map('tf_vn').elements, ['"tapa3" : jump tf_vn_fa2c392aeb16'], 'only blue has a VRF policy');
});

test('VRF policy rules: addresses, groups, protocols and both port ranges; pass returns, deny drops; trailing passes before a default pass are dropped', () => {
  const cases: [VrfPolicyRule, string[]][] = [
    [{ action: 'pass', protocol: 'any' }, ['return']],
    [{ action: 'deny', protocol: 'any', src: { group: 'vn1' } }, ['ip saddr @tf_g_vn1 drop']],
    [{ action: 'pass', protocol: 'tcp', src: { cidr: '10.0.0.0/8' }, dst: { group: 'vn2' }, dstPorts: { from: 80, to: 80 } }, ['ip saddr 10.0.0.0/8 ip daddr @tf_g_vn2 tcp dport 80 return']],
    [{ action: 'pass', protocol: 'udp', srcPorts: { from: 53, to: 53 }, dstPorts: { from: 1024, to: 65535 } }, ['udp sport 53 udp dport 1024-65535 return']],
    [{ action: 'pass', protocol: 'udp', dstPorts: { from: 0, to: 65535 } }, ['meta l4proto udp return']],
    [{ action: 'deny', protocol: 'icmp', dst: { cidr: '0.0.0.0/0' } }, ['meta l4proto icmp drop']],
    [{ action: 'deny', protocol: 47 }, ['meta l4proto 47 drop']],
    [{ action: 'pass', protocol: 'any', dstPorts: { from: 80, to: 80 } }, ['tcp dport 80 return', 'udp dport 80 return', 'sctp dport 80 return']],
  ];
  for (const [rule, texts] of cases) assert.deepEqual(vrfRuleTexts(rule), texts, JSON.stringify(rule));
  assert.equal(vrfPolicyRules({ default: 'pass', rules: [{ action: 'pass', protocol: 'tcp' }] }), null, 'lets everything through: no chain');
  assert.deepEqual(vrfPolicyRules({ default: 'pass', rules: [{ action: 'deny', protocol: 'icmp' }, { action: 'pass', protocol: 'any' }] }), ['meta l4proto icmp drop']);
  assert.deepEqual(vrfPolicyRules({ default: 'deny', rules: [{ action: 'pass', protocol: 'tcp' }] }), ['meta l4proto tcp return', 'drop']);
});

test('service NAT: one member, none, udp and sctp, and keeping undeclared ports', () => {
  const state = loadState();
  state.floatingIps = [];
  state.snat = [];
  state.services = [
    { vip: '10.96.0.20', ports: [{ protocol: 'udp', port: 53, members: [{ ip: '10.47.0.1', port: 5353 }] }, { protocol: 'tcp', port: 53, members: [] }] },
    {
      vip: '10.96.0.21',
      dropUndeclared: false,
      ports: [{ protocol: 'sctp', port: 9, members: [{ ip: '10.47.0.1', port: 9 }, { ip: '10.47.0.2', port: 9 }, { ip: '10.47.0.3', port: 10 }] }],
    },
  ];
  const rs = buildRuleset(state, own);
  assert.deepEqual(rs.chains.find((c) => c.name === 'tf_dnat')!.rules, [
    'ip daddr 10.96.0.20 udp dport 53 dnat ip to 10.47.0.1:5353',
    'ip daddr 10.96.0.20 tcp dport 53 drop',
    'ip daddr 10.96.0.20 drop',
    'ip daddr 10.96.0.21 sctp dport 9 dnat ip to jhash ip saddr . sctp sport mod 3 seed 0x7466 map { 0 : 10.47.0.1 . 9, 1 : 10.47.0.2 . 9, 2 : 10.47.0.3 . 10 }',
  ]);
  assert.equal(rs.chains.find((c) => c.name === 'tf_mark'), undefined, 'no floating IP, no SNAT: no mark chain (one hook fewer per packet)');
  assert.deepEqual(rs.chains.find((c) => c.name === 'tf_snat')!.rules, [], 'the member 10.47.0.1 is not a local interface: no hairpin rule');
});

test('set elements are de-duplicated, sorted, and prefixes inside others dropped', () => {
  assert.deepEqual(normaliseElements(['10.0.0.5', '10.0.0.0/24', '10.0.1.1/32', '10.0.1.1', '9.0.0.0/8', '10.0.0.0/25']), ['9.0.0.0/8', '10.0.0.0/24', '10.0.1.1']);
  assert.deepEqual(normaliseElements([]), []);
  assert.equal(groupSetName('8000001'), 'tf_g_8000001');
  assert.match(groupSetName('default-domain:k8s:default'), /^tf_g_default_domain_k8s_default_[0-9a-f]{6}$/);
  assert.notEqual(groupSetName('a-b'), groupSetName('a_b'));
});

test('the ruleset does not depend on the order of interfaces, groups or services, and changes with any rule', () => {
  const base = loadState();
  base.services.push({ vip: '10.96.0.99', ports: [{ protocol: 'tcp', port: 1, members: [{ ip: '10.47.255.250', port: 2 }] }] });
  base.addressGroups.push({ id: 'other', addresses: ['1.1.1.1'] });
  const hash = buildRuleset(base, own).hash;
  const perm = <T>(xs: T[]) => fc.shuffledSubarray(xs, { minLength: xs.length, maxLength: xs.length });
  fc.assert(
    fc.property(perm(base.interfaces), perm(base.addressGroups), perm(base.services), (interfaces, addressGroups, services) => {
      return buildRuleset({ ...base, interfaces, addressGroups, services }, own).hash === hash;
    }),
  );
  const changed = structuredClone(base);
  changed.interfaces[1].policy!.ingress.rules[0].ports = { from: 80, to: 81 };
  assert.notEqual(buildRuleset(changed, own).hash, hash);
});
