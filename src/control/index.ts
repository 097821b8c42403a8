// Public surface of the control node: start one, read its runtime, and the pure pieces other components
// share (origin-VN community, table names, config model, time formats for introspect output).
export { ControlNode, startControlNode, WATCHED_TYPES, type ControlNodeOptions } from './control-node.js';
export { RoutingRuntime, type RoutingOptions, type TableRef } from './routing.js';
export {
  instanceSpecs, peerSpecs, speakerSettings, findSelf, normalizePrefix, AGENT_FAMILIES, CONTROL_NODE_FAMILIES, ROUTER_FAMILIES, DEFAULT_ASN,
  type InstanceSpec, type PeerSpec, type PeerKind, type SpeakerSettings, type GracefulRestartSettings, type StaticRouteSpec,
} from './config-model.js';
export { originVnCommunity, parseOriginVn, originVnIndex } from './origin-vn.js';
export { MASTER_INSTANCE, MASTER_TABLES, MODULE_ID, vrfTableName, splitTableName } from './names.js';
export { Vrf, targetKey, VRF_MAX_PATHS } from './vrf.js';
export { BadQueryError, NoSuchTableError, ControlOptionError, ConfigProblem, NotReadyError } from './errors.js';
export type { NodeStatusView, NeighborView, RouteTableView, RouteView, InstanceView } from './introspect.js';
export type { PathView, TableCounts } from './path-view.js';
export { formatTimestamp, parseTimestamp, formatAge } from './time-format.js';
