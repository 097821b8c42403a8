import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { failClosedLines, podNftPlan, viewOfRuleset, viewOfTable } from './nft-pod.js';
import { buildRuleset } from './nft-ruleset.js';
import { parseSnapshot } from './read.js';
import { resolveOwnership } from './ownership.js';
import type { InterfacePolicy, LocalInterface, NodeState } from '../model.js';

const dir = new URL('./testdata/', import.meta.url);
const own = resolveOwnership();
const loadState = (): NodeState => JSON.parse(readFileSync(new URL('node-a.state.json', dir), 'utf8')) as NodeState;
const kernelTable = () => parseSnapshot(JSON.parse(readFileSync(new URL('node-a.json', dir), 'utf8')) as Record<string, string | null>, own).nft;

const web: InterfacePolicy = {
  ingress: { default: 'deny', rules: [{ protocol: 'tcp', ports: { from: 80, to: 80 } }, { protocol: 'udp', remoteGroup: '8000001' }] },
  egress: { default: 'allow', rules: [] },
};
const pod = (n: number, policy?: InterfacePolicy): LocalInterface => ({
  tap: `tapn${n}`, netns: `pod${n}`, ifname: 'eth0', mac: `02:bb:00:00:00:0${n}`, ip: `10.47.0.${n}`, plen: 12, gateway: '10.47.255.254', vrf: 'red', ...(policy ? { policy } : {}),
});

test('the view of a rendered ruleset is the view read back from the kernel after that render', () => {
  const fromRules = viewOfRuleset(buildRuleset(loadState(), own));
  const fromKernel = viewOfTable(kernelTable());
  assert.equal(fromKernel.layout, true);
  assert.deepEqual(fromKernel, fromRules);
  assert.deepEqual(fromRules.maps.get('tf_ingress'), new Map([['tapa2', 'tf_sg_98dc90141d84']]));
  assert.deepEqual(viewOfTable(null), { layout: false, chains: new Set(), sets: new Map(), maps: new Map() });
});

test('no table yet: the ADD creates tf_forward, the maps, the group set and the policy chain, then the interface element', () => {
  const st = loadState();
  const plan = podNftPlan('tf', pod(1, web), st.vrfs[0], st.addressGroups, viewOfTable(null));
  const chain = plan.lines.find((l) => l.startsWith('add chain ip tf tf_sg_'))!.split(' ')[4];
  assert.deepEqual(plan.lines, [
    'add table ip tf',
    'add chain ip tf tf_forward { type filter hook forward priority filter; policy accept; }',
    'add map ip tf tf_vn { type ifname : verdict; }',
    'add map ip tf tf_egress { type ifname : verdict; }',
    'add map ip tf tf_ingress { type ifname : verdict; }',
    'flush chain ip tf tf_forward',
    'add rule ip tf tf_forward ct state established,related accept',
    'add rule ip tf tf_forward iifname vmap @tf_vn',
    'add rule ip tf tf_forward oifname vmap @tf_vn',
    'add rule ip tf tf_forward iifname vmap @tf_egress',
    'add rule ip tf tf_forward oifname vmap @tf_ingress',
    'add set ip tf tf_g_8000001 { type ipv4_addr; flags interval; }',
    'add element ip tf tf_g_8000001 { 10.47.255.250, 10.47.255.251, 10.47.255.252 }',
    `add chain ip tf ${chain}`,
    `add rule ip tf ${chain} tcp dport 80 return`,
    `add rule ip tf ${chain} ip saddr @tf_g_8000001 meta l4proto udp return`,
    `add rule ip tf ${chain} drop`,
    `add element ip tf tf_ingress { "tapn1" : jump ${chain} }`,
  ]);
  assert.equal(plan.filtered, true);
  // What the ADD leaves is what a render of the state with the pod would declare for it.
  const withPod = { ...st, interfaces: [pod(1, web)], vrfs: [st.vrfs[0]], addressGroups: [st.addressGroups[0]] };
  const rendered = viewOfRuleset(buildRuleset(withPod, own));
  assert.deepEqual(plan.view.maps, rendered.maps);
  assert.deepEqual(plan.view.sets, rendered.sets);
});

