// TCP transports for sessions: an accepted or connected net.Socket behind the Transport interface.
import { connect, type Socket } from 'node:net';
import type { ConnectOptions, Transport, TransportHandlers } from './transport.js';

export function socketTransport(sock: Socket): Transport {
  let handlers: TransportHandlers | undefined;
  let closed = false;
  let closeErr: Error | undefined;
  sock.setNoDelay(true);
  sock.on('error', (err) => {
    closeErr = err;
  });
  sock.on('close', () => {
    if (closed) return;
    closed = true;
    handlers?.close(closeErr);
  });
  sock.on('drain', () => handlers?.drain());
  return {
    localAddress: sock.localAddress ?? '',
    localPort: sock.localPort ?? 0,
    remoteAddress: (sock.remoteAddress ?? '').replace(/^::ffff:/, ''),
    remotePort: sock.remotePort ?? 0,
    setHandlers(h) {
      handlers = h;
      sock.on('data', (chunk: Buffer) => h.data(chunk));
      if (closed) h.close(closeErr);
    },
    write: (data) => !sock.destroyed && sock.write(data),
    end: () => sock.end(),
    destroy: () => sock.destroy(),
    pause: () => sock.pause(),
    resume: () => sock.resume(),
  };
}

/** Connects with an optional source address; rejects on failure or after timeoutMs. */
export function tcpConnect(o: ConnectOptions, timeoutMs = 10_000): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: o.host, port: o.port, ...(o.localAddress ? { localAddress: o.localAddress } : {}) });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`connect to ${o.host}:${o.port} timed out`));
    }, timeoutMs);
    timer.unref();
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.removeAllListeners('error');
      resolve(socketTransport(sock));
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      sock.destroy();
      reject(err);
    });
  });
}
