import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { LinuxRenderer } from './renderer.js';
import { DatapathApplyError } from '../errors.js';
import type { LocalInterface, NodeState } from '../model.js';
import { fakeRunner, program, sectionsOutput, type Reply } from '../../../test/support/datapath-fake.js';

const dir = new URL('./testdata/', import.meta.url);
const loadState = (): NodeState => JSON.parse(readFileSync(new URL('node-a.state.json', dir), 'utf8')) as NodeState;
const summary = JSON.parse(readFileSync(new URL('node-a.summary.json', dir), 'utf8')) as Record<string, string | null>;
// The full read, plus the nft-only read a pod ADD makes (chains, sets, maps) of the same table.
const synced: Record<string, string | null> = {
  ...(JSON.parse(readFileSync(new URL('node-a.json', dir), 'utf8')) as Record<string, string | null>),
  chains: summary.nft_chains,
  sets: summary.nft_sets,
  maps: summary.nft_maps,
};
const NO_NFT = '{"nftables": [{"metainfo": {}}]}';
const links = JSON.parse(synced.links!) as { ifname: string }[];
const fresh: Record<string, string | null> = {
  ...synced,
  links: JSON.stringify(links.filter((l) => ['lo', 'ulA', 'ulpeer'].includes(l.ifname))),
  routes: '[]',
  rules: '[]',
  neigh: '[]',
  fdb: '[]',
  nft: null,
  chains: NO_NFT,
  sets: NO_NFT,
  maps: NO_NFT,
  sysctl: '',
};

function renderer(sections: Record<string, string | null>, more: Reply = () => undefined) {
  const f = fakeRunner((argv, input) => (argv.includes('sh') ? { stdout: sectionsOutput(sections) } : more(argv, input)));
  const r = new LinuxRenderer({ netns: 'node-a', runner: f.runner, netnsExists: () => true });
  return { r, calls: f.calls };
}

test('bad input is a typed error and runs no command at all', async () => {
  const { r, calls } = renderer(synced);
  const bad = loadState();
  bad.routes[0].nexthops = [];
  await assert.rejects(r.render(bad), { code: 'DATAPATH_INVALID_MODEL' });
  await assert.rejects(r.addPod({ ...bad.interfaces[0], ip: '1.2.3' }, bad.vrfs[0]), { code: 'DATAPATH_INVALID_MODEL' });
  assert.equal(calls.length, 0);
});

test('already in sync: one read, no other command', async () => {
  const { r, calls } = renderer(synced);
  const rep = await r.render(loadState());
  assert.equal(rep.inSync, true);
  assert.deepEqual(calls.map(program), ['sh']);
  assert.deepEqual(calls[0].argv.slice(0, 3), ['nsenter', '--net=/run/netns/node-a', 'sh']);
  assert.deepEqual(r.lastState, loadState());
});

test('the first render counts every nft rule, later ones read the marker, chains and sets; verify forces a full read', async () => {
  const { r, calls } = renderer(synced);
  await r.render(loadState());
  await r.render(loadState());
  await r.render(loadState(), { verify: true });
  const scripts = calls.map((c) => c.argv[c.argv.length - 1]);
  assert.match(scripts[0], /nft -j list table ip tf/);
  assert.doesNotMatch(scripts[1], /nft -j list table ip tf/);
  assert.match(scripts[1], /nft -j list chains ip/);
  assert.match(scripts[2], /nft -j list table ip tf/);
});

