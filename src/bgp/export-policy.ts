// What a speaker advertises to a peer and with which attributes: iBGP split horizon and route reflection
// (RFC 4456 §6, §8: ORIGINATOR_ID, CLUSTER_LIST), eBGP rules (RFC 4271 §5.1: AS_PATH prepend, next hop
// self, no LOCAL_PREF, no foreign MED), well-known communities (RFC 1997), and the receive-side loop checks.
import type { PathAttributes } from './wire/attributes.js';
import { formatIpv4 } from './wire/addr.js';
import type { SourceInfo } from './rib/sources.js';

export interface ExportTarget {
  readonly sourceId: number;
  readonly kind: 'ibgp' | 'ebgp';
  readonly asn: number;
  readonly rrClient: boolean;
  readonly nextHopSelf: boolean;
  /** This end's address on the session: the next hop when we are next hop. */
  readonly localAddress: string;
}

export interface LocalIdentity {
  readonly asn: number;
  readonly routerId: string;
  readonly clusterId: string;
}

const NO_EXPORT = '65535:65281';
const NO_ADVERTISE = '65535:65282';

/** May a path from `source` go to `to` at all (before route-target filtering)? */
export function mayExport(source: SourceInfo, attrs: PathAttributes, to: ExportTarget): boolean {
  if (source.id === to.sourceId) return false;
  const cs = attrs.communities;
  if (cs && (cs.includes(NO_ADVERTISE) || (to.kind === 'ebgp' && cs.includes(NO_EXPORT)))) return false;
  if (source.kind !== 'ibgp' || to.kind === 'ebgp') return true;
  // iBGP to iBGP only through reflection: client routes to everyone, non-client routes to clients.
  return source.rrClient || to.rrClient;
}

/** The attributes sent to `to` for a path from `source`. */
export function exportAttributes(source: SourceInfo, a: PathAttributes, to: ExportTarget, me: LocalIdentity): PathAttributes {
  if (to.kind === 'ebgp') {
    const { localPref: _lp, originatorId: _o, clusterList: _c, med, ...rest } = a;
    const first = rest.asPath[0];
    const asPath = first && first.type === 'sequence' && first.asns.length < 255
      ? [{ type: 'sequence' as const, asns: [me.asn, ...first.asns] }, ...rest.asPath.slice(1)]
      : [{ type: 'sequence' as const, asns: [me.asn] }, ...rest.asPath];
    return {
      ...rest,
      asPath,
      ...(med !== undefined && source.kind === 'local' ? { med } : {}),
      nextHop: to.nextHopSelf || a.nextHop === undefined ? to.localAddress : a.nextHop,
    };
  }
  const out: { -readonly [K in keyof PathAttributes]: PathAttributes[K] } = { ...a };
  out.localPref = source.kind === 'ebgp' || a.localPref === undefined ? 100 : a.localPref;
  if (to.nextHopSelf || a.nextHop === undefined) out.nextHop = to.localAddress;
  if (source.kind === 'ibgp') {
    out.originatorId = a.originatorId ?? formatIpv4(source.routerId);
    out.clusterList = [me.clusterId, ...(a.clusterList ?? [])];
  }
  return out;
}

/** Receive-side loop detection: our AS in an eBGP path, our router id or cluster id in a reflected one. */
export function isLooped(a: PathAttributes, fromKind: 'ibgp' | 'ebgp', me: LocalIdentity): boolean {
  if (fromKind === 'ebgp') return a.asPath.some((s) => s.asns.includes(me.asn));
  return a.originatorId === me.routerId || (a.clusterList?.includes(me.clusterId) ?? false);
}
