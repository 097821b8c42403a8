import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttrPool } from './attr-pool.js';
import { LOCAL_SOURCE, SourceRegistry } from './sources.js';
import { RouteTable, type RouteChange } from './table.js';
import type { Nlri } from '../wire/nlri.js';
import type { PathAttributes } from '../wire/attributes.js';

function setup(opts: Partial<ConstructorParameters<typeof RouteTable>[0]> = {}) {
  const pool = new AttrPool();
  const sources = new SourceRegistry({ routerId: '192.0.2.254' });
  const a = sources.add({ kind: 'ibgp', name: 'a', address: '192.0.2.1', routerId: '192.0.2.1', asn: 64512, rrClient: false });
  const b = sources.add({ kind: 'ibgp', name: 'b', address: '192.0.2.2', routerId: '192.0.2.2', asn: 64512, rrClient: false });
  let now = 1000;
  const t = new RouteTable({ name: 'bgp.l3vpn.0', family: 'inet-vpn', pool, sources, autoFlush: false, now: () => now, ...opts });
  const changes: RouteChange[] = [];
  t.subscribe((c) => {
    for (const x of c) changes.push(x);
  });
  return { t, pool, a: a.id, b: b.id, changes, tick: () => (now += 1000) };
}
const vpn = (prefix: string, rd = '64512:1'): Nlri => ({ family: 'inet-vpn', rd, prefix });
const attrs = (x: Partial<PathAttributes> = {}): PathAttributes => ({ origin: 'igp', asPath: [], nextHop: '192.0.2.1', ...x });

test('upsert adds, replaces and ignores repeats; withdraw removes; diffs say what changed', () => {
  const { t, a, changes } = setup();
  assert.equal(t.upsert(vpn('10.0.0.0/24'), { source: a, attrs: attrs(), labels: [16] }), 'added');
  assert.equal(t.upsert(vpn('10.0.0.0/24'), { source: a, attrs: attrs(), labels: [16] }), 'unchanged');
  t.flush();
  assert.equal(changes.length, 1);
  assert.equal(changes[0].previous.length, 0);
  assert.equal(changes[0].best?.label, 16);
  assert.deepEqual(changes[0].nlri, vpn('10.0.0.0/24'));
  assert.equal(t.upsert(vpn('10.0.0.0/24'), { source: a, attrs: attrs({ localPref: 300 }), labels: [16] }), 'replaced');
  t.flush();
  assert.equal(changes.length, 2);
  assert.equal(changes[1].previous[0].attrs.localPref, undefined);
  assert.equal(changes[1].best?.attrs.localPref, 300);
  assert.equal(t.withdraw(vpn('10.0.0.0/24'), a), true);
  assert.equal(t.withdraw(vpn('10.0.0.0/24'), a), false);
  t.flush();
  assert.equal(changes.length, 3);
  assert.equal(changes[2].best, undefined);
  assert.equal(t.size, 0);
  assert.equal(t.get(vpn('10.0.0.0/24')), undefined);
});

test('a change and its undo within one batch publish nothing', () => {
  const { t, a, changes } = setup();
  t.upsert(vpn('10.0.0.0/24'), { source: a, attrs: attrs() });
  t.flush();
  t.upsert(vpn('10.0.0.0/24'), { source: a, attrs: attrs({ med: 5 }) });
  t.upsert(vpn('10.0.0.0/24'), { source: a, attrs: attrs() });
  t.flush();
  assert.equal(changes.length, 1);
});

test('best path across sources, with the deciding step, and a losing path change publishes nothing', () => {
  const { t, a, b, changes } = setup();
  t.upsert(vpn('10.0.0.0/24'), { source: a, attrs: attrs({ localPref: 100 }) });
  t.upsert(vpn('10.0.0.0/24'), { source: b, attrs: attrs({ localPref: 200 }) });
  t.flush();
  const r = t.get(vpn('10.0.0.0/24'))!;
  assert.equal(r.paths.length, 2);
  assert.equal(r.paths[0].source, b);
  assert.equal(r.reason, 'local-pref');
  t.upsert(vpn('10.0.0.0/24'), { source: a, attrs: attrs({ localPref: 150 }) });
  t.flush();
  assert.equal(changes.length, 1, 'only the first batch changed the best path');
  t.withdraw(vpn('10.0.0.0/24'), b);
  t.flush();
  assert.equal(changes.at(-1)?.best?.source, a);
  assert.equal(changes.at(-1)?.previous[0].source, b);
});

test('ECMP sets hold equal paths up to the IGP-cost step', () => {
  const { t, a, b, changes } = setup({ maxPaths: 8 });
  t.upsert(vpn('10.0.0.0/24'), { source: a, attrs: attrs({ nextHop: '192.0.2.1' }) });
  t.upsert(vpn('10.0.0.0/24'), { source: b, attrs: attrs({ nextHop: '192.0.2.2' }) });
  t.upsert(vpn('10.0.0.0/24'), { source: LOCAL_SOURCE, pathId: 9, attrs: attrs({ nextHop: '192.0.2.3', localPref: 50 }) });
  t.flush();
  assert.equal(changes[0].ecmp.length, 2);
  assert.deepEqual(changes[0].ecmp.map((p) => p.attrs.nextHop), ['192.0.2.1', '192.0.2.2']);
  assert.equal(t.get(vpn('10.0.0.0/24'))!.ecmpCount, 2);
});

