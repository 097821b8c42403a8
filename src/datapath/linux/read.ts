// Reads the kernel state the renderer diffs against, in one process start: links, IPv4 routes of every
// table, rules, neighbours, the FDB, the nft table and the sysctls the renderer manages.
import { DatapathKernelStateError } from '../errors.js';
import { NODE_SYSCTLS } from './ip-plan.js';
import { readSections, type CommandRunner } from './exec.js';
import { parseFdb, parseLinks, parseNeighbours, parseNftSummary, parseNftTable, parseRoutes, parseRules, type KernelSnapshot } from './kernel-state.js';
import { MARKER_CHAIN } from './nft-ruleset.js';
import type { Ownership } from './ownership.js';

/**
 * The read commands, run in one shell. `fullNft` lists every rule of the nft table (to count them, which
 * catches rules removed or added by hand); otherwise only tables, chains, sets and the marker chain.
 */
export function snapshotCommands(own: Ownership, opts: { fullNft?: boolean } = {}): Record<string, string> {
  const sysKeys = Object.keys(NODE_SYSCTLS)
    .map((k) => `/proc/sys/${k.replace(/\./g, '/')}`)
    .join(' ');
  const devGlob = `/proc/sys/net/ipv4/conf/${own.tapPrefix}*/rp_filter /proc/sys/net/ipv4/conf/${own.vxlanPrefix}*/rp_filter`;
  return {
    links: 'ip -j -d link show',
    routes: 'ip -4 -j route show table all',
    rules: 'ip -4 -j rule show',
    neigh: 'ip -4 -j neigh show',
    fdb: 'bridge -j fdb show',
    ...(opts.fullNft
      ? { nft: `nft -j list table ip ${own.nftTable}` }
      : {
          nft_chains: 'nft -j list chains ip',
          nft_sets: 'nft -j list sets ip',
          nft_maps: 'nft -j list maps ip',
          nft_marker: `nft -j list chain ip ${own.nftTable} ${MARKER_CHAIN}`,
        }),
    // One grep for every file ("path:value"); -s: globs that match nothing are not errors.
    sysctl: `grep -sH . ${sysKeys} ${devGlob}; true`,
  };
}

/** `grep -H . /proc/sys/…` output → dotted sysctl key → value. */
export function parseSysctl(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf(':');
    if (!line.startsWith('/proc/sys/') || eq < 0) continue;
    out.set(line.slice('/proc/sys/'.length, eq).replace(/\//g, '.'), line.slice(eq + 1).trim());
  }
  return out;
}

/** Parses the output of snapshotCommands (one string per section, null for a command that failed). */
export function parseSnapshot(s: Readonly<Record<string, string | null>>, own: Ownership, where = 'the namespace'): KernelSnapshot {
  for (const k of ['links', 'routes', 'rules', 'neigh', 'fdb'] as const) {
    if (s[k] === null || s[k] === undefined) throw new DatapathKernelStateError(`reading ${k} failed in ${where}`);
  }
  return {
    links: parseLinks(s.links!),
    routes: parseRoutes(s.routes!),
    rules: parseRules(s.rules!),
    neighbours: parseNeighbours(s.neigh!),
    fdb: parseFdb(s.fdb!),
    nft: parseNft(s, own),
    sysctl: parseSysctl(s.sysctl ?? ''),
  };
}

function parseNft(s: Readonly<Record<string, string | null>>, own: Ownership): KnftOrNull {
  if ('nft' in s) return s.nft === null || s.nft === undefined ? null : parseNftTable(s.nft, own.nftTable);
  if (s.nft_chains === null || s.nft_chains === undefined || s.nft_sets === null || s.nft_sets === undefined) return null;
  return parseNftSummary({ chains: s.nft_chains, sets: s.nft_sets, maps: s.nft_maps ?? null, marker: s.nft_marker ?? null }, own.nftTable, MARKER_CHAIN);
}

type KnftOrNull = KernelSnapshot['nft'];

/** Only the nft table's chains, sets and maps (with their elements): what a pod ADD needs to know. */
export async function readNftTable(runner: CommandRunner, netns: string | undefined, own: Ownership): Promise<KnftOrNull> {
  const s = await readSections(runner, netns, { chains: 'nft -j list chains ip', sets: 'nft -j list sets ip', maps: 'nft -j list maps ip' });
  if (s.chains === null || s.sets === null) throw new DatapathKernelStateError(`reading the nft table failed in ${netns ?? 'the current namespace'}`);
  return parseNftSummary({ chains: s.chains, sets: s.sets, maps: s.maps, marker: null }, own.nftTable, MARKER_CHAIN);
}

export async function readSnapshot(runner: CommandRunner, netns: string | undefined, own: Ownership, opts: { fullNft?: boolean } = {}): Promise<KernelSnapshot> {
  const s = await readSections(runner, netns, snapshotCommands(own, opts));
  return parseSnapshot(s, own, netns ?? 'the current namespace');
}
