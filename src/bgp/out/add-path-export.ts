// What a speaker sends one peer in a family where ADD-PATH (RFC 7911) is negotiated for sending: every path
// of a prefix's ECMP set that the peer may get, each under its own path identifier, instead of the best
// path alone — so a router that peers with us learns one next hop per node hosting an address and can
// balance over them. Used for the few public routes toward gateways: it follows the table's change
// listener and writes the difference at once (no bounded steps, no backpressure pause), and a whole-table
// pass walks every route. Path identifiers are allocated per session for each (source, path id) of the
// table and never reused within the session; a path that leaves the ECMP set is withdrawn by its
// identifier alone.
import type { Logger } from '../../common/log.js';
import type { Family } from '../wire/constants.js';
import type { PathAttributes } from '../wire/attributes.js';
import { encodeNlri, nlriFromKey } from '../wire/nlri.js';
import type { SourceInfo, SourceRegistry } from '../rib/sources.js';
import { keyBytes, type Path, type RouteKey, type RouteTable } from '../rib/table.js';
import { UpdatePacker, type AttrGroup } from './packer.js';

export interface AddPathHost {
  readonly tables: ReadonlyMap<Family, RouteTable>;
  readonly sources: SourceRegistry;
  /** The peer's own source id (its paths never go back to it). */
  readonly sourceId: number;
  readonly log: Logger;
  group(f: Family, src: SourceInfo, attrs: PathAttributes): AttrGroup | undefined;
  send(msgs: readonly Uint8Array[]): boolean;
}

/** Path identifier → attribute group id advertised, per destination. */
type Sent = Map<number, number>;

export class AddPathExport {
  readonly family: Family;
  readonly #host: AddPathHost;
  #unsubscribe: (() => void) | undefined;
  readonly #sent = new Map<RouteKey, Sent>();
  readonly #ids = new Map<string, number>();
  #nextId = 1;
  #count = 0;

  constructor(family: Family, host: AddPathHost) {
    this.family = family;
    this.#host = host;
  }

  /** Paths advertised now. */
  get sent(): number {
    return this.#count;
  }

  get active(): boolean {
    return this.#unsubscribe !== undefined;
  }

  /**
   * Starts following the table (when not yet) and sends the difference for every route; `eor` ends with
   * End-of-RIB (initial dump), `force` re-sends what is unchanged (ROUTE-REFRESH).
   */
  scan(o: { eor?: boolean; force?: boolean } = {}): void {
    const t = this.#host.tables.get(this.family);
    if (!t) return;
    this.#unsubscribe ??= t.subscribe((changes) => {
      const packer = new UpdatePacker(this.family);
      const out: Uint8Array[] = [];
      for (const c of changes) this.#one(c.key, c.ecmp, packer, out, false);
      this.#flush(packer, out);
    });
    const packer = new UpdatePacker(this.family);
    const out: Uint8Array[] = [];
    const live = new Set<RouteKey>();
    for (const r of t.routes()) {
      live.add(r.key);
      this.#one(r.key, r.paths.slice(0, r.ecmpCount), packer, out, o.force ?? false);
    }
    for (const key of [...this.#sent.keys()]) if (!live.has(key)) this.#one(key, [], packer, out, false);
    if (o.eor) {
      packer.finish(out);
      out.push(packer.endOfRib());
    }
    this.#flush(packer, out);
  }

  /** The session is down or the peer removed: forget everything sent. */
  close(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#sent.clear();
    this.#ids.clear();
    this.#nextId = 1;
    this.#count = 0;
  }

  #flush(packer: UpdatePacker, out: Uint8Array[]): void {
    packer.finish(out);
    if (out.length) this.#host.send(out);
  }

  #pathIdentifier(p: Path): number {
    const k = `${p.source}/${p.pathId}`;
    let id = this.#ids.get(k);
    if (id === undefined) {
      id = this.#nextId++ >>> 0;
      this.#ids.set(k, id);
    }
    return id;
  }

  #one(key: RouteKey, ecmp: readonly Path[], packer: UpdatePacker, out: Uint8Array[], force: boolean): void {
    const want = new Map<number, AttrGroup>();
    for (const p of ecmp) {
      if (p.source === this.#host.sourceId) continue;
      const g = this.#host.group(this.family, this.#host.sources.get(p.source), p.attrs);
      if (g) want.set(this.#pathIdentifier(p), g);
    }
    const had = this.#sent.get(key);
    if (!had && want.size === 0) return;
    const prefix = encodeNlri(nlriFromKey(this.family, keyBytes(key)));
    const wire = new Uint8Array(4 + prefix.length);
    wire.set(prefix, 4);
    const put = (id: number, g: AttrGroup | null): void => {
      wire[0] = id >>> 24;
      wire[1] = (id >>> 16) & 255;
      wire[2] = (id >>> 8) & 255;
      wire[3] = id & 255;
      packer.add(g, wire, 0, wire.length, out);
    };
    const now: Sent = new Map();
    for (const [id, g] of want) {
      if (force || had?.get(id) !== g.id) put(id, g);
      now.set(id, g.id);
    }
    for (const id of had?.keys() ?? []) if (!want.has(id)) put(id, null);
    this.#count += now.size - (had?.size ?? 0);
    if (now.size) this.#sent.set(key, now);
    else this.#sent.delete(key);
  }
}
