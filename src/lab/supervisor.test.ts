// The supervisor with real child processes (small Node programs): logs to the file, restart with backoff
// after a crash, stop/kill keep a process down until resume(), stopAll ends everything.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../common/log.js';
import { isAlive } from './procs.js';
import { Supervisor } from './supervisor.js';

const dir = mkdtempSync(join(tmpdir(), 'tf-supervisor-'));
const sups: Supervisor[] = [];
after(async () => {
  for (const s of sups) await s.stopAll([], 1_000);
  rmSync(dir, { recursive: true, force: true });
});

const log = createLogger('test');
const node = (code: string): string[] => [process.execPath, '-e', code];
const until = async (f: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 500 && !f(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(f(), `timed out waiting for ${what}`);
};

test('a process runs with its output in its log file; stop() ends it and keeps it down', async () => {
  const sup = new Supervisor({ log });
  sups.push(sup);
  const logFile = join(dir, 'a', 'a.log');
  const info = sup.start({ name: 'a', argv: node('console.log("hello " + process.env.X); setInterval(() => {}, 1000)'), env: { X: 'there' }, logFile });
  assert.equal(info.state, 'running');
  assert.ok(info.pid && isAlive(info.pid));
  await until(() => readFileSync(logFile, 'utf8').includes('hello there'), 'the log line');
  await sup.stop('a');
  assert.equal(sup.info('a')?.state, 'stopped');
  assert.equal(isAlive(info.pid), false);
  assert.equal(sup.info('a')?.lastExit?.signal, 'SIGTERM');
});

test('a crash is restarted with a new PID; kill() leaves it down until resume()', async () => {
  const changes: string[] = [];
  const sup = new Supervisor({ log, onChange: () => changes.push(sup.info('b')?.state ?? '?') });
  sups.push(sup);
  const first = sup.start({ name: 'b', argv: node('setInterval(() => {}, 1000)'), logFile: join(dir, 'b.log') }).pid!;
  process.kill(first, 'SIGKILL');
  await until(() => sup.info('b')?.state === 'running' && sup.info('b')?.pid !== first, 'the restart');
  assert.equal(sup.info('b')?.restarts, 1);
  assert.ok(changes.includes('backoff'));
  const second = sup.info('b')!.pid!;
  await sup.kill('b');
  assert.equal(isAlive(second), false);
  await new Promise((r) => setTimeout(r, 1_300));
  assert.equal(sup.info('b')?.state, 'stopped', 'no restart after kill()');
  await sup.resume('b');
  assert.equal(sup.info('b')?.state, 'running');
  assert.notEqual(sup.info('b')?.pid, second);
});

test('a name is supervised once', () => {
  const sup = new Supervisor({ log });
  sups.push(sup);
  sup.start({ name: 'dup', argv: node('setInterval(() => {}, 1000)'), logFile: join(dir, 'dup.log') });
  assert.throws(() => sup.start({ name: 'dup', argv: ['true'], logFile: join(dir, 'dup.log') }), /already supervised/);
});

test('restart: false leaves an exited process exited with its code', async () => {
  const sup = new Supervisor({ log });
  sups.push(sup);
  sup.start({ name: 'c', argv: node('process.exit(3)'), logFile: join(dir, 'c.log'), restart: false });
  await until(() => sup.info('c')?.state === 'exited', 'the exit');
  assert.equal(sup.info('c')?.lastExit?.code, 3);
});

test('a program that does not exist is reported, not thrown', async () => {
  const sup = new Supervisor({ log });
  sups.push(sup);
  sup.start({ name: 'd', argv: ['/nonexistent/program'], logFile: join(dir, 'd.log'), restart: false });
  await until(() => sup.info('d')?.state === 'exited', 'the failure');
});

test('stopAll ends every process, a SIGTERM-ignoring one with SIGKILL after the grace period', async () => {
  const sup = new Supervisor({ log });
  sups.push(sup);
  const a = sup.start({ name: 'e1', argv: node('setInterval(() => {}, 1000)'), logFile: join(dir, 'e1.log') }).pid!;
  const b = sup.start({ name: 'e2', argv: node('process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'), logFile: join(dir, 'e2.log') }).pid!;
  await new Promise((r) => setTimeout(r, 300));
  await sup.stopAll(['e1'], 500);
  assert.equal(isAlive(a), false);
  assert.equal(isAlive(b), false);
  assert.equal(sup.info('e2')?.lastExit?.signal, 'SIGKILL');
  assert.throws(() => sup.start({ name: 'e3', argv: ['true'], logFile: join(dir, 'x.log') }), /is stopping/, 'nothing new starts once stopping');
});
