import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inNetns, parseBatchFailures, readSections, runBatch, runBatchChain, runChecked, runNft, type CommandRunner } from './exec.js';
import { DatapathApplyError } from '../errors.js';

function fakeRunner(reply: (argv: readonly string[], input?: string) => { stdout?: string; stderr?: string; code?: number }) {
  const calls: { argv: readonly string[]; input?: string }[] = [];
  const runner: CommandRunner = async (argv, input) => {
    calls.push({ argv, input });
    const r = reply(argv, input);
    return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', code: r.code ?? 0 };
  };
  return { runner, calls };
}

test('commands run through nsenter in a named or path namespace, directly otherwise', () => {
  assert.deepEqual(inNetns(undefined, ['ip', 'link']), ['ip', 'link']);
  assert.deepEqual(inNetns('node1', ['ip', 'link']), ['nsenter', '--net=/run/netns/node1', 'ip', 'link']);
  assert.deepEqual(inNetns('/proc/42/ns/net', ['nft', '-f', '-']), ['nsenter', '--net=/proc/42/ns/net', 'nft', '-f', '-']);
});

test('batch failures map back to their input lines with their messages', () => {
  const lines = ['link add a type dummy', 'link set dev a up', 'link del dev nosuch', 'rule add priority 5 lookup 9'];
  const stderr = 'Error: Unknown device type.\nCommand failed -:1\nCannot find device "nosuch"\nCommand failed -:3\n';
  assert.deepEqual(parseBatchFailures(stderr, lines), [
    { line: 'link add a type dummy', error: 'Error: Unknown device type.' },
    { line: 'link del dev nosuch', error: 'Cannot find device "nosuch"' },
  ]);
});

test('runBatch sends every line with -force and throws a typed error naming the failed lines', async () => {
  const { runner, calls } = fakeRunner(() => ({ code: 1, stderr: 'RTNETLINK answers: File exists\nCommand failed -:2\n' }));
  const err = await runBatch(runner, 'n1', 'ip', ['a', 'b', 'c']).catch((e: unknown) => e);
  assert.ok(err instanceof DatapathApplyError);
  assert.equal(err.code, 'DATAPATH_APPLY_FAILED');
  assert.deepEqual(err.failures, [{ line: 'b', error: 'RTNETLINK answers: File exists' }]);
  assert.deepEqual(calls, [{ argv: ['nsenter', '--net=/run/netns/n1', 'ip', '-force', '-batch', '-'], input: 'a\nb\nc\n' }]);
  const none = fakeRunner(() => ({}));
  await runBatch(none.runner, undefined, 'bridge', []);
  assert.equal(none.calls.length, 0, 'an empty batch runs nothing');
  const stop = fakeRunner(() => ({}));
  await runBatch(stop.runner, undefined, 'ip', ['x'], { stopOnError: true });
  assert.deepEqual(stop.calls[0].argv, ['ip', '-batch', '-']);
});

test('nft failures and failing or missing programs are typed errors', async () => {
  const nft = fakeRunner(() => ({ code: 1, stderr: '/dev/stdin:3:5-9: Error: syntax error\n  bad\n' }));
  await assert.rejects(runNft(nft.runner, undefined, 'x'), { code: 'DATAPATH_APPLY_FAILED' });
  const missing: CommandRunner = () => Promise.reject(new Error('spawn nsenter ENOENT'));
  await assert.rejects(runChecked(missing, 'n', ['ip']), { code: 'DATAPATH_COMMAND_FAILED' });
  await assert.rejects(runBatch(missing, 'n', 'ip', ['x']), { code: 'DATAPATH_COMMAND_FAILED' });
  const bad = fakeRunner(() => ({ code: 2, stderr: 'nope' }));
  await assert.rejects(runChecked(bad.runner, undefined, ['sysctl']), (e: { code: string; details: { exitCode: number } }) => e.code === 'DATAPATH_COMMAND_FAILED' && e.details.exitCode === 2);
});