test('one source can hold several paths for a destination (path ids)', () => {
  const { t, a } = setup({ maxPaths: 4 });
  t.upsert(vpn('10.0.0.0/24'), { source: a, pathId: 1, attrs: attrs({ nextHop: '192.0.2.10' }) });
  t.upsert(vpn('10.0.0.0/24'), { source: a, pathId: 2, attrs: attrs({ nextHop: '192.0.2.11' }) });
  assert.equal(t.get(vpn('10.0.0.0/24'))!.paths.length, 2);
  assert.equal(t.countBySource(a), 2);
  assert.deepEqual([...t.pathsOf(a)].map((x) => x.path.pathId).sort(), [1, 2]);
  t.withdraw(vpn('10.0.0.0/24'), a, 1);
  assert.equal(t.get(vpn('10.0.0.0/24'))!.paths[0].pathId, 2);
});

test('graceful restart: stale paths survive until swept; a refresh clears the mark', () => {
  const { t, a, b } = setup();
  t.upsert(vpn('10.0.0.0/24'), { source: a, attrs: attrs() });
  t.upsert(vpn('10.0.1.0/24'), { source: a, attrs: attrs() });
  t.upsert(vpn('10.0.2.0/24'), { source: b, attrs: attrs() });
  assert.equal(t.markStale(a), 2);
  assert.equal(t.get(vpn('10.0.0.0/24'))!.paths[0].stale, true);
  assert.equal(t.upsert(vpn('10.0.0.0/24'), { source: a, attrs: attrs() }), 'unchanged');
  assert.equal(t.get(vpn('10.0.0.0/24'))!.paths[0].stale, false);
  assert.equal(t.sweepStale(a), 1);
  t.flush();
  assert.equal(t.size, 2);
  assert.equal(t.removeSource(b), 1);
  t.flush();
  assert.deepEqual([...t.routes()].map((r) => r.nlri), [vpn('10.0.0.0/24')]);
});

test('attribute sets are shared and freed with their last path', () => {
  const { t, pool, a } = setup();
  for (let i = 0; i < 100; i++) t.upsert(vpn(`10.0.${i}.0/24`), { source: a, attrs: attrs({ extCommunities: [`target:64512:${i % 3}`] }) });
  assert.equal(pool.size, 3);
  for (let i = 0; i < 100; i++) t.withdraw(vpn(`10.0.${i}.0/24`), a);
  t.flush();
  assert.equal(pool.size, 0);
});

test('an IGP hook makes paths to unreachable next hops infeasible and prefers the nearer one', () => {
  const costs: Record<string, number> = { '192.0.2.1': 10, '192.0.2.2': 5 };
  const { t, a, b } = setup({ igpCost: (nh) => (nh === undefined ? undefined : costs[nh]), maxPaths: 4 });
  t.upsert(vpn('10.0.0.0/24'), { source: a, attrs: attrs({ nextHop: '192.0.2.1' }) });
  t.upsert(vpn('10.0.0.0/24'), { source: b, attrs: attrs({ nextHop: '192.0.2.2' }) });
  t.upsert(vpn('10.0.0.0/24'), { source: LOCAL_SOURCE, attrs: attrs({ nextHop: '192.0.2.99' }) });
  const r = t.get(vpn('10.0.0.0/24'))!;
  assert.equal(r.paths[0].source, b);
  assert.equal(r.reason, 'igp-cost');
  assert.equal(r.paths.filter((p) => !p.feasible).length, 1);
});

test('EVPN paths keep their full NLRI; wrong-family routes are refused', () => {
  const pool = new AttrPool();
  const sources = new SourceRegistry();
  const t = new RouteTable({ name: 'bgp.evpn.0', family: 'e-vpn', pool, sources, autoFlush: false });
  const n: Nlri = { family: 'e-vpn', routeType: 2, rd: '64512:1', esi: '0102030405060708090a', ethTag: 0, mac: '02:00:00:00:00:01', ip: '10.0.0.1' };
  t.upsert(n, { source: LOCAL_SOURCE, attrs: attrs(), labels: [5000] });
  const r = t.get(n)!;
  assert.equal(r.paths[0].label, 5000);
  assert.deepEqual(r.paths[0].fullNlri, n);
  assert.throws(() => t.upsert(vpn('10.0.0.0/24'), { source: LOCAL_SOURCE, attrs: attrs() }), RangeError);
});

test('autoFlush publishes once per microtask batch', async () => {
  const { t, a, changes } = setup({ autoFlush: true });
  for (let i = 0; i < 10; i++) t.upsert(vpn(`10.1.${i}.0/24`), { source: a, attrs: attrs() });
  assert.equal(changes.length, 0);
  await Promise.resolve();
  assert.equal(changes.length, 10);
});

test('a table past the resizable-array threshold keeps every route (arrays grown in place)', () => {
  const { t, a } = setup();
  const n = 150_000;
  const id = t.pool.intern(attrs());
  for (let i = 0; i < n; i++) t.upsert(vpn(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32`), { source: a, attrs: id, labels: [i & 0xfffff] });
  t.flush();
  assert.equal(t.size, n);
  for (const i of [0, 65535, 65536, 99_999, n - 1]) {
    assert.equal(t.get(vpn(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32`))?.paths[0].label, i & 0xfffff);
  }
  assert.equal(t.removeSource(a), n);
  t.flush();
  assert.equal(t.size, 0);
});
