// Every error code the transformer throws is documented in docs/errors.md.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('every error code thrown by src/transformer has a row in docs/errors.md', () => {
  const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');
  const dir = join(root, 'src/transformer');
  const codes = new Set<string>();
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/new \w+Error\([^;]*?'([A-Z][A-Z_]{2,})'/gs)) codes.add(m[1]);
  }
  assert.deepEqual([...codes].sort(), ['RT_CONTENDED', 'RT_EXHAUSTED']);
  assert.deepEqual([...codes].filter((c) => !doc.includes(`\`${c}\``)), []);
});
