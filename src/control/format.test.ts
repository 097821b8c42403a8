// Small pure helpers: the original's timestamps and ages, and the origin-VN community.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAge, formatTimestamp, parseTimestamp } from './time-format.js';
import { originVnCommunity, originVnIndex, parseOriginVn } from './origin-vn.js';
import { parseExtCommunity, formatExtCommunity } from '../bgp/wire/ext-community.js';

test('timestamps as the original prints them, and back', () => {
  const ms = Date.UTC(2019, 3, 13, 1, 41, 18, 23);
  assert.equal(formatTimestamp(ms), '2019-Apr-13 01:41:18.023000');
  assert.equal(parseTimestamp('2019-Apr-13 01:41:18.023000'), ms);
  assert.ok(Number.isNaN(parseTimestamp('yesterday')));
});

test('ages as Python timedelta strings', () => {
  assert.equal(formatAge(146_545.449), '0:02:26.545449');
  assert.equal(formatAge(41_000), '0:00:41');
  assert.equal(formatAge(86_400_000 + 3_723_000), '1 day 1:02:03');
  assert.equal(formatAge(2 * 86_400_000), '2 days 0:00:00');
});

test('origin-VN community: the original encoding (0x80 0x71, 2-byte AS, 4-byte VN index), through the codec', () => {
  const c = originVnCommunity(64512, 5);
  assert.equal(c, 'ext:8071fc0000000005');
  const wire = parseExtCommunity(c);
  assert.deepEqual([...wire], [0x80, 0x71, 0xfc, 0x00, 0, 0, 0, 5]);
  assert.equal(formatExtCommunity(wire), c, 'the codec passes it through unchanged');
  assert.deepEqual(parseOriginVn(c), { asn: 64512, vnIndex: 5 });
  assert.deepEqual(parseOriginVn(originVnCommunity(4200000000, 7)), { asn: 4200000000, vnIndex: 7 });
  assert.equal(originVnIndex(['target:64512:1', 'encapsulation:vxlan', c]), 5);
  assert.equal(originVnIndex(['target:64512:1']), -1);
  assert.equal(parseOriginVn('ext:0102030405060708'), undefined);
});
