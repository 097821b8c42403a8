// The filters of the route introspect (ShowRouteReq of the original): table, instance, prefix (exact, a
// bare address = longest match, or longer/shorter matches), family, protocol, source, count. Parsing is
// pure and checks everything first: a bad value is a BadQueryError naming the parameter.
import { parseIpv4 } from '../bgp/wire/addr.js';
import { BadQueryError } from './errors.js';

export type QueryFamily = 'inet' | 'inet-vpn' | 'route-target' | 'e-vpn';

export interface RouteQuery {
  readonly table: string | undefined;
  readonly instance: string | undefined;
  readonly prefix: PrefixFilter | undefined;
  readonly family: QueryFamily | undefined;
  readonly protocol: string | undefined;
  readonly source: string | undefined;
  /** Most routes listed per table. */
  readonly count: number;
}

export type PrefixFilter =
  | { readonly kind: 'longest'; readonly address: number; readonly text: string }
  | { readonly kind: 'exact' | 'longer' | 'shorter'; readonly network: number; readonly length: number; readonly text: string }
  | { readonly kind: 'text'; readonly text: string };

export const DEFAULT_COUNT = 1000;
export const MAX_COUNT = 100_000;

const FAMILY_ALIASES: Readonly<Record<string, QueryFamily>> = {
  inet: 'inet', 'inet-vpn': 'inet-vpn', l3vpn: 'inet-vpn', 'route-target': 'route-target', rtarget: 'route-target',
  'e-vpn': 'e-vpn', evpn: 'e-vpn',
};

function flag(v: string | null, name: string): boolean {
  if (v === null || v === '' || v === 'false' || v === '0') return false;
  if (v === 'true' || v === '1') return true;
  throw new BadQueryError(`${name} must be true or false, got ${JSON.stringify(v)}`, { parameter: name });
}

function ipv4(s: string, name: string): number {
  try {
    return parseIpv4(s);
  } catch {
    throw new BadQueryError(`${name}: ${JSON.stringify(s)} is not an IPv4 address`, { parameter: name });
  }
}

export function maskOf(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** Parses the prefix filter: "10.1.2.3" (longest match), "10.1.0.0/16" (exact, or longer/shorter), other text as is. */
export function parsePrefix(text: string, longer: boolean, shorter: boolean): PrefixFilter {
  if (longer && shorter) throw new BadQueryError('longer_match and shorter_match exclude each other', { parameter: 'longer_match' });
  const m = /^(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?$/.exec(text);
  if (!m) {
    if (/^[\d.]+(\/\d*)?$/.test(text)) throw new BadQueryError(`prefix ${JSON.stringify(text)} is not an IPv4 prefix`, { parameter: 'prefix' });
    return { kind: 'text', text };
  }
  const addr = ipv4(m[1], 'prefix');
  if (m[2] === undefined) {
    if (longer || shorter) return { kind: longer ? 'longer' : 'shorter', network: addr, length: 32, text: `${m[1]}/32` };
    return { kind: 'longest', address: addr, text };
  }
  const length = Number(m[2]);
  if (length > 32) throw new BadQueryError(`prefix length ${length} is above 32`, { parameter: 'prefix' });
  const network = (addr & maskOf(length)) >>> 0;
  return { kind: longer ? 'longer' : shorter ? 'shorter' : 'exact', network, length, text };
}

export function parseRouteQuery(params: URLSearchParams): RouteQuery {
  const get = (k: string): string | undefined => {
    const v = params.get(k);
    return v === null || v === '' ? undefined : v;
  };
  const fam = get('family');
  let family: QueryFamily | undefined;
  if (fam !== undefined && fam !== 'all') {
    family = FAMILY_ALIASES[fam];
    if (!family) throw new BadQueryError(`unknown family ${JSON.stringify(fam)} (inet, l3vpn, rtarget, evpn, all)`, { parameter: 'family' });
  }
  const countText = get('count');
  let count = DEFAULT_COUNT;
  if (countText !== undefined) {
    count = Number(countText);
    if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) throw new BadQueryError(`count must be 1..${MAX_COUNT}, got ${JSON.stringify(countText)}`, { parameter: 'count' });
  }
  const prefixText = get('prefix');
  const longer = flag(params.get('longer_match'), 'longer_match');
  const shorter = flag(params.get('shorter_match'), 'shorter_match');
  const protocol = get('protocol');
  return {
    table: get('routing_table'),
    instance: get('routing_instance'),
    prefix: prefixText === undefined ? undefined : parsePrefix(prefixText, longer, shorter),
    family,
    protocol: protocol === 'all' ? undefined : protocol,
    source: get('source') === 'all' ? undefined : get('source'),
    count,
  };
}

/** Does an IPv4 prefix "a.b.c.d/n" pass a prefix filter (longest match is decided by the caller)? */
export function prefixMatches(f: PrefixFilter, prefix: string): boolean {
  if (f.kind === 'text') return prefix === f.text || prefix.includes(f.text);
  const slash = prefix.lastIndexOf('/');
  if (slash < 0) return false;
  const len = Number(prefix.slice(slash + 1));
  let net: number;
  try {
    net = parseIpv4(prefix.slice(prefix.lastIndexOf(':') + 1, slash));
  } catch {
    return false;
  }
  switch (f.kind) {
    case 'longest':
      return ((f.address & maskOf(len)) >>> 0) === net;
    case 'exact':
      return len === f.length && net === f.network;
    case 'longer':
      return len >= f.length && ((net & maskOf(f.length)) >>> 0) === f.network;
    case 'shorter':
      return len <= f.length && ((f.network & maskOf(len)) >>> 0) === net;
  }
}
