// `npm run bench -- bgp [--routes N] [--only ours,gobgpd,bird2]`
// One injector (bird2, static protocols) holds N VPNv4 routes (default 1,000,000: 100 route
// distinguishers, one route target per RD, so 100 distinct attribute sets) and feeds them over iBGP, one
// receiver at a time, to our speaker, to gobgpd and to a second bird2 — all inside one network namespace
// with 192.0.2.x addresses on its loopback. Each receiver is timed from session up to all routes processed
// (ours: End-of-RIB handled; gobgpd and bird2: route count polled, 1 s and 0.2 s apart, since polling
// gobgpd faster slows it down), with the CPU time it used meanwhile and its peak RSS (VmHWM) from /proc.
// Needs root.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const BENCH = 'bgp';
const NS = `tfbgpb${process.pid}`;
const INJ = '192.0.2.1';
const OURS = '192.0.2.2';
const GOBGP = '192.0.2.3';
const BIRD = '192.0.2.4';
const INJ_PORT = 1790;

interface Options {
  routes: number;
  only: Set<string>;
}

function parse(args: string[]): Options {
  const o: Options = { routes: 1_000_000, only: new Set(['ours', 'gobgpd', 'bird2']) };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--routes') o.routes = Number(args[++i]);
    else if (args[i] === '--only') o.only = new Set(args[++i].split(','));
  }
  return o;
}

function figure(name: string, value: number, unit: string): void {
  console.log(JSON.stringify({ bench: BENCH, figure: name, value: Number(value.toFixed(3)), unit }));
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
function nsExec(args: string[]): string {
  return sh('ip', ['netns', 'exec', NS, ...args]);
}
function nsSpawn(args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  return spawn('ip', ['netns', 'exec', NS, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function vmHwmMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function waitFor<T>(what: string, f: () => T | undefined, everyMs: number, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    let v: T | undefined;
    try {
      v = f();
    } catch {
      v = undefined;
    }
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

function birdCount(sock: string): number | undefined {
  const out = nsExec(['birdc', '-s', sock, 'show', 'route', 'count', 'table', 'vpntab4']);
  const m = /(\d+) of (\d+) routes/.exec(out);
  return m ? Number(m[1]) : undefined;
}

function injectorConfig(dir: string, routes: number): string {
  const path = join(dir, 'injector.conf');
  const fd = openSync(path, 'w');
  writeSync(fd, `router id ${INJ};\nvpn4 table vpntab4;\nprotocol device {}\n`);
  const rds = 100;
  for (let rd = 1; rd <= rds; rd++) {
    const lines: string[] = [`protocol static inj${rd} {\n  vpn4 { table vpntab4; import filter { bgp_ext_community.add((rt, 64512, ${rd})); accept; }; };\n`];
    for (let i = rd - 1; i < routes; i += rds) {
      lines.push(`  route 64512:${rd} ${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24 blackhole;\n`);
    }
    lines.push('}\n');
    writeSync(fd, lines.join(''));
  }
  for (const [name, addr] of [['feedours', OURS], ['feedgobgp', GOBGP], ['feedbird', BIRD]]) {
    writeSync(fd, `protocol bgp ${name} {\n  local ${INJ} port ${INJ_PORT} as 64512;\n  neighbor ${addr} as 64512;\n  passive on;\n  vpn4 mpls { table vpntab4; import none; export all; next hop self; };\n}\n`);
  }
  closeSync(fd);
  return path;
}

interface Result {
  seconds: number;
  /** CPU time (user + system) the receiver spent over the same interval. */
  cpuSeconds: number;
  rssMb: number;
  routes: number;
}

/** User + system CPU seconds a process has used so far (/proc/<pid>/stat, clock ticks of 1/100 s). */
function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Compiles the receiver and the code it imports with tsc, as the published package runs (dist/): running
 * under the tsx loader would add ~50 MB of loader memory to our RSS figure.
 */
function compileReceiver(): string {
  const out = '.bench-out/bgp-js';
  rmSync(out, { recursive: true, force: true });
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', 'bench/bgp/receiver.ts', '--outDir', out, '--rootDir', '.', '--module', 'nodenext',
    '--moduleResolution', 'nodenext', '--target', 'es2023', '--skipLibCheck', '--types', 'node', '--strict'], { stdio: 'inherit' });
  return join(out, 'bench/bgp/receiver.js');
}

async function runOurs(routes: number): Promise<Result> {
  const script = compileReceiver();
  const prof = process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir', '.bench-out/prof'] : [];
  const child = nsSpawn([process.execPath, ...prof, script, '--local', OURS, '--peer', INJ, '--peer-port', String(INJ_PORT)], {
    ...process.env,
    TF_LOG_LEVEL: 'warn',
  });
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(`  [ours] ${d.toString()}`));
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (l) => l.startsWith('{') && resolve(l));
    child.on('exit', (code) => reject(new Error(`receiver exited with ${code}`)));
  });
  const r = JSON.parse(line) as { seconds: number; cpuSeconds: number; routes: number; attrSets: number; vmHwmKb: number; tableBytes: number };
  if (process.env.BENCH_DEBUG) console.log(line);
  console.log(`  ours: ${r.routes} routes, ${r.attrSets} attribute sets, table arrays ${(r.tableBytes / 1048576).toFixed(1)} MB, CPU ${r.cpuSeconds.toFixed(2)} s`);
  if (r.routes !== routes) throw new Error(`our speaker holds ${r.routes} routes, expected ${routes}`);
  return { seconds: r.seconds, cpuSeconds: r.cpuSeconds, rssMb: r.vmHwmKb / 1024, routes: r.routes };
}

