// The resource types of the VNC data model that this project serves: parents, properties with
// their types, references with their attribute types. Read from the original's schema
// (vnc_cfg.xsd, bgp_schema.xsd, loadbalancer.xsd); every property the seeds' JSON shows is here.
// Back-references and children are derived from this table by registry.ts.
import { bool, en, int, named, str, type FieldType } from './field-types.js';

export interface ResourceTypeDef {
  /** hyphenated type name, e.g. 'virtual-network' */
  readonly name: string;
  /** allowed parent types; empty = top level (fq_name of one element, no parent_type) */
  readonly parents: readonly string[];
  /** parents whose link is 'derived': the system owns these children (cascade-deleted with the parent) */
  readonly derivedParents?: readonly string[];
  readonly props: Readonly<Record<string, FieldType>>;
  /** referenced type → attribute type (null: the reference carries no attribute) */
  readonly refs: Readonly<Record<string, FieldType | null>>;
  /** ListProperty fields: property → the wrapper's list field (prop-collection API) */
  readonly listProps?: Readonly<Record<string, string>>;
  /** MapProperty fields: property → wrapper list field and the key field of its elements */
  readonly mapProps?: Readonly<Record<string, { readonly field: string; readonly key: string }>>;
}

const KVP = named('KeyValuePairs');
const RT_LIST = named('RouteTargetList');

