// npm run bench -- transformer [--vns 1000] [--topology pairs|ring] [--order policies-first|attach-later]
//                              [--separate] [--clients 16]
// A `tfctl serve config` process with its in-process schema transformer (the default deployment;
// --separate: the API with --no-transformer and a `tfctl serve transformer` process) on a fresh
// SQLite file. The bench writes the intent: <vns> virtual networks, each with two network policies
// of its own (2 × <vns> policies) naming its peers; two networks are connected only because both
// list each other. Topology pairs (default): networks 2k and 2k+1 are partners, one policy passes
// tcp and the other udp to the partner. Topology ring: network i's policies name i-1 and i+1.
// Order policies-first (default): the policies, then the networks with their network_policy_refs;
// attach-later: the networks, the policies, then one update per network attaching its two policies
// (the order kube-manager uses).
// An observer in this process follows the change feed (routing instances, route targets, ACLs):
//   converge_s             time from the last intent write until every routing instance carries
//                          exactly its own target (both), its two neighbours' targets (import) and
//                          connections to its two neighbours' instances, as the observer sees it;
//   max_writes_per_object  the most writes the transformer issued to one derived object (a route
//                          target or ACL create/update, a routing-instance update), counted from the
//                          feed until it has been quiet for 2 s after convergence.
// Targets (issue 4): converge_s ≤ 5, max_writes_per_object ≤ 2.
// Anchor (readable line, same run): the intent writes themselves — how fast this API takes writes
// on this machine right now; the transformer's own writes go through the same API.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VncCache } from '../src/vnc/cache.js';
import { VncClient } from '../src/vnc/client.js';
import type { VncObject } from '../src/vnc/object.js';
import type { RoutingInstance } from '../src/vnc/schema.js';
import { isDerived, ownerOf } from '../src/transformer/marks.js';
import { attrToIe } from '../src/transformer/ri-refs.js';
import { REPO_ROOT } from '../test/support/tfctl.js';

const BENCH = 'transformer';

interface Options {
  vns: number;
  order: 'policies-first' | 'attach-later';
  topology: 'pairs' | 'ring';
  separate: boolean;
  clients: number;
  /** an already running config API with a transformer (profiling) */
  api?: string;
}

function parse(args: string[]): Options {
  const o: Options = { vns: 1000, order: 'policies-first', topology: 'pairs', separate: false, clients: 16 };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--vns') o.vns = Number(args[++i]);
    else if (args[i] === '--order') o.order = args[++i] === 'attach-later' ? 'attach-later' : 'policies-first';
    else if (args[i] === '--clients') o.clients = Number(args[++i]);
    else if (args[i] === '--topology') o.topology = args[++i] === 'ring' ? 'ring' : 'pairs';
    else if (args[i] === '--separate') o.separate = true;
    else if (args[i] === '--api') o.api = args[++i];
  }
  return o;
}

function emit(figure: string, value: number, unit: string, label: string): void {
  const v = Number(value.toFixed(3));
  console.log(`${label.padEnd(64)} ${v} ${unit}`);
  console.log(JSON.stringify({ bench: BENCH, figure, value: v, unit }));
}

interface Child {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

async function spawnTfctl(args: string[], ready: RegExp): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/bin/tfctl.ts', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, TF_LOG_LEVEL: 'warn' },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = ready.exec(out);
      if (m) resolve(m[1]);
    });
    proc.once('exit', (code) => reject(new Error(`tfctl ${args.join(' ')} exited (${code}): ${out}`)));
  });
  return {
    url,
    proc,
    stop: () =>
      new Promise<void>((r) => {
        proc.once('exit', () => r());
        proc.kill('SIGTERM');
      }),
  };
}

async function pool<T>(items: T[], clients: number, fn: (x: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: clients }, async () => {
    for (let i = next++; i < items.length; i = next++) await fn(items[i]);
  }));
}

