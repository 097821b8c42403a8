// Run by bench/agent-scale.ts as `node --expose-gc --import tsx bench/agent/cache-heap.ts <config api url> whole|slim`:
// the live heap of the agent's config cache alone (after a full garbage collection), with the pod types
// kept whole or reduced as the agent keeps them (src/agent/slim.ts). Prints one JSON line.
import { VncCache } from '../../src/vnc/cache.js';
import { VncClient } from '../../src/vnc/client.js';
import { AGENT_TYPES } from '../../src/agent/config-view.js';
import { createSlimmer } from '../../src/agent/slim.js';

const [url, mode] = process.argv.slice(2);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc || !url || (mode !== 'whole' && mode !== 'slim')) {
  console.error('usage: node --expose-gc --import tsx bench/agent/cache-heap.ts <url> whole|slim');
  process.exit(2);
}
const client = new VncClient({ url });
const live = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const before = live();
const cache = new VncCache(client, AGENT_TYPES, mode === 'slim' ? { project: createSlimmer() } : {});
await cache.start();
const after = live();
console.log(JSON.stringify({ mode, objects: cache.size, heapMb: (after - before) / 2 ** 20 }));
cache.close();
client.close();
