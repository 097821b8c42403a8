// Service address and port allocation: ClusterIPs from the service CIDR (10.96.0.0/12 by default; the
// first host address is the `kubernetes` service's) and NodePorts from 30000-32767. Allocation walks
// upward from a rolling cursor so a released address is not handed out again at once. Pure state.
import { cidrContains, cidrSize, formatIpv4, parseCidr, parseIpv4, type Cidr } from '../../common/ip.js';

export class AllocationError extends Error {}

export class IpAllocator {
  readonly cidr: Cidr;
  readonly #used = new Set<number>();
  #cursor: number;
  #undo: { ip: number; cursor: number } | undefined;

  constructor(cidr: string) {
    this.cidr = parseCidr(cidr);
    if (this.cidr.len > 30) throw new RangeError(`service CIDR ${cidr} is too small`);
    this.#cursor = 1;
  }

  get size(): number {
    return cidrSize(this.cidr) - 2;
  }

  contains(ip: string): boolean {
    try {
      const n = parseIpv4(ip);
      const off = n - this.cidr.addr;
      return cidrContains(this.cidr, n) && off > 0 && off < cidrSize(this.cidr) - 1;
    } catch {
      return false;
    }
  }

  isUsed(ip: string): boolean {
    return this.#used.has(parseIpv4(ip));
  }

  /** Reserves a specific address; throws AllocationError when outside the range or taken. */
  reserve(ip: string): void {
    if (!this.contains(ip)) throw new AllocationError(`the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${formatIpv4(this.cidr.addr)}/${this.cidr.len}`);
    const n = parseIpv4(ip);
    if (this.#used.has(n)) throw new AllocationError(`provided IP is already allocated`);
    this.#used.add(n);
  }

  /** The next free address after the cursor (the first host address is left for `kubernetes`). */
  allocate(): string {
    const size = cidrSize(this.cidr);
    for (let i = 0; i < size; i++) {
      const off = ((this.#cursor + i - 1) % (size - 3)) + 2;
      const n = (this.cidr.addr + off) >>> 0;
      if (!this.#used.has(n)) {
        this.#used.add(n);
        this.#undo = { ip: n, cursor: this.#cursor };
        this.#cursor = off;
        return formatIpv4(n);
      }
    }
    throw new AllocationError(`range is full: no ClusterIP left in ${formatIpv4(this.cidr.addr)}/${this.cidr.len}`);
  }

  release(ip: string): void {
    try {
      this.#used.delete(parseIpv4(ip));
    } catch {
      /* not an address we handed out */
    }
  }

  /** Takes back an allocation that was never used (failed or dry-run write), cursor included. */
  unallocate(ip: string): void {
    this.release(ip);
    if (this.#undo && formatIpv4(this.#undo.ip) === ip) {
      this.#cursor = this.#undo.cursor;
      this.#undo = undefined;
    }
  }
}

export class PortAllocator {
  readonly #used = new Set<number>();
  #cursor: number;
  #undo: { port: number; cursor: number } | undefined;

  constructor(readonly min = 30000, readonly max = 32767) {
    this.#cursor = min;
  }

  reserve(port: number): void {
    if (port < this.min || port > this.max) throw new AllocationError(`provided port is not in the valid range. The range of valid ports is ${this.min}-${this.max}`);
    if (this.#used.has(port)) throw new AllocationError(`provided port is already allocated`);
    this.#used.add(port);
  }

  allocate(): number {
    const n = this.max - this.min + 1;
    for (let i = 0; i < n; i++) {
      const p = this.min + ((this.#cursor - this.min + i) % n);
      if (!this.#used.has(p)) {
        this.#used.add(p);
        this.#undo = { port: p, cursor: this.#cursor };
        this.#cursor = p + 1 > this.max ? this.min : p + 1;
        return p;
      }
    }
    throw new AllocationError(`range is full: no NodePort left in ${this.min}-${this.max}`);
  }

  release(port: number): void {
    this.#used.delete(port);
  }

  /** Takes back an allocation that was never used (failed or dry-run write), cursor included. */
  unallocate(port: number): void {
    this.release(port);
    if (this.#undo?.port === port) {
      this.#cursor = this.#undo.cursor;
      this.#undo = undefined;
    }
  }
}