export async function main(args: string[]): Promise<void> {
  const o = parse(args);
  if (o.topology === 'pairs' && o.vns % 2 === 1) o.vns++;
  const dir = mkdtempSync(join(tmpdir(), 'tf-bench-transformer-'));
  const api: Child = o.api ? { url: o.api, proc: process as unknown as ChildProcess, stop: async () => undefined } : await spawnTfctl(
    ['serve', 'config', '--store', `sqlite://${join(dir, 'config.db')}`, '--port', '0', '--introspect-port', '0', ...(o.separate ? ['--no-transformer'] : [])],
    /listening on (http:\/\/\S+)/,
  );
  const st = o.separate && !o.api ? await spawnTfctl(['serve', 'transformer', '--config-api', api.url, '--introspect-port', '0'], /following (http:\/\/\S+)/) : undefined;
  const client = new VncClient({ url: api.url, maxSockets: o.clients + 4 });
  const watchClient = new VncClient({ url: api.url });
  const P = ['default-domain', 'bench'];
  const name = (i: number) => `vn${((i % o.vns) + o.vns) % o.vns}`;
  const vnFq = (i: number) => [...P, name(i)].join(':');
  const riFq = (i: number) => `${vnFq(i)}:${name(i)}`;
  try {
    // The observer: write counts per derived object, and the routing instances as they are.
    const cache = new VncCache(watchClient, ['virtual-network', 'routing-instance', 'route-target', 'access-control-list']);
    const writes = new Map<string, number>();
    let lastEventAt = performance.now();
    const count = (obj: VncObject, type: string, created: boolean): void => {
      lastEventAt = performance.now();
      if (type === 'virtual-network') return;
      if (type === 'routing-instance' && created) return; // created by the API with its network
      if (type !== 'routing-instance' && !isDerived(obj)) return;
      writes.set(obj.uuid, (writes.get(obj.uuid) ?? 0) + 1);
    };
    cache.on({ add: (obj, t) => count(obj, t, true), update: (obj, _old, t) => count(obj, t, false) });
    await cache.start();
    writes.clear();

    await client.create('project', { fq_name: P, parent_type: 'domain' });
    const idx = Array.from({ length: o.vns }, (_, i) => i);
    const peers = (i: number): [number, number] => (o.topology === 'ring' ? [i - 1, i + 1] : [i ^ 1, i ^ 1]);
    const rule = (i: number, j: number, protocol: string) => ({
      direction: '<>',
      protocol,
      action_list: { simple_action: 'pass' },
      src_addresses: [{ virtual_network: 'local' }],
      dst_addresses: [{ virtual_network: vnFq(j) }],
      src_ports: [{ start_port: -1, end_port: -1 }],
      dst_ports: [{ start_port: -1, end_port: -1 }],
    });
    const policies = new Map<number, string[]>();
    const createPolicies = () =>
      pool(idx, o.clients, async (i) => {
        const l = await client.create('network-policy', { fq_name: [...P, `np${i}-l`], parent_type: 'project', network_policy_entries: { policy_rule: [rule(i, peers(i)[0], o.topology === 'ring' ? 'any' : 'tcp')] } });
        const r = await client.create('network-policy', { fq_name: [...P, `np${i}-r`], parent_type: 'project', network_policy_entries: { policy_rule: [rule(i, peers(i)[1], o.topology === 'ring' ? 'any' : 'udp')] } });
        policies.set(i, [l.uuid, r.uuid]);
      });
    const refs = (i: number) => policies.get(i)!.map((uuid, k) => ({ uuid, attr: { sequence: { major: k, minor: 0 } } }));
    const vnUuid = new Map<number, string>();
    let intentWrites = 1;
    const t0 = performance.now();
    if (o.order === 'policies-first') {
      await createPolicies();
      await pool(idx, o.clients, async (i) => {
        vnUuid.set(i, (await client.create('virtual-network', { fq_name: [...P, name(i)], parent_type: 'project', network_policy_refs: refs(i) })).uuid);
      });
      intentWrites += 3 * o.vns;
    } else {
      await pool(idx, o.clients, async (i) => {
        vnUuid.set(i, (await client.create('virtual-network', { fq_name: [...P, name(i)], parent_type: 'project' })).uuid);
      });
      await createPolicies();
      await pool(idx, o.clients, (i) => client.update('virtual-network', vnUuid.get(i)!, { network_policy_refs: refs(i) }));
      intentWrites += 4 * o.vns;
    }
    const tLast = performance.now();
    const writeS = (tLast - t0) / 1000;

    const ownOf = (): Map<string, string> => {
      const m = new Map<string, string>();
      for (const rt of cache.list('route-target')) {
        const owner = ownerOf(rt);
        if (owner) m.set(owner, rt.fq_name[0]);
      }
      return m;
    };
    const correct = (): number => {
      const own = ownOf();
      let ok = 0;
      for (const i of idx) {
        const ri = cache.getByFqName('routing-instance', riFq(i).split(':')) as RoutingInstance | undefined;
        const mine = own.get(vnUuid.get(i)!);
        const ps = [...new Set(peers(i).map((j) => (j + o.vns) % o.vns))];
        const theirs = ps.map((j) => own.get(vnUuid.get(j)!));
        if (!ri || !mine || theirs.some((t) => !t)) continue;
        const got = (ri.route_target_refs ?? []).map((r) => `${r.to[0]} ${attrToIe(r.attr)}`).sort().join(',');
        const want = [`${mine} both`, ...theirs.map((t) => `${t} import`)].sort().join(',');
        const conn = (ri.routing_instance_refs ?? []).map((r) => r.to.join(':')).sort().join(',');
        const wantConn = ps.map(riFq).sort().join(',');
        if (got === want && conn === wantConn) ok++;
      }
      return ok;
    };
    const deadline = performance.now() + 120_000;
    let convergedAt: number | undefined;
    while (performance.now() < deadline) {
      if (correct() === o.vns) {
        convergedAt = performance.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    // Count writes until the feed has been quiet for 2 s.
    while (performance.now() - lastEventAt < 2000 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const total = [...writes.values()].reduce((a, b) => a + b, 0);
    const max = Math.max(0, ...writes.values());
    const histogram = new Map<number, number>();
    for (const n of writes.values()) histogram.set(n, (histogram.get(n) ?? 0) + 1);
    cache.close();

    console.log(
      `transformer bench: ${o.vns} networks (${o.topology}), ${2 * o.vns} policies, order ${o.order}, transformer ${o.separate ? 'in its own process' : 'in the config API process'}, ${o.clients} writers`,
    );
    console.log(`${'anchor: intent writes (same API, same run)'.padEnd(64)} ${writeS.toFixed(3)} s (${Math.round(intentWrites / writeS)} writes/s)`);
    if (convergedAt === undefined) {
      console.log(`NOT converged within 120 s: ${correct()} of ${o.vns} instances correct`);
      emit('converge_s', Number.NaN, 's', 'converge_s (last intent write → all import lists correct)');
    } else {
      emit('converge_s', (convergedAt - tLast) / 1000, 's', 'converge_s (last intent write → all import lists correct)');
    }
    emit('max_writes_per_object', max, 'writes', 'max_writes_per_object (derived RT, ACL, RI)');
    console.log(`${'derived objects written / total transformer writes'.padEnd(64)} ${writes.size} / ${total}`);
    console.log(`${'objects by write count'.padEnd(64)} ${[...histogram].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}×: ${v}`).join(', ')}`);
  } finally {
    client.close();
    watchClient.close();
    await st?.stop();
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
