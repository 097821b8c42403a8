// Every error code the config API and the VNC client can produce is documented in docs/errors.md.
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

test('every error code thrown by src/config and src/vnc has a row in docs/errors.md', () => {
  const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');
  const codes = new Set<string>();
  const ctor = /(?:new [A-Z]\w*(?:Error|Request|Failed|Denied|Quota|Compacted)\(|super\()[^;]*?'([A-Z][A-Z_]{2,})'/gs;
  for (const file of [...sources(join(root, 'src/config')), ...sources(join(root, 'src/vnc'))]) {
    // errno names (ECONNREFUSED…) appear inside messages, not as codes
    for (const m of readFileSync(file, 'utf8').matchAll(ctor)) if (!/^E[A-Z]+$/.test(m[1])) codes.add(m[1]);
  }
  assert.ok(codes.size >= 30, `found only ${codes.size} codes: the scan is broken`);
  const missing = [...codes].filter((c) => !doc.includes(`\`${c}\``));
  assert.deepEqual(missing, [], `undocumented error codes: ${missing.join(', ')}`);
});
