// `npm run bench -- datapath [--seconds 2] [--rounds 16] [--pods 200] [--only throughput,sg,cni]`
//
// 1. ours_gbit_s vs baseline_gbit_s: iperf3 pod → pod across two node namespaces joined by an underlay veth,
//    once through the datapath LinuxRenderer programs (VXLAN, policy routing, nftables with conntrack, an SG
//    on the server pod, a service), once through the same kernel path built here by hand with plain `ip`
//    (veth + VXLAN + policy routing, MTU 1450, no nftables), and — for reference, not the target — once more
//    by hand with the recipe's minimal stateful nftables (what conntrack costs by itself). Rounds rotate
//    which goes first; medians are
//    the figures; the ratio of means, the median ratio of back-to-back pairs and a bootstrap interval of the
//    ratio over the pairs are printed too (the VM's own speed moves single rounds by ±15 %, so one ratio
//    from a few rounds is not a measurement).
// 2. sg_10k_rules_apply_s: 10,000 distinct SG rules on 100 plumbed interfaces, one render (read + plan +
//    apply) from the state without policies.
// 3. plumb_add_p50_ms / plumb_add_p99_ms: the datapath's own veth ADD (LinuxRenderer.addPod) over 200
//    sequential pods, next to bridge_cni_add_p50_ms / _p99_ms: Debian's bridge + host-local plugins exec'd
//    the same number of times (bench/cni-bridge.ts), alternating pod by pod with ours and with tf-cni
//    through the agent (bench/agent-cni.ts: the agent in a node namespace, tf-cni exec'd like the anchor):
//    cni_add_p50_ms / cni_add_p99_ms.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { LinuxRenderer } from '../src/datapath/linux/renderer.js';
import { createNetns, deleteNetns, execInNetns, listNetns, spawnInNetns } from '../src/datapath/linux/netns.js';
import type { InterfacePolicy, LocalInterface, NodeState, SecurityRule, Vrf } from '../src/datapath/model.js';
import { openBridgeCni, percentile } from './cni-bridge.js';
import { openTfCni } from './agent-cni.js';

const BENCH = 'datapath';

function emit(figure: string, value: number, unit: string, label: string): void {
  const v = Number(value.toFixed(unit === 'ms' || unit === 's' ? 3 : 2));
  console.log(`${label.padEnd(58)} ${v} ${unit}`);
  console.log(JSON.stringify({ bench: BENCH, figure, value: v, unit }));
}

