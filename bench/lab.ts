// lab: the all-in-one lab's two user-visible times (needs root).
//   lab_up_s         `tfctl lab up` (startLab: 2 nodes, 2 control nodes, agents, kube-manager, bird2) from the
//                    call to every component reporting healthy — target ≤ 20 s;
//   apply_to_ping_s  from `kubectl apply` of a 2-replica deployment (the scheduler puts one replica on each
//                    node) to both pods answering each other's ping through the SDN (VXLAN between the nodes),
//                    the median of --rounds (default 5) — target ≤ 2 s.
// Anchors in the same run and process tree:
//   anchor_component_up_s         one `tfctl serve config` from spawn to its /healthz answering 200, the
//                                 floor of any component start on this machine at this moment;
//   anchor_bridge_apply_to_ping_s the same apply-to-ping through the same API server, scheduler and kubelet
//                                 code, on an extra node whose CNI is the reference bridge + host-local
//                                 plugins (both pods on that node): what it costs without the SDN.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, deleteNetns, execInNetns, listNetns } from '../src/datapath/index.js';
import { startLab, type Lab } from '../src/lab/lab.js';
import { tfctlArgv } from '../src/lab/launch.js';
import { freePort } from '../src/lab/ports.js';
import { R } from '../src/lab/kube/resources.js';
import { startKubelet, type Kubelet } from '../src/lab/kubelet/kubelet.js';
import { createLogger } from '../src/common/log.js';

const BENCH = 'lab';

function figure(name: string, value: number, unit: string): void {
  console.log(JSON.stringify({ bench: BENCH, figure: name, value: Number(value.toFixed(3)), unit }));
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function kubectl(lab: Lab, args: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', args, { env: { ...process.env, ...lab.env(), HOME: lab.dir }, stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kubectl ${args.join(' ')}: ${err}`))));
    child.stdin.end(input ?? '');
  });
}

const ping = async (netns: string, ip: string): Promise<boolean> => (await execInNetns(netns, ['ping', '-c', '1', '-W', '1', ip])).code === 0;

function deployment(name: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
    spec: {
      replicas: 2, selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '100000'] }], ...extra } },
    },
  });
}

