import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import command from './serve-kube-manager.js';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => out.push(a.join(' '));
  console.error = (...a: unknown[]) => err.push(a.join(' '));
  try {
    return { code: await command.run(args), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test('--help prints the usage; --config is required', async () => {
  const h = await run(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.out, /usage: tfctl serve kube-manager --config/);
  const m = await run([]);
  assert.equal(m.code, 2);
  assert.match(m.err, /--config is required/);
});

test('a bad configuration file is reported with the option and line, exit 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'km-cli-'));
  try {
    const f = join(dir, 'bad.conf');
    writeFileSync(f, "[KUBERNETES]\ncluster_project = {'domain': 'default-domain'\n");
    const r = await run(['--config', f]);
    assert.equal(r.code, 1);
    assert.match(r.err, /bad\.conf: \[KUBERNETES\] cluster_project \(line 2\)/);
    const missing = await run(['--config', join(dir, 'nope.conf')]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