test('readSections runs one shell and splits its output by section, null for failed commands', async () => {
  const { runner, calls } = fakeRunner(() => ({ stdout: "\n@@@ a\n[1]\n\n@@@ b\n\n@@@!\n\n@@@ c\nline1\nline2\n" }));
  const out = await readSections(runner, 'n1', { a: 'echo [1]', b: 'false', c: 'printf x' });
  assert.deepEqual(out, { a: '[1]\n', b: null, c: 'line1\nline2\n' });
  assert.equal(calls.length, 1);
  assert.deepEqual(calls[0].argv.slice(0, 4), ['nsenter', '--net=/run/netns/n1', 'sh', '-c']);
});

test('readSections against a real shell', { skip: process.platform !== 'linux' ? 'needs sh' : false }, async () => {
  const { spawnRunner } = await import('./exec.js');
  const out = await readSections(spawnRunner, undefined, { one: 'echo hello', two: 'false', three: 'printf "a\\nb"' });
  assert.deepEqual(out, { one: 'hello\n', two: null, three: 'a\nb' });
});

test('a batch chain quotes namespace paths for the shell and reports which batch failed', async () => {
  const { runner, calls } = fakeRunner(() => ({ code: 11, stderr: 'Error: x\nCommand failed -:2\n' }));
  const res = await runBatchChain(runner, undefined, [{ lines: ['a'] }, { netns: "/tmp/it's", lines: ['b', 'c'] }]);
  assert.equal(calls[0].argv[2], "ip -batch - <<'TF_BATCH_0' || exit 10\na\nTF_BATCH_0\nnsenter --net='/tmp/it'\\''s' ip -batch - <<'TF_BATCH_1' || exit 11\nb\nc\nTF_BATCH_1");
  assert.equal(res?.batch, 1);
  assert.deepEqual(res?.error.failures, [{ line: 'c', error: 'Error: x' }]);
  const ok = fakeRunner(() => ({}));
  assert.equal(await runBatchChain(ok.runner, 'n', [{ lines: ['a'] }]), null);
});

test('a background batch runs alongside the next one; its failure is reported after that one, or with it', async () => {
  const chain = [{ tool: 'nft' as const, background: true, lines: ['add element x'] }, { lines: ['a'] }, { netns: 'p', lines: ['b'] }];
  const { runner, calls } = fakeRunner(() => ({ code: 10, stderr: '/dev/stdin:1:1-3: Error: boom\n' }));
  const res = await runBatchChain(runner, undefined, chain);
  assert.equal(
    calls[0].argv[2],
    [
      "nft -f - <<'TF_BATCH_0' &", 'add element x', 'TF_BATCH_0', 'tf_bg=$!',
      "ip -batch - <<'TF_BATCH_1' || { wait $tf_bg || exit 41; exit 11; }", 'a', 'TF_BATCH_1', 'wait $tf_bg || exit 10',
      "nsenter --net='/run/netns/p' ip -batch - <<'TF_BATCH_2' || exit 12", 'b', 'TF_BATCH_2',
    ].join('\n'),
  );
  assert.equal(res?.batch, 0);
  assert.equal(res?.error.message.includes('boom'), true);
  const both = await runBatchChain(fakeRunner(() => ({ code: 41, stderr: 'Error: y\nCommand failed -:1\n/dev/stdin:1:1-3: Error: boom\n' })).runner, undefined, chain);
  assert.equal(both?.batch, 1);
  assert.equal(both?.background?.batch, 0);
  assert.deepEqual(both?.error.failures, [{ line: 'a', error: 'Error: y' }]);
  await assert.rejects(runBatchChain(fakeRunner(() => ({ code: 42 })).runner, undefined, chain), { code: 'DATAPATH_COMMAND_FAILED' }, '42: batch 1 was not in the background');
});

test('a background batch against a real shell: both run, the chain waits for it', { skip: process.platform !== 'linux' ? 'needs sh' : false }, async () => {
  const { spawnRunner } = await import('./exec.js');
  // Replace the tools by shell functions through a wrapper runner: `nft` fails, `ip` succeeds.
  const runner: CommandRunner = (argv, input) => spawnRunner(['sh', '-c', `nft() { cat >/dev/null; echo nft-ran >&2; return 1; }; ip() { cat >/dev/null; return 0; }; ${argv[2]}`], input);
  const res = await runBatchChain(runner, undefined, [{ tool: 'nft', background: true, lines: ['x'] }, { lines: ['a'] }, { lines: ['b'] }]);
  assert.equal(res?.batch, 0, 'the background failure is seen once the batch alongside it is done');
});
