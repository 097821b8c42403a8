// A BGP peer played by a test over a real TCP socket: sends exactly the bytes it is told (well-formed or
// not) and records every message it receives, decoded. For speaker tests that need a misbehaving or
// scripted neighbour.
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { KEEPALIVE, decodeMessage, encodeOpen, frameLength, type Capability, type Message } from '../../src/bgp/wire/index.js';

export interface RawPeerOptions {
  readonly host: string;
  readonly port: number;
  readonly localAddress: string;
  readonly asn: number;
  readonly routerId: string;
  readonly holdTime?: number;
  readonly capabilities?: readonly Capability[];
}

export class RawBgpPeer {
  readonly received: Message[] = [];
  #sock: Socket;
  #buf = Buffer.alloc(0);
  #waiters: (() => void)[] = [];
  closed = false;

  private constructor(sock: Socket) {
    this.#sock = sock;
    sock.on('data', (c: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, c]);
      for (;;) {
        const len = this.#buf.length >= 19 ? frameLength(this.#buf, 0, this.#buf.length) : 0;
        if (!len || len > this.#buf.length) break;
        const r = decodeMessage(this.#buf.subarray(0, len));
        if (r.ok) this.received.push(r.message);
        this.#buf = this.#buf.subarray(len);
      }
      for (const w of this.#waiters.splice(0)) w();
    });
    sock.on('close', () => {
      this.closed = true;
      for (const w of this.#waiters.splice(0)) w();
    });
    sock.on('error', () => {});
  }

  /** Connects, exchanges OPEN and KEEPALIVE, and returns once the speaker confirmed the session. */
  static async open(o: RawPeerOptions): Promise<RawBgpPeer> {
    const sock = connect({ host: o.host, port: o.port, localAddress: o.localAddress });
    await once(sock, 'connect');
    const p = new RawBgpPeer(sock);
    p.send(encodeOpen({
      asn: o.asn, holdTime: o.holdTime ?? 90, routerId: o.routerId,
      capabilities: o.capabilities ?? [
        { kind: 'multiprotocol', afi: 1, safi: 1 },
        { kind: 'multiprotocol', afi: 1, safi: 128 },
        { kind: 'multiprotocol', afi: 1, safi: 132 },
        { kind: 'four-octet-as', asn: o.asn },
      ],
    }));
    await p.until((m) => m.type === 'open');
    p.send(KEEPALIVE);
    await p.until((m) => m.type === 'keepalive');
    return p;
  }

  send(b: Uint8Array): void {
    this.#sock.write(b);
  }

  /** Resolves when a received message satisfies `pred` (counting ones already received), or rejects after ms. */
  async until(pred: (m: Message) => boolean, ms = 10_000): Promise<Message> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = this.received.find(pred);
      if (m) return m;
      if (this.closed) throw new Error('connection closed while waiting');
      if (Date.now() > deadline) throw new Error('timed out waiting for a message');
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 100).unref();
      });
    }
  }

  /** Closes without a NOTIFICATION (as a crashed speaker would). */
  kill(): void {
    this.#sock.destroy();
  }
}