/** kubectl apply → both replicas ping each other; seconds. */
async function applyToPing(lab: Lab, name: string, extra: Record<string, unknown> = {}): Promise<number> {
  const client = lab.kubeApi!.client;
  const t0 = performance.now();
  await kubectl(lab, ['apply', '-f', '-'], deployment(name, extra));
  const deadline = t0 + 120_000;
  while (performance.now() < deadline) {
    const pods = (await client.list(R.pods, { namespace: 'default', labelSelector: `app=${name}` })).items;
    const withIp = pods.map((p) => ({ uid: p.metadata.uid ?? '', ip: String((p.status as { podIP?: string } | undefined)?.podIP ?? '') })).filter((p) => p.ip);
    if (withIp.length === 2) {
      const names = listNetns();
      const ns = withIp.map((p) => names.find((n) => n.endsWith(p.uid)));
      if (ns[0] && ns[1]) {
        const [ab, ba] = await Promise.all([ping(ns[0], withIp[1].ip), ping(ns[1], withIp[0].ip)]);
        if (ab && ba) return (performance.now() - t0) / 1000;
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${name}: the two replicas did not ping each other within 120 s`);
}

/** One `tfctl serve config` from spawn to /healthz 200; seconds. */
async function componentUp(dir: string): Promise<number> {
  const [port, introspect] = [await freePort(), await freePort()];
  const argv = [...tfctlArgv(), 'serve', 'config', '--port', String(port), '--introspect-port', String(introspect), '--store', `sqlite://${join(dir, 'anchor.db')}`];
  const t0 = performance.now();
  const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore', env: { ...process.env, TF_LOG_LEVEL: 'warn' } });
  try {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${introspect}/healthz`).then((r) => r.ok, () => false);
      if (ok) return (performance.now() - t0) / 1000;
      if (child.exitCode !== null) throw new Error('tfctl serve config exited');
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    child.kill('SIGKILL');
  }
}

const quiet = createLogger('bench-lab-anchor');
if (!process.env.TF_LOG_LEVEL) quiet.level = 'warn';

/** An extra node with the reference bridge CNI (anchor), tainted so that only the anchor's pods land on it. */
async function bridgeNode(lab: Lab, dir: string): Promise<{ kubelet: Kubelet; netns: string }> {
  const netns = `${lab.topo.prefix}node99`;
  await createNetns(netns);
  const confDir = join(dir, 'anchor-cni');
  mkdirSync(confDir, { recursive: true });
  writeFileSync(join(confDir, '10-bridge.conf'), JSON.stringify({
    cniVersion: '1.0.0', name: 'anchor', type: 'bridge', bridge: 'cni0', isGateway: true, ipMasq: false,
    ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.0.0/24' }]], dataDir: join(dir, 'anchor-ipam') },
  }));
  const kubelet = await startKubelet({
    client: lab.kubeApi!.client, node: 'anchor', ip: '10.0.0.199', cniConfDir: confDir, cniBinDirs: ['/usr/lib/cni'],
    netnsPrefix: `${lab.topo.prefix}p99-`, nodeNetns: netns, stateDir: join(dir, 'anchor-kubelet'), labels: { 'lab.tungsten.io/anchor': 'true' },
    log: quiet,
  });
  await lab.kubeApi!.client.patch(R.nodes, undefined, 'anchor', 'merge', { spec: { taints: [{ key: 'anchor', value: 'true', effect: 'NoSchedule' }] } });
  return { kubelet, netns };
}

export async function main(args: string[] = []): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the lab benchmark needs root (network namespaces)');
  const opt = (name: string, fallback: string): string => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
  };
  const rounds = Number(opt('rounds', '5'));
  const dir = mkdtempSync(join(tmpdir(), 'tf-bench-lab-'));
  let lab: Lab | undefined;
  let anchorNode: { kubelet: Kubelet; netns: string } | undefined;
  try {
    const anchorUp = await componentUp(dir);
    const t0 = performance.now();
    lab = await startLab({ dir: join(dir, 'lab'), prefix: `bl${process.pid % 10000}-`, ports: 'auto', readyTimeoutMs: 300_000 });
    const up = (performance.now() - t0) / 1000;
    console.log(`lab up: ${up.toFixed(2)} s to every component healthy (${lab.topo.nodes.length} nodes, ${lab.topo.controls.length} control nodes, agents ${lab.agents ? 'on' : 'OFF'}); anchor: one tfctl serve config up in ${anchorUp.toFixed(2)} s`);

    const sdn: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const s = await applyToPing(lab, `bench-sdn-${i}`, { tolerations: [] });
      sdn.push(s);
      console.log(`  apply → ping (SDN, across nodes), round ${i + 1}: ${s.toFixed(3)} s`);
    }
    anchorNode = await bridgeNode(lab, dir);
    const bridge: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const s = await applyToPing(lab, `bench-bridge-${i}`, {
        nodeSelector: { 'lab.tungsten.io/anchor': 'true' }, tolerations: [{ key: 'anchor', operator: 'Exists', effect: 'NoSchedule' }],
      });
      bridge.push(s);
      console.log(`  apply → ping (bridge CNI anchor, one node), round ${i + 1}: ${s.toFixed(3)} s`);
    }
    console.log(`apply → ping median: ${median(sdn).toFixed(3)} s through the SDN; ${median(bridge).toFixed(3)} s with the bridge CNI`);
    figure('lab_up_s', up, 's');
    figure('apply_to_ping_s', median(sdn), 's');
    figure('anchor_component_up_s', anchorUp, 's');
    figure('anchor_bridge_apply_to_ping_s', median(bridge), 's');
  } finally {
    await anchorNode?.kubelet.close({ teardownPods: false }).catch(() => undefined);
    await lab?.stop();
    if (anchorNode) await deleteNetns(anchorNode.netns).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
