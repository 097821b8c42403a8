// The benchmark's receiving side for our speaker, run inside the benchmark's network namespace: connects
// to the injector, times session-up → End-of-RIB of inet-vpn, and prints one JSON line with the time,
// the table size, the distinct attribute sets and the process's peak RSS (VmHWM).
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import { Speaker } from '../../src/bgp/speaker.js';

function arg(name: string, def?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : def;
  if (v === undefined) throw new Error(`missing --${name}`);
  return v;
}

function vmHwmKb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : 0;
}

const local = arg('local');
const peer = arg('peer');
const s = new Speaker({ asn: Number(arg('asn', '64512')), routerId: local, listen: false, holdTime: 90, gracefulRestart: { restartTime: 120 } });
let t0 = 0;
let cpu0 = process.cpuUsage();
s.onPeerEvent((e) => {
  if (e.type === 'established') {
    t0 = performance.now();
    cpu0 = process.cpuUsage();
  }
  if (e.type === 'end-of-rib' && e.family === 'inet-vpn') {
    const seconds = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(cpu0);
    const cpuSeconds = (c.user + c.system) / 1e6;
    const t = s.table('inet-vpn');
    // give the table's batch a turn to publish before reading its size
    setImmediate(() => {
      console.log(JSON.stringify({ seconds, cpuSeconds, routes: t.size, paths: t.pathCount, attrSets: s.pool.size, tableBytes: t.byteSize, vmHwmKb: vmHwmKb(), mem: process.memoryUsage(), spaces: process.env.BENCH_DEBUG ? getHeapSpaceStatistics().map((x) => `${x.space_name}:${(x.space_size / 1048576).toFixed(1)}/${(x.space_used_size / 1048576).toFixed(1)}`) : [] }));
      process.exit(0);
    });
  }
  if (e.type === 'down') {
    console.error(`session down: ${e.reason}`);
    process.exit(1);
  }
});
s.addPeer({ address: peer, port: Number(arg('peer-port', '179')), localAddress: local, asn: Number(arg('peer-asn', '64512')), families: ['inet-vpn'] });
await s.start();
