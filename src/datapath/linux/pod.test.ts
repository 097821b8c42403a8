import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addPodInterface, deletePodInterface, podHostLines, podProblems, type PodContext, type PodObserved } from './pod.js';
import { resolveOwnership } from './ownership.js';
import type { LocalInterface } from '../model.js';
import { fakeRunner, program, sectionsOutput } from '../../../test/support/datapath-fake.js';

const own = resolveOwnership();
const F: LocalInterface = { tap: 'tap0123', netns: '/var/run/netns/cni-1', ifname: 'eth0', mac: '02:42:0a:2f:ff:fc', ip: '10.47.255.252', plen: 12, gateway: '10.47.255.254', mtu: 1450, vrf: 'v' };

test('ADD is one node-side batch: veth into the pod namespace, neighbour, host route, rules', () => {
  assert.deepEqual(podHostLines(F, 1001, 1450, own), [
    'link add tap0123 address 00:00:5e:00:01:00 mtu 1450 type veth peer name eth0 address 02:42:0a:2f:ff:fc mtu 1450 netns /var/run/netns/cni-1',
    'link set dev tap0123 up',
    'neigh replace 10.47.255.252 lladdr 02:42:0a:2f:ff:fc dev tap0123 nud permanent',
    'route replace 10.47.255.252/32 dev tap0123 table 1001',
    'rule add priority 1100 iif tap0123 lookup 1001',
    'rule add priority 1200 iif lo to 10.47.255.252/32 lookup 1001',
  ]);
});

function ctxWith(reply: Parameters<typeof fakeRunner>[0]) {
  const f = fakeRunner(reply);
  const ctx: PodContext = { runner: f.runner, netns: 'node1', own, netnsExists: () => true };
  return { ctx, calls: f.calls };
}

const RULES = JSON.stringify([
  { priority: 0, src: 'all', table: 'local' },
  { priority: 1100, src: 'all', iif: 'tap0123', table: '1001' },
  { priority: 1200, src: 'all', dst: '10.47.255.252', iif: 'lo', table: '1001' },
  { priority: 1200, src: 'all', dst: '10.47.255.252', iif: 'eth0', table: '1001' },
  { priority: 1100, src: 'all', iif: 'tap9999', table: '1001' },
  { priority: 500, src: 'all', iif: 'tap0123', table: '7' },
]);
const TAP_LINK = JSON.stringify([{ ifname: 'tap0123', mtu: 1450, address: '00:00:5e:00:01:00', flags: ['UP'], link_netnsid: 0, linkinfo: { info_kind: 'veth' } }]);

test('DEL reads, then deletes the tap and exactly its rules in the owned range; nothing to do → no batch', async () => {
  const { ctx, calls } = ctxWith((argv) => (argv.includes('sh') ? { stdout: sectionsOutput({ link: TAP_LINK, rules: RULES }) } : undefined));
  const done = await deletePodInterface(ctx, { tap: 'tap0123', ip: '10.47.255.252' });
  assert.deepEqual(done, [
    'link del dev tap0123',
    'rule del priority 1100 iif tap0123 lookup 1001',
    'rule del priority 1200 iif lo to 10.47.255.252/32 lookup 1001',
    'rule del priority 1200 iif eth0 to 10.47.255.252/32 lookup 1001',
  ]);
  assert.deepEqual(calls.map(program), ['sh', 'ip -force -batch -']);
  assert.equal(calls[1].input, done.join('\n') + '\n');

  const gone = ctxWith((argv) => (argv.includes('sh') ? { stdout: sectionsOutput({ link: null, rules: '[]' }) } : undefined));
  assert.deepEqual(await deletePodInterface(gone.ctx, { tap: 'tap0123' }), []);
  assert.deepEqual(gone.calls.map(program), ['sh']);
  const foreign = ctxWith(() => undefined);
  assert.deepEqual(await deletePodInterface(foreign.ctx, { tap: 'eth0' }), [], 'a name outside the tap prefix is never touched');
  assert.equal(foreign.calls.length, 0);
});