async function runGobgp(dir: string, routes: number): Promise<Result> {
  const conf = join(dir, 'gobgpd.toml');
  writeFileSync(conf, `[global.config]
  as = 64512
  router-id = "${GOBGP}"
  port = 1793
  local-address-list = ["${GOBGP}"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${INJ}"
    peer-as = 64512
  [neighbors.transport.config]
    local-address = "${GOBGP}"
    remote-port = ${INJ_PORT}
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "l3vpn-ipv4-unicast"
`);
  const api = ['-u', '127.0.0.1', '-p', '50071'];
  const child = nsSpawn(['gobgpd', '-f', conf, '--api-hosts', '127.0.0.1:50071', '-l', 'warn']);
  child.stdout!.resume();
  child.stderr!.resume();
  try {
    const t0 = await waitFor('gobgpd session', () => (/Establ/.test(nsExec(['gobgp', ...api, 'neighbor'])) ? performance.now() : undefined), 50, 120_000);
    const c0 = cpuOf(child.pid!);
    const t1 = await waitFor('gobgpd routes', () => {
      const m = /Destination:\s*(\d+)/.exec(nsExec(['gobgp', ...api, 'global', 'rib', '-a', 'vpnv4', 'summary']));
      return m && Number(m[1]) >= routes ? performance.now() : undefined;
    }, 1000, 1_200_000);
    return { seconds: (t1 - t0) / 1000, cpuSeconds: cpuOf(child.pid!) - c0, rssMb: vmHwmMb(child.pid!), routes };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

async function runBird(dir: string, routes: number): Promise<Result> {
  const conf = join(dir, 'bird-rx.conf');
  const sock = join(dir, 'bird-rx.ctl');
  writeFileSync(conf, `router id ${BIRD};
vpn4 table vpntab4;
protocol device {}
protocol direct { ipv4; interface "lo"; }
protocol bgp feed {
  local ${BIRD} port 1791 as 64512;
  neighbor ${INJ} port ${INJ_PORT} as 64512;
  vpn4 mpls { table vpntab4; import all; export none; igp table master4; };
}
`);
  const child = nsSpawn(['bird', '-f', '-c', conf, '-s', sock, '-P', join(dir, 'bird-rx.pid')]);
  child.stdout!.resume();
  child.stderr!.resume();
  try {
    const t0 = await waitFor('bird2 session', () => (/Established/.test(nsExec(['birdc', '-s', sock, 'show', 'protocols', 'feed'])) ? performance.now() : undefined), 50, 120_000);
    const c0 = cpuOf(child.pid!);
    const t1 = await waitFor('bird2 routes', () => ((birdCount(sock) ?? 0) >= routes ? performance.now() : undefined), 200, 1_200_000);
    return { seconds: (t1 - t0) / 1000, cpuSeconds: cpuOf(child.pid!) - c0, rssMb: vmHwmMb(child.pid!), routes };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

export async function main(args: string[]): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error('bench bgp needs root (network namespace)');
    process.exitCode = 1;
    return;
  }
  const o = parse(args);
  const dir = mkdtempSync(join(tmpdir(), 'tf-bench-bgp-'));
  let injector: ChildProcess | undefined;
  try {
    sh('ip', ['netns', 'add', NS]);
    sh('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    for (const a of [INJ, OURS, GOBGP, BIRD]) sh('ip', ['-n', NS, 'addr', 'add', `${a}/32`, 'dev', 'lo']);
    console.log(`bgp bench: ${o.routes} VPNv4 routes, 100 RDs / route targets, injector bird2 (static), namespace ${NS}`);
    const conf = injectorConfig(dir, o.routes);
    const sock = join(dir, 'injector.ctl');
    const tl = performance.now();
    injector = nsSpawn(['bird', '-f', '-c', conf, '-s', sock, '-P', join(dir, 'injector.pid')]);
    injector.stdout!.resume();
    injector.stderr!.on('data', (d: Buffer) => process.stderr.write(`  [injector] ${d.toString()}`));
    await waitFor('injector loaded', () => ((birdCount(sock) ?? 0) >= o.routes ? true : undefined), 500, 600_000);
    console.log(`  injector loaded in ${((performance.now() - tl) / 1000).toFixed(1)} s, RSS ${vmHwmMb(injector.pid!).toFixed(0)} MB`);
    const results: Record<string, Result> = {};
    if (o.only.has('ours')) results.ours = await runOurs(o.routes);
    if (o.only.has('gobgpd')) results.gobgpd = await runGobgp(dir, o.routes);
    if (o.only.has('bird2')) results.bird2 = await runBird(dir, o.routes);
    console.log('');
    for (const [who, r] of Object.entries(results)) {
      console.log(`  ${who.padEnd(7)} ${r.seconds.toFixed(2).padStart(7)} s   CPU ${r.cpuSeconds.toFixed(2).padStart(6)} s   peak RSS ${r.rssMb.toFixed(0).padStart(5)} MB   (${Math.round(r.routes / r.seconds)} routes/s)`);
    }
    const ours = results.ours;
    if (ours && results.gobgpd) console.log(`  ours vs gobgpd: time ${(ours.seconds / results.gobgpd.seconds).toFixed(2)}x, RSS ${(ours.rssMb / results.gobgpd.rssMb).toFixed(2)}x   (target: time ≤ 1x)`);
    if (ours && results.bird2) console.log(`  ours vs bird2:  time ${(ours.seconds / results.bird2.seconds).toFixed(2)}x, RSS ${(ours.rssMb / results.bird2.rssMb).toFixed(2)}x   (targets: time ≤ 2x, RSS ≤ 1.5x)`);
    const scale = o.routes === 1_000_000 ? '1m' : `${o.routes}`;
    for (const [who, r] of Object.entries(results)) {
      figure(`${who}_${scale}_vpnv4_s`, r.seconds, 's');
    }
    for (const [who, r] of Object.entries(results)) figure(`${who}_peak_rss_mb`, r.rssMb, 'MB');
    // CPU time over the same interval: steadier than wall time when the machine is shared.
    for (const [who, r] of Object.entries(results)) figure(`${who}_${scale}_vpnv4_cpu_s`, r.cpuSeconds, 's');
  } finally {
    if (injector) {
      injector.kill('SIGTERM');
      await new Promise((r) => injector!.once('exit', r));
    }
    try {
      sh('ip', ['netns', 'del', NS]);
    } catch {
      /* already gone */
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
