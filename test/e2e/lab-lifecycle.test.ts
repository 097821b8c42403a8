// The lab's life cycle through the real CLI (issue 9, e2e scenario 8 and deliverables 1-2):
// `tfctl lab up --detach` brings a lab up in the background, `tfctl status`, `tfctl lab status`,
// `tfctl lab kubeconfig`, `tfctl lab exec` and `tfctl ctr` find it through its endpoints.json, and
// `tfctl lab down` leaves the machine as it was — also after the supervisor was SIGKILLed, and when run
// twice. Without root, `lab up` says what it needs.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listNetns } from '../../src/datapath/index.js';
import { cmdline, isAlive } from '../../src/common/proc-info.js';
import { allPids, pidsInNetns } from '../../src/lab/procs.js';
import { readState } from '../../src/lab/state.js';
import { rootSkip, uniquePrefix, type RunResult } from '../support/lab-e2e.js';
import { REPO_ROOT } from '../support/tfctl.js';

const dirs: string[] = [];
const prefixes: string[] = [];
after(async () => {
  // whatever happened above, leave nothing behind
  for (const [i, dir] of dirs.entries()) await tfctl(['lab', 'down', '--dir', dir, '--prefix', prefixes[i]]).catch(() => undefined);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: REPO_ROOT, env: { ...process.env, TF_LOG_LEVEL: 'warn', ...env }, encoding: 'utf8', timeout: 400_000, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}
const tfctl = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> => run(process.execPath, ['--import', 'tsx', 'src/bin/tfctl.ts', ...args], env);

async function sh(netns: string | undefined, argv: string[]): Promise<string> {
  const r = netns ? await run('ip', ['netns', 'exec', netns, ...argv]) : await run(argv[0], argv.slice(1));
  return r.stdout;
}

/** What a lab could leave behind on the host: namespaces, host links/addresses/routes/rules, nftables tables. */
async function hostSnapshot(prefix: string): Promise<Record<string, unknown>> {
  const links = (JSON.parse(await sh(undefined, ['ip', '-j', 'link'])) as { ifname: string }[]).map((l) => l.ifname).sort();
  const addrs = (JSON.parse(await sh(undefined, ['ip', '-j', 'addr'])) as { ifname: string; addr_info: { local: string }[] }[])
    .flatMap((l) => l.addr_info.map((a) => `${l.ifname} ${a.local}`)).sort();
  const routes = (await sh(undefined, ['ip', 'route', 'show', 'table', 'all'])).split('\n').filter(Boolean).sort();
  const rules = (await sh(undefined, ['ip', 'rule'])).split('\n').filter(Boolean).sort();
  const nft = (await sh(undefined, ['nft', 'list', 'tables'])).split('\n').filter(Boolean).sort();
  return { netns: listNetns().filter((n) => n.startsWith(prefix)).sort(), links, addrs, routes, rules, nft };
}

function processesOf(dir: string): number[] {
  return allPids().filter((p) => p !== process.pid && (cmdline(p) ?? []).some((a) => a.includes(dir)));
}

async function upDetached(stem: string): Promise<{ dir: string; prefix: string; up: RunResult }> {
  const dir = mkdtempSync(join(tmpdir(), `tf-lab-${stem}-`));
  const prefix = uniquePrefix(stem);
  dirs.push(dir);
  prefixes.push(prefix);
  const up = await tfctl(['lab', 'up', '--detach', '--dir', dir, '--prefix', prefix, '--ports', 'auto', '--timeout', '300']);
  return { dir, prefix, up };
}

test('without root, lab up refuses and says what it needs', { skip: rootSkip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tf-lab-noroot-'));
  dirs.push(dir);
  prefixes.push('tfnoroot-');
  const r = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', 'src/bin/tfctl.ts', 'lab', 'up', '--dir', dir]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /LAB_NEEDS_ROOT/);
  assert.match(r.stderr, /network namespaces/);
  assert.match(r.stderr, /root/);
});

test('lab up --detach, status, kubeconfig, exec, ctr; lab down leaves the machine as it was; down twice is fine', { skip: rootSkip }, async () => {
  const stem = 'life';
  const before = await hostSnapshot(stem);
  const { dir, prefix, up } = await upDetached(stem);
  assert.equal(up.code, 0, up.stdout + up.stderr);
  // the summary: every component listed like contrail-status, and the kubectl line
  assert.match(up.stdout, /== Contrail control ==/);
  assert.match(up.stdout, /== Contrail gateway ==/);
  assert.match(up.stdout, /export KUBECONFIG=\S+kubeconfig; kubectl get nodes/);
  const env = { TF_LAB_DIR: dir };

  const st = await tfctl(['status'], env);
  assert.equal(st.code, 0, `every component active:\n${st.stdout}${st.stderr}`);
  for (const want of [/^control \(control1\): active$/m, /^control \(control2\): active$/m, /^kube-manager: active$/m, /^api: active$/m, /^bird \(gateway\): active$/m, /^kubelet \(node2\): active$/m]) assert.match(st.stdout, want);
  const json = JSON.parse((await tfctl(['status', '-o', 'json'], env)).stdout) as { source: string; active: number; total: number; services: { group: string; state: string }[] };
  assert.equal(json.source, 'lab');
  assert.equal(json.active, json.total);
  assert.ok(json.services.some((s) => s.group === 'gateway'));

  const ls = await tfctl(['lab', 'status'], env);
  assert.equal(ls.code, 0, ls.stdout);
  assert.match(ls.stdout, new RegExp(`control1\\s+\\d+\\s+${prefix}ctl1\\s+yes`));

  const kc = (await tfctl(['lab', 'kubeconfig'], env)).stdout.trim();
  assert.equal(kc, join(dir, 'kubeconfig'));
  const nodes = await run('kubectl', ['get', 'nodes', '-o', 'wide', '--no-headers'], { KUBECONFIG: kc, HOME: dir });
  assert.match(nodes.stdout, /^node1\s+Ready\s.*10\.0\.0\.101/m);
  assert.match(nodes.stdout, /^node2\s+Ready\s.*10\.0\.0\.102/m);

  // namespaces by name: the external client reaches the gateway; a node sits on the underlay
  const ping = await tfctl(['lab', 'exec', 'external', '--', 'ping', '-c', '1', '-W', '2', '203.0.113.1'], env);
  assert.equal(ping.code, 0, ping.stdout + ping.stderr);
  const addr = await tfctl(['lab', 'exec', 'node/node2', '--', 'ip', '-br', 'addr', 'show', 'eth0'], env);
  assert.match(addr.stdout, /10\.0\.0\.102\/24/);
  const fromNode = await tfctl(['lab', 'exec', 'node/node1', '--', 'ping', '-c', '1', '-W', '2', '10.0.0.12'], env);
  assert.equal(fromNode.code, 0, 'node1 reaches control2 over the fabric');
  const bad = await tfctl(['lab', 'exec', 'node/worker', '--', 'true'], env);
  assert.equal(bad.code, 2);

  // tfctl ctr finds control1's introspect through endpoints.json: the mesh peer and the gateway are up
  const nei = await tfctl(['ctr', 'nei'], env);
  assert.equal(nei.code, 0, nei.stderr);
  assert.match(nei.stdout, /\| control2 +\| 10\.0\.0\.12 +\| 64512 +\| BGP +\| internal +\| Established/);
  assert.match(nei.stdout, /\| gateway +\| 10\.0\.0\.1 +\| 64512 +\| BGP +\| internal +\| Established/);

  // a second lab from the same directory, or with the same prefix from another one, is refused and harms nothing
  const same = await tfctl(['lab', 'up', '--dir', dir, '--ports', 'auto']);
  assert.equal(same.code, 1);
  assert.match(same.stderr, /LAB_ALREADY_RUNNING: a lab is already running from/);
  const other = mkdtempSync(join(tmpdir(), 'tf-lab-other-'));
  dirs.push(other);
  prefixes.push('tfnone-');
  const clash = await tfctl(['lab', 'up', '--dir', other, '--prefix', prefix, '--ports', 'auto', '--no-agents']);
  assert.equal(clash.code, 1);
  assert.match(clash.stderr, /LAB_ALREADY_RUNNING: network namespaces of prefix/);
  assert.equal((await tfctl(['status'], env)).code, 0, 'the running lab is untouched');

  const inLab = pidsInNetns(listNetns().filter((n) => n.startsWith(prefix)));
  assert.ok(inLab.size >= 7, `processes run inside the lab namespaces (${inLab.size})`);
  const supervisor = readState(dir)!.supervisor.pid;

  const down = await tfctl(['lab', 'down', '--dir', dir]);
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stdout, /supervisor stopped/);
  assert.equal(isAlive(supervisor), false);
  for (const pid of inLab.keys()) assert.equal(isAlive(pid), false, `process ${pid} (${inLab.get(pid)}) is gone`);
  assert.deepEqual(processesOf(dir), []);
  assert.deepEqual(await hostSnapshot(stem), before);
  for (const f of ['state.json', 'endpoints.json', 'kubeconfig']) assert.equal(existsSync(join(dir, f)), false, `${f} removed`);
  assert.ok(existsSync(join(dir, 'logs', 'control1.log')), 'logs stay for a post-mortem');
  assert.match(readFileSync(join(dir, 'logs', 'control1.log'), 'utf8'), /tfctl serve control: control1/);

  const again = await tfctl(['lab', 'down', '--dir', dir]);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /no lab running/);
  const gone = await tfctl(['status'], env);
  assert.notEqual(gone.code, 0, 'no lab, nothing answers');
});

test('after the supervisor is SIGKILLed, lab down still removes everything', { skip: rootSkip }, async () => {
  const stem = 'crash';
  const before = await hostSnapshot(stem);
  const { dir, prefix, up } = await upDetached(stem);
  assert.equal(up.code, 0, up.stdout + up.stderr);
  const state = readState(dir)!;
  assert.ok(state.processes.length >= 8);
  process.kill(state.supervisor.pid, 'SIGKILL');
  const ls = await tfctl(['lab', 'status', '--dir', dir]);
  assert.equal(ls.code, 1);
  assert.match(ls.stdout, /supervisor NOT running/);
  assert.ok(listNetns().some((n) => n.startsWith(prefix)), 'the namespaces outlived the supervisor');

  const down = await tfctl(['lab', 'down', '--dir', dir]);
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stdout, /no supervisor running, \d+ namespaces deleted, [1-9]\d* leftover processes killed/);
  for (const p of state.processes) assert.equal(isAlive(p.pid), false, `${p.name} (${p.pid}) is gone`);
  assert.deepEqual(processesOf(dir), []);
  assert.deepEqual(await hostSnapshot(stem), before);
});