test('ADD chains both batches in one process, retries once after removing a leftover, rolls back a failed pod side', async () => {
  const ok = ctxWith(() => undefined);
  await addPodInterface(ok.ctx, F, { name: 'v', table: 1001, vni: 5 }, 1450);
  assert.equal(ok.calls.length, 1);
  const script = ok.calls[0].argv[ok.calls[0].argv.length - 1];
  assert.deepEqual(ok.calls[0].argv.slice(0, 4), ['nsenter', '--net=/run/netns/node1', 'sh', '-c']);
  assert.equal(
    script,
    [
      "ip -batch - <<'TF_BATCH_0' || exit 10",
      ...podHostLines(F, 1001, 1450, own),
      'TF_BATCH_0',
      "nsenter --net='/var/run/netns/cni-1' ip -batch - <<'TF_BATCH_1' || exit 11",
      'link set dev lo up',
      'addr add 10.47.255.252/12 dev eth0 noprefixroute',
      'link set dev eth0 up',
      'route add 10.47.255.254/32 dev eth0 scope link',
      'route add default via 10.47.255.254 dev eth0',
      'neigh replace 10.47.255.254 lladdr 00:00:5e:00:01:00 dev eth0 nud permanent',
      'TF_BATCH_1',
    ].join('\n'),
  );

  let attempts = 0;
  const isChain = (argv: readonly string[]) => argv.some((a) => a.includes('TF_BATCH_0'));
  const retry = ctxWith((argv) => {
    if (isChain(argv)) return ++attempts === 1 ? { code: 10, stderr: 'RTNETLINK answers: File exists\nCommand failed -:5\n' } : undefined;
    if (argv.includes('sh')) return { stdout: sectionsOutput({ link: TAP_LINK, rules: RULES }) };
    return undefined;
  });
  const res = await addPodInterface(retry.ctx, F, { name: 'v', table: 1001, vni: 5 }, 1450);
  assert.equal(res.replacedStale, true);
  assert.deepEqual(retry.calls.map((c) => (isChain(c.argv) ? 'chain' : program(c))), ['chain', 'sh', 'ip -force -batch -', 'chain']);

  const podFails = ctxWith((argv) => {
    if (isChain(argv)) return { code: 11, stderr: 'RTNETLINK answers: File exists\nCommand failed -:5\n' };
    if (argv.includes('sh')) return { stdout: sectionsOutput({ link: TAP_LINK, rules: RULES }) };
    return undefined;
  });
  await assert.rejects(addPodInterface(podFails.ctx, F, { name: 'v', table: 1001, vni: 5 }, 1450), (e: { code: string; message: string }) => {
    assert.equal(e.code, 'DATAPATH_APPLY_FAILED');
    assert.match(e.message, /route add default via 10\.47\.255\.254/);
    return true;
  });
  assert.deepEqual(podFails.calls.map((c) => (isChain(c.argv) ? 'chain' : program(c))), ['chain', 'sh', 'ip -force -batch -']);
  assert.match(podFails.calls[2].input!, /^link del dev tap0123\n/);

  const fresh = ctxWith((argv) => (isChain(argv) ? { code: 10, stderr: 'Error: bad\nCommand failed -:1\n' } : argv.includes('sh') ? { stdout: sectionsOutput({ link: null, rules: '[]' }) } : undefined));
  await assert.rejects(addPodInterface(fresh.ctx, F, { name: 'v', table: 1001, vni: 5 }, 1450), { code: 'DATAPATH_APPLY_FAILED' });
  assert.equal(fresh.calls.length, 2, 'nothing to remove: no retry');

  const crashed = ctxWith((argv) => (isChain(argv) ? { code: 1, stderr: 'sh: nsenter: not found' } : undefined));
  await assert.rejects(addPodInterface(crashed.ctx, F, { name: 'v', table: 1001, vni: 5 }, 1450), { code: 'DATAPATH_COMMAND_FAILED' });

  const missing: PodContext = { ...retry.ctx, netnsExists: () => false };
  await assert.rejects(addPodInterface(missing, F, { name: 'v', table: 1001, vni: 5 }, 1450), { code: 'DATAPATH_NETNS_MISSING' });
});

