// What the pure rule modules may ask about the configuration: a read-only view, implemented over
// the informer cache by cache-world.ts and over plain objects in unit tests.
import type { LogicalRouter, NetworkPolicy, SecurityGroup, VirtualNetwork } from '../vnc/schema.js';

export interface World {
  vn(uuid: string): VirtualNetwork | undefined;
  vnByFq(fq: string): VirtualNetwork | undefined;
  policy(uuid: string): NetworkPolicy | undefined;
  policyByFq(fq: string): NetworkPolicy | undefined;
  /** virtual networks whose network_policy_refs include the policy */
  vnsAttachedTo(policyUuid: string): VirtualNetwork[];
  /** virtual networks with this parent (project) uuid */
  vnsInProject(projectUuid: string): VirtualNetwork[];
  /** uuids of virtual networks whose policies name `fq` (for the `any` expansion) */
  listersOf(fq: string): Iterable<string>;
  /** logical routers with an interface in the virtual network */
  routersOf(vnUuid: string): LogicalRouter[];
  /** the virtual networks of a logical router's interfaces */
  routerVns(lr: LogicalRouter): VirtualNetwork[];
  sgByFq(fq: string): SecurityGroup | undefined;
}

export const fqStr = (fq: readonly string[]): string => fq.join(':');
