// The reference CNI ADD latency: Debian's `bridge` + `host-local` plugins (containernetworking-plugins),
// exec'd once per pod exactly as a kubelet does (environment + netconf on stdin, result on stdout), in a
// scratch node namespace, over `count` sequential pods. Reusable by any benchmark that wants the anchor.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createNetns, deleteNetns, spawnInNetns } from '../src/datapath/linux/netns.js';

export interface LatencySummary {
  p50Ms: number;
  p99Ms: number;
  samplesMs: number[];
}

/** Nearest-rank percentile of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(p * s.length) - 1)];
}

export function summarize(samples: number[]): LatencySummary {
  return { p50Ms: percentile(samples, 0.5), p99Ms: percentile(samples, 0.99), samplesMs: samples };
}

export interface BridgeCniOptions {
  count?: number;
  /** directory holding the bridge and host-local plugins */
  cniPath?: string;
  /** prefix for the scratch namespaces (must be unique per concurrent run) */
  prefix?: string;
}

/**
 * A scratch node namespace with `count` pod namespaces where the bridge plugin (host-local IPAM) can be
 * exec'd for ADD, one pod at a time: `add(i)` returns the wall time of that exec, from spawn to exit. The
 * plugin runs inside the node namespace (entered with nsenter, part of the measured time) so that nothing
 * touches the host's network. Lets a benchmark interleave the anchor with its own ADDs.
 */
export interface BridgeCniBench {
  add(i: number): Promise<number>;
  close(): Promise<void>;
}

export async function openBridgeCni(opts: BridgeCniOptions = {}): Promise<BridgeCniBench> {
  const count = opts.count ?? 200;
  const cniPath = opts.cniPath ?? process.env.CNI_PATH ?? '/usr/lib/cni';
  const prefix = opts.prefix ?? `cnib${process.pid}`;
  const node = `${prefix}-node`;
  const dataDir = mkdtempSync(join(tmpdir(), 'cni-bridge-'));
  const pods = Array.from({ length: count }, (_, i) => `${prefix}-p${i}`);
  const conf = JSON.stringify({
    cniVersion: '1.0.0',
    name: 'benchnet',
    type: 'bridge',
    bridge: 'cnibr0',
    isGateway: true,
    ipMasq: false,
    ipam: { type: 'host-local', subnet: '10.250.0.0/16', dataDir },
  });
  const close = async () => {
    for (const p of pods) await deleteNetns(p).catch(() => undefined);
    await deleteNetns(node).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await createNetns(node);
    for (const p of pods) await createNetns(p);
  } catch (err) {
    await close();
    throw err;
  }
  const add = async (i: number): Promise<number> => {
    const env = {
      ...process.env,
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: `bench${i}`,
      CNI_NETNS: `/run/netns/${pods[i]}`,
      CNI_IFNAME: 'eth0',
      CNI_PATH: cniPath,
    };
    const t0 = performance.now();
    const child = spawnInNetns(node, [join(cniPath, 'bridge')], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    child.stdin!.end(conf);
    const [code] = (await once(child, 'close')) as [number | null];
    const ms = performance.now() - t0;
    if (code !== 0) throw new Error(`bridge CNI ADD ${i} failed: ${out}`);
    return ms;
  };
  return { add, close };
}

/** Runs `count` sequential bridge CNI ADDs into fresh pod namespaces; p50/p99 of the exec wall times. */
export async function measureBridgeCniAdd(opts: BridgeCniOptions = {}): Promise<LatencySummary> {
  const count = opts.count ?? 200;
  const bench = await openBridgeCni({ ...opts, count });
  const samples: number[] = [];
  try {
    for (let i = 0; i < count; i++) samples.push(await bench.add(i));
  } finally {
    await bench.close();
  }
  return summarize(samples);
}
