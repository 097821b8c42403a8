import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concernsNode } from './relevant.js';
import type { ConfigReader } from './config-view.js';
import type { VncObject } from '../vnc/object.js';

const o = (uuid: string, fq: string[], extra: Record<string, unknown> = {}): VncObject => ({ uuid, fq_name: fq, ...extra });
const ref = (uuid: string) => ({ to: [], uuid, attr: null });

// n1 hosts vm1; vm2 is on n2; vmi3 (on n2) is a member of a service; iip-vip holds the service's floating IP.
const objects = [
  o('vr1', ['default-global-system-config', 'n1'], { virtual_machine_refs: [ref('vm1')] }),
  o('vr2', ['default-global-system-config', 'n2'], { virtual_machine_refs: [ref('vm2'), ref('vm3')] }),
  o('vm1', ['vm1']),
  o('vm2', ['vm2']),
  o('vm3', ['vm3']),
  o('vmi1', ['p', 'vmi1'], { virtual_machine_refs: [ref('vm1')] }),
  o('vmi2', ['p', 'vmi2'], { virtual_machine_refs: [ref('vm2')] }),
  o('vmi3', ['p', 'vmi3'], { virtual_machine_refs: [ref('vm3')] }),
  o('iip1', ['iip1'], { virtual_machine_interface_refs: [ref('vmi1')] }),
  o('iip2', ['iip2'], { virtual_machine_interface_refs: [ref('vmi2')] }),
  o('iip3', ['iip3'], { virtual_machine_interface_refs: [ref('vmi3')] }),
  o('iip-vip', ['iip-vip'], { virtual_machine_interface_refs: [ref('lb')] }),
  o('fip', ['iip-vip', 'fip'], { parent_uuid: 'iip-vip', virtual_machine_interface_refs: [ref('vmi3')] }),
];
const byUuid = new Map(objects.map((x) => [x.uuid, x]));
const reader: ConfigReader = {
  get: (u) => byUuid.get(u),
  list: () => [],
  getByFqName: (type, fq) => objects.find((x) => type === 'virtual-router' && x.fq_name.join(':') === fq.join(':')),
  backRefs: (u, type) => (type === 'floating-ip' ? objects.filter((x) => x.uuid === 'fip' && (x.virtual_machine_interface_refs as { uuid: string }[]).some((r) => r.uuid === u)) : []),
  children: (u, type) => (type === 'floating-ip' ? objects.filter((x) => x.parent_uuid === u) : []),
};
const concerns = (type: string, uuid: string) => concernsNode(reader, 'n1', type, byUuid.get(uuid)!);

test("the node's own virtual-router, VMs, interfaces and addresses concern it; another node's pods do not", () => {
  assert.equal(concerns('virtual-router', 'vr1'), true);
  assert.equal(concerns('virtual-router', 'vr2'), false);
  assert.equal(concerns('virtual-machine', 'vm1'), true);
  assert.equal(concerns('virtual-machine', 'vm2'), false);
  assert.equal(concerns('virtual-machine-interface', 'vmi1'), true);
  assert.equal(concerns('virtual-machine-interface', 'vmi2'), false);
  assert.equal(concerns('instance-ip', 'iip1'), true);
  assert.equal(concerns('instance-ip', 'iip2'), false);
});

test('service members and VIPs concern every node; other types always do', () => {
  assert.equal(concerns('virtual-machine-interface', 'vmi3'), true, 'a member of a service on another node');
  assert.equal(concerns('instance-ip', 'iip3'), true, "a service member's address");
  assert.equal(concerns('instance-ip', 'iip-vip'), true, 'holds a floating IP');
  assert.equal(concerns('virtual-machine', 'vm3'), false, "the member's VM is not needed");
  for (const t of ['virtual-network', 'routing-instance', 'security-group', 'access-control-list', 'floating-ip', 'floating-ip-pool', 'network-ipam', 'global-system-config']) {
    assert.equal(concernsNode(reader, 'n1', t, o('x', ['x'])), true, t);
  }
});

test('an interface being created for a pod of this node concerns it before its address exists', () => {
  const fresh = o('vmi9', ['p', 'vmi9'], { virtual_machine_refs: [ref('vm1')] });
  assert.equal(concernsNode(reader, 'n1', 'virtual-machine-interface', fresh), true);
  assert.equal(concernsNode(reader, 'n2', 'virtual-machine-interface', fresh), false);
  assert.equal(concernsNode(reader, 'n9', 'virtual-machine', byUuid.get('vm1')!), false, 'a node without a virtual-router yet');
});
