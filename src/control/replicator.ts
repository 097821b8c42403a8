// VPN → VRF replication (the original's RoutePathReplicator, RFC 4364 §4.3.5 import): the best path of
// every destination of a VPN table (bgp.l3vpn.0, bgp.evpn.0) is imported into each VRF with an import
// target among the path's route targets, as a secondary path keyed (source, path id = VPN destination id).
// The VPN table's id diffs drive it in the same turn as the speaker's own export; a change of any VRF's
// import targets re-evaluates every VPN destination once. State per VPN destination: the VRF list it was
// imported into (arrays shared between destinations with the same targets) and the path's source.
import type { AttrPool } from '../bgp/rib/attr-pool.js';
import { LOCAL_SOURCE } from '../bgp/rib/sources.js';
import type { RouteTable } from '../bgp/rib/table.js';
import type { Vrf } from './vrf.js';

export interface ReplicatorOptions {
  /** The VPN table routes come from. */
  readonly vpn: RouteTable;
  /** The table of a VRF routes go to. */
  readonly vrfTable: (v: Vrf) => RouteTable;
  /** Writes the VRF route key for a VPN route key into out, returns its length. */
  readonly mapKey: (vpnKey: Uint8Array, out: Uint8Array) => number;
  /** For a locally originated VPN route: the VRF it was exported from, which does not import it back. */
  readonly originOf?: (vpnKey: string) => Vrf | undefined;
  readonly pool: AttrPool;
}

const NONE: readonly Vrf[] = Object.freeze([]);

/** inet-vpn key [len, rd(8), prefix…] → inet key [len, prefix…]. */
export function vpnToInetKey(k: Uint8Array, out: Uint8Array): number {
  out[0] = k[0];
  const n = k.length - 9;
  for (let i = 0; i < n; i++) out[1 + i] = k[9 + i];
  return n + 1;
}

/** EVPN routes keep their key (RD included) in the VRF's evpn table, as the original's evpn tables do. */
export function sameKey(k: Uint8Array, out: Uint8Array): number {
  out.set(k);
  return k.length;
}

export class Replicator {
  readonly #o: ReplicatorOptions;
  readonly #unsubscribe: () => void;
  #byTarget = new Map<string, Vrf[]>();
  #vrfsAt: (readonly Vrf[] | undefined)[] = [];
  #srcAt = new Int32Array(1024); // source + 1
  #scratch = new Uint8Array(64);
  #memo = new Map<number, readonly Vrf[]>();

  constructor(o: ReplicatorOptions) {
    this.#o = o;
    this.#unsubscribe = o.vpn.subscribeIds((ids) => {
      this.#memo.clear();
      for (const d of ids) this.#apply(d);
    });
  }

  close(): void {
    this.#unsubscribe();
  }

  /** Sets the VRFs and their import targets; re-evaluates every VPN destination when anything changed. */
  setVrfs(vrfs: Iterable<Vrf>): void {
    const next = new Map<string, Vrf[]>();
    for (const v of vrfs) {
      for (const t of v.importKeys) {
        let l = next.get(t);
        if (!l) next.set(t, (l = []));
        l.push(v);
      }
    }
    if (sameIndex(next, this.#byTarget)) return;
    this.#byTarget = next;
    this.reimportAll();
  }

  /** Re-evaluates every destination of the VPN table (after targets changed or a VRF went away). */
  reimportAll(): void {
    this.#memo.clear();
    const vpn = this.#o.vpn;
    const top = Math.max(vpn.idLimit, this.#vrfsAt.length);
    for (let d = 0; d < top; d++) if (vpn.ecmpCountAt(d) > 0 || this.#vrfsAt[d]) this.#apply(d);
    this.#memo.clear();
  }

  /** The VRFs a VPN destination (by id) is imported into. */
  vrfsOf(d: number): readonly Vrf[] {
    return this.#vrfsAt[d] ?? NONE;
  }

  #wanted(attrId: number): readonly Vrf[] {
    let w = this.#memo.get(attrId);
    if (w) return w;
    const rts = this.#o.pool.get(attrId).routeTargets;
    if (rts.length === 0) w = NONE;
    else if (rts.length === 1) w = this.#byTarget.get(rts[0]) ?? NONE;
    else {
      const s = new Set<Vrf>();
      for (const rt of rts) for (const v of this.#byTarget.get(rt) ?? NONE) s.add(v);
      w = s.size ? [...s] : NONE;
    }
    this.#memo.set(attrId, w);
    return w;
  }

  #apply(d: number): void {
    const vpn = this.#o.vpn;
    const prev = this.#vrfsAt[d];
    const prevSrc = prev ? this.#srcAt[d] - 1 : -1;
    if (vpn.ecmpCountAt(d) === 0) {
      if (prev) {
        // the destination is still live during the table's id callback: its key can be read
        const n = this.#o.mapKey(vpn.keyView(d), this.#scratch);
        for (const v of prev) this.#o.vrfTable(v).withdrawKey(this.#scratch, n, prevSrc, d);
        this.#vrfsAt[d] = undefined;
      }
      return;
    }
    const best = vpn.bestAt(d)!;
    const attrId = vpn.bestAttrIdAt(d);
    let want = this.#wanted(attrId);
    if (best.source === LOCAL_SOURCE && this.#o.originOf && want.length) {
      const origin = this.#o.originOf(vpn.keyAt(d));
      if (origin && want.includes(origin)) want = want.filter((v) => v !== origin);
    }
    if (!prev && want.length === 0) return;
    const key = vpn.keyView(d);
    const n = this.#o.mapKey(key, this.#scratch);
    if (prev) {
      for (const v of prev) {
        if (prevSrc !== best.source || !want.includes(v)) this.#o.vrfTable(v).withdrawKey(this.#scratch, n, prevSrc, d);
      }
    }
    for (const v of want) this.#o.vrfTable(v).upsertKey(this.#scratch, n, best.source, d, attrId, best.label, best.extra);
    if (want.length === 0) {
      this.#vrfsAt[d] = undefined;
      return;
    }
    this.#vrfsAt[d] = want;
    if (d >= this.#srcAt.length) {
      const g = new Int32Array(Math.max(d + 1, this.#srcAt.length * 2));
      g.set(this.#srcAt);
      this.#srcAt = g;
    }
    this.#srcAt[d] = best.source + 1;
  }
}

function sameIndex(a: ReadonlyMap<string, readonly Vrf[]>, b: ReadonlyMap<string, readonly Vrf[]>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, l] of a) {
    const m = b.get(k);
    if (!m || m.length !== l.length) return false;
    for (let i = 0; i < l.length; i++) if (l[i] !== m[i]) return false;
  }
  return true;
}
