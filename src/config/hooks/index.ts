// Type hooks by resource type.
import type { TypeHooks } from '../write/context.js';
import { floatingIpHooks } from './floating-ip.js';
import { instanceIpHooks } from './instance-ip.js';
import { networkPolicyHooks, virtualMachineInterfaceHooks } from './misc.js';
import { networkIpamHooks } from './network-ipam.js';
import { routingInstanceHooks } from './routing-instance.js';
import { securityGroupHooks } from './security-group.js';
import { virtualNetworkHooks } from './virtual-network.js';

const HOOKS: Readonly<Record<string, TypeHooks>> = {
  'virtual-network': virtualNetworkHooks,
  'network-ipam': networkIpamHooks,
  'routing-instance': routingInstanceHooks,
  'instance-ip': instanceIpHooks,
  'floating-ip': floatingIpHooks,
  'security-group': securityGroupHooks,
  'network-policy': networkPolicyHooks,
  'virtual-machine-interface': virtualMachineInterfaceHooks,
};

const NONE: TypeHooks = {};

export const hooksFor = (type: string): TypeHooks => HOOKS[type] ?? NONE;
