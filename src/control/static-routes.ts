// VRF → VPN export for routes that start in a VRF on this node: the static routes of a routing instance
// (static_route_entries: prefix, next_hop, extra route targets). A static route takes the forwarding of
// its next hop — the longest-match route for the next-hop address in the same VRF (next hop, label,
// encapsulation) — and becomes a primary path in the VRF; it is exported to bgp.l3vpn.0 with RD
// `<router-id>:<vrf id>` and the VRF's export targets (plus its own), so it reaches every VRF whose
// import targets match and every peer that asked for those targets (RFC 4364 §4.3.1). An unresolvable
// next hop withdraws it; a change of export targets re-exports it with the new targets.
import { LOCAL_SOURCE } from '../bgp/rib/sources.js';
import { keyString, type Path, type RouteKey, type RouteTable } from '../bgp/rib/table.js';
import { nlriKey, type Nlri, type VpnNlri } from '../bgp/wire/nlri.js';
import type { PathAttributes } from '../bgp/wire/attributes.js';
import type { StaticRouteSpec } from './config-model.js';
import type { Vrf } from './vrf.js';

/** Path id of static routes in VRF tables (replicated paths use VPN destination ids, far below). */
export const STATIC_PATH_ID = 0x7ffffffe;

export interface StaticRoutesOptions {
  readonly routerId: string;
  originateVpn(nlri: VpnNlri, attrs: PathAttributes, labels: readonly number[]): void;
  withdrawVpn(nlri: VpnNlri): void;
}

interface Installed {
  readonly attrs: PathAttributes;
  readonly label: number;
  readonly vpnKey: RouteKey;
}

interface PerVrf {
  readonly vrf: Vrf;
  unsubscribe: () => void;
  readonly installed: Map<string, Installed>;
  signature: string;
}

function longestMatch(t: RouteTable, addr: string, ignore: (p: Path) => boolean): Path | undefined {
  for (let len = 32; len >= 0; len--) {
    const prefix = `${maskAddr(addr, len)}/${len}`;
    const r = t.get({ family: 'inet', prefix });
    const p = r?.paths.slice(0, r.ecmpCount).find((x) => !ignore(x));
    if (p) return p;
  }
  return undefined;
}

function maskAddr(addr: string, len: number): string {
  const a = addr.split('.').map(Number);
  const v = ((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) >>> 0;
  const m = len === 0 ? 0 : (v & ((0xffffffff << (32 - len)) >>> 0)) >>> 0;
  return `${m >>> 24}.${(m >>> 16) & 255}.${(m >>> 8) & 255}.${m & 255}`;
}

const isTarget = (c: string): boolean => c.startsWith('target:');

export class StaticRoutes {
  readonly #o: StaticRoutesOptions;
  readonly #vrfs = new Map<Vrf, PerVrf>();
  readonly #origin = new Map<RouteKey, Vrf>();
  #busy = false;

  constructor(o: StaticRoutesOptions) {
    this.#o = o;
  }

  /** The VRF a locally exported VPN route came from (it must not import it back). */
  originOf(vpnKey: RouteKey): Vrf | undefined {
    return this.#origin.get(vpnKey);
  }

  /** Installs the static routes of these VRFs (and removes those of VRFs not listed or without any). */
  setVrfs(vrfs: Iterable<Vrf>): void {
    const want = new Set<Vrf>();
    for (const v of vrfs) if (v.spec.staticRoutes.length) want.add(v);
    for (const [v, s] of [...this.#vrfs]) {
      if (!want.has(v)) {
        s.unsubscribe();
        for (const prefix of [...s.installed.keys()]) this.#remove(s, prefix);
        this.#vrfs.delete(v);
      }
    }
    for (const v of want) {
      let s = this.#vrfs.get(v);
      const sig = JSON.stringify([v.spec.staticRoutes, v.spec.exportTargets, v.spec.vxlanId]);
      if (!s) {
        const state: PerVrf = { vrf: v, unsubscribe: () => undefined, installed: new Map(), signature: sig };
        state.unsubscribe = v.inet.subscribe(() => this.#resolve(state));
        this.#vrfs.set(v, state);
        s = state;
      } else if (s.signature === sig) continue;
      s.signature = sig;
      this.#resolve(s);
    }
  }

  close(): void {
    this.setVrfs([]);
  }

  #resolve(s: PerVrf): void {
    if (this.#busy) return; // our own upserts publish changes too: resolve once per batch
    this.#busy = true;
    try {
      const spec = s.vrf.spec;
      const wanted = new Set<string>();
      for (const r of spec.staticRoutes) {
        wanted.add(r.prefix);
        this.#one(s, r);
      }
      for (const prefix of [...s.installed.keys()]) if (!wanted.has(prefix)) this.#remove(s, prefix);
    } finally {
      this.#busy = false;
    }
  }

  #one(s: PerVrf, r: StaticRouteSpec): void {
    const t = s.vrf.inet;
    const via = longestMatch(t, r.nextHop, (p) => p.source === LOCAL_SOURCE && p.pathId === STATIC_PATH_ID);
    if (!via?.attrs.nextHop) {
      this.#remove(s, r.prefix);
      return;
    }
    const targets = [...new Set([...s.vrf.spec.exportTargets, ...r.routeTargets])];
    const attrs: PathAttributes = {
      origin: 'igp',
      asPath: [],
      nextHop: via.attrs.nextHop,
      localPref: via.attrs.localPref ?? 100,
      ...(r.communities.length ? { communities: r.communities } : {}),
      extCommunities: [...(via.attrs.extCommunities ?? []).filter((c) => !isTarget(c)), ...targets],
    };
    const label = via.label;
    const cur = s.installed.get(r.prefix);
    if (cur && cur.label === label && JSON.stringify(cur.attrs) === JSON.stringify(attrs)) return;
    const nlri: Nlri = { family: 'inet', prefix: r.prefix };
    const vpn: VpnNlri = { family: 'inet-vpn', rd: `${this.#o.routerId}:${s.vrf.id}`, prefix: r.prefix };
    const vpnKey = keyString(nlriKey(vpn));
    this.#origin.set(vpnKey, s.vrf);
    s.installed.set(r.prefix, { attrs, label, vpnKey });
    t.upsert(nlri, { source: LOCAL_SOURCE, pathId: STATIC_PATH_ID, attrs, ...(label >= 0 ? { labels: [label] } : {}) });
    this.#o.originateVpn(vpn, attrs, label >= 0 ? [label] : []);
  }

  #remove(s: PerVrf, prefix: string): void {
    const cur = s.installed.get(prefix);
    if (!cur) return;
    s.installed.delete(prefix);
    s.vrf.inet.withdraw({ family: 'inet', prefix }, LOCAL_SOURCE, STATIC_PATH_ID);
    this.#o.withdrawVpn({ family: 'inet-vpn', rd: `${this.#o.routerId}:${s.vrf.id}`, prefix });
    this.#origin.delete(cur.vpnKey);
  }
}
