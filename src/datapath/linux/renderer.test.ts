import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { LinuxRenderer } from './renderer.js';
import { DatapathApplyError } from '../errors.js';
import type { NodeState } from '../model.js';
import { fakeRunner, program, sectionsOutput, type Reply } from '../../../test/support/datapath-fake.js';

const dir = new URL('./testdata/', import.meta.url);
const loadState = (): NodeState => JSON.parse(readFileSync(new URL('node-a.state.json', dir), 'utf8')) as NodeState;
const synced = JSON.parse(readFileSync(new URL('node-a.json', dir), 'utf8')) as Record<string, string | null>;
const links = JSON.parse(synced.links!) as { ifname: string }[];
const fresh: Record<string, string | null> = {
  ...synced,
  links: JSON.stringify(links.filter((l) => ['lo', 'ulA', 'ulpeer'].includes(l.ifname))),
  routes: '[]',
  rules: '[]',
  neigh: '[]',
  fdb: '[]',
  nft: null,
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

test('from a fresh namespace: sysctl first, then ip ∥ nft, then bridge ∥ pod sides', async () => {
  const { r, calls } = renderer(fresh);
  const rep = await r.render(loadState());
  assert.equal(rep.inSync, false);
  const order = calls.map(program);
  assert.equal(order[0], 'sh');
  assert.match(order[1], /^sysctl -q -w net\.ipv4\.ip_forward=1/);
  assert.deepEqual(order.slice(2, 4).sort(), ['ip -force -batch -', 'nft -f -']);
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

test('ADD checks the node sysctls once, then takes one process per pod', async () => {
  const { r, calls } = renderer(synced, (argv) => (argv.includes('-n') && argv.includes('sysctl') ? { stdout: '1\n0\n0\n0\n' } : undefined));
  const st = loadState();
  await r.addPod(st.interfaces[0], st.vrfs[0]);
  await r.addPod(st.interfaces[1], st.vrfs[0]);
  assert.deepEqual(calls.map(program), [
    'sysctl -n net.ipv4.ip_forward net.ipv4.conf.all.rp_filter net.ipv4.conf.default.rp_filter net.ipv4.fib_multipath_hash_policy',
    'sysctl -q -w net.ipv4.fib_multipath_hash_policy=1',
    'sh',
    'sh',
  ]);
  assert.match(calls[2].argv[calls[2].argv.length - 1], /mtu 1450 type veth/, 'MTU defaults to 1500 − 50 before any render');
});
