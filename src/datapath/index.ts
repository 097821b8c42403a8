// The datapath's public surface for the agent, the lab and tfctl: the node-state model, its validation,
// the Linux renderer with pod plumbing, namespace helpers and the typed errors.
export * from './model.js';
export * from './errors.js';
export { validateNodeState, type ValidateOptions } from './validate.js';
export { LinuxRenderer, planRender, isEmptyRenderPlan, type LinuxRendererOptions, type RenderPlan, type RenderReport } from './linux/renderer.js';
export type { PodAddResult, PodCheckResult } from './linux/pod.js';
export { DEFAULT_OWNERSHIP, resolveOwnership, type Ownership } from './linux/ownership.js';
export { createNetns, deleteNetns, listNetns, execInNetns, spawnInNetns } from './linux/netns.js';
export type { CommandRunner, CommandResult } from './linux/exec.js';
export type { KernelSnapshot } from './linux/kernel-state.js';
