// Every error code kube-manager (and its ini / Python-literal parsers) can produce has a row in
// docs/errors.md, and every Event reason it can post is documented in docs/kube-manager.md.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

test('every kube-manager error code and Event reason is documented', () => {
  const errorsDoc = readFileSync(join(root, 'docs/errors.md'), 'utf8');
  const kmDoc = readFileSync(join(root, 'docs/kube-manager.md'), 'utf8');
  const files = [...sources(join(root, 'src/kube')), join(root, 'src/common/ini.ts'), join(root, 'src/common/py-literal.ts')];
  const codes = new Set<string>();
  const reasons = new Set<string>();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/'((?:KM|INI|PY)_[A-Z_]{3,})'/g)) codes.add(m[1]);
    for (const m of text.matchAll(/new InputError\(\s*'[A-Z_]+',\s*'([A-Za-z]+)'/g)) reasons.add(m[1]);
  }
  codes.delete('KM_CONFIG'); // a prefix the CLI matches on, not a code
  assert.ok(codes.size >= 12 && reasons.size >= 7, `scan found ${codes.size} codes, ${reasons.size} reasons: broken`);
  assert.deepEqual([...codes].filter((c) => !errorsDoc.includes(`\`${c}\``)), [], 'codes missing from docs/errors.md');
  assert.deepEqual([...reasons].filter((r) => !kmDoc.includes(`\`${r}\``)), [], 'Event reasons missing from docs/kube-manager.md');
});