async function sh(netns: string | undefined, ...argv: string[]): Promise<string> {
  const r = await execInNetns(netns, argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} in ${netns ?? 'host'}: ${r.stderr.trim()}`);
  return r.stdout;
}

async function shBatch(netns: string, lines: string[]): Promise<void> {
  const r = await execInNetns(netns, ['ip', '-batch', '-'], lines.join('\n') + '\n');
  if (r.code !== 0) throw new Error(`ip -batch in ${netns}: ${r.stderr.trim()}`);
}

/** The median (the mean of the two middle values for an even count). */
function midpoint(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return (s[Math.floor((s.length - 1) / 2)] + s[Math.ceil((s.length - 1) / 2)]) / 2;
}

const mean = (xs: readonly number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;

// ---------------------------------------------------------------- throughput

interface Pair {
  client: string;
  server: string;
  serverIp: string;
}

async function twoNodes(prefix: string, net: string): Promise<{ a: string; b: string }> {
  const a = `${prefix}-A`;
  const b = `${prefix}-B`;
  await createNetns(a);
  await createNetns(b);
  await sh(undefined, 'ip', 'link', 'add', 'ul0', 'netns', a, 'type', 'veth', 'peer', 'name', 'ul0', 'netns', b);
  await sh(a, 'ip', 'addr', 'add', `${net}.1/24`, 'dev', 'ul0');
  await sh(b, 'ip', 'addr', 'add', `${net}.2/24`, 'dev', 'ul0');
  await sh(a, 'ip', 'link', 'set', 'ul0', 'up');
  await sh(b, 'ip', 'link', 'set', 'ul0', 'up');
  return { a, b };
}

/** Our datapath: two nodes rendered by LinuxRenderer, with an SG on the server pod and a service. */
export async function buildOurs(prefix: string): Promise<Pair> {
  const { a, b } = await twoNodes(prefix, '192.168.91');
  const vrf: Vrf = { name: 'bench', table: 1001, vni: 4242 };
  const client = `${prefix}-pc`;
  const server = `${prefix}-ps`;
  await createNetns(client);
  await createNetns(server);
  const sg: InterfacePolicy = {
    ingress: { default: 'deny', rules: [{ protocol: 'tcp', ports: { from: 5201, to: 5201 }, remoteGroup: 'sg1' }, { protocol: 'icmp' }] },
    egress: { default: 'allow', rules: [] },
  };
  const pc: LocalInterface = { tap: 'tapbc', netns: client, ifname: 'eth0', mac: '02:b0:00:00:00:01', ip: '10.61.0.1', plen: 16, gateway: '10.61.255.254', vrf: vrf.name };
  const ps: LocalInterface = { ...pc, tap: 'tapbs', netns: server, mac: '02:b0:00:00:00:02', ip: '10.61.0.2', policy: sg };
  const node = (local: LocalInterface, remote: LocalInterface, ulIp: string, peerIp: string): NodeState => ({
    underlay: { device: 'ul0', ip: ulIp },
    vrfs: [vrf],
    interfaces: [local],
    routes: [{ vrf: vrf.name, prefix: `${remote.ip}/32`, nexthops: [{ node: peerIp, vni: vrf.vni }] }],
    addressGroups: [{ id: 'sg1', addresses: [pc.ip, ps.ip] }],
    services: [{ vip: '10.96.0.1', ports: [{ protocol: 'tcp', port: 443, members: [{ ip: ps.ip, port: 6443 }] }] }],
    floatingIps: [],
    snat: [],
  });
  await new LinuxRenderer({ netns: a }).render(node(pc, ps, '192.168.91.1', '192.168.91.2'));
  await new LinuxRenderer({ netns: b }).render(node(ps, pc, '192.168.91.2', '192.168.91.1'));
  return { client, server, serverIp: ps.ip };
}

/**
 * The same kernel path by hand: veth, /32 + static neighbours, VXLAN with static FDB, a policy-routing table.
 * `stateful`: plus the recipe's own nftables on each node (reference/linux-datapath.md: a service DNAT in
 * prerouting, `ct state established,related accept` first in forward, the server pod's ingress port
 * allowed and the rest dropped) — the smallest stateful path, to show what conntrack and nftables cost
 * by themselves on this kernel.
 */
export async function buildBaseline(prefix: string, stateful = false): Promise<Pair> {
  const { a, b } = await twoNodes(prefix, '192.168.92');
  const client = `${prefix}-pc`;
  const server = `${prefix}-ps`;
  await createNetns(client);
  await createNetns(server);
  const side = async (node: string, pod: string, podIp: string, podMac: string, ulIp: string, peerIp: string, peerPodIp: string, me: number, peer: number) => {
    for (const k of ['net.ipv4.ip_forward=1', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0']) await sh(node, 'sysctl', '-q', '-w', k);
    await shBatch(node, [
      `link add vx1 address 02:00:00:00:00:0${me} type vxlan id 4242 dstport 4789 local ${ulIp} dev ul0 nolearning`,
      'link set dev vx1 up',
      `link add t1 address 02:00:00:00:01:0${me} mtu 1450 type veth peer name eth0 address ${podMac} mtu 1450 netns /run/netns/${pod}`,
      'link set dev t1 up',
      `neigh replace ${podIp} lladdr ${podMac} dev t1 nud permanent`,
      `neigh replace ${peerIp} lladdr 02:00:00:00:00:0${peer} dev vx1 nud permanent`,
      `route add ${podIp}/32 dev t1 table 100`,
      `route add ${peerPodIp}/32 via ${peerIp} dev vx1 onlink table 100`,
      'rule add priority 100 iif t1 lookup 100',
      'rule add priority 100 iif vx1 lookup 100',
    ]);
    await sh(node, 'bridge', 'fdb', 'append', `02:00:00:00:00:0${peer}`, 'dev', 'vx1', 'dst', peerIp, 'self', 'permanent');
    if (stateful) {
      const rules = [
        'table ip ref {',
        '  chain pre { type nat hook prerouting priority dstnat; policy accept;',
        `    ip daddr 10.96.0.1 tcp dport 443 dnat to ${peerPodIp}:6443`,
        '    ip daddr 10.96.0.1 drop',
        '  }',
        '  chain fw { type filter hook forward priority filter; policy accept;',
        '    ct state established,related accept',
        ...(me === 2 ? ['    oifname "t1" tcp dport 5201 accept', '    oifname "t1" meta l4proto icmp accept', '    oifname "t1" drop'] : []),
        '  }',
        '}',
      ];
      const r = await execInNetns(node, ['nft', '-f', '-'], rules.join('\n') + '\n');
      if (r.code !== 0) throw new Error(`nft in ${node}: ${r.stderr.trim()}`);
    }
    await shBatch(pod, [
      `addr add ${podIp}/32 dev eth0`,
      'link set dev eth0 up',
      'route add 169.254.0.1 dev eth0',
      'route add default via 169.254.0.1 dev eth0',
      `neigh replace 169.254.0.1 lladdr 02:00:00:00:01:0${me} dev eth0 nud permanent`,
    ]);
  };
  await side(a, client, '10.62.0.1', '02:c0:00:00:00:01', '192.168.92.1', '192.168.92.2', '10.62.0.2', 1, 2);
  await side(b, server, '10.62.0.2', '02:c0:00:00:00:02', '192.168.92.2', '192.168.92.1', '10.62.0.1', 2, 1);
  return { client, server, serverIp: '10.62.0.2' };
}

export async function iperf(p: Pair, seconds: number): Promise<number> {
  const srv: ChildProcess = spawnInNetns(p.server, ['iperf3', '-s', '-1', '-p', '5201', '--forceflush'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const rl = createInterface({ input: srv.stdout! });
  for await (const line of rl) if (/Server listening/.test(line)) break;
  try {
    const out = await sh(p.client, 'iperf3', '-c', p.serverIp, '-p', '5201', '-t', String(seconds), '-J');
    const res = JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } };
    return res.end.sum_received.bits_per_second / 1e9;
  } finally {
    if (srv.exitCode === null) {
      srv.kill('SIGKILL');
      await once(srv, 'exit');
    }
  }
}

async function throughput(id: string, seconds: number, rounds: number): Promise<void> {
  const ours = await buildOurs(`${id}o`);
  const base = await buildBaseline(`${id}b`);
  const ref = await buildBaseline(`${id}r`, true);
  for (const p of [ours, base, ref]) await sh(p.client, 'ping', '-c', '1', '-W', '2', p.serverIp);
  const o: number[] = [];
  const b: number[] = [];
  const r: number[] = [];
  // Rotate which goes first so that load from other processes on the machine hits all alike.
  const paths: [number[], Pair][] = [[o, ours], [b, base], [r, ref]];
  for (let i = 0; i < rounds; i++) {
    for (let k = 0; k < paths.length; k++) {
      const [into, p] = paths[(i + k) % paths.length];
      into.push(await iperf(p, seconds));
    }
  }
  const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' ');
  console.log(`iperf3 ${seconds} s rounds (Gbit/s)  ours: ${fmt(o)}  (max ${Math.max(...o).toFixed(2)})   baseline: ${fmt(b)}  (max ${Math.max(...b).toFixed(2)})`);
  console.log(`  hand-built + the recipe's stateful nftables (reference, not a target): ${fmt(r)}`);
  emit('ours_gbit_s', midpoint(o), 'Gbit/s', 'pod→pod across nodes, our datapath (median)');
  emit('baseline_gbit_s', midpoint(b), 'Gbit/s', 'pod→pod across nodes, hand-built kernel path (median)');
  const ratioOfMeans = (xs: number[], ys: number[]) => mean(xs) / mean(ys);
  console.log(`${'ratio of medians ours / baseline (target ≥ 0.95)'.padEnd(58)} ${(midpoint(o) / midpoint(b)).toFixed(3)}`);
  console.log(`${'ratio of means'.padEnd(58)} ${ratioOfMeans(o, b).toFixed(3)}`);
  console.log(`${'median ratio of back-to-back pairs (load-robust)'.padEnd(58)} ${midpoint(o.map((x, i) => x / b[i])).toFixed(3)}`);
  // How far the ratio could move with other rounds of the same machine: resample whole pairs.
  const boot: number[] = [];
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let k = 0; k < 2000; k++) {
    const idx = o.map(() => Math.floor(rnd() * o.length));
    boot.push(ratioOfMeans(idx.map((i) => o[i]), idx.map((i) => b[i])));
  }
  console.log(`${'ratio of means, 90% bootstrap interval over pairs'.padEnd(58)} ${percentile(boot, 0.05).toFixed(3)} – ${percentile(boot, 0.95).toFixed(3)}`);
  // Where the gap comes from: the same hand-built path with the recipe's minimal stateful table.
  console.log(`${'hand-built stateful / hand-built (cost of conntrack+nft)'.padEnd(58)} ${(mean(r) / mean(b)).toFixed(3)} (median of pairs ${midpoint(r.map((x, i) => x / b[i])).toFixed(3)})`);
  console.log(`${'ours / hand-built stateful (our datapath beyond that)'.padEnd(58)} ${(mean(o) / mean(r)).toFixed(3)} (median of pairs ${midpoint(o.map((x, i) => x / r[i])).toFixed(3)})`);
}

