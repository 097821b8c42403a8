// The lab subcommands' answers when there is nothing to act on, or the options are wrong: exit codes
// and messages, nothing created (no network namespace of the prefix appears).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listNetns } from '../datapath/index.js';
import lab from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tf-lab-cmd-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const root = process.getuid?.() === 0;

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.map(String).join(' '));
  console.error = (...a: unknown[]) => void err.push(a.map(String).join(' '));
  try {
    const code = await lab.run(args);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test('tfctl lab lists up, down, status, kubeconfig and exec', async () => {
  const r = await run(['--help']);
  assert.equal(r.code, 0);
  for (const s of ['up', 'down', 'status', 'kubeconfig', 'exec']) assert.match(r.out, new RegExp(`^  ${s} `, 'm'));
});

test('lab up: bad options are refused before anything is created', async () => {
  assert.equal((await run(['up', '--ports', 'sideways', '--dir', dir])).code, 2);
  assert.equal((await run(['up', '--nodes', 'many', '--dir', dir])).code, 2);
  const r = await run(['up', '--nodes', '0', '--dir', dir, '--prefix', 'tcmd-']);
  assert.equal(r.code, 1);
  assert.match(r.err, root ? /LAB_BAD_OPTION: nodes must be an integer from 1 to 64/ : /LAB_NEEDS_ROOT/);
  const p = await run(['up', '--dir', dir, '--prefix', 'Bad_Prefix']);
  assert.match(p.err, root ? /LAB_BAD_OPTION: prefix/ : /LAB_NEEDS_ROOT/);
  assert.deepEqual(listNetns().filter((n) => n.startsWith('tcmd-')), []);
});

test('lab down without a lab: nothing to remove (or, without root, what it needs)', async () => {
  const r = await run(['down', '--dir', dir, '--prefix', 'tcmd-']);
  if (root) {
    assert.equal(r.code, 0);
    assert.match(r.out, /no lab running .*nothing to remove/);
  } else {
    assert.equal(r.code, 1);
    assert.match(r.err, /LAB_NEEDS_ROOT/);
  }
});

test('lab status, kubeconfig and exec without a lab say so', async () => {
  const st = await run(['status', '--dir', dir]);
  assert.equal(st.code, 1);
  assert.match(st.out, /no lab in /);
  const kc = await run(['kubeconfig', '--dir', dir]);
  assert.equal(kc.code, 1);
  assert.match(kc.err, /LAB_NOT_RUNNING/);
  const ex = await run(['exec', '--dir', dir, 'external', '--', 'true']);
  assert.equal(ex.code, 1);
  assert.match(ex.err, /LAB_NOT_RUNNING/);
  assert.equal((await run(['exec', '--dir', dir, 'external'])).code, 2, 'no command after --');
  assert.equal((await run(['exec', '--dir', dir, '--', 'true'])).code, 2, 'no target');
});
