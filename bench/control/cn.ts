// The benchmark's control node process: a ControlNode as `tfctl serve control` runs it, compiled to
// plain JS so that its RSS carries no loader. Prints one JSON line when started.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startControlNode } from '../../src/control/control-node.js';

function arg(name: string, def?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : def;
  if (v === undefined) throw new Error(`missing --${name}`);
  return v;
}

const node = await startControlNode({
  configApi: arg('config-api'),
  name: arg('name', 'bench-cn'),
  routerId: arg('address'),
  bgpAddress: arg('address'),
  bgpPort: 0,
  introspectPort: 0,
});
console.log(JSON.stringify({ event: 'ready', bgpPort: node.bgpPort, introspectPort: node.introspectPort, pid: process.pid }));
if (process.env.BENCH_DEBUG) {
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  setInterval(() => {
    process.stderr.write(`loop delay max ${(lag.max / 1e6).toFixed(0)} ms p99 ${(lag.percentile(99) / 1e6).toFixed(0)} ms\n`);
    lag.reset();
    const m = process.memoryUsage();
    const mb = (n: number) => (n / 1048576).toFixed(0);
    const rt = node.runtime;
    let vrf = 0;
    for (const v of rt?.vrfs() ?? []) vrf += v.inet.byteSize + v.evpn.byteSize;
    process.stderr.write(`mem rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)} vpnTable ${mb(rt?.speaker.table('inet-vpn').byteSize ?? 0)} vrfTables ${mb(vrf)} attrSets ${rt?.speaker.pool.size ?? 0}\n`);
  }, 1000).unref();
}
const stop = (): void => {
  void node.stop().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
