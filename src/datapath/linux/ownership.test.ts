import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_OWNERSHIP, resolveOwnership, rulePriorities } from './ownership.js';

test('defaults and rule priorities inside the owned range', () => {
  assert.deepEqual(resolveOwnership(), DEFAULT_OWNERSHIP);
  assert.deepEqual(rulePriorities(DEFAULT_OWNERSHIP), { fipReply: 1000, iif: 1100, to: 1200 });
  assert.deepEqual(rulePriorities(resolveOwnership({ priorityRange: [5000, 5300] })), { fipReply: 5000, iif: 5100, to: 5200 });
});

test('rejects ownership settings that could reach objects of others', () => {
  for (const bad of [
    { tapPrefix: '' },
    { tapPrefix: 'veth-' },
    { tapPrefix: 'vx', vxlanPrefix: 'vx' },
    { tapPrefix: 'vxt' },
    { tableRange: [253, 300] as const },
    { tableRange: [2000, 1000] as const },
    { priorityRange: [0, 300] as const },
    { priorityRange: [1000, 1100] as const },
    { priorityRange: [32700, 32900] as const },
    { nftTable: 'filter table' },
    { fipReplyMark: 3 },
    { snatReplyMark: DEFAULT_OWNERSHIP.fipReplyMark },
  ]) {
    assert.throws(() => resolveOwnership(bad), RangeError, JSON.stringify(bad));
  }
});
