// kubectl's watch paths against the lab API: get -w (Table watch), --watch-only -o name, wait --for.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { kubectlSkip, startKubectlLab, type KubectlLab } from '../support/kubectl-lab.js';

let lab: KubectlLab;

function collect(child: ChildProcess): { text: () => string } {
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  return { text: () => out };
}

async function waitFor(read: () => string, re: RegExp, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end && !re.test(read())) await new Promise((r) => setTimeout(r, 50));
  assert.match(read(), re, `waiting for ${what}`);
}

describe('kubectl watches', { skip: kubectlSkip }, () => {
  before(async () => {
    lab = await startKubectlLab(['node-w']);
  });
  after(async () => {
    await lab?.close();
  });

  test('get pods -w prints the pod as it is scheduled, started and deleted', async () => {
    const w = lab.spawn(['get', 'pods', '-w']);
    const out = collect(w);
    await new Promise((r) => setTimeout(r, 500));
    await lab.ok(['run', 'watched', '--image=busybox', '--restart=Never', '--', 'sleep', '600']);
    await waitFor(out.text, /^watched\s+1\/1\s+Running\s+0\s+\S+$/m, 'Running line');
    assert.match(out.text(), /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m, 'one header');
    assert.equal(out.text().match(/^NAME/gm)?.length, 1, 'the header is printed once');
    await lab.ok(['delete', 'pod', 'watched', '--wait=false']);
    await waitFor(out.text, /^watched\s+\S+\s+Terminating\s+/m, 'Terminating line');
    w.kill('SIGTERM');
  });

  test('kubectl logs (proxied to the kubelet) and logs -f', async () => {
    await lab.ok(['run', 'logger', '--image=busybox', '--restart=Never', '--', 'sh', '-c', 'echo hi from the lab; exec sleep 600']);
    await lab.ok(['wait', '--for=condition=Ready', 'pod/logger', '--timeout=30s']);
    let out = '';
    for (let i = 0; i < 50 && out !== 'hi from the lab\n'; i++) {
      out = await lab.ok(['logs', 'logger']);
      if (out !== 'hi from the lab\n') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(out, 'hi from the lab\n');
    const f = lab.spawn(['logs', '-f', 'logger']);
    const followed = collect(f);
    await waitFor(followed.text, /hi from the lab/, 'followed output');
    f.kill('SIGTERM');
    await lab.ok(['delete', 'pod', 'logger', '--wait=false']);
  });

  test('--watch-only -o name, and wait --for=condition=Ready', async () => {
    const w = lab.spawn(['get', 'pods', '--watch-only', '-o', 'name']);
    const out = collect(w);
    await new Promise((r) => setTimeout(r, 500));
    await lab.ok(['run', 'second', '--image=busybox', '--restart=Never', '--', 'sleep', '600']);
    assert.match(await lab.ok(['wait', '--for=condition=Ready', 'pod/second', '--timeout=30s']), /pod\/second condition met/);
    await waitFor(out.text, /^pod\/second$/m, 'pod/second');
    w.kill('SIGTERM');
    const waiter = lab.spawn(['wait', '--for=delete', 'pod/second', '--timeout=30s']);
    const waited = collect(waiter);
    const exit = new Promise<number | null>((resolve) => waiter.on('exit', resolve));
    await new Promise((r) => setTimeout(r, 500));
    await lab.ok(['delete', 'pod', 'second', '--wait=false']);
    assert.equal(await exit, 0);
    assert.match(waited.text(), /pod\/second condition met/);
  });
});
