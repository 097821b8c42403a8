// Gateway-less external access: the routes of an external network's VRF (router_external, the public
// network floating IPs come from) also go out as plain IPv4 routes (AFI 1 / SAFI 1) from inet.0, with the
// next hop of the node hosting the address, so a router peering with the `inet` family forwards
// straight to that node. Agents advertise a floating IP as a VPN route of the public network's VRF
// (RD <node-ip>:<vrf>, the public network's targets); it lands in that VRF by import like any route and
// this module turns the VRF route's ECMP set into one inet.0 path per next hop (a local path id per
// (VRF, next hop), so two external VRFs with one prefix do not collide). Only paths from agents (directly
// or through another control node) and this node's static routes are exported: routes learned from
// gateways are not sent back as inet. A gateway that receives ADD-PATH gets every one of those paths and
// balances over the nodes hosting members, as the original's gateway does over the VPN routes; without
// ADD-PATH a session carries the best of them.
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
  /** prefix → next hop advertised → its local path id */
  readonly routes: Map<string, Map<string, number>>;
}

export class FipExporter {
  readonly #o: FipExportOptions;
  readonly #vrfs = new Map<Vrf, Exported>();
  /** local path id per (VRF id, next hop); never reused while this exporter lives */
  readonly #pathIds = new Map<string, number>();
  #nextPathId = 1;

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

  /** prefix → next hops exported from a VRF, for introspect. */
  exported(v: Vrf): ReadonlyMap<string, readonly string[]> {
    const out = new Map<string, string[]>();
    for (const [prefix, hops] of this.#vrfs.get(v)?.routes ?? []) out.set(prefix, [...hops.keys()].sort());
    return out;
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
    for (const [prefix, hops] of e.routes) for (const id of hops.values()) this.#o.withdraw({ family: 'inet', prefix }, id);
    e.routes.clear();
    this.#vrfs.delete(e.vrf);
  }

  #pathId(v: Vrf, nh: string): number {
    const k = `${v.id}/${nh}`;
    let id = this.#pathIds.get(k);
    if (id === undefined) {
      id = this.#nextPathId++;
      this.#pathIds.set(k, id);
    }
    return id;
  }

  #one(e: Exported, prefix: string, ecmp: readonly { source: number; attrs: PathAttributes }[]): void {
    const want = new Set<string>();
    for (const p of ecmp) {
      const nh = p.attrs.nextHop;
      if (nh && (p.source === LOCAL_SOURCE || this.#o.eligible(p.source))) want.add(nh);
    }
    const had = e.routes.get(prefix) ?? new Map<string, number>();
    for (const [nh, id] of [...had]) {
      if (want.has(nh)) continue;
      had.delete(nh);
      this.#o.withdraw({ family: 'inet', prefix }, id);
    }
    for (const nh of want) {
      if (had.has(nh)) continue;
      const id = this.#pathId(e.vrf, nh);
      had.set(nh, id);
      this.#o.originate({ family: 'inet', prefix }, { origin: 'igp', asPath: [], nextHop: nh }, id);
    }
    if (had.size) e.routes.set(prefix, had);
    else e.routes.delete(prefix);
  }
}
