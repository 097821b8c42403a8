// tfctl serve config: --help and option errors (serving itself is covered by the interop tests,
// which run it as a process).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from './main.js';

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.map(String).join(' '));
  console.error = (...a: unknown[]) => void err.push(a.map(String).join(' '));
  try {
    return { code: await main(['serve', 'config', ...args]), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test('--help prints the usage with every option', async () => {
  const r = await run('--help');
  assert.equal(r.code, 0);
  for (const opt of ['--port', '--store', '--introspect-port', '--admin-token', '--no-transformer']) assert.ok(r.out.includes(opt), opt);
});

test('a bad store URL or option is an error, not a crash', async () => {
  const r = await run('--store', 'mysql://x', '--port', '0', '--introspect-port', '0', '--no-transformer');
  assert.equal(r.code, 1);
  assert.match(r.err, /store must be sqlite/);
  assert.equal((await run('--port', 'abc')).code, 2);
});
