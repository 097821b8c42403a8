// Invalid ControlNode options are refused with CONTROL_BAD_OPTION before anything is created.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlNode, type ControlNodeOptions } from './control-node.js';

const ok: ControlNodeOptions = { configApi: 'http://127.0.0.1:1', name: 'cn1', routerId: '10.0.0.1', bgpAddress: '10.0.0.1', introspectPort: false };

test('bad options are refused with CONTROL_BAD_OPTION naming the option', () => {
  const bad: [Partial<ControlNodeOptions>, string][] = [
    [{ name: 'a:b' }, 'name'],
    [{ routerId: '0.0.0.0' }, 'routerId'],
    [{ bgpAddress: 'nowhere' }, 'bgpAddress'],
    [{ bgpPort: 70000 }, 'bgpPort'],
    [{ holdTime: 2 }, 'holdTime'],
    [{ grPeerWaitTime: -1 }, 'grPeerWaitTime'],
    [{ grPeerWaitTime: 1.5 }, 'grPeerWaitTime'],
  ];
  for (const [patch, field] of bad) {
    assert.throws(() => new ControlNode({ ...ok, ...patch }), (err: { code?: string; message?: string }) => err.code === 'CONTROL_BAD_OPTION' && (err.message ?? '').includes(field), field);
  }
});
