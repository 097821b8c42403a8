// Every error code the BGP library can produce is documented in docs/bgp.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return e === 'testdata' ? [] : sources(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

test('every BGP_* error code in src/bgp is documented in docs/bgp.md', () => {
  const doc = readFileSync(join(here, '../../docs/bgp.md'), 'utf8');
  const codes = new Set<string>();
  for (const f of sources(here)) for (const m of readFileSync(f, 'utf8').matchAll(/'(BGP_[A-Z_]+)'/g)) codes.add(m[1]);
  assert.ok(codes.size > 20);
  const missing = [...codes].filter((c) => !doc.includes(`\`${c}\``));
  assert.deepEqual(missing, []);
});
