import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slimForAgent } from './slim.js';
import type { VncObject } from '../vnc/object.js';

const idPerms = { enable: true, created: '2026-01-01T00:00:00', last_modified: '2026-01-01T00:00:01', uuid: { uuid_mslong: '1', uuid_lslong: '2' }, permissions: { owner: 'cloud-admin', owner_access: 7 } };
const perms2 = { owner: 'cloud-admin', owner_access: 7, global_access: 0, share: [] };

test('pods: only the fields the agent reads; references keep uuid and attribute', () => {
  const vmi: VncObject = {
    uuid: 'i1', fq_name: ['default-domain', 'p', 'pod__i1'], name: 'pod__i1', parent_type: 'project', parent_uuid: 'p1', display_name: 'default__pod', id_perms: idPerms, perms2,
    annotations: { key_value_pair: [{ key: 'index', value: '0/1' }, { key: 'labels', value: '{"app":"web"}' }] },
    virtual_machine_interface_mac_addresses: { mac_address: ['02:00:00:00:00:01'] }, port_security_enabled: true,
    virtual_network_refs: [{ to: ['default-domain', 'p', 'pods'], uuid: 'vn1', attr: null }], virtual_machine_refs: [{ to: ['pod__vm'], uuid: 'vm1', attr: null }],
    virtual_machine_interface_bindings: { key_value_pair: [{ key: 'host_id', value: 'n1' }] },
  };
  assert.deepEqual(slimForAgent(vmi, 'virtual-machine-interface'), {
    uuid: 'i1', fq_name: ['default-domain', 'p', 'pod__i1'], parent_type: 'project', parent_uuid: 'p1', id_perms: { last_modified: '2026-01-01T00:00:01' },
    annotations: vmi.annotations, virtual_machine_interface_mac_addresses: { mac_address: ['02:00:00:00:00:01'] }, port_security_enabled: true,
    virtual_network_refs: [{ to: [], uuid: 'vn1', attr: null }], virtual_machine_refs: [{ to: [], uuid: 'vm1', attr: null }],
  });
  const vm: VncObject = {
    uuid: 'vm1', fq_name: ['pod__vm1'], display_name: 'default__pod', id_perms: idPerms, perms2,
    annotations: { key_value_pair: [{ key: 'cluster', value: 'k8s' }, { key: 'namespace', value: 'default' }, { key: 'name', value: 'pod' }, { key: 'labels', value: '{"big":"x"}' }] },
  };
  assert.deepEqual(slimForAgent(vm, 'virtual-machine'), {
    uuid: 'vm1', fq_name: ['pod__vm1'], id_perms: { last_modified: '2026-01-01T00:00:01' }, display_name: 'default__pod',
    annotations: { key_value_pair: [{ key: 'cluster', value: 'k8s' }, { key: 'namespace', value: 'default' }, { key: 'name', value: 'pod' }] },
  });
  const iip: VncObject = { uuid: 'a1', fq_name: ['a1'], id_perms: idPerms, perms2, instance_ip_address: '10.0.0.1', subnet_uuid: 's1', virtual_machine_interface_refs: [{ to: ['x'], uuid: 'i1' }] };
  assert.deepEqual(slimForAgent(iip, 'instance-ip'), { uuid: 'a1', fq_name: ['a1'], id_perms: { last_modified: '2026-01-01T00:00:01' }, instance_ip_address: '10.0.0.1', subnet_uuid: 's1', virtual_machine_interface_refs: [{ to: [], uuid: 'i1', attr: null }] });
});

test('other types are kept whole (the same object)', () => {
  const ri: VncObject = { uuid: 'r', fq_name: ['a', 'b', 'c', 'c'], route_target_refs: [{ to: ['target:64512:1'], uuid: 't', attr: { import_export: null } }] };
  assert.equal(slimForAgent(ri, 'routing-instance'), ri);
});
