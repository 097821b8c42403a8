// Regenerates node-a.json (full read) and node-a.summary.json (cheap nft read): renders testdata/node-a.state.json into a scratch node namespace (pods as
// namespaces, an underlay veth) and stores the raw output of the renderer's read commands, so that unit
// tests can plan against what a real kernel reports. Run as root from the repository root:
//   node --import tsx src/datapath/linux/testdata/capture.mts
import { readFileSync, writeFileSync } from 'node:fs';
import { LinuxRenderer } from '../renderer.js';
import { readSections, spawnRunner } from '../exec.js';
import { snapshotCommands } from '../read.js';
import { createNetns, deleteNetns, execInNetns } from '../netns.js';
import { resolveOwnership } from '../ownership.js';
import type { NodeState } from '../../model.js';

const dir = new URL('.', import.meta.url).pathname;
const state = JSON.parse(readFileSync(`${dir}node-a.state.json`, 'utf8')) as NodeState;
const node = `capture${process.pid}`;
const pods = state.interfaces.map((f) => f.netns);
try {
  for (const ns of [node, ...pods]) await createNetns(ns);
  await execInNetns(node, ['ip', 'link', 'add', state.underlay.device, 'type', 'veth', 'peer', 'name', 'ulpeer']);
  await execInNetns(node, ['ip', 'addr', 'add', `${state.underlay.ip}/24`, 'dev', state.underlay.device]);
  await execInNetns(node, ['ip', 'link', 'set', state.underlay.device, 'up']);
  await new LinuxRenderer({ netns: node }).render(state);
  const full = await readSections(spawnRunner, node, snapshotCommands(resolveOwnership(), { fullNft: true }));
  writeFileSync(`${dir}node-a.json`, JSON.stringify(full, null, 1) + '\n');
  const cheap = await readSections(spawnRunner, node, snapshotCommands(resolveOwnership()));
  const nftOnly = Object.fromEntries(Object.entries(cheap).filter(([k]) => k.startsWith('nft_')));
  writeFileSync(`${dir}node-a.summary.json`, JSON.stringify(nftOnly, null, 1) + '\n');
} finally {
  for (const ns of [node, ...pods]) await deleteNetns(ns).catch(() => undefined);
}
