// The receive path of UPDATE messages: frame the message, intern its attributes (decoded once per distinct
// set), check for loops, and walk the NLRI in place into the family tables — no object per route. RFC 7606
// outcomes: session-reset faults throw before anything is applied; treat-as-withdraw turns the announced
// NLRI into withdrawals; discarded attributes are reported.
import type {
  BgpError} from './wire/index.js';
import { NlriScratch, UpdateScan, attributeKey, scanNlri, scanUpdate, updateAttributes, type Family,
} from './wire/index.js';
import type { RouteTable, PathExtra } from './rib/table.js';
import type { AttrPool } from './rib/attr-pool.js';
import { isLooped, type LocalIdentity } from './export-policy.js';

export interface InboundContext {
  readonly tables: ReadonlyMap<Family, RouteTable>;
  readonly pool: AttrPool;
  readonly me: LocalIdentity;
  /** The sending peer: its source id, kind and the families negotiated with it. */
  readonly source: number;
  readonly kind: 'ibgp' | 'ebgp';
  readonly families: ReadonlySet<Family>;
  readonly as4: boolean;
  /** Route-target NLRI of this peer added (true) or removed (false). */
  readonly onRtc?: (key: Uint8Array, added: boolean) => void;
}

export interface InboundResult {
  /** Families whose tables this UPDATE touched. */
  readonly touched: ReadonlySet<Family>;
  readonly endOfRib: Family | undefined;
  /** RFC 7606 outcomes that kept the session: the treat-as-withdraw cause and discarded attributes. */
  readonly withdrawn: BgpError | undefined;
  readonly discarded: readonly BgpError[];
  /** Announced routes dropped because of a loop (our AS, router id or cluster id). */
  readonly looped: boolean;
}

export class UpdateReceiver {
  readonly #scan = new UpdateScan();
  readonly #nlri = new NlriScratch();

  /** Applies one UPDATE (b[off, off+len), header included). Throws a session-reset BgpError. */
  apply(b: Uint8Array, off: number, len: number, ctx: InboundContext): InboundResult {
    const s = this.#scan;
    scanUpdate(b, off, len, s);
    const touched = new Set<Family>();
    if (s.endOfRib) return { touched, endOfRib: s.endOfRib, withdrawn: undefined, discarded: [], looped: false };
    let withdrawn = s.withdrawError;
    const discarded: BgpError[] = [];
    let looped = false;
    const attrsFor = (forMp: boolean): number => {
      if (withdrawn) return -1;
      const key = attributeKey(b, s, ctx.as4, forMp);
      let id = ctx.pool.lookup(key);
      if (id < 0) {
        const r = updateAttributes(b, s, { as4: ctx.as4 }, forMp);
        discarded.push(...r.discarded);
        if (r.withdraw) {
          withdrawn = r.withdraw;
          return -1;
        }
        if (!forMp && r.attrs.nextHop === undefined) return -1;
        id = ctx.pool.internWire(key, r.attrs);
      }
      if (isLooped(ctx.pool.get(id).attrs, ctx.kind, ctx.me)) {
        looped = true;
        return -1;
      }
      return id;
    };
    // Withdrawals first: an UPDATE's withdrawals precede its announcements (RFC 4271 §9).
    if (s.withdrawnEnd > s.withdrawnStart) this.#withdraw('inet', b, s.withdrawnStart, s.withdrawnEnd, true, ctx, touched);
    if (s.unreachFamily) this.#withdraw(s.unreachFamily, b, s.unreachStart, s.unreachEnd, true, ctx, touched);
    if (s.nlriEnd > s.nlriStart) {
      const id = attrsFor(false);
      if (id < 0) this.#withdraw('inet', b, s.nlriStart, s.nlriEnd, false, ctx, touched);
      else this.#announce('inet', b, s.nlriStart, s.nlriEnd, id, ctx, touched);
    }
    if (s.reachFamily && s.reachEnd > s.reachStart) {
      const id = attrsFor(true);
      if (id < 0) this.#withdraw(s.reachFamily, b, s.reachStart, s.reachEnd, false, ctx, touched);
      else this.#announce(s.reachFamily, b, s.reachStart, s.reachEnd, id, ctx, touched);
    }
    return { touched, endOfRib: undefined, withdrawn, discarded, looped };
  }

  #announce(f: Family, b: Uint8Array, start: number, end: number, attrId: number, ctx: InboundContext, touched: Set<Family>): void {
    const t = ctx.tables.get(f);
    if (!t || !ctx.families.has(f)) return;
    touched.add(f);
    const n = this.#nlri;
    const rtc = f === 'route-target' ? ctx.onRtc : undefined;
    for (let p = start; p < end; ) {
      p = scanNlri(f, b, p, end, n, false);
      if (n.skip) continue;
      let extra: PathExtra | undefined;
      if (f === 'e-vpn') extra = { nlri: b.slice(n.start, n.end) };
      else if (n.labelCount > 1) {
        const labels: number[] = [];
        for (let i = 0; i < n.labelCount; i++) labels.push(((b[n.start + 1 + 3 * i] << 16) | (b[n.start + 2 + 3 * i] << 8) | b[n.start + 3 + 3 * i]) >>> 4);
        extra = { labels };
      }
      const r = t.upsertKey(n.key, n.keyLen, ctx.source, 0, attrId, n.label, extra);
      if (rtc && r === 'added') rtc(n.key.subarray(0, n.keyLen), true);
    }
  }

  #withdraw(f: Family, b: Uint8Array, start: number, end: number, withdraw: boolean, ctx: InboundContext, touched: Set<Family>): void {
    const t = ctx.tables.get(f);
    if (!t || !ctx.families.has(f)) return;
    touched.add(f);
    const n = this.#nlri;
    const rtc = f === 'route-target' ? ctx.onRtc : undefined;
    for (let p = start; p < end; ) {
      p = scanNlri(f, b, p, end, n, withdraw);
      if (n.skip) continue;
      if (t.withdrawKey(n.key, n.keyLen, ctx.source, 0) && rtc) rtc(n.key.subarray(0, n.keyLen), false);
    }
  }
}
