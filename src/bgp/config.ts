// Speaker and peer configuration: shapes, defaults and validation. Bad configuration is a TfError with a
// stable code (BGP_BAD_CONFIG) naming the field; nothing is applied.
import { TfError } from '../common/errors.js';
import { FAMILIES, isFamily, type Family } from './wire/constants.js';
import { parseIp, parseIpv4 } from './wire/addr.js';
import type { PathAttributes } from './wire/attributes.js';

export class BgpConfigError extends TfError {
  constructor(message: string, details?: unknown) {
    super('BGP_BAD_CONFIG', message, { status: 400, details });
  }
}

export interface MaxPrefix {
  /** Most paths accepted from the peer per family. */
  readonly limit: number;
  /** Seconds to stay down after the limit tripped; absent: until the peer is re-added or reset. */
  readonly restartAfter?: number;
}

export interface PeerConfig {
  readonly address: string;
  /** Remote port for outgoing connections (default 179). */
  readonly port?: number;
  /** Source address of outgoing connections. */
  readonly localAddress?: string;
  readonly asn: number;
  /** Default ['inet', 'inet-vpn'] (the original's default neighbour families). */
  readonly families?: readonly Family[];
  /** Only accept connections, never connect. */
  readonly passive?: boolean;
  /** Seconds (0 or ≥ 3); default the speaker's. */
  readonly holdTime?: number;
  /** Route-reflector client of this speaker (RFC 4456). */
  readonly rrClient?: boolean;
  readonly maxPrefix?: number | MaxPrefix;
  /** Name for introspect; default the address. */
  readonly name?: string;
  /** Default true for eBGP peers, false for iBGP peers. */
  readonly nextHopSelf?: boolean;
  /** Announce graceful restart to this peer and act as its helper; default true when the speaker has it. */
  readonly gracefulRestart?: boolean;
  /**
   * For a session without route-target membership (RFC 4684 not negotiated): which VPN routes the peer
   * gets, by their attributes (default: all, as RFC 4684 prescribes). Re-applied by Speaker.reexport.
   */
  readonly vpnExportFilter?: (family: Family, attrs: PathAttributes) => boolean;
  /**
   * ADD-PATH (RFC 7911) send: in these families (only `inet` is supported) offer to send the peer every path
   * of the ECMP set of a prefix, each with its own path identifier, instead of the best path alone. Used
   * when the peer offers to receive; otherwise the session carries one path per prefix as usual.
   */
  readonly addPathSend?: readonly Family[];
}

export const DEFAULT_FAMILIES: readonly Family[] = ['inet', 'inet-vpn'];

function must(cond: boolean, message: string, field: string): void {
  if (!cond) throw new BgpConfigError(message, { field });
}

function validIp(s: unknown): boolean {
  if (typeof s !== 'string') return false;
  try {
    parseIp(s);
    return true;
  } catch {
    return false;
  }
}

export function validAsn(n: unknown): boolean {
  return typeof n === 'number' && Number.isInteger(n) && n > 0 && n <= 0xffffffff;
}

export function validHoldTime(n: unknown): boolean {
  return typeof n === 'number' && Number.isInteger(n) && (n === 0 || (n >= 3 && n <= 65535));
}

export function checkRouterId(s: unknown, field: string): void {
  let ok = typeof s === 'string';
  if (ok) {
    try {
      ok = parseIpv4(s as string) !== 0;
    } catch {
      ok = false;
    }
  }
  must(ok, `${field} must be a non-zero IPv4 address, got ${JSON.stringify(s)}`, field);
}

/** Validates a peer configuration; throws BgpConfigError. */
export function checkPeerConfig(c: PeerConfig): void {
  must(validIp(c.address), `peer address must be an IP address, got ${JSON.stringify(c.address)}`, 'address');
  must(validAsn(c.asn), `peer asn must be 1..4294967295, got ${JSON.stringify(c.asn)}`, 'asn');
  if (c.port !== undefined) must(Number.isInteger(c.port) && c.port > 0 && c.port < 65536, `port must be 1..65535, got ${c.port}`, 'port');
  if (c.localAddress !== undefined) must(validIp(c.localAddress), `localAddress must be an IP address, got ${JSON.stringify(c.localAddress)}`, 'localAddress');
  if (c.holdTime !== undefined) must(validHoldTime(c.holdTime), `holdTime must be 0 or 3..65535 seconds, got ${c.holdTime}`, 'holdTime');
  if (c.families !== undefined) {
    must(Array.isArray(c.families) && c.families.length > 0, 'families must be a non-empty list', 'families');
    for (const f of c.families) must(isFamily(f), `unknown family ${JSON.stringify(f)} (known: ${FAMILIES.join(', ')})`, 'families');
  }
  if (c.addPathSend !== undefined) {
    must(Array.isArray(c.addPathSend), 'addPathSend must be a list of families', 'addPathSend');
    for (const f of c.addPathSend) must(f === 'inet', `ADD-PATH send is supported for inet only, not ${JSON.stringify(f)}`, 'addPathSend');
  }
  if (c.maxPrefix !== undefined) {
    const m = typeof c.maxPrefix === 'number' ? { limit: c.maxPrefix } : c.maxPrefix;
    must(Number.isInteger(m.limit) && m.limit > 0, `maxPrefix limit must be a positive integer, got ${m.limit}`, 'maxPrefix');
    if (m.restartAfter !== undefined) must(m.restartAfter > 0, 'maxPrefix restartAfter must be positive seconds', 'maxPrefix');
  }
}
