import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyNodeState, isRemoteNextHop, vxlanDeviceName, vxlanMac } from './model.js';
import { validateNodeState } from './validate.js';

test('VXLAN device MACs derive from (node address, VNI): unicast, locally administered, distinct per node', () => {
  assert.equal(vxlanMac('192.168.77.1', 5001), '02:89:c0:a8:4d:01');
  assert.equal(vxlanMac('10.0.0.2', 5), '02:05:0a:00:00:02');
  assert.notEqual(vxlanMac('10.0.0.2', 5), vxlanMac('10.0.0.3', 5));
  const first = parseInt(vxlanMac('255.255.255.255', 0xffffff).slice(0, 2), 16);
  assert.equal(first & 1, 0, 'unicast');
  assert.equal(first & 2, 2, 'locally administered');
  assert.equal(vxlanDeviceName(16777215), 'vx16777215');
  assert.ok(vxlanDeviceName(16777215).length <= 15);
});

test('the empty node state is valid, and next hops are told apart by shape', () => {
  assert.doesNotThrow(() => validateNodeState(emptyNodeState()));
  assert.equal(isRemoteNextHop({ node: '10.0.0.1', vni: 5 }), true);
  assert.equal(isRemoteNextHop({ interface: 'tap1' }), false);
  assert.deepEqual(JSON.parse(JSON.stringify(emptyNodeState())), emptyNodeState(), 'plain JSON data');
});
