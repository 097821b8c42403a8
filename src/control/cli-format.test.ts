// `tfctl ctr` text for a known state, line for line: the layouts of seed 001 (ist.py ctr status, nei,
// route summary, route tables, route show).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatNeighbors, formatRouteSummary, formatRouteTables, formatRoutes, formatStatus, pyList } from './cli-format.js';
import type { NeighborView, NodeStatusView, RouteTableView } from './introspect.js';
import type { PathView } from './path-view.js';
import { formatTimestamp } from './time-format.js';

const T0 = Date.UTC(2019, 3, 13, 1, 41, 18, 23);
const NOW = T0 + 146_545;

function path(over: Partial<PathView>): PathView {
  return {
    protocol: 'BGP', source: 'node-1', peer_address: '172.31.41.236', peer_type: 'agent', last_modified: formatTimestamp(T0), last_modified_ms: T0,
    local_preference: 200, med: 0, as_path: 'None', next_hop: '172.31.41.236', label: 25, origin_vn: 'default-domain:k8s-default:k8s-default-pod-network',
    primary: true, primary_table: 't', secondary_tables: ['bgp.l3vpn.0'], communities: ['target:64512:8000002'], tunnel_encap: ['vxlan'], best: true, ecmp: true, stale: false, feasible: true,
    ...over,
  };
}

test('route show: table header, prefixes with age and last_modified, paths as [protocol|source]', () => {
  const tables: RouteTableView[] = [
    {
      routing_instance: 'default-domain:k8s-default:k8s-default-pod-network:k8s-default-pod-network',
      routing_table_name: 'default-domain:k8s-default:k8s-default-pod-network:k8s-default-pod-network.inet.0',
      prefixes: 2, paths: 2, primary_paths: 1, secondary_paths: 1, infeasible_paths: 0, more: false,
      routes: [
        { prefix: '10.47.255.252/32', last_modified: formatTimestamp(T0), last_modified_ms: T0, paths: [path({})] },
        { prefix: '10.96.0.10/32', last_modified: formatTimestamp(T0 + 100_000), last_modified_ms: T0 + 100_000, paths: [path({ source: 'node-2', next_hop: '172.31.41.237', last_modified_ms: T0 + 100_000, tunnel_encap: ['gre', 'udp'], label: 16, primary: false })] },
      ],
    },
    {
      routing_instance: 'default-domain:default-project:ip-fabric:__default__', routing_table_name: 'bgp.rtarget.0',
      prefixes: 1, paths: 1, primary_paths: 1, secondary_paths: 0, infeasible_paths: 0, more: false,
      routes: [{ prefix: '64512:target:64512:8000001', last_modified: formatTimestamp(T0), last_modified_ms: T0, paths: [path({ protocol: 'Local', source: 'None', local_preference: 100, next_hop: '172.31.14.47', label: 0, tunnel_encap: [] })] }],
    },
  ];
  assert.equal(formatRoutes(tables, { now: NOW }), [
    '',
    'default-domain:k8s-default:k8s-default-pod-network:k8s-default-pod-network.inet.0: 2 destinations, 2 routes (1 primary, 1 secondary, 0 infeasible)',
    '',
    '10.47.255.252/32, age: 0:02:26.545000, last_modified: 2019-Apr-13 01:41:18.023000',
    "    [BGP|node-1] age: 0:02:26.545000, localpref: 200, nh: 172.31.41.236, encap: ['vxlan'], label: 25, AS path: None",
    '',
    '10.96.0.10/32, age: 0:00:46.545000, last_modified: 2019-Apr-13 01:42:58.023000',
    "    [BGP|node-2] age: 0:00:46.545000, localpref: 200, nh: 172.31.41.237, encap: ['gre', 'udp'], label: 16, AS path: None",
    '',
    'bgp.rtarget.0: 1 destinations, 1 routes (1 primary, 0 secondary, 0 infeasible)',
    '',
    '64512:target:64512:8000001, age: 0:02:26.545000, last_modified: 2019-Apr-13 01:41:18.023000',
    '    [Local|None] age: 0:02:26.545000, localpref: 100, nh: 172.31.14.47, encap: [], label: 0, AS path: None',
  ].join('\n'));
  const detail = formatRoutes([tables[0]], { now: NOW, detail: true }).split('\n');
  assert.equal(detail[5], "        primary table: t, origin vn: default-domain:k8s-default:k8s-default-pod-network, secondary tables: ['bgp.l3vpn.0']");
  assert.equal(detail[6], "        communities: ['target:64512:8000002']");
});

test('status: module, state, description, connection table', () => {
  const s = {
    module_id: 'contrail-control', state: 'Functional', description: '',
    connections: [{ type: 'ApiServer', name: 'ConfigApi', server_addrs: ['http://127.0.0.1:8082'], status: 'Up', description: 'synced at revision 42' }],
  } as unknown as NodeStatusView;
  assert.equal(formatStatus(s), [
    'module_id: contrail-control',
    'state: Functional',
    'description',
    '+-----------+-----------+-----------------------+--------+-----------------------+',
    '| type      | name      | server_addrs          | status | description           |',
    '+-----------+-----------+-----------------------+--------+-----------------------+',
    '| ApiServer | ConfigApi | http://127.0.0.1:8082 | Up     | synced at revision 42 |',
    '+-----------+-----------+-----------------------+--------+-----------------------+',
  ].join('\n'));
});

test('nei: the columns of ist.py ctr nei', () => {
  const n = { peer: 'ip-172-31-41-236.ap-northeast-1.compute.internal', peer_address: '172.31.41.236', peer_asn: 64512, encoding: 'BGP', peer_type: 'internal', state: 'Established', send_state: 'in sync', flap_count: 0, flap_time: 'n/a' } as NeighborView;
  assert.equal(formatNeighbors([n], { maxWidth: 36 }), [
    '+--------------------------------------+---------------+----------+----------+-----------+-------------+------------+------------+-----------+',
    '| peer                                 | peer_address  | peer_asn | encoding | peer_type | state       | send_state | flap_count | flap_time |',
    '+--------------------------------------+---------------+----------+----------+-----------+-------------+------------+------------+-----------+',
    '| ip-172-31-41-236.ap-                 | 172.31.41.236 | 64512    | BGP      | internal  | Established | in sync    | 0          | n/a       |',
    '| northeast-1.compute.internal         |               |          |          |           |             |            |            |           |',
    '+--------------------------------------+---------------+----------+----------+-----------+-------------+------------+------------+-----------+',
  ].join('\n'));
});

test('route summary and route tables', () => {
  const t = [{ name: 'inet.0', prefixes: 0, paths: 0, primary_paths: 0, secondary_paths: 0, infeasible_paths: 0 }];
  assert.equal(formatRouteSummary(t).split('\n')[3], '| inet.0 | 0        | 0     | 0             | 0               | 0                |');
  assert.equal(formatRouteTables([{ name: 'inet.0' }, { name: 'bgp.l3vpn.0' }]), 'name: inet.0\nname: bgp.l3vpn.0');
  assert.equal(pyList([]), '[]');
});