test('from a fresh namespace: sysctl first, then nft (policies before the veths exist), ip, then bridge ∥ pod sides', async () => {
  const { r, calls } = renderer(fresh);
  const rep = await r.render(loadState());
  assert.equal(rep.inSync, false);
  const order = calls.map(program);
  assert.equal(order[0], 'sh');
  assert.match(order[1], /^sysctl -q -w net\.ipv4\.ip_forward=1/);
  assert.deepEqual(order.slice(2, 4), ['nft -f -', 'ip -force -batch -']);
  assert.deepEqual(order.slice(4).sort(), ['bridge -force -batch -', 'ip -force -batch -', 'ip -force -batch -', 'ip -force -batch -']);
  const ip = calls.find((c) => program(c) === 'ip -force -batch -')!;
  assert.equal(ip.input, rep.plan.ip.ip.join('\n') + '\n');
  const nft = calls.find((c) => program(c) === 'nft -f -')!;
  assert.equal(nft.input, rep.plan.nft);
  assert.match(nft.input, /^table ip tf \{\}\nflush table ip tf\ntable ip tf \{/);
  const podCalls = calls.slice(4).filter((c) => c.argv[1]?.startsWith('--net=/run/netns/capturepod'));
  assert.equal(podCalls.length, 3);
});

test('failures of several tools are reported together after everything else was tried', async () => {
  const { r, calls } = renderer(fresh, (argv) => {
    if (argv.includes('nft')) return { code: 1, stderr: '/dev/stdin:5:1-3: Error: boom\n' };
    if (argv.includes('bridge')) return { code: 1, stderr: 'RTNETLINK answers: No such device\nCommand failed -:2\n' };
    return undefined;
  });
  const err = await r.render(loadState()).catch((e: unknown) => e);
  assert.ok(err instanceof DatapathApplyError);
  assert.equal((err.details as { tool: string }).tool.split('+').sort().join('+'), 'bridge+nft');
  assert.equal(err.failures.length, 2);
  assert.equal(calls.filter((c) => program(c) === 'ip -force -batch -').length, 4, 'the node batch and all three pod sides ran');
  assert.equal(r.lastState, undefined, 'a failed render is not recorded as applied');
});

test('clean-up deletes the nft table and owned objects, never sysctls', async () => {
  const { r, calls } = renderer(synced);
  const rep = await r.cleanup();
  assert.equal(rep.plan.nft, 'delete table ip tf\n');
  assert.deepEqual(rep.plan.ip.sysctl, []);
  assert.deepEqual(calls.map(program).sort(), ['ip -force -batch -', 'nft -f -', 'sh']);
  assert.match(calls[0].argv[calls[0].argv.length - 1], /nft -j list table ip tf/, 'clean-up reads the whole table (an empty table counts too)');
  const { r: r2, calls: c2 } = renderer(fresh);
  assert.equal((await r2.cleanup()).inSync, true);
  assert.deepEqual(c2.map(program), ['sh']);
});

test('operations run one at a time', async () => {
  let active = 0;
  let maxActive = 0;
  const f = fakeRunner();
  const slow: typeof f.runner = async (argv, input) => {
    active++;
    maxActive = Math.max(maxActive, active);
    await new Promise((res) => setImmediate(res));
    active--;
    return argv.includes('sh') ? { stdout: sectionsOutput(synced), stderr: '', code: 0 } : f.runner(argv, input);
  };
  const r = new LinuxRenderer({ netns: 'n', runner: slow, netnsExists: () => true });
  await Promise.all([r.render(loadState()), r.render(loadState()), r.delPod({ tap: 'tapa1' }), r.render(loadState())]);
  assert.equal(maxActive, 1);
});

test('ADD checks the node sysctls and reads the nft table once, then takes one process per pod', async () => {
  const { r, calls } = renderer(synced, (argv) => (argv.includes('-n') && argv.includes('sysctl') ? { stdout: '1\n0\n0\n0\n' } : undefined));
  const st = loadState();
  await r.addPod(st.interfaces[0], st.vrfs[0]);
  await r.addPod(st.interfaces[1], st.vrfs[0], { addressGroups: st.addressGroups });
  assert.deepEqual(calls.map(program), [
    'sysctl -n net.ipv4.ip_forward net.ipv4.conf.all.rp_filter net.ipv4.conf.default.rp_filter net.ipv4.fib_multipath_hash_policy',
    'sysctl -q -w net.ipv4.fib_multipath_hash_policy=1',
    'sh',
    'sh',
    'sh',
  ]);
  assert.match(calls[2].argv[calls[2].argv.length - 1], /nft -j list maps ip/);
  assert.match(calls[3].argv[calls[3].argv.length - 1], /mtu 1450 type veth/, 'MTU defaults to 1500 − 50 before any render');
  assert.doesNotMatch(calls[4].argv[calls[4].argv.length - 1], /nft -f/, 'the table already holds tapa2 in its policy map: no nft');
});

const script = (c: { argv: readonly string[] }): string => c.argv[c.argv.length - 1];

test('ADD with a policy: one transaction alongside the node side, before the pod side, in the same process', async () => {
  const { r, calls } = renderer(fresh);
  const st = loadState();
  const res = await r.addPod(st.interfaces[1], st.vrfs[0], { addressGroups: st.addressGroups });
  assert.equal(res.policy, 'installed');
  const sh = script(calls[calls.length - 1]);
  const nftAt = sh.indexOf("nft -f - <<'TF_BATCH_0' &");
  const waitAt = sh.indexOf('wait $tf_bg || exit 10');
  const podAt = sh.indexOf('addr add 10.47.255.250/12');
  assert.ok(nftAt >= 0 && waitAt > nftAt && podAt > waitAt, sh);
  assert.match(sh, /add element ip tf tf_ingress \{ "tapa2" : jump tf_sg_98dc90141d84 \}/);
  assert.match(sh, /add element ip tf tf_g_8000001 \{ 10\.47\.255\.250, 10\.47\.255\.251, 10\.47\.255\.252 \}/);
  // The next ADD of a pod with the same policy adds its map element only, without reading again.
  const n = calls.length;
  await r.addPod({ ...st.interfaces[1], tap: 'tapa9', ip: '10.47.0.9', mac: '02:aa:00:00:00:09' }, st.vrfs[0], { addressGroups: st.addressGroups });
  assert.equal(calls.length, n + 1);
  assert.match(script(calls[n]), /^nft -f - <<'TF_BATCH_0' &\nadd element ip tf tf_ingress \{ "tapa9" : jump tf_sg_98dc90141d84 \}\nTF_BATCH_0\n/);
  await assert.rejects(r.addPod(st.interfaces[1], st.vrfs[0]), { code: 'DATAPATH_INVALID_MODEL' }, 'a policy naming a group that is not given');
});

test('ADD whose policy transaction fails: the interface is plumbed fail-closed (all its traffic dropped until the next render)', async () => {
  let chains = 0;
  const f = fakeRunner((argv) => {
    if (argv.includes('sh') && script({ argv }).includes('TF_BATCH')) return chains++ === 0 ? { code: 10, stderr: '/dev/stdin:3:1-2: Error: Could not process rule: File exists\n' } : undefined;
    if (argv.includes('sh')) return { stdout: sectionsOutput(fresh) };
    return undefined;
  });
  const r2 = new LinuxRenderer({ netns: 'node-a', runner: f.runner, netnsExists: () => true });
  const st = loadState();
  const res = await r2.addPod(st.interfaces[1], st.vrfs[0], { addressGroups: st.addressGroups });
  assert.equal(res.policy, 'fail-closed');
  const nft = f.calls.find((c) => program(c) === 'nft -f -')!;
  assert.equal(nft.input, 'add table ip tf\nadd chain ip tf tf_forward { type filter hook forward priority filter; policy accept; }\nadd rule ip tf tf_forward iifname "tapa2" drop\nadd rule ip tf tf_forward oifname "tapa2" drop\n');
  const last = script(f.calls[f.calls.length - 1]);
  assert.doesNotMatch(last, /nft -f/);
  assert.match(last, /^nsenter --net='\/run\/netns\/capturepod2' ip -batch - <<'TF_BATCH_0'/, 'the node side was in place: the pod side alone');
  // The view is unknown after a failure: the next ADD reads the table again.
  const before = f.calls.length;
  await r2.addPod(st.interfaces[0], st.vrfs[0]);
  assert.match(script(f.calls[before]), /nft -j list maps ip/);
});

test('a render whose state predates an ADD keeps the ADDed interface and its policy; a later state decides', async () => {
  const { r } = renderer(synced);
  const st = loadState();
  const extra: LocalInterface = { ...st.interfaces[1], tap: 'tapa9', ip: '10.47.0.9', mac: '02:aa:00:00:00:09', netns: 'pod9' };
  await r.addPod(extra, st.vrfs[0], { addressGroups: st.addressGroups });
  const stale = await r.render(loadState());
  assert.ok(!stale.plan.ip.ip.some((l) => l.includes('link del dev tapa9')));
  assert.ok(stale.plan.ruleset!.sets.find((x) => x.name === 'tf_ingress')!.elements.includes('"tapa9" : jump tf_sg_98dc90141d84'));
  assert.ok(r.lastState!.interfaces.some((f) => f.tap === 'tapa9'));
  // Once a state names it, it is the agent's again: a state without it removes it.
  await r.render({ ...loadState(), interfaces: [...loadState().interfaces, extra] });
  const later = await r.render(loadState());
  assert.ok(!later.plan.ruleset!.sets.find((x) => x.name === 'tf_ingress')!.elements.some((e) => e.includes('tapa9')));
  assert.ok(!r.lastState!.interfaces.some((f) => f.tap === 'tapa9'));
  // DEL forgets an ADDed interface too.
  await r.addPod(extra, st.vrfs[0], { addressGroups: st.addressGroups });
  await r.delPod({ tap: 'tapa9', ip: extra.ip });
  await r.render(loadState());
  assert.ok(!r.lastState!.interfaces.some((f) => f.tap === 'tapa9'));
  // An ADDed interface that conflicts with the state (its address now taken) is dropped, the state rendered as given.
  await r.addPod({ ...extra, ip: st.interfaces[0].ip }, st.vrfs[0], { addressGroups: st.addressGroups });
  await r.render(loadState());
  assert.deepEqual(r.lastState, loadState());
});
