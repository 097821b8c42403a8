import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCidr, formatIpv4, isIpv4, lastAddr, parseCidr, parseIpv4, subtractCidrs } from './ip.js';

test('parses and formats IPv4 addresses', () => {
  assert.equal(formatIpv4(parseIpv4('10.47.255.252')), '10.47.255.252');
  assert.equal(parseIpv4('255.255.255.255'), 0xffffffff);
  for (const bad of ['1.2.3', '256.1.1.1', '01.2.3.4', 'a.b.c.d', '']) assert.equal(isIpv4(bad), false, bad);
  assert.throws(() => parseIpv4('1.2.3.4.5'), RangeError);
});

test('parses CIDRs and rejects host bits', () => {
  const c = parseCidr('10.32.0.0/12');
  assert.equal(formatIpv4(lastAddr(c)), '10.47.255.255');
  assert.throws(() => parseCidr('10.32.0.1/12'), /host bits/);
  assert.equal(formatCidr(parseCidr('10.32.0.1/12', false)), '10.32.0.0/12');
  assert.throws(() => parseCidr('10.0.0.0/33'), RangeError);
});

test('subtracts except blocks exactly', () => {
  const out = subtractCidrs(parseCidr('10.0.0.0/24'), [parseCidr('10.0.0.128/25'), parseCidr('10.0.0.0/26')]);
  assert.deepEqual(out.map(formatCidr), ['10.0.0.64/26']);
  const out2 = subtractCidrs(parseCidr('172.17.0.0/16'), [parseCidr('172.17.1.0/24')]);
  assert.equal(out2.length, 8);
  const covered = out2.reduce((n, c) => n + 2 ** (32 - c.len), 0);
  assert.equal(covered, 65536 - 256);
  assert.deepEqual(subtractCidrs(parseCidr('10.0.0.0/24'), [parseCidr('10.0.0.0/8')]), []);
});
