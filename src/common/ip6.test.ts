import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIpv6, parseAnyCidr, parseCidr6, parseIpv6, subtractAnyCidrs } from './ip6.js';

test('parses and formats IPv6 addresses canonically', () => {
  for (const [input, canonical] of [
    ['::', '::'],
    ['::1', '::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:1:0:0:0:0', '2001:db8:0:1::'],
    ['fe80::1:0:0:1', 'fe80::1:0:0:1'],
    ['::ffff:10.1.2.3', '::ffff:a01:203'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ]) {
    assert.equal(formatIpv6(parseIpv6(input)), canonical, input);
  }
  for (const bad of ['1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', 'g::', '1:2:3']) assert.throws(() => parseIpv6(bad), RangeError, bad);
  assert.throws(() => parseCidr6('2001:db8::1/64'), /host bits/);
});

test('subtracts except blocks exactly in both families', () => {
  assert.deepEqual(
    subtractAnyCidrs('2001:db8::/32', ['2001:db8::/34']).map((c) => `${c.prefix}/${c.len}`),
    ['2001:db8:4000::/34', '2001:db8:8000::/33'],
  );
  assert.deepEqual(
    subtractAnyCidrs('172.17.0.0/16', ['172.17.1.0/24']).map((c) => `${c.prefix}/${c.len}`),
    ['172.17.0.0/24', '172.17.2.0/23', '172.17.4.0/22', '172.17.8.0/21', '172.17.16.0/20', '172.17.32.0/19', '172.17.64.0/18', '172.17.128.0/17'],
  );
  assert.deepEqual(subtractAnyCidrs('::/0', ['::/0']), []);
  assert.deepEqual(parseAnyCidr('0.0.0.0/0'), { family: 4, prefix: '0.0.0.0', len: 0 });
  assert.deepEqual(parseAnyCidr('::/0'), { family: 6, prefix: '::', len: 0 });
});
