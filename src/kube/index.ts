// Public entry of kube-manager: the manager, its configuration, and the pure pieces other
// components and tools may reuse (names, policy model).
export { KubeManager, type KubeManagerOptions } from './manager.js';
export { loadConfig, parseFqDictAnnotation, type KubeManagerConfig, type KubeConnection } from './config.js';
export { ConfigError, InputError, KubeManagerError, NotReadyError } from './errors.js';
export { derivedUuid, makeName, projectOf, clusterProjectOf, ROLE, type ClusterNames } from './names.js';
export { compilePolicy, type CompiledPolicy } from './network-policy/compile.js';
export { policyGroups, podGroups, type PodView, type World } from './network-policy/model.js';
export { matchesSelector, validateSelector, type LabelSelector } from './label-selector.js';
