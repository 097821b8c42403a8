// Gateway-less external access: the routes of an external network's VRF (router_external, the public
// network floating IPs come from) also go out as plain IPv4 routes (AFI 1 / SAFI 1) from inet.0, with the
// next hop of the node hosting the address, so a router peering with the `inet` family forwards
// straight to that node. Agents advertise a floating IP as a VPN route of the public network's VRF
// (RD <node-ip>:<vrf>, the public network's targets); it lands in that VRF by import like any route and
// this module turns the VRF route's best path into `prefix → next hop` in inet.0 (path id = the VRF's
// id, so two external VRFs with one prefix do not collide). Only paths from agents (directly or through
// another control node) and this node's static routes are exported: routes learned from gateways are
// not sent back as inet. Without ADD-PATH a session carries one next hop per prefix: the VRF's best
// path; with several members the other nodes are reached through the DNAT on the chosen node.
import { LOCAL_SOURCE } from '../bgp/rib/sources.js';
import type { RouteChange } from '../bgp/rib/table.js';
import type { Nlri } from '../bgp/wire/nlri.js';
import type { PathAttributes } from '../bgp/wire/attributes.js';
import type { Vrf } from './vrf.js';

export interface FipExportOptions {
  /** Is a path of this source eligible (an agent, a control node, or this node)? */
  readonly eligible: (sourceId: number) => boolean;
  originate(nlri: Nlri, attrs: PathAttributes, pathId: number): void;
  withdraw(nlri: Nlri, pathId: number): void;
}

interface Exported {
  readonly vrf: Vrf;
  readonly unsubscribe: () => void;
  /** prefix → next hop advertised */
  readonly routes: Map<string, string>;
}

export class FipExporter {
  readonly #o: FipExportOptions;
  readonly #vrfs = new Map<Vrf, Exported>();

  constructor(o: FipExportOptions) {
    this.#o = o;
  }

  /** Exports exactly the VRFs given (the external ones); stops and withdraws the others. */
  setVrfs(external: Iterable<Vrf>): void {
    const want = new Set(external);
    for (const [v, e] of [...this.#vrfs]) if (!want.has(v)) this.#stop(e);
    for (const v of want) if (!this.#vrfs.has(v)) this.#start(v);
  }

  /** Re-evaluates every exported route (after peers changed roles). */
  refresh(): void {
    for (const e of this.#vrfs.values()) for (const r of e.vrf.inet.routes()) this.#one(e, (r.nlri as { prefix: string }).prefix, r.paths.slice(0, r.ecmpCount));
  }

  close(): void {
    for (const e of [...this.#vrfs.values()]) this.#stop(e);
  }

  /** (prefix, next hop) pairs exported from a VRF, for introspect. */
  exported(v: Vrf): ReadonlyMap<string, string> {
    return this.#vrfs.get(v)?.routes ?? new Map();
  }

  #start(v: Vrf): void {
    const e: Exported = {
      vrf: v,
      routes: new Map(),
      unsubscribe: v.inet.subscribe((changes: readonly RouteChange[]) => {
        for (const c of changes) this.#one(e, (c.nlri as { prefix: string }).prefix, c.ecmp);
      }),
    };
    this.#vrfs.set(v, e);
    for (const r of v.inet.routes()) this.#one(e, (r.nlri as { prefix: string }).prefix, r.paths.slice(0, r.ecmpCount));
  }

  #stop(e: Exported): void {
    e.unsubscribe();
    for (const prefix of e.routes.keys()) this.#o.withdraw({ family: 'inet', prefix }, e.vrf.id);
    e.routes.clear();
    this.#vrfs.delete(e.vrf);
  }

  #one(e: Exported, prefix: string, ecmp: readonly { source: number; attrs: PathAttributes }[]): void {
    const best = ecmp.find((p) => p.source === LOCAL_SOURCE || this.#o.eligible(p.source));
    const nh = best?.attrs.nextHop;
    if (best && nh) {
      if (e.routes.get(prefix) === nh) return;
      e.routes.set(prefix, nh);
      this.#o.originate({ family: 'inet', prefix }, { origin: 'igp', asPath: [], nextHop: nh }, e.vrf.id);
    } else if (e.routes.delete(prefix)) {
      this.#o.withdraw({ family: 'inet', prefix }, e.vrf.id);
    }
  }
}
