// Every error code the agent and the CNI logic throw is documented in docs/errors.md.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function codesIn(dir: string, re: RegExp): Set<string> {
  const out = new Set<string>();
  for (const f of readdirSync(join(root, dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    for (const m of readFileSync(join(root, dir, f), 'utf8').matchAll(re)) out.add(m[1]);
  }
  return out;
}

test('every error code of src/agent and src/cni has a row in docs/errors.md', () => {
  const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');
  const agent = codesIn('src/agent', /super\('([A-Z][A-Z_]{2,})'/g);
  const cni = codesIn('src/cni', /\| '(CNI_[A-Z_]+)'/g);
  assert.deepEqual([...agent].sort(), ['AGENT_BAD_OPTION', 'AGENT_BAD_QUERY', 'AGENT_PORT_NOT_FOUND', 'AGENT_UNDERLAY_NOT_FOUND']);
  assert.equal(cni.size, 10);
  assert.deepEqual([...agent, ...cni].filter((c) => !doc.includes(`\`${c}\``)), []);
  const tfCni = readFileSync(join(root, 'src/cni/tf-cni'), 'utf8');
  assert.deepEqual([...tfCni.matchAll(/fail (\d+) /g)].map((m) => m[1]).filter((c) => !/^(5|11)$/.test(c)), [], 'tf-cni itself only fails with 5 (no curl) or 11');
});
