import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { normaliseDst, parseFdb, parseLinks, nftElementText, parseNeighbours, parseNftSummary, parseNftTable, parseRoutes, parseRules } from './kernel-state.js';
import { parseSnapshot, parseSysctl } from './read.js';
import { resolveOwnership } from './ownership.js';

const sections = JSON.parse(readFileSync(new URL('./testdata/node-a.json', import.meta.url), 'utf8')) as Record<string, string>;

test('links: kind, MTU, MAC, state, veth peer namespace and VXLAN attributes', () => {
  const links = parseLinks(sections.links);
  const tap = links.find((l) => l.name === 'tapa3')!;
  assert.deepEqual({ ...tap, netnsid: typeof tap.netnsid }, { name: 'tapa3', kind: 'veth', mtu: 1400, mac: '00:00:5e:00:01:00', up: true, netnsid: 'number' });
  const vx = links.find((l) => l.name === 'vx5001')!;
  assert.deepEqual(vx.vxlan, { id: 5001, local: '192.168.77.1', link: 'ulA', port: 4789, learning: false });
  assert.equal(vx.mac, '02:89:c0:a8:4d:01');
  assert.equal(links.find((l) => l.name === 'lo')!.kind, undefined);
});

test('routes: tables, host routes as /32, default, unreachable, multipath with weights and onlink', () => {
  const routes = parseRoutes(sections.routes);
  assert.deepEqual(routes.find((r) => r.table === '1001' && r.dst === '0.0.0.0/0'), { table: '1001', dst: '0.0.0.0/0', type: 'unreachable', metric: 0, scope: undefined, nexthops: [] });
  assert.deepEqual(routes.find((r) => r.dst === '10.47.255.251/32')!.nexthops, [{ gateway: '192.168.77.2', dev: 'vx5001', weight: 1, onlink: true }]);
  assert.deepEqual(routes.find((r) => r.dst === '10.96.5.0/24')!.nexthops, [
    { gateway: undefined, dev: 'tapa1', weight: 1, onlink: false },
    { gateway: '192.168.77.2', dev: 'vx5001', weight: 1, onlink: true },
  ]);
  assert.equal(routes.find((r) => r.dst === '192.168.77.0/24')!.table, 'main', 'routes of the main table carry no table field');
});

test('rules: selectors with prefix lengths and marks', () => {
  const rules = parseRules(sections.rules);
  assert.deepEqual(rules.find((r) => r.fwmask === '0x200000'), {
    priority: 1200, iif: 'ulA', oif: undefined, dst: '10.48.0.3/32', src: undefined, fwmark: '0x200000', fwmask: '0x200000', table: '1002', action: undefined,
  });
  assert.deepEqual(parseRules('[{"priority":5,"src":"10.0.0.0","srclen":8,"dst":"10.1.0.0","dstlen":16,"table":"main"}]')[0].dst, '10.1.0.0/16');
  assert.equal(parseRules('[{"priority":5,"src":"10.0.0.0","srclen":8,"table":"main"}]')[0].src, '10.0.0.0/8');
});

test('neighbours, FDB, sysctls', () => {
  assert.deepEqual(parseNeighbours(sections.neigh).find((n) => n.dev === 'vx5002'), { dst: '192.168.77.2', dev: 'vx5002', lladdr: '02:8a:c0:a8:4d:02', state: ['PERMANENT'] });
  assert.deepEqual(parseNeighbours('[{"dst":"fe80::1","dev":"x","state":["STALE"]}]'), [], 'IPv6 is ignored');
  assert.deepEqual(parseFdb(sections.fdb).filter((f) => f.dst !== undefined).map((f) => `${f.dev} ${f.mac} ${f.dst}`).sort(), [
    'vx5001 02:89:c0:a8:4d:02 192.168.77.2',
    'vx5001 02:89:c0:a8:4d:03 192.168.77.3',
    'vx5002 02:8a:c0:a8:4d:02 192.168.77.2',
  ]);
  const sys = parseSysctl(sections.sysctl);
  assert.equal(sys.get('net.ipv4.ip_forward'), '1');
  assert.equal(sys.get('net.ipv4.conf.tapa1.rp_filter'), '0');
});

