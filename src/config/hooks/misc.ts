// Small per-type rules: policy rule uuids, VMI MAC addresses and network.
import { BadRequest } from '../../vnc/errors.js';
import { macFromUuid } from '../ids.js';
import type { TypeHooks } from '../write/context.js';
import { fillRuleUuids } from './common.js';

export const networkPolicyHooks: TypeHooks = {
  beforeCreate: (_ctx, np) => fillRuleUuids(np, 'network_policy_entries'),
  beforeUpdate: (_ctx, next) => fillRuleUuids(next, 'network_policy_entries'),
};

export const virtualMachineInterfaceHooks: TypeHooks = {
  beforeCreate(_ctx, vmi) {
    const macs = (vmi.virtual_machine_interface_mac_addresses as { mac_address?: string[] | null } | null | undefined)?.mac_address;
    if (!macs || macs.length === 0) vmi.virtual_machine_interface_mac_addresses = { mac_address: [macFromUuid(vmi.uuid)] };
    const vnRefs = vmi.virtual_network_refs as unknown[] | undefined;
    if (!vnRefs || vnRefs.length === 0) throw new BadRequest('Virtual network info missing: a virtual-machine-interface needs virtual_network_refs', 'MISSING_REF');
  },
  beforeUpdate(_ctx, next, prev) {
    const vnRefs = next.virtual_network_refs as unknown[] | undefined;
    if (!vnRefs || vnRefs.length === 0) throw new BadRequest('Virtual network info missing: a virtual-machine-interface needs virtual_network_refs', 'MISSING_REF');
    const macs = (next.virtual_machine_interface_mac_addresses as { mac_address?: string[] | null } | null | undefined)?.mac_address;
    if (!macs || macs.length === 0) next.virtual_machine_interface_mac_addresses = prev.virtual_machine_interface_mac_addresses;
  },
};
