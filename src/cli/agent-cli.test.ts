// tfctl serve agent / vr / trace: usage, option errors and argument parsing (serving and the live
// introspect are covered by test/e2e/agent-cluster.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from './main.js';
import { UsageError } from './command.js';
import { agentUrls, parseWhat, runTrace } from './trace.js';
import { vrOutput } from './vr.js';

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.map(String).join(' '));
  console.error = (...a: unknown[]) => void err.push(a.map(String).join(' '));
  try {
    return { code: await main(args), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test('serve agent: --help lists every option; bad options exit 2 with the usage', async () => {
  const h = await run('serve', 'agent', '--help');
  assert.equal(h.code, 0);
  for (const o of ['--config-api', '--node', '--ip', '--control', '--port-api', '--introspect-port', '--cni-socket', '--state-dir', '--underlay', '--hold-time', '--restart-time', '--vmi-timeout', '--eor-timeout']) assert.ok(h.out.includes(o), o);
  const cases: [string[], RegExp][] = [
    [['--control', '10.0.0.1'], /--ip is required/],
    [['--ip', '10.0.0.1'], /--control is required/],
    [['--ip', '10.0.0', '--control', '10.0.0.2'], /--ip/],
    [['--ip', '10.0.0.1', '--control', '10.0.0.2,10.0.0.3,10.0.0.4'], /at most two/],
    [['--ip', '10.0.0.1', '--control', '10.0.0.2', '--port-api', 'nope'], /--port-api/],
    [['--ip', '10.0.0.1', '--control', '10.0.0.2', '--cni-socket', 'rel.sock'], /--cni-socket/],
    [['--ip', '10.0.0.1', '--control', '10.0.0.2', '--hold-time', '2'], /--hold-time/],
    [['--ip', '10.0.0.1', '--control', '10.0.0.2', '--bogus'], /Unknown option/],
  ];
  for (const [args, re] of cases) {
    const r = await run('serve', 'agent', ...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, re);
    assert.match(r.err, /usage: tfctl serve agent/);
  }
});

test('vr: usage errors, and an unreachable agent is a clear error (exit 1)', async () => {
  const none = async () => ({});
  await assert.rejects(vrOutput([], none), UsageError);
  await assert.rejects(vrOutput(['bogus'], none), /unknown command "bogus"/);
  await assert.rejects(vrOutput(['-o', 'yaml', 'intf'], none), /-o must be json/);
  assert.match(await vrOutput(['--help'], none), /usage: tfctl vr/);
  const r = await run('vr', '--host', 'http://127.0.0.1:1', 'intf');
  assert.equal(r.code, 1);
  assert.match(r.err, /cannot reach the agent introspect at http:\/\/127\.0\.0\.1:1/);
});

test('trace: protocol/port parsing, agent discovery, no agent hosting either address', async () => {
  assert.deepEqual(parseWhat(undefined), { protocol: 'icmp' });
  assert.deepEqual(parseWhat('TCP/80'), { protocol: 'tcp', port: 80 });
  assert.throws(() => parseWhat('tcp'), UsageError);
  assert.throws(() => parseWhat('tcp/0'), UsageError);
  assert.deepEqual(agentUrls(['http://a:1,http://b:2', 'http://c:3']), ['http://a:1', 'http://b:2', 'http://c:3']);
  const report = await runTrace({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 'icmp' }, [{ url: 'x', get: async () => { throw new Error('down'); } }]);
  assert.equal(report.source, undefined);
  assert.deepEqual(report.notes, ['x: down']);
  assert.equal((await run('trace', '10.0.0.1')).code, 2);
  assert.equal((await run('trace', 'a', 'b')).code, 2);
  const r = await run('trace', '--host', 'http://127.0.0.1:1', '10.0.0.1', '10.0.0.2', 'tcp/80');
  assert.equal(r.code, 1);
  assert.match(r.err, /no agent hosts 10\.0\.0\.1 or 10\.0\.0\.2/);
});
