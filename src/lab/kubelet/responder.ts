// The built-in container of the lab: answers on each TCP and UDP port with the pod's name, so tests
// can tell which replica served them. TCP: an HTTP request gets `200 OK` with the name as body; any
// other client gets the name on connect (after a short wait for a request) and the connection closes.
// UDP: every datagram is answered with the name. Run as a script:
//   node responder.js --name <pod> [--tcp 80,8080] [--udp 53]
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { parseArgs } from 'node:util';

const HTTP_RE = /^(GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH) [^ ]+ HTTP\/1\.[01]\r?\n/;

export interface Served {
  port: number;
  close(): void;
}

export function serveTcp(name: string, port: number, host = '0.0.0.0'): Promise<Served> {
  const server = createServer((sock: Socket) => {
    let buf = '';
    let answered = false;
    const answer = (): void => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      if (HTTP_RE.test(buf)) {
        const body = `${name}\n`;
        const head = buf.startsWith('HEAD ');
        sock.end(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${head ? '' : body}`);
      } else sock.end(`${name}\n`);
    };
    const timer = setTimeout(answer, 200);
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      buf += d;
      if (buf.includes('\n') || buf.length > 4096) answer();
    });
    sock.on('error', () => undefined);
    sock.on('close', () => clearTimeout(timer));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve({ port: (server.address() as AddressInfo).port, close: () => server.close() }));
  });
}

export function serveUdp(name: string, port: number, host = '0.0.0.0'): Promise<Served> {
  const sock = createSocket('udp4');
  sock.on('message', (_msg, rinfo) => sock.send(`${name}\n`, rinfo.port, rinfo.address));
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, host, () => resolve({ port: sock.address().port, close: () => sock.close() }));
  });
}

const ports = (s: string | undefined): number[] => (s ? s.split(',').filter(Boolean).map(Number) : []);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { name: { type: 'string' }, tcp: { type: 'string' }, udp: { type: 'string' } } });
  const name = values.name ?? 'responder';
  for (const p of ports(values.tcp)) await serveTcp(name, p);
  for (const p of ports(values.udp)) await serveUdp(name, p);
  process.on('SIGTERM', () => process.exit(0));
  // keep running even without ports, like a pause container
  setInterval(() => undefined, 1 << 30);
}

if (process.argv[1] && /responder\.(ts|js)$/.test(process.argv[1])) {
  main().catch((err: unknown) => {
    console.error(`responder: ${(err as Error).message}`);
    process.exit(1);
  });
}