// ---------------------------------------------------------------- 10k SG rules

function sgPolicy(i: number): InterfacePolicy {
  const rules = (dir: number): SecurityRule[] =>
    Array.from({ length: 50 }, (_, j) => ({
      protocol: j % 2 === 0 ? 'tcp' : 'udp',
      ports: { from: 1000 + j * 10 + dir, to: 1000 + j * 10 + dir + (i % 5) },
      remoteCidr: `10.${i}.${j + dir * 100}.0/24`,
    }));
  return { ingress: { default: 'deny', rules: rules(0) }, egress: { default: 'deny', rules: rules(1) } };
}

async function sgRules(id: string): Promise<void> {
  const node = `${id}-sg`;
  await createNetns(node);
  await sh(node, 'ip', 'link', 'add', 'ul0', 'type', 'veth', 'peer', 'name', 'ul1');
  await sh(node, 'ip', 'addr', 'add', '192.168.93.1/24', 'dev', 'ul0');
  await sh(node, 'ip', 'link', 'set', 'ul0', 'up');
  const vrf: Vrf = { name: 'sg', table: 1001, vni: 4243 };
  const ifaces: LocalInterface[] = [];
  for (let i = 0; i < 100; i++) {
    const ns = `${id}-sgp${i}`;
    await createNetns(ns);
    ifaces.push({ tap: `tapsg${i}`, netns: ns, ifname: 'eth0', mac: `02:5a:00:00:00:${i.toString(16).padStart(2, '0')}`, ip: `10.63.0.${i + 1}`, plen: 16, gateway: '10.63.255.254', vrf: vrf.name });
  }
  const state = (withPolicies: boolean): NodeState => ({
    underlay: { device: 'ul0', ip: '192.168.93.1' },
    vrfs: [vrf],
    interfaces: ifaces.map((f, i) => (withPolicies ? { ...f, policy: sgPolicy(i) } : f)),
    routes: [],
    addressGroups: [],
    services: [],
    floatingIps: [],
    snat: [],
  });
  const r = new LinuxRenderer({ netns: node });
  await r.render(state(false));
  const with10k = state(true);
  const count = with10k.interfaces.reduce((n, f) => n + f.policy!.ingress.rules.length + f.policy!.egress.rules.length, 0);
  const rep = await r.render(with10k);
  console.log(
    `${count} rules on ${with10k.interfaces.length} interfaces: read ${rep.timing.read.toFixed(0)} ms, plan ${rep.timing.plan.toFixed(0)} ms, apply ${rep.timing.apply.toFixed(0)} ms`,
  );
  emit('sg_10k_rules_apply_s', rep.timing.total / 1000, 's', `${count} SG rules on 100 interfaces: render (target ≤ 1)`);
  with10k.interfaces[7].policy!.ingress.rules[3].ports = { from: 1, to: 2 };
  const again = await r.render(with10k);
  const t = (x: typeof rep) => `${(x.timing.total / 1000).toFixed(3)} s (read ${x.timing.read.toFixed(0)}, plan ${x.timing.plan.toFixed(0)}, apply ${x.timing.apply.toFixed(0)} ms)`;
  console.log(`${'one rule changed, re-render'.padEnd(58)} ${t(again)}`);
  const same = await r.render(with10k);
  console.log(`${'nothing changed, in-sync check'.padEnd(58)} ${t(same)}, inSync=${same.inSync}`);
  const fresh = await new LinuxRenderer({ netns: node }).render(with10k);
  console.log(`${'nothing changed, fresh renderer (counts every rule)'.padEnd(58)} ${t(fresh)}, inSync=${fresh.inSync}`);
}