test('ADD with a policy transaction: nft alongside the node side, before the pod side; failures of either are handled', async () => {
  const nftLines = ['add element ip tf tf_ingress { "tap0123" : jump tf_sg_1 }'];
  const results: boolean[] = [];
  const nft = { lines: nftLines, filtered: true, failClosed: ['add table ip tf'], onResult: (ok: boolean) => results.push(ok) };
  const isChain = (argv: readonly string[]) => argv.some((a) => a.includes('TF_BATCH_0'));
  const scriptOf = (c: { argv: readonly string[] }) => c.argv[c.argv.length - 1];
  // a leftover tap: the node side fails, the transaction applied; the retry plumbs without nft
  let attempts = 0;
  const c = ctxWith((argv) => {
    if (isChain(argv)) return ++attempts === 1 ? { code: 11, stderr: 'RTNETLINK answers: File exists\nCommand failed -:1\n' } : undefined;
    if (argv.includes('sh')) return { stdout: sectionsOutput({ link: TAP_LINK, rules: RULES }) };
    return undefined;
  });
  const res = await addPodInterface(c.ctx, F, { name: 'v', table: 1001, vni: 5 }, 1450, nft);
  assert.deepEqual(results, [true], 'the transaction applied (the node side failed alongside it)');
  assert.equal(res.replacedStale, true);
  assert.equal(res.policy, 'installed');
  assert.ok(scriptOf(c.calls[0]).startsWith(`nft -f - <<'TF_BATCH_0' &\n${nftLines[0]}\nTF_BATCH_0\ntf_bg=$!\nip -batch - <<'TF_BATCH_1' || { wait $tf_bg || exit 41; exit 11; }\n`), scriptOf(c.calls[0]));
  assert.ok(scriptOf(c.calls[c.calls.length - 1]).startsWith("ip -batch - <<'TF_BATCH_0' || exit 10\nlink add tap0123"));

  // the transaction fails, the node side is in place: fail-closed rules, then the pod side alone
  results.length = 0;
  const f = ctxWith((argv) => (isChain(argv) && scriptOf({ argv }).includes('nft -f') ? { code: 10, stderr: '/dev/stdin:1:1-2: Error: File exists\n' } : undefined));
  const r2 = await addPodInterface(f.ctx, F, { name: 'v', table: 1001, vni: 5 }, 1450, nft);
  assert.equal(r2.policy, 'fail-closed');
  assert.deepEqual(results, [false]);
  assert.deepEqual(f.calls.map((x) => (isChain(x.argv) ? 'chain' : program(x))), ['chain', 'nft -f -', 'chain']);
  assert.equal(f.calls[1].input, 'add table ip tf\n');
  assert.match(scriptOf(f.calls[2]), /^nsenter --net='\/var\/run\/netns\/cni-1' ip -batch - <<'TF_BATCH_0' \|\| exit 10\nlink set dev lo up/);

  // both fail: fail-closed, then the leftover retry
  let n = 0;
  const both = ctxWith((argv) => {
    if (isChain(argv)) return ++n === 1 ? { code: 41, stderr: 'RTNETLINK answers: File exists\nCommand failed -:1\n' } : undefined;
    if (argv.includes('sh')) return { stdout: sectionsOutput({ link: TAP_LINK, rules: RULES }) };
    return undefined;
  });
  const r3 = await addPodInterface(both.ctx, F, { name: 'v', table: 1001, vni: 5 }, 1450, nft);
  assert.deepEqual([r3.policy, r3.replacedStale], ['fail-closed', true]);

  // nothing to filter: no nft batch at all
  const plain = ctxWith(() => undefined);
  const r4 = await addPodInterface(plain.ctx, F, { name: 'v', table: 1001, vni: 5 }, 1450, { lines: [], filtered: false, failClosed: [] });
  assert.equal(r4.policy, 'none');
  assert.doesNotMatch(scriptOf(plain.calls[0]), /nft/);
});

const GOOD: PodObserved = {
  host: {
    link: TAP_LINK,
    neigh: JSON.stringify([{ dst: '10.47.255.252', dev: 'tap0123', lladdr: '02:42:0a:2f:ff:fc', state: ['PERMANENT'] }]),
    routes: JSON.stringify([{ dst: '10.47.255.252', dev: 'tap0123', scope: 'link', flags: [] }]),
    rules: RULES,
  },
  pod: {
    link: JSON.stringify([{ ifname: 'eth0', mtu: 1450, address: '02:42:0a:2f:ff:fc', flags: ['UP'], link_netnsid: 0, linkinfo: { info_kind: 'veth' } }]),
    addr: JSON.stringify([{ ifname: 'eth0', addr_info: [{ family: 'inet', local: '10.47.255.252', prefixlen: 12 }] }]),
    routes: JSON.stringify([{ dst: 'default', gateway: '10.47.255.254', dev: 'eth0', flags: [] }, { dst: '10.47.255.254', dev: 'eth0', scope: 'link', flags: [] }]),
    neigh: JSON.stringify([{ dst: '10.47.255.254', dev: 'eth0', lladdr: '00:00:5e:00:01:00', state: ['PERMANENT'] }]),
  },
};

test('CHECK finds nothing wrong with a correct plumbing and names every difference otherwise', () => {
  assert.deepEqual(podProblems(F, 1001, 1450, own, GOOD), []);
  const bad: PodObserved = structuredClone(GOOD);
  bad.host.link = TAP_LINK.replace('"UP"', '"BROADCAST"').replace('"mtu":1450', '"mtu":1500');
  bad.host.rules = '[]';
  bad.pod!.addr = JSON.stringify([{ ifname: 'eth0', addr_info: [{ family: 'inet', local: '10.47.255.252', prefixlen: 32 }] }]);
  bad.pod!.routes = '[]';
  assert.deepEqual(podProblems(F, 1001, 1450, own, bad), [
    'tap0123 mtu 1500, expected 1450',
    'tap0123 is down',
    'no rule iif tap0123 lookup 1001',
    'no rule iif lo to 10.47.255.252 lookup 1001',
    'eth0 lacks address 10.47.255.252/12 (has 10.47.255.252/32)',
    'pod default route is not via 10.47.255.254',
    'pod has no route to its gateway 10.47.255.254',
  ]);
  assert.deepEqual(podProblems(F, 1001, 1450, own, { host: { link: null, neigh: '[]', routes: '[]', rules: '[]' }, pod: null }), [
    'host interface tap0123 does not exist',
    'no permanent neighbour 10.47.255.252 → 02:42:0a:2f:ff:fc on tap0123',
    'no route 10.47.255.252/32 dev tap0123 in table 1001',
    'no rule iif tap0123 lookup 1001',
    'no rule iif lo to 10.47.255.252 lookup 1001',
    'pod network namespace /var/run/netns/cni-1 does not exist',
  ]);
});
