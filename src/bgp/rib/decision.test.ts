import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttrPool } from './attr-pool.js';
import { SourceRegistry, type SourceInput } from './sources.js';
import {
  byAsPathLength, byClusterListLength, byIgpCost, byLocalPref, byMed, byOrigin, byPathId, byPeerAddress, byPeerType,
  byRouterId, decide, effectiveLocalPref, type Candidate,
} from './decision.js';
import type { PathAttributes } from '../wire/attributes.js';

const pool = new AttrPool();
const sources = new SourceRegistry({ routerId: '192.0.2.254' });
const ibgp = (address: string, routerId = address): SourceInput => ({ kind: 'ibgp', name: address, address, routerId, asn: 64512, rrClient: false });
let ref = 0;
function cand(a: Partial<PathAttributes>, src: SourceInput = ibgp('192.0.2.1'), extra: Partial<Candidate> = {}): Candidate {
  const id = pool.intern({ origin: 'igp', asPath: [], nextHop: '192.0.2.1', ...a });
  return { ref: ref++, entry: pool.get(id), source: sources.add(src), pathId: 0, igpCost: 0, ...extra };
}
const refs = (c: readonly Candidate[]) => c.map((x) => x.ref);

test('local-pref: highest wins; a value from an eBGP peer counts as 100', () => {
  const a = cand({ localPref: 200 });
  const b = cand({ localPref: 100 });
  assert.deepEqual(refs(byLocalPref([a, b])), [a.ref]);
  const e = cand({ localPref: 300 }, { ...ibgp('192.0.2.9'), kind: 'ebgp', asn: 65000 });
  assert.equal(effectiveLocalPref(e), 100);
  assert.deepEqual(refs(byLocalPref([e, b])), [e.ref, b.ref]);
});

test('AS path length: shorter wins, an AS_SET counts as one', () => {
  const a = cand({ asPath: [{ type: 'sequence', asns: [1, 2] }] });
  const b = cand({ asPath: [{ type: 'sequence', asns: [1] }, { type: 'set', asns: [5, 6, 7] }] });
  const c = cand({ asPath: [{ type: 'sequence', asns: [1, 2, 3] }] });
  assert.deepEqual(refs(byAsPathLength([a, b, c])), [a.ref, b.ref]);
});

test('origin: IGP < EGP < incomplete', () => {
  const a = cand({ origin: 'incomplete' });
  const b = cand({ origin: 'egp' });
  assert.deepEqual(refs(byOrigin([a, b])), [b.ref]);
});

test('MED is compared only between paths from the same neighbour AS unless always-compare is set', () => {
  const a1 = cand({ asPath: [{ type: 'sequence', asns: [65001] }], med: 50 });
  const a2 = cand({ asPath: [{ type: 'sequence', asns: [65001] }], med: 10 });
  const b1 = cand({ asPath: [{ type: 'sequence', asns: [65002] }], med: 100 });
  assert.deepEqual(refs(byMed([a1, a2, b1])), [a2.ref, b1.ref]);
  assert.deepEqual(refs(byMed([a1, a2, b1], true)), [a2.ref]);
  const none = cand({ asPath: [{ type: 'sequence', asns: [65001] }] });
  assert.deepEqual(refs(byMed([a2, none])), [none.ref], 'a missing MED counts as 0');
});

test('eBGP and local paths over iBGP paths', () => {
  const i = cand({});
  const e = cand({}, { ...ibgp('192.0.2.7'), kind: 'ebgp', asn: 65000 });
  assert.deepEqual(refs(byPeerType([i, e])), [e.ref]);
});

test('IGP cost, cluster list, router id (originator id first), peer address, path id', () => {
  const near = cand({}, ibgp('192.0.2.1'), { igpCost: 1 });
  const far = cand({}, ibgp('192.0.2.2'), { igpCost: 5 });
  assert.deepEqual(refs(byIgpCost([far, near])), [near.ref]);
  const short = cand({ clusterList: ['1.1.1.1'] });
  const long = cand({ clusterList: ['1.1.1.1', '2.2.2.2'] });
  assert.deepEqual(refs(byClusterListLength([long, short])), [short.ref]);
  const r1 = cand({}, ibgp('192.0.2.5', '10.0.0.9'));
  const r2 = cand({ originatorId: '10.0.0.1' }, ibgp('192.0.2.6', '10.0.0.50'));
  assert.deepEqual(refs(byRouterId([r1, r2])), [r2.ref]);
  const p1 = cand({}, ibgp('192.0.2.10', '9.9.9.9'));
  const p2 = cand({}, ibgp('192.0.2.9', '9.9.9.9'));
  assert.deepEqual(refs(byPeerAddress([p1, p2])), [p2.ref]);
  const s = sources.add(ibgp('192.0.2.11'));
  const id = pool.intern({ origin: 'igp', asPath: [], nextHop: '192.0.2.1' });
  const x: Candidate = { ref: 900, entry: pool.get(id), source: s, pathId: 7, igpCost: 0 };
  const y: Candidate = { ...x, ref: 901, pathId: 3 };
  assert.deepEqual(refs(byPathId([x, y])), [901]);
});

test('decide records the step that left one path and builds the ECMP set', () => {
  const a = cand({ localPref: 100 }, ibgp('192.0.2.20'));
  const b = cand({ localPref: 200 }, ibgp('192.0.2.21'));
  const r = decide([a, b], { maxPaths: 4 });
  assert.equal(r.step, 'local-pref');
  assert.deepEqual(refs(r.order), [b.ref, a.ref]);
  assert.equal(r.ecmpCount, 1);

  const c = cand({ localPref: 200 }, ibgp('192.0.2.23', '10.0.0.3'));
  const d = cand({ localPref: 200 }, ibgp('192.0.2.22', '10.0.0.2'));
  const m = decide([c, d, a], { maxPaths: 4 });
  assert.equal(m.ecmpCount, 2);
  assert.equal(m.step, 'router-id');
  assert.deepEqual(refs(m.order), [d.ref, c.ref, a.ref]);
  assert.equal(decide([c, d], { maxPaths: 1 }).ecmpCount, 1);
  assert.equal(decide([c], { maxPaths: 1 }).step, 'only-path');
  assert.equal(decide([], { maxPaths: 1 }).ecmpCount, 0);
});
