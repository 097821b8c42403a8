// What differs per resource when the registry creates, updates or deletes an object: defaulting,
// validation, what create and update may set, allocations, graceful deletion. One strategy per kind
// (strategies/*.ts); resources without one get only the generic metadata rules.
import type { IpAllocator, PortAllocator } from './allocator.js';
import type { ResourceInfo } from './resources.js';
import type { KubeObject, DeleteOptions } from './types.js';
import type { Causes } from './validation.js';

export interface StrategyContext {
  readonly now: Date;
  readonly clusterIps: IpAllocator;
  readonly nodePorts: PortAllocator;
  /** true when the request is a dry run: allocations made here are given back afterwards */
  readonly dryRun: boolean;
  /** allocations to undo if the write fails or is a dry run */
  readonly rollback: (() => void)[];
  /** releases to run once the write is committed (not on failure, not on a dry run) */
  readonly onCommit: (() => void)[];
}

export interface Strategy {
  /** name rules: DNS-1123 label (namespaces, services) or subdomain (default) */
  readonly nameKind?: 'label' | 'subdomain';
  /** the API server accepts a PUT of a missing object as a create (endpoints) */
  readonly allowCreateOnUpdate?: boolean;
  /** fills defaults; runs on create and on every update of the main resource */
  defaults?(obj: KubeObject, info: ResourceInfo): void;
  /** resets what create may not set (status, allocated fields) and allocates */
  prepareCreate?(obj: KubeObject, ctx: StrategyContext): void;
  /** carries over what update may not change and allocates or releases */
  prepareUpdate?(obj: KubeObject, old: KubeObject, ctx: StrategyContext): void;
  validate?(obj: KubeObject, c: Causes, old: KubeObject | undefined): void;
  /** grace period in seconds for a graceful delete; 0 or undefined deletes at once */
  gracePeriod?(obj: KubeObject, opts: DeleteOptions): number | undefined;
  /** after the object is gone (release allocations) */
  afterDelete?(obj: KubeObject, ctx: StrategyContext): void;
}
