// PrettyTable layout and Python 2.7 textwrap line breaking (ist.py runs on Python 2), checked against the
// ist.py output of seed 001 and against Python 2.7's textwrap rules on the same inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prettyTable, wrap } from './pretty-table.js';

test('wraps as Python 2 textwrap: after hyphens between letters, not before digits; long words broken', () => {
  assert.deepEqual(wrap('ip-172-31-41-236.ap-northeast-1.compute.internal', 36), ['ip-172-31-41-236.ap-', 'northeast-1.compute.internal']);
  assert.deepEqual(wrap('default-domain:default-project:default-virtual-network:default-virtual-network.inet.0', 50), ['default-domain:default-project:default-virtual-', 'network:default-virtual-network.inet.0']);
  assert.deepEqual(wrap('default-domain:k8s-default:k8s-default-pod-network:k8s-default-pod-network.inet.0', 50), ['default-domain:k8s-default:k8s-default-pod-network', ':k8s-default-pod-network.inet.0']);
  assert.deepEqual(wrap('default-domain:default-project:__link_local__:__link_local__.inet.0', 50), ['default-domain:default-', 'project:__link_local__:__link_local__.inet.0']);
  assert.deepEqual(wrap('hello world this is a long--dash text-with-hyphens and aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 12),
    ['hello world', 'this is a', 'long--dash', 'text-with-', 'hyphens and ', 'aaaaaaaaaaaa', 'aaaaaaaaaaaa', 'aaaaaaaaaaaa', 'aaaaaaaaaaaa', 'aaaaaaaaa']);
});

test('the route summary table of seed 001, cell for cell', () => {
  const rows = [
    ['default-domain:default-project:__link_local__:__link_local__.inet.0', 0, 0, 0, 0, 0],
    ['inet.0', 0, 0, 0, 0, 0],
    ['default-domain:k8s-default:k8s-default-pod-network:k8s-default-pod-network.inet.0', 3, 3, 1, 2, 0],
  ];
  const text = prettyTable(['name', 'prefixes', 'paths', 'primary_paths', 'secondary_paths', 'infeasible_paths'], rows, { maxWidth: 50 });
  assert.equal(text, [
    '+----------------------------------------------------+----------+-------+---------------+-----------------+------------------+',
    '| name                                               | prefixes | paths | primary_paths | secondary_paths | infeasible_paths |',
    '+----------------------------------------------------+----------+-------+---------------+-----------------+------------------+',
    '| default-domain:default-                            | 0        | 0     | 0             | 0               | 0                |',
    '| project:__link_local__:__link_local__.inet.0       |          |       |               |                 |                  |',
    '| inet.0                                             | 0        | 0     | 0             | 0               | 0                |',
    '| default-domain:k8s-default:k8s-default-pod-network | 3        | 3     | 1             | 2               | 0                |',
    '| :k8s-default-pod-network.inet.0                    |          |       |               |                 |                  |',
    '+----------------------------------------------------+----------+-------+---------------+-----------------+------------------+',
  ].join('\n'));
});
