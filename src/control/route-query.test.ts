// Route query parsing and prefix matching: every filter checked, bad values are typed errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadQueryError } from './errors.js';
import { parsePrefix, parseRouteQuery, prefixMatches } from './route-query.js';

const q = (s: string) => parseRouteQuery(new URLSearchParams(s));

test('filters parse; aliases of families; defaults', () => {
  const r = q('routing_table=x.inet.0&family=l3vpn&protocol=BGP&source=node-1&count=5');
  assert.equal(r.table, 'x.inet.0');
  assert.equal(r.family, 'inet-vpn');
  assert.equal(r.protocol, 'BGP');
  assert.equal(r.source, 'node-1');
  assert.equal(r.count, 5);
  const d = q('family=all&protocol=all&source=all');
  assert.deepEqual([d.family, d.protocol, d.source, d.count, d.prefix], [undefined, undefined, undefined, 1000, undefined]);
  assert.equal(q('family=rtarget').family, 'route-target');
  assert.equal(q('family=evpn').family, 'e-vpn');
});

test('bad values are BadQueryErrors naming the parameter', () => {
  for (const s of ['family=ipx', 'count=0', 'count=x', 'prefix=10.0.0.0/33', 'prefix=10.0.0/8', 'prefix=1.2.3.4&longer_match=true&shorter_match=true', 'longer_match=maybe']) {
    assert.throws(() => q(s), (e: unknown) => e instanceof BadQueryError && e.code === 'CONTROL_BAD_QUERY' && e.status === 400, s);
  }
});

test('prefix filters: a bare address is a longest match, exact, longer, shorter, text; VPN prefixes match by their IP part', () => {
  const longest = parsePrefix('10.1.2.3', false, false);
  assert.equal(longest.kind, 'longest');
  assert.ok(prefixMatches(longest, '10.1.0.0/16'));
  assert.ok(prefixMatches(longest, '10.1.2.3/32'));
  assert.ok(!prefixMatches(longest, '10.2.0.0/16'));
  assert.ok(prefixMatches(longest, '192.0.2.1:5:10.1.2.0/24'), 'RD ignored');
  const exact = parsePrefix('10.1.0.9/16', false, false);
  assert.ok(prefixMatches(exact, '10.1.0.0/16'), 'host bits cleared');
  assert.ok(!prefixMatches(exact, '10.1.0.0/24'));
  const longer = parsePrefix('10.1.0.0/16', true, false);
  assert.ok(prefixMatches(longer, '10.1.7.0/24') && prefixMatches(longer, '10.1.0.0/16') && !prefixMatches(longer, '10.0.0.0/8'));
  const shorter = parsePrefix('10.1.0.0/16', false, true);
  assert.ok(prefixMatches(shorter, '10.0.0.0/8') && prefixMatches(shorter, '0.0.0.0/0') && !prefixMatches(shorter, '10.1.7.0/24'));
  const text = parsePrefix('target:64512:5', false, false);
  assert.equal(text.kind, 'text');
  assert.ok(prefixMatches(text, '64512:target:64512:5'));
});
