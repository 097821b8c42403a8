// Route-target membership on behalf of the agents (RFC 4684 §4, the original's "subscribe to an
// instance"): for every route target some agent imports (an RTC route received from a route-reflector
// client), this control node originates its own RTC route `<asn>:<target>`, withdrawn when the last agent
// stops asking. The routes go to every RTC-capable peer, so gateways and other control nodes send us the
// VPN routes our agents need, and the agents send us theirs (our route is the best path of the
// destination and is reflected instead of the agent's). An agent asking for everything (the default RTC
// route) makes us ask for everything too.
import { LOCAL_SOURCE, type SourceRegistry } from '../bgp/rib/sources.js';
import { keyBytes, type RouteKey, type RouteTable } from '../bgp/rib/table.js';
import type { Nlri } from '../bgp/wire/nlri.js';
import { nlriFromKey } from '../bgp/wire/nlri.js';
import { formatExtCommunity } from '../bgp/wire/ext-community.js';

export interface RtcOriginatorOptions {
  readonly table: RouteTable;
  readonly sources: SourceRegistry;
  readonly asn: number;
  /** Does a path of this source stand for an agent's subscription? */
  readonly isAgent: (sourceId: number) => boolean;
  originate(nlri: Nlri): void;
  withdraw(nlri: Nlri): void;
}

export class RtcOriginator {
  readonly #o: RtcOriginatorOptions;
  readonly #unsubscribe: () => void;
  /** what we originate, by the membership key it stands for ('' = default) → the destinations asking */
  #asked = new Map<string, Set<RouteKey>>();

  constructor(o: RtcOriginatorOptions) {
    this.#o = o;
    this.#unsubscribe = o.table.subscribeIds((ids) => {
      for (const d of ids) this.#update(o.table.keyAt(d));
    });
    for (const r of o.table.routes()) this.#update(r.key);
  }

  close(): void {
    this.#unsubscribe();
  }

  /** The targets (text form) originated for agents; 'default' when everything is asked for. */
  targets(): string[] {
    return [...this.#asked.keys()].map((k) => (k === '' ? 'default' : formatExtCommunity(keyBytes(k), 0))).sort();
  }

  /** Re-evaluates every destination (after a peer's role changed). */
  refresh(): void {
    const seen = new Set<RouteKey>();
    for (const r of this.#o.table.routes()) {
      seen.add(r.key);
      this.#update(r.key);
    }
    for (const set of [...this.#asked.values()]) for (const k of [...set]) if (!seen.has(k)) this.#update(k);
  }

  #update(key: RouteKey): void {
    const b = keyBytes(key);
    const len = b[0];
    // only full targets (96 bits) and the default route stand for subscriptions
    if (len !== 0 && len !== 96) return;
    const member = len === 0 ? '' : key.slice(5, 13);
    const route = this.#o.table.get(key);
    const wanted = route?.paths.some((p) => p.source !== LOCAL_SOURCE && this.#o.isAgent(p.source)) ?? false;
    let set = this.#asked.get(member);
    if (wanted) {
      if (!set) {
        this.#asked.set(member, (set = new Set()));
        this.#o.originate(this.#nlri(member));
      }
      set.add(key);
    } else if (set?.delete(key) && set.size === 0) {
      this.#asked.delete(member);
      this.#o.withdraw(this.#nlri(member));
    }
  }

  #nlri(member: string): Nlri {
    if (member === '') return { family: 'route-target', originAs: 0, routeTarget: null, prefixLen: 0 };
    const rt = nlriFromKey('route-target', keyBytes(`\x60${asnBytes(this.#o.asn)}${member}`));
    return rt;
  }
}

function asnBytes(asn: number): string {
  return String.fromCharCode((asn >>> 24) & 255, (asn >>> 16) & 255, (asn >>> 8) & 255, asn & 255);
}
