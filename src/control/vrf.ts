// A VRF: the tables of one routing instance (`<ri>.inet.0`, `<ri>.evpn.0`) and the instance's spec.
// VRF tables are RouteTables of the BGP library sharing the speaker's attribute pool and path sources,
// so a path replicated from bgp.l3vpn.0 costs one path slot and no new attribute set.
import { Buffer } from 'node:buffer';
import { parseExtCommunity } from '../bgp/wire/ext-community.js';
import type { AttrPool } from '../bgp/rib/attr-pool.js';
import type { SourceRegistry } from '../bgp/rib/sources.js';
import { RouteTable } from '../bgp/rib/table.js';
import type { InstanceSpec } from './config-model.js';
import { vrfTableName } from './names.js';

/** Largest ECMP set in a VRF table: every agent hosting an address of a service is a path. */
export const VRF_MAX_PATHS = 64;

/** A route target in the 8-byte binary-string form the RIB indexes targets by. */
export function targetKey(target: string): string {
  return Buffer.from(parseExtCommunity(target)).toString('latin1');
}

export interface VrfTableOptions {
  readonly pool: AttrPool;
  readonly sources: SourceRegistry;
  readonly now?: () => number;
  readonly alwaysCompareMed?: boolean;
  readonly onListenerError?: (err: unknown) => void;
}

export class Vrf {
  /** Small dense number of this VRF in its runtime (RD of its own exports, path ids). */
  readonly id: number;
  readonly name: string;
  readonly inet: RouteTable;
  readonly evpn: RouteTable;
  #spec: InstanceSpec;
  #imports: ReadonlySet<string>;

  constructor(id: number, spec: InstanceSpec, o: VrfTableOptions) {
    this.id = id;
    this.name = spec.name;
    const common = { pool: o.pool, sources: o.sources, maxPaths: VRF_MAX_PATHS, ...(o.now ? { now: o.now } : {}), alwaysCompareMed: o.alwaysCompareMed ?? false, ...(o.onListenerError ? { onListenerError: o.onListenerError } : {}) };
    this.inet = new RouteTable({ name: vrfTableName(spec.name, 'inet'), family: 'inet', ...common });
    this.evpn = new RouteTable({ name: vrfTableName(spec.name, 'evpn'), family: 'e-vpn', ...common });
    this.#spec = spec;
    this.#imports = new Set(spec.importTargets.map(targetKey));
  }

  get spec(): InstanceSpec {
    return this.#spec;
  }

  /** Import targets as binary keys. */
  get importKeys(): ReadonlySet<string> {
    return this.#imports;
  }

  /** Replaces the spec; true when the import targets changed. */
  update(spec: InstanceSpec): boolean {
    const changed = spec.importTargets.join() !== this.#spec.importTargets.join();
    this.#spec = spec;
    if (changed) this.#imports = new Set(spec.importTargets.map(targetKey));
    return changed;
  }

  tables(): RouteTable[] {
    return [this.inet, this.evpn];
  }
}