test('nft: chains with hooks and rule counts, sets and maps with their elements, rule comments; null when absent', () => {
  const t = parseNftTable(sections.nft, 'tf')!;
  assert.deepEqual(t.chains.get('tf_dnat'), { name: 'tf_dnat', type: 'nat', hook: 'prerouting', prio: -100, policy: 'accept', rules: 4 });
  assert.deepEqual(t.chains.get('tf_sg_98dc90141d84'), { name: 'tf_sg_98dc90141d84', type: undefined, hook: undefined, prio: undefined, policy: undefined, rules: 4 });
  assert.deepEqual(t.sets.get('tf_g_8000001'), { name: 'tf_g_8000001', kind: 'set', elements: 3, elementTexts: ['10.47.255.250', '10.47.255.251', '10.47.255.252'] });
  assert.deepEqual(t.sets.get('tf_ingress'), { name: 'tf_ingress', kind: 'map', elements: 1, elementTexts: ['"tapa2" : jump tf_sg_98dc90141d84'] });
  assert.deepEqual(t.sets.get('tf_egress'), { name: 'tf_egress', kind: 'map', elements: 0, elementTexts: [] });
  assert.match(t.comments[0], /^tf-datapath v2 [0-9a-f]{16}$/);
  assert.equal(parseNftTable('', 'tf'), null);
  assert.equal(parseNftTable('null', 'tf'), null);
  assert.equal(parseNftTable(sections.nft, 'other'), null);
});

test('nft element texts: addresses, prefixes, ranges, map verdicts', () => {
  assert.equal(nftElementText('10.0.0.1'), '10.0.0.1');
  assert.equal(nftElementText({ prefix: { addr: '10.0.0.0', len: 8 } }), '10.0.0.0/8');
  assert.equal(nftElementText({ range: ['10.0.0.1', '10.0.0.9'] }), '10.0.0.1-10.0.0.9');
  assert.equal(nftElementText({ elem: { val: '10.0.0.2', comment: 'x' } }), '10.0.0.2');
  assert.equal(nftElementText(['tapx', { jump: { target: 'tf_sg_1' } }]), '"tapx" : jump tf_sg_1');
  assert.equal(nftElementText(['tapx', { continue: null }]), '"tapx" : continue');
});

test('malformed output is a typed error; a failed read section too', () => {
  assert.throws(() => parseLinks('[{"ifname":'), { code: 'DATAPATH_KERNEL_STATE' });
  assert.throws(() => parseRoutes('{"a":1}'), { code: 'DATAPATH_KERNEL_STATE' });
  assert.throws(() => parseNftTable('{"x":1}', 'tf'), { code: 'DATAPATH_KERNEL_STATE' });
  assert.throws(() => parseSnapshot({ ...sections, routes: null }, resolveOwnership()), { code: 'DATAPATH_KERNEL_STATE' });
  assert.deepEqual(parseLinks(''), []);
});

test('destinations normalise to a.b.c.d/len', () => {
  assert.equal(normaliseDst('default'), '0.0.0.0/0');
  assert.equal(normaliseDst('10.0.0.1'), '10.0.0.1/32');
  assert.equal(normaliseDst('10.0.0.0', 8), '10.0.0.0/8');
  assert.equal(normaliseDst('10.0.0.9/8'), '10.0.0.0/8');
  assert.equal(normaliseDst('fe80::/64'), undefined);
  assert.equal(normaliseDst(undefined), undefined);
});

test('nft summary (tables, chains, sets, marker chain): rule counts unknown except for the marker chain', () => {
  const parts = JSON.parse(readFileSync(new URL('./testdata/node-a.summary.json', import.meta.url), 'utf8')) as Record<string, string>;
  const t = parseNftSummary({ chains: parts.nft_chains, sets: parts.nft_sets, maps: parts.nft_maps, marker: parts.nft_marker }, 'tf', 'tf_info')!;
  const full = parseNftTable(sections.nft, 'tf')!;
  assert.deepEqual([...t.chains.keys()].sort(), [...full.chains.keys()].sort());
  assert.equal(t.chains.get('tf_dnat')!.rules, undefined);
  assert.equal(t.chains.get('tf_dnat')!.hook, 'prerouting');
  assert.equal(t.chains.get('tf_info')!.rules, 1);
  assert.deepEqual(t.sets, full.sets);
  assert.deepEqual(t.comments, full.comments);
  const none = '{"nftables": [{"metainfo": {}}]}';
  assert.equal(parseNftSummary({ chains: none, sets: none, marker: null }, 'tf', 'tf_info'), null);
  assert.equal(parseNftSummary({ chains: parts.nft_chains, sets: parts.nft_sets, marker: null }, 'other', 'tf_info'), null);
  const other = parseNftSummary({ chains: parts.nft_chains, sets: parts.nft_sets, marker: null }, 'tf', 'tf_info')!;
  assert.deepEqual(other.comments, [], 'no marker chain read, no marker');
});
