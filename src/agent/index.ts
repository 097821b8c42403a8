// Public surface of the vRouter agent: the process in a library call, its state model (pure), the
// config view, BGP side, ports, trace and the introspect formats `tfctl vr` prints.
export { Agent, deviceOf, type AgentOptions, type Datapath, type LastRender } from './agent.js';
export { computeState, rdIndex, vrfTable, TABLE_BASE, TABLE_RANGE, LOCAL_PREF, type AgentState, type ModelInput, type VpnPath, type VpnAdvert, type InterfaceView, type VrfView, type RouteView, type PathView, type NextHopView } from './model.js';
export { nodeConfig, findVm, podVmName, instanceTargets, aclRuleToSgRule, AGENT_TYPES, VROUTER_PARENT, type ConfigReader, type NodeConfig, type InterfaceConfig, type NetworkConfig, type VmConfig, type SecurityGroupConfig, type FloatingIpConfig } from './config-view.js';
export { AgentBgp, type AgentBgpOptions, type ControlEndpoint } from './bgp.js';
export { PortStore, tapName, portFromJson, portToJson, type PortEntry } from './ports.js';
export { trace, describeRule, type TraceQuery, type TraceResult, type TraceBranch, type TraceStep, type TraceProtocol } from './trace.js';
export { sgCommunity, sgIdsOf } from './communities.js';
export { parseControls, parseEndpoint, DEFAULT_CNI_SOCKET, DEFAULT_STATE_DIR, DEFAULT_CONTROL_PORT } from './options.js';
export { AgentOptionError, AgentUnderlayError, PortNotFoundError, AgentQueryError } from './errors.js';
export { handleCni, type CniRequest } from './cni-handler.js';
export { portResult, type PortResult } from './port-api.js';
