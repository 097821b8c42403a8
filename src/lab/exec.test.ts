import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../cli/command.js';
import { targetNetns } from './exec.js';

test('exec targets map to the lab namespaces; anything else is a pod', () => {
  assert.equal(targetNetns('tfl-', 'external'), 'tfl-ext');
  assert.equal(targetNetns('tfl-', 'gateway'), 'tfl-gw');
  assert.equal(targetNetns('tfl-', 'fabric'), 'tfl-fabric');
  assert.equal(targetNetns('x-', 'node/node2'), 'x-node2');
  assert.equal(targetNetns('x-', 'node/2'), 'x-node2');
  assert.equal(targetNetns('x-', 'control/control1'), 'x-ctl1');
  assert.equal(targetNetns('tfl-', 'default/cirros-1'), undefined);
  assert.equal(targetNetns('tfl-', 'nginx-1'), undefined);
  assert.throws(() => targetNetns('tfl-', 'node/worker'), UsageError);
});
