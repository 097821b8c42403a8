// Every LAB_* code of the lab orchestration has a row in docs/errors.md, and every row is a real code.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('LAB_* codes and docs/errors.md agree', () => {
  const src = readdirSync(join(root, 'src/lab')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  const codes = new Set<string>();
  for (const f of src) for (const m of readFileSync(join(root, 'src/lab', f), 'utf8').matchAll(/'(LAB_[A-Z_]+)'/g)) codes.add(m[1]);
  assert.ok(codes.size >= 8, `found only ${codes.size} codes: the scan is broken`);
  const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');
  const documented = new Set([...doc.matchAll(/`(LAB_[A-Z_]+)`/g)].map((m) => m[1]));
  assert.deepEqual([...codes].filter((c) => !documented.has(c)), [], 'undocumented');
  assert.deepEqual([...documented].filter((c) => !codes.has(c)), [], 'documented but not in the code');
});
