// The CNI plugin's logic that does not need the node (the agent does the plumbing): environment and
// netconf checks, results in every supported version, error JSON. The executable is the POSIX sh
// script ./tf-cni (docs/cni.md).
export * from './versions.js';
export * from './errors.js';
export * from './env.js';
export * from './netconf.js';
export * from './result.js';
