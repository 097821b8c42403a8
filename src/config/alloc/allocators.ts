// Process-local allocation state on top of the mirror: cursor pools per (pool, range) and the
// values reserved by plans whose transactions are still in flight, so concurrent creates in one
// process never pick the same value (the store's compares settle races between processes).
import { formatIpv4, parseIpv4 } from '../../common/ip.js';
import type { Mirror } from '../mirror.js';
import { CursorPool } from './cursor-pool.js';

export class Allocators {
  readonly #mirror: () => Mirror;
  readonly #pools = new Map<string, CursorPool[]>();
  readonly #pending = new Map<string, Set<string>>();

  constructor(mirror: () => Mirror) {
    this.#mirror = mirror;
  }

  isTaken(pool: string, value: string): boolean {
    return this.#mirror().allocations(pool).has(value) || (this.#pending.get(pool)?.has(value) ?? false);
  }

  reserve(pool: string, value: string): void {
    let s = this.#pending.get(pool);
    if (!s) this.#pending.set(pool, (s = new Set()));
    s.add(value);
  }

  /** Ends a reservation; `unused` when the transaction failed, so the value is free again. */
  release(pool: string, value: string, unused: boolean): void {
    const s = this.#pending.get(pool);
    s?.delete(value);
    if (s?.size === 0) this.#pending.delete(pool);
    if (unused) this.onFree(pool, value);
  }

  #pool(pool: string, lo: number, hi: number, dir: 'up' | 'down'): CursorPool {
    let list = this.#pools.get(pool);
    if (!list) this.#pools.set(pool, (list = []));
    let p = list.find((x) => x.lo === lo && x.hi === hi && x.dir === dir);
    if (!p) list.push((p = new CursorPool(lo, hi, dir)));
    return p;
  }

  /** Lowest free integer id in [lo, hi]. */
  nextId(pool: string, lo: number, hi: number): number | undefined {
    return this.#pool(pool, lo, hi, 'up').next((v) => this.isTaken(pool, String(v)));
  }

  /** First free address of the range in the given direction, skipping `reserved` addresses. */
  nextAddress(pool: string, lo: number, hi: number, dir: 'up' | 'down', reserved: ReadonlySet<number>): number | undefined {
    return this.#pool(pool, lo, hi, dir).next((v) => reserved.has(v) || this.isTaken(pool, formatIpv4(v)));
  }

  onFree(pool: string, value: string): void {
    const list = this.#pools.get(pool);
    if (!list) return;
    const n = pool.startsWith('ip/') ? parseIpv4(value) : Number(value);
    for (const p of list) p.freed(n);
  }

  /** After the mirror reloaded from a snapshot: cursors may point past freed values. */
  reset(): void {
    this.#pools.clear();
  }
}
