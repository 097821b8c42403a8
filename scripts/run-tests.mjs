#!/usr/bin/env node
// Finds every *.test.ts under the given roots (default: src test) and runs them on Node's test runner
// through tsx. Extra arguments after `--` go to `node --test` (e.g. --test-name-pattern).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const roots = (dash >= 0 ? argv.slice(0, dash) : argv);
const extra = dash >= 0 ? argv.slice(dash + 1) : [];

function walk(p, out) {
  const st = statSync(p, { throwIfNoEntry: false });
  if (!st) return out;
  if (st.isFile()) { if (p.endsWith('.test.ts')) out.push(p); return out; }
  for (const e of readdirSync(p)) {
    if (e === 'node_modules' || e === 'testdata' || e.startsWith('.')) continue;
    walk(join(p, e), out);
  }
  return out;
}

const files = (roots.length ? roots : ['src', 'test']).flatMap((r) => walk(r, [])).sort();
if (files.length === 0) { console.error('no test files found'); process.exit(1); }
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const child = spawn(process.execPath, [
  '--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000', ...extra, ...files,
], { stdio: 'inherit', env: { TF_LOG_LEVEL: 'silent', ...process.env } });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