export const RESOURCE_TYPES: readonly ResourceTypeDef[] = [
  { name: 'config-root', parents: [], props: {}, refs: {} },
  { name: 'domain', parents: [], props: { domain_limits: named('DomainLimitsType') }, refs: {} },
  {
    name: 'project',
    parents: ['domain'],
    props: { quota: named('QuotaType'), vxlan_routing: bool, enable_security_policy_draft: bool, alarm_enable: bool },
    refs: { 'floating-ip-pool': null },
  },
  {
    name: 'global-system-config',
    parents: [],
    props: {
      autonomous_system: int(1, 4294967295),
      enable_4byte_as: bool,
      config_version: str,
      graceful_restart_parameters: named('GracefulRestartParametersType'),
      fast_convergence_parameters: named('FastConvergenceParametersType'),
      plugin_tuning: named('PluginProperties'),
      data_center_interconnect_loopback_namespace: named('SubnetListType'),
      data_center_interconnect_asn_namespace: named('AsnRangeType'),
      ibgp_auto_mesh: bool,
      bgp_always_compare_med: bool,
      rd_cluster_seed: int(1, 65535),
      ip_fabric_subnets: named('SubnetListType'),
      supported_device_families: named('DeviceFamilyListType'),
      supported_vendor_hardwares: named('VendorHardwaresType'),
      bgpaas_parameters: named('BGPaaServiceParametersType'),
      mac_limit_control: named('MACLimitControlType'),
      mac_move_control: named('MACMoveLimitControlType'),
      mac_aging_time: int(0, 86400),
      igmp_enable: bool,
      enable_security_policy_draft: bool,
      alarm_enable: bool,
      supported_fabric_annotations: KVP,
      user_defined_log_statistics: named('UserDefinedLogStatList'),
    },
    refs: { 'bgp-router': null },
    mapProps: { user_defined_log_statistics: { field: 'statlist', key: 'name' } },
  },
  {
    name: 'global-vrouter-config',
    parents: ['global-system-config'],
    props: {
      ecmp_hashing_include_fields: named('EcmpHashingIncludeFields'),
      linklocal_services: named('LinklocalServicesTypes'),
      encapsulation_priorities: named('EncapsulationPrioritiesType'),
      vxlan_network_identifier_mode: en('configured', 'automatic'),
      flow_export_rate: int(),
      flow_aging_timeout_list: named('FlowAgingTimeoutList'),
      enable_security_logging: bool,
      encryption_mode: en('none', 'all'),
      encryption_tunnel_endpoints: named('EncryptionTunnelEndpointList'),
      forwarding_mode: en('l2_l3', 'l2', 'l3'),
      port_translation_pools: named('PortTranslationPools'),
    },
    refs: {},
    listProps: { encryption_tunnel_endpoints: 'endpoint', port_translation_pools: 'port_translation_pool' },
  },
  {
    name: 'virtual-router',
    parents: ['global-system-config'],
    props: {
      virtual_router_type: en('embedded', 'tor-agent', 'tor-service-node'),
      virtual_router_dpdk_enabled: bool,
      virtual_router_ip_address: str,
    },
    refs: { 'network-ipam': named('VirtualRouterNetworkIpamType'), 'virtual-machine': null },
  },
  {
    name: 'network-ipam',
    parents: ['project'],
    props: {
      network_ipam_mgmt: named('IpamType'),
      ipam_subnets: named('IpamSubnets'),
      ipam_subnet_method: en('user-defined-subnet', 'flat-subnet', 'auto-subnet'),
      ipam_subnetting: bool,
    },
    refs: {},
    listProps: { ipam_subnets: 'subnets' },
  },
  {
    name: 'virtual-network',
    parents: ['project'],
    props: {
      virtual_network_category: en('infra', 'tenant', 'internal', 'routed'),
      virtual_network_properties: named('VirtualNetworkType'),
      virtual_network_routed_properties: named('VirtualNetworkRoutedPropertiesType'),
      ecmp_hashing_include_fields: named('EcmpHashingIncludeFields'),
      provider_properties: named('ProviderDetails'),
      is_provider_network: bool,
      virtual_network_network_id: int(1, 16777215),
      port_security_enabled: bool,
      fabric_snat: bool,
      route_target_list: RT_LIST,
      import_route_target_list: RT_LIST,
      export_route_target_list: RT_LIST,
      router_external: bool,
      is_shared: bool,
      external_ipam: bool,
      flood_unknown_unicast: bool,
      multi_policy_service_chains_enabled: bool,
      address_allocation_mode: en('user-defined-subnet-preferred', 'user-defined-subnet-only', 'flat-subnet-preferred', 'flat-subnet-only'),
      virtual_network_fat_flow_protocols: named('FatFlowProtocols'),
      mac_learning_enabled: bool,
      mac_limit_control: named('MACLimitControlType'),
      mac_move_control: named('MACMoveLimitControlType'),
      mac_aging_time: int(0, 86400),
      pbb_evpn_enable: bool,
      pbb_etree_enable: bool,
      layer2_control_word: bool,
      igmp_enable: bool,
    },
    refs: {
      'network-ipam': named('VnSubnetsType'),
      'network-policy': named('VirtualNetworkPolicyType'),
      'virtual-network': null,
    },
    listProps: { virtual_network_fat_flow_protocols: 'fat_flow_protocol' },
  },
  {
    name: 'routing-instance',
    parents: ['virtual-network'],
    derivedParents: ['virtual-network'],
    props: {
      default_ce_protocol: named('DefaultProtocolType'),
      service_chain_information: named('ServiceChainInfo'),
      ipv6_service_chain_information: named('ServiceChainInfo'),
      evpn_service_chain_information: named('ServiceChainInfo'),
      evpn_ipv6_service_chain_information: named('ServiceChainInfo'),
      routing_instance_is_default: bool,
      routing_instance_has_pnf: bool,
      static_route_entries: named('StaticRouteEntriesType'),
      routing_instance_fabric_snat: bool,
    },
    refs: { 'routing-instance': named('ConnectionType'), 'route-target': named('InstanceTargetType') },
  },
  { name: 'route-target', parents: [], props: {}, refs: {} },
  {
    name: 'security-group',
    parents: ['project'],
    props: {
      security_group_id: int(8000000, 4294967295),
      configured_security_group_id: int(0, 7999999),
      security_group_entries: named('PolicyEntriesType'),
    },
    refs: {},
  },
  {
    name: 'access-control-list',
    parents: ['security-group', 'virtual-network'],
    derivedParents: ['security-group', 'virtual-network'],
    props: { access_control_list_entries: named('AclEntriesType'), access_control_list_hash: { k: 'bigint' } },
    refs: {},
  },
  { name: 'network-policy', parents: ['project'], props: { network_policy_entries: named('PolicyEntriesType') }, refs: {} },
  { name: 'virtual-machine', parents: [], props: { server_type: en('virtual-server', 'baremetal-server', 'container') }, refs: {} },
  {
    name: 'virtual-machine-interface',
    parents: ['project', 'virtual-machine', 'virtual-router'],
    props: {
      port_security_enabled: bool,
      virtual_machine_interface_mac_addresses: named('MacAddressesType'),
      virtual_machine_interface_dhcp_option_list: named('DhcpOptionsListType'),
      virtual_machine_interface_host_routes: named('RouteTableType'),
      virtual_machine_interface_allowed_address_pairs: named('AllowedAddressPairs'),
      vrf_assign_table: named('VrfAssignTableType'),
      virtual_machine_interface_device_owner: str,
      virtual_machine_interface_disable_policy: bool,
      ecmp_hashing_include_fields: named('EcmpHashingIncludeFields'),
      virtual_machine_interface_properties: named('VirtualMachineInterfacePropertiesType'),
      virtual_machine_interface_bindings: KVP,
      virtual_machine_interface_fat_flow_protocols: named('FatFlowProtocols'),
      vlan_tag_based_bridge_domain: bool,
      igmp_enable: bool,
    },
    refs: {
      'security-group': null,
      'virtual-machine-interface': null,
      'virtual-machine': null,
      'virtual-network': null,
      'routing-instance': named('PolicyBasedForwardingRuleType'),
      'bgp-router': null,
    },
    listProps: { virtual_machine_interface_fat_flow_protocols: 'fat_flow_protocol' },
    mapProps: { virtual_machine_interface_bindings: { field: 'key_value_pair', key: 'key' } },
  },
  {
    name: 'instance-ip',
    parents: [],
    props: {
      instance_ip_address: str,
      instance_ip_family: en('v4', 'v6'),
      instance_ip_mode: en('active-active', 'active-standby'),
      secondary_ip_tracking_ip: named('SubnetType'),
      subnet_uuid: str,
      instance_ip_subscriber_tag: str,
      instance_ip_secondary: bool,
      instance_ip_local_ip: bool,
      service_instance_ip: bool,
      service_health_check_ip: bool,
      instance_ip_subnet: named('SubnetType'),
    },
    refs: { 'virtual-network': null, 'network-ipam': null, 'virtual-machine-interface': null, 'virtual-router': null },
  },
  {
    name: 'floating-ip-pool',
    parents: ['virtual-network'],
    props: { floating_ip_pool_subnets: named('FloatingIpPoolSubnetType') },
    refs: {},
  },
  {
    name: 'floating-ip',
    parents: ['floating-ip-pool', 'instance-ip'],
    props: {
      floating_ip_address: str,
      floating_ip_is_virtual_ip: bool,
      floating_ip_fixed_ip_address: str,
      floating_ip_address_family: en('v4', 'v6'),
      floating_ip_port_mappings_enable: bool,
      floating_ip_port_mappings: named('PortMappings'),
      floating_ip_traffic_direction: en('ingress', 'egress', 'both'),
    },
    refs: { project: null, 'virtual-machine-interface': null },
    listProps: { floating_ip_port_mappings: 'port_mappings' },
  },
  {
    name: 'loadbalancer',
    parents: ['project'],
    props: { loadbalancer_properties: named('LoadbalancerType'), loadbalancer_provider: str },
    refs: { 'service-appliance-set': null, 'virtual-machine-interface': null },
  },
  {
    name: 'loadbalancer-listener',
    parents: ['project'],
    props: { loadbalancer_listener_properties: named('LoadbalancerListenerType') },
    refs: { loadbalancer: null },
  },
  {
    name: 'loadbalancer-pool',
    parents: ['project'],
    props: {
      loadbalancer_pool_properties: named('LoadbalancerPoolType'),
      loadbalancer_pool_provider: str,
      loadbalancer_pool_custom_attributes: KVP,
    },
    refs: { 'virtual-machine-interface': null, 'loadbalancer-listener': null, 'service-appliance-set': null },
  },
  {
    name: 'loadbalancer-member',
    parents: ['loadbalancer-pool'],
    props: { loadbalancer_member_properties: named('LoadbalancerMemberType') },
    refs: {},
  },
  {
    name: 'service-appliance-set',
    parents: ['global-system-config'],
    props: {
      service_appliance_set_virtualization_type: en('virtual-machine', 'network-namespace', 'vrouter-instance', 'physical-device'),
      service_appliance_set_properties: KVP,
      service_appliance_driver: str,
      service_appliance_ha_mode: str,
    },
    refs: {},
  },
  {
    name: 'bgp-router',
    parents: ['routing-instance'],
    props: { bgp_router_parameters: named('BgpRouterParams') },
    refs: { 'bgp-router': named('BgpPeeringAttributes') },
  },
  {
    name: 'logical-router',
    parents: ['project'],
    props: {
      configured_route_target_list: RT_LIST,
      vxlan_network_identifier: str,
      logical_router_dhcp_relay_server: named('IpAddressesType'),
      logical_router_gateway_external: bool,
      logical_router_type: en('snat-routing', 'vxlan-routing'),
    },
    refs: {
      'virtual-machine-interface': null,
      'route-target': null,
      'virtual-network': named('LogicalRouterVirtualNetworkType'),
    },
  },
];

/** Properties every type has. */
export const COMMON_PROPS: Readonly<Record<string, FieldType>> = {
  id_perms: named('IdPermsType'),
  perms2: named('PermType2'),
  annotations: KVP,
  display_name: str,
};
