import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cmdline, humanDuration, isAlive, processAge, startTicks } from './proc-info.js';

test('humanDuration reads like docker ps', () => {
  assert.deepEqual([0.5, 1, 52, 60, 119, 120, 3599, 3600, 7200, 86400 * 3].map(humanDuration),
    ['Less than a second', '1 second', '52 seconds', 'About a minute', 'About a minute', '2 minutes', '59 minutes', 'About an hour', '2 hours', '3 days']);
});

test('this process is alive, has a command line, a start time and an age; a PID past pid_max is not', () => {
  assert.ok(isAlive(process.pid));
  assert.ok(cmdline(process.pid)?.[0]?.includes('node'));
  assert.ok((startTicks(process.pid) ?? 0) > 0);
  assert.ok((processAge(process.pid) ?? -1) >= 0);
  assert.equal(isAlive(2 ** 22 + 7), false);
  assert.equal(isAlive(0), false);
  assert.equal(processAge(2 ** 22 + 7), undefined);
});
