import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentOptionError } from './errors.js';
import { checkIp, checkNodeName, checkSocketPath, parseControls, parseEndpoint } from './options.js';
import { sgCommunity, sgIdsOf } from './communities.js';
import { formatInterfaces, formatRoutes, formatVrfs } from './cli-format.js';

test('control nodes: ip[:port], at most two, no duplicates', () => {
  assert.deepEqual(parseControls('10.0.0.1:1179, 10.0.0.2'), [{ address: '10.0.0.1', port: 1179 }, { address: '10.0.0.2', port: 1179 }]);
  for (const bad of ['', 'host:1', '10.0.0.1:0', '10.0.0.1:70000', '10.0.0.1,10.0.0.1', '10.0.0.1,10.0.0.2,10.0.0.3']) {
    assert.throws(() => parseControls(bad), (e: unknown) => e instanceof AgentOptionError && e.code === 'AGENT_BAD_OPTION', bad);
  }
});

test('endpoints, node names, addresses and socket paths', () => {
  assert.deepEqual(parseEndpoint('127.0.0.1:0', 'port-api'), { host: '127.0.0.1', port: 0 });
  assert.throws(() => parseEndpoint('127.0.0.1', 'port-api'), /--port-api/);
  assert.throws(() => checkNodeName('bad name'), /--node/);
  checkNodeName('node-1.example');
  assert.throws(() => checkIp('0.0.0.0'), /--ip/);
  assert.throws(() => checkIp('10.0.0'), /--ip/);
  assert.throws(() => checkSocketPath('relative.sock'), /--cni-socket/);
  assert.throws(() => checkSocketPath(`/${'x'.repeat(120)}`), /107 bytes/);
});

test('security-group communities round-trip (2-byte AS; a 4-byte AS is written as AS_TRANS)', () => {
  assert.equal(sgCommunity(64512, 8000001), 'ext:8004fc00007a1201');
  assert.deepEqual(sgIdsOf(['target:64512:1', sgCommunity(64512, 8000001), sgCommunity(4200000000, 9), 'ext:80710000000000ff']), [8000001, 9]);
  assert.equal(sgCommunity(4200000000, 9).slice(8, 12), '5ba0');
});

test('vr tables have the columns ist.py prints', () => {
  const intf = formatInterfaces([{ index: 1, name: 'tapx', uuid: 'u', active: false, reason: 'no instance-ip', mac: '', ip: '', vm_uuid: 'v', vm_name: 'k8s__a__b', vn_name: '', vrf_name: '', netns: '', ifname: 'eth0', container_id: '', sg_ids: [], policy: undefined }]);
  assert.equal(intf.split('\n')[1], '| index | name | active                  | mac_addr | ip_addr | mdata_ip_addr | vm_name   | vn_name |');
  assert.ok(intf.includes('Inactive no instance-ip'));
  const vrf = formatVrfs([{ name: 'a:b:c:c', vn: 'a:b:c', vn_index: 5, vxlan_id: 5, ucindex: 1005, import_targets: [], export_targets: [] , interfaces: 1 }]);
  assert.equal(vrf.split('\n')[3], '| a:b:c:c | 1005    | 1005    | 1005    | 1005      | 5        | a:b:c |');
  const routes = formatRoutes([
    { vrf: 'red', vrf_index: 1005, src_ip: '10.1.0.11', src_plen: 32, path_list: [{ peer: 'LocalVmPort', pref: 200, stale: false, sg_ids: [], nh: { type: 'interface', itf: 'tapa', mac: '02:00:00:00:00:01', vrf: 'red' } }] },
    { vrf: 'red', vrf_index: 1005, src_ip: '10.1.0.21', src_plen: 32, path_list: [{ peer: '192.168.0.100', pref: 200, stale: true, sg_ids: [], nh: { type: 'tunnel', tunnel_type: 'VXLAN', dip: '192.168.0.2', sip: '192.168.0.1', label: 5, vxlan_id: 5 } }] },
  ], (itf) => itf === 'tapa');
  assert.equal(routes, [
    'red (vrf_index 1005):',
    '10.1.0.11/32',
    '    [LocalVmPort] pref:200',
    '     to 02:00:00:00:00:01 via tapa, assigned_label:-, nh_index:- , nh_type:interface, nh_policy:enabled, active_label:-, vxlan_id:-',
    '10.1.0.21/32',
    '    [192.168.0.100] pref:200 (stale)',
    '     via VXLAN dip:192.168.0.2 sip:192.168.0.1 label:5, nh_index:- , nh_type:tunnel, nh_policy:disabled, active_label:5, vxlan_id:5',
  ].join('\n'));
});
