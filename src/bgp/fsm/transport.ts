// The byte stream a BGP session runs over. The session never sees a socket: TCP (tcp.ts) and the
// in-memory pair below both implement Transport, so session tests need no network and no real time.

export interface TransportHandlers {
  data(chunk: Uint8Array): void;
  /** The stream ended or failed; called once. */
  close(err?: Error): void;
  /** Writes may continue after write() returned false. */
  drain(): void;
}

export interface Transport {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  setHandlers(h: TransportHandlers): void;
  /** False when the caller should wait for drain before writing more. */
  write(data: Uint8Array): boolean;
  /** Closes after pending writes are flushed. */
  end(): void;
  /** Closes at once. */
  destroy(): void;
  /** Stops / restarts reading (flow control while received data waits to be handled); optional. */
  pause?(): void;
  resume?(): void;
}

export interface ConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly localAddress?: string;
}

/** Opens an outgoing connection; rejects when it cannot be established. */
export type Connector = (o: ConnectOptions) => Promise<Transport>;

class MemoryEnd implements Transport {
  peer!: MemoryEnd;
  #h: TransportHandlers | undefined;
  #queued: Uint8Array[] = [];
  #closed = false;
  #closing = false;
  constructor(
    readonly localAddress: string,
    readonly localPort: number,
    readonly remoteAddress: string,
    readonly remotePort: number,
  ) {}

  setHandlers(h: TransportHandlers): void {
    this.#h = h;
    const q = this.#queued;
    this.#queued = [];
    for (const c of q) h.data(c);
    if (this.#closed) h.close();
  }

  deliver(chunk: Uint8Array): void {
    if (this.#closed) return;
    if (this.#h) this.#h.data(chunk);
    else this.#queued.push(chunk);
  }

  write(data: Uint8Array): boolean {
    if (this.#closed || this.#closing) return false;
    const copy = data.slice();
    queueMicrotask(() => this.peer.deliver(copy));
    return true;
  }

  end(): void {
    if (this.#closing || this.#closed) return;
    this.#closing = true;
    queueMicrotask(() => {
      this.peer.shut();
      this.shut();
    });
  }

  destroy(): void {
    this.peer.shut();
    this.shut();
  }

  shut(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#h?.close();
  }
}

/** Two connected in-memory transports; data written to one arrives at the other in a microtask. */
export function memoryPair(a = { address: '192.0.2.1', port: 40000 }, b = { address: '192.0.2.2', port: 179 }): [Transport, Transport] {
  const x = new MemoryEnd(a.address, a.port, b.address, b.port);
  const y = new MemoryEnd(b.address, b.port, a.address, a.port);
  x.peer = y;
  y.peer = x;
  return [x, y];
}
