// kill -9 of the config API during a burst of creates loses no create that was acknowledged, on
// SQLite and on etcd: after a restart every acknowledged object is there with the address it was
// given, addresses are still unique, and allocation carries on.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { etcdSkipReason, startEtcd, type RunningEtcd } from '../support/etcd.js';
import { spawnConfigApi, type ConfigApiProcess } from '../support/tfctl.js';
import { VncClient } from '../../src/vnc/client.js';

const dir = mkdtempSync(join(tmpdir(), 'tf-kill9-'));
let etcd: RunningEtcd | undefined;
const running: ConfigApiProcess[] = [];
after(async () => {
  for (const p of running) await p.kill9().catch(() => undefined);
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function burstAndKill(store: string): Promise<void> {
  const P = ['default-domain', 'k9'];
  const first = await spawnConfigApi(store);
  running.push(first);
  const setup = new VncClient({ url: first.url });
  await setup.create('project', { fq_name: P, parent_type: 'domain' });
  const vn = await setup.create('virtual-network', {
    fq_name: [...P, 'vn'],
    parent_type: 'project',
    network_ipam_refs: [{ to: ['default-domain', 'default-project', 'default-network-ipam'], attr: { ipam_subnets: [{ subnet: { ip_prefix: '10.20.0.0', ip_prefix_len: 20 } }] } }],
  });
  setup.close();

  // 24 concurrent writers; no client retries, so only what the API acknowledged counts.
  const client = new VncClient({ url: first.url, retries: 0, maxSockets: 32 });
  const acked = new Map<string, string>();
  let n = 0;
  let killed = false;
  const kill = (async () => {
    while (acked.size < 150) await new Promise((r) => setTimeout(r, 2));
    killed = true;
    await first.kill9();
  })();
  await Promise.all(
    Array.from({ length: 24 }, async () => {
      while (!killed) {
        const name = `iip-${n++}`;
        try {
          const iip = await client.create('instance-ip', { fq_name: [name], virtual_network_refs: [{ uuid: vn.uuid }] });
          acked.set(iip.uuid, iip.instance_ip_address!);
        } catch {
          // in flight when the process died: may or may not have been committed
        }
      }
    }),
  );
  await kill;
  client.close();
  assert.ok(acked.size >= 150, `acknowledged ${acked.size}`);

  const second = await spawnConfigApi(store);
  running.push(second);
  const check = new VncClient({ url: second.url });
  try {
    for (const [uuid, addr] of acked) {
      const got = await check.read('instance-ip', uuid);
      assert.equal(got.instance_ip_address, addr, `acknowledged ${uuid} lost or changed`);
    }
    const all = await check.list('instance-ip', { backRefId: vn.uuid, detail: true });
    const addrs = all.map((x) => x.instance_ip_address);
    assert.equal(new Set(addrs).size, addrs.length, 'addresses stay unique');
    const more = await check.create('instance-ip', { fq_name: ['after-restart'], virtual_network_refs: [{ uuid: vn.uuid }] });
    assert.ok(!addrs.includes(more.instance_ip_address), 'allocation resumes without reusing a taken address');
  } finally {
    check.close();
    await second.stop();
  }
}

test('SQLite: kill -9 during a create burst loses no acknowledged create', async () => {
  await burstAndKill(`sqlite://${join(dir, 'config.db')}`);
});

test('etcd: kill -9 during a create burst loses no acknowledged create', { skip: etcdSkipReason() }, async () => {
  etcd = await startEtcd();
  await burstAndKill(`etcd://${etcd.endpoint}/kill9/`);
});