// ---------------------------------------------------------------- veth ADD vs bridge CNI

async function plumbing(id: string, count: number): Promise<void> {
  const node = `${id}-pl`;
  await createNetns(node);
  await sh(node, 'ip', 'link', 'add', 'ul0', 'type', 'veth', 'peer', 'name', 'ul1');
  await sh(node, 'ip', 'addr', 'add', '192.168.94.1/24', 'dev', 'ul0');
  await sh(node, 'ip', 'link', 'set', 'ul0', 'up');
  const vrf: Vrf = { name: 'pl', table: 1001, vni: 4244 };
  const r = new LinuxRenderer({ netns: node });
  await r.render({ underlay: { device: 'ul0', ip: '192.168.94.1' }, vrfs: [vrf], interfaces: [], routes: [], addressGroups: [], services: [], floatingIps: [], snat: [] });
  const pods: LocalInterface[] = [];
  for (let i = 0; i < count; i++) {
    const ns = `${id}-plp${i}`;
    await createNetns(ns);
    const ip = `10.64.${i >> 8}.${(i & 255) + 1}`;
    pods.push({ tap: `tappl${i}`, netns: `/run/netns/${ns}`, ifname: 'eth0', mac: `02:51:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`, ip, plen: 16, gateway: '10.64.255.254', mtu: 1450, vrf: vrf.name });
  }
  // Our ADD and the anchor's ADD alternate pod by pod, so that load from other processes hits both alike.
  // tf-cni through the agent (bench/agent-cni.ts) joins the alternation: exec'd the same way as the anchor.
  const bridge = await openBridgeCni({ count, prefix: `${id}cb` });
  const tfcni = await openTfCni({ count }).catch(async (err: unknown) => {
    await bridge.close();
    throw err;
  });
  const add: number[] = [];
  const br: number[] = [];
  const tf: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      await r.addPod(pods[i], vrf);
      add.push(performance.now() - t0);
      br.push(await bridge.add(i));
      tf.push(await tfcni.add(i));
    }
  } finally {
    await bridge.close();
    await tfcni.close();
  }
  const del: number[] = [];
  for (const p of pods) {
    const t0 = performance.now();
    await r.delPod({ tap: p.tap, ip: p.ip });
    del.push(performance.now() - t0);
  }
  emit('plumb_add_p50_ms', percentile(add, 0.5), 'ms', `datapath veth ADD, ${count} sequential pods, p50`);
  emit('plumb_add_p99_ms', percentile(add, 0.99), 'ms', `datapath veth ADD, ${count} sequential pods, p99`);
  console.log(`${'datapath veth DEL p50 / p99'.padEnd(58)} ${percentile(del, 0.5).toFixed(3)} / ${percentile(del, 0.99).toFixed(3)} ms`);
  emit('bridge_cni_add_p50_ms', percentile(br, 0.5), 'ms', `bridge + host-local CNI ADD, ${count} sequential pods, p50`);
  emit('bridge_cni_add_p99_ms', percentile(br, 0.99), 'ms', `bridge + host-local CNI ADD, ${count} sequential pods, p99`);
  emit('cni_add_p50_ms', percentile(tf, 0.5), 'ms', `tf-cni ADD through the agent, ${count} sequential pods, p50`);
  emit('cni_add_p99_ms', percentile(tf, 0.99), 'ms', `tf-cni ADD through the agent, ${count} sequential pods, p99`);
  console.log(`${'tf-cni / bridge ratio p50, p99 (targets ≤ 2, ≤ 3)'.padEnd(58)} ${(percentile(tf, 0.5) / percentile(br, 0.5)).toFixed(2)}, ${(percentile(tf, 0.99) / percentile(br, 0.99)).toFixed(2)}`);
}

export async function main(args: string[]): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the datapath benchmark needs root (network namespaces)');
  const opt = (name: string, fallback: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
  };
  const seconds = Number(opt('seconds', '2'));
  const rounds = Number(opt('rounds', '16'));
  const only = new Set(opt('only', 'throughput,sg,cni').split(','));
  const id = `dpb${process.pid}`;
  try {
    if (only.has('throughput')) await throughput(id, seconds, rounds);
    if (only.has('sg')) await sgRules(id);
    if (only.has('cni')) await plumbing(id, Number(opt('pods', '200')));
  } finally {
    for (const ns of listNetns().filter((n) => n.startsWith(id))) await deleteNetns(ns).catch(() => undefined);
  }
}