test('after a render: only the interface element when its chain and sets exist; nothing for a pod without policy', () => {
  const st = loadState();
  const view = viewOfRuleset(buildRuleset(st, own));
  const same = podNftPlan('tf', pod(2, st.interfaces[1].policy), st.vrfs[0], st.addressGroups, view);
  assert.deepEqual(same.lines, ['add element ip tf tf_ingress { "tapn2" : jump tf_sg_98dc90141d84 }']);
  const plain = podNftPlan('tf', pod(3), st.vrfs[0], st.addressGroups, view);
  assert.deepEqual(plain.lines, []);
  assert.equal(plain.filtered, false);
  // A VRF policy alone: the VN map.
  const blue = podNftPlan('tf', { ...pod(4), vrf: 'blue', ip: '10.48.0.9', gateway: '10.48.0.1' }, st.vrfs[1], st.addressGroups, view);
  assert.deepEqual(blue.lines, ['add element ip tf tf_vn { "tapn4" : jump tf_vn_fa2c392aeb16 }']);
});

test('group sets learn the new member at once; a covering prefix replaces the elements it covers', () => {
  const st = loadState();
  const view = viewOfRuleset(buildRuleset(st, own));
  const groups = [{ id: '8000001', addresses: [...st.addressGroups[0].addresses, '10.47.0.5'] }];
  const member = podNftPlan('tf', pod(5, st.interfaces[1].policy), st.vrfs[0], groups, view);
  assert.deepEqual(member.lines, ['add element ip tf tf_g_8000001 { 10.47.0.5 }', 'add element ip tf tf_ingress { "tapn5" : jump tf_sg_98dc90141d84 }']);
  assert.deepEqual(member.view.sets.get('tf_g_8000001'), ['10.47.0.5', '10.47.255.250', '10.47.255.251', '10.47.255.252']);
  // A member of a group no local rule names: its set does not exist and is not created.
  const lone = podNftPlan('tf', pod(6), st.vrfs[0], [{ id: '8000009', addresses: ['10.47.0.6'] }], view);
  assert.deepEqual(lone.lines, []);
  const wide = podNftPlan('tf', pod(7, st.interfaces[1].policy), st.vrfs[0], [{ id: '8000001', addresses: ['10.47.255.0/24', '10.47.0.7'] }], view);
  assert.deepEqual(wide.lines.slice(0, 2), ['flush set ip tf tf_g_8000001', 'add element ip tf tf_g_8000001 { 10.47.0.7, 10.47.255.0/24 }']);
});

test('an interface already in a map with another chain is moved; one whose policy is gone is removed', () => {
  const st = loadState();
  const view = viewOfRuleset(buildRuleset(st, own));
  const tapa2 = st.interfaces[1];
  const moved = podNftPlan('tf', { ...tapa2, policy: web }, st.vrfs[0], st.addressGroups, view);
  const chain = moved.lines.find((l) => l.startsWith('add chain'))!.split(' ')[4];
  assert.deepEqual(moved.lines.slice(-2), ['delete element ip tf tf_ingress { "tapa2" }', `add element ip tf tf_ingress { "tapa2" : jump ${chain} }`]);
  const gone = podNftPlan('tf', { ...tapa2, policy: undefined }, st.vrfs[0], st.addressGroups, view);
  assert.deepEqual(gone.lines, ['delete element ip tf tf_ingress { "tapa2" }']);
  assert.equal(gone.view.maps.get('tf_ingress')!.has('tapa2'), false);
  assert.equal(view.maps.get('tf_ingress')!.has('tapa2'), true, 'the view given is not changed');
});

test('fail-closed fallback: drop both directions of the interface', () => {
  assert.deepEqual(failClosedLines('tf', 'tapx'), [
    'add table ip tf',
    'add chain ip tf tf_forward { type filter hook forward priority filter; policy accept; }',
    'add rule ip tf tf_forward iifname "tapx" drop',
    'add rule ip tf tf_forward oifname "tapx" drop',
  ]);
});
