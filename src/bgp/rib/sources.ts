// Where paths come from. Every path in a table names a source id; the decision process reads the
// source's kind (eBGP/iBGP/local), BGP identifier and address. Id 0 is this speaker (local routes).
import { parseIp, parseIpv4, toHex } from '../wire/addr.js';

export type SourceKind = 'local' | 'ibgp' | 'ebgp';

export interface SourceInfo {
  readonly id: number;
  readonly kind: SourceKind;
  readonly name: string;
  /** Peer address ('' for local); addressKey orders addresses (RFC 4271 §9.1.2.2 g). */
  readonly address: string;
  readonly addressKey: string;
  /** BGP identifier as a number, 0 until the session is up. */
  readonly routerId: number;
  readonly asn: number;
  readonly rrClient: boolean;
}

export type SourceInput = Omit<SourceInfo, 'id' | 'addressKey' | 'routerId'> & { readonly routerId?: string | number };

function addressKey(a: string): string {
  if (a === '') return '';
  try {
    const b = parseIp(a);
    return (b.length === 4 ? '0' : '1') + toHex(b);
  } catch {
    return '2' + a;
  }
}

function rid(r: string | number | undefined): number {
  if (r === undefined) return 0;
  if (typeof r === 'number') return r >>> 0;
  return parseIpv4(r);
}

export const LOCAL_SOURCE = 0;

export class SourceRegistry {
  #byId = new Map<number, SourceInfo>();
  #removed = new Set<number>();
  #next = 1;

  constructor(local: { routerId?: string | number; asn?: number; name?: string } = {}) {
    this.#byId.set(LOCAL_SOURCE, {
      id: LOCAL_SOURCE, kind: 'local', name: local.name ?? 'local', address: '', addressKey: '',
      routerId: rid(local.routerId), asn: local.asn ?? 0, rrClient: false,
    });
  }

  /** Registers a source; ids are never reused, so a stale id can never name a new peer. */
  add(input: SourceInput): SourceInfo {
    const id = this.#next++;
    const info: SourceInfo = { ...input, id, addressKey: addressKey(input.address), routerId: rid(input.routerId) };
    this.#byId.set(id, info);
    return info;
  }

  update(id: number, patch: Partial<SourceInput>): SourceInfo {
    const cur = this.get(id);
    const next: SourceInfo = {
      ...cur,
      ...patch,
      id,
      addressKey: patch.address === undefined ? cur.addressKey : addressKey(patch.address),
      routerId: patch.routerId === undefined ? cur.routerId : rid(patch.routerId),
    };
    this.#byId.set(id, next);
    return next;
  }

  get(id: number): SourceInfo {
    const s = this.#byId.get(id);
    if (!s) throw new RangeError(`unknown path source ${id}`);
    return s;
  }

  has(id: number): boolean {
    return this.#byId.has(id);
  }

  /**
   * Forgets a source. Paths already published in diffs may still name it, so a removed source stays readable
   * (flagged by isRemoved) — ids are never reused.
   */
  remove(id: number): void {
    if (id !== LOCAL_SOURCE) this.#removed.add(id);
  }

  isRemoved(id: number): boolean {
    return this.#removed.has(id);
  }

  /** Sources not removed. */
  all(): SourceInfo[] {
    return [...this.#byId.values()].filter((s) => !this.#removed.has(s.id));
  }
}
