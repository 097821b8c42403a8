import assert from 'node:assert/strict';
import { test } from 'node:test';
import { protocolToAcl } from './protocols.js';
import { inRange, lowestFree, parseRt, rtName, rtRange } from './route-target.js';

test('route target ranges follow the ASN size', () => {
  assert.deepEqual(rtRange(64512), { min: 8_000_001, max: 16_777_215 });
  assert.deepEqual(rtRange(4_200_000_000), { min: 8001, max: 32767 });
  assert.equal(rtName(64512, 8_000_001), 'target:64512:8000001');
  assert.deepEqual(parseRt('target:64512:8000001'), { asn: 64512, n: 8_000_001 });
  assert.equal(parseRt('target:10.0.0.1:5'), undefined);
  assert.ok(inRange('target:64512:8000001', 64512));
  assert.ok(!inRange('target:64512:100', 64512), 'user numbers below the range are not ours');
  assert.ok(!inRange('target:64513:8000001', 64512), 'another ASN is out of range');
});

test('lowestFree returns the first gap, so freed numbers are reused', () => {
  assert.equal(lowestFree(64512, new Set()), 8_000_001);
  assert.equal(lowestFree(64512, new Set([8_000_001, 8_000_002, 8_000_004])), 8_000_003);
  const full = new Set<number>();
  for (let n = 8001; n <= 32767; n++) full.add(n);
  assert.equal(lowestFree(4_200_000_000, full), undefined);
});

test('protocol names become numbers; icmp means ICMPv6 for IPv6 rules; unknown names are refused', () => {
  assert.equal(protocolToAcl('any', 'IPv4'), 'any');
  assert.equal(protocolToAcl(undefined, undefined), 'any');
  assert.equal(protocolToAcl('tcp', 'IPv4'), '6');
  assert.equal(protocolToAcl('UDP', null), '17');
  assert.equal(protocolToAcl('icmp', 'IPv4'), '1');
  assert.equal(protocolToAcl('icmp', 'IPv6'), '58');
  assert.equal(protocolToAcl('sctp', 'IPv4'), '132');
  assert.equal(protocolToAcl('6', 'IPv4'), '6');
  assert.equal(protocolToAcl('300', 'IPv4'), undefined);
  assert.equal(protocolToAcl('bogus', 'IPv4'), undefined);
});
