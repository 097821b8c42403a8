// Two `tfctl serve config` processes on one real etcd behave as one API: a write on one is read on
// the other at once, both serve the same change feed, and under real concurrency (fast-check
// generated workloads sent to both at once) they never hand out the same address or id.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { etcdSkipReason, startEtcd, type RunningEtcd } from '../support/etcd.js';
import { spawnConfigApi, type ConfigApiProcess } from '../support/tfctl.js';
import { VncClient } from '../../src/vnc/client.js';
import { RefsExistError } from '../../src/vnc/errors.js';
import type { WatchEvent } from '../../src/vnc/watch.js';

const skip = etcdSkipReason();
let etcd: RunningEtcd;
let a: ConfigApiProcess;
let b: ConfigApiProcess;
let ca: VncClient;
let cb: VncClient;
const P = ['default-domain', 'two'];

before(async () => {
  if (skip) return;
  etcd = await startEtcd();
  const store = `etcd://${etcd.endpoint}/interop-${process.pid}/`;
  [a, b] = await Promise.all([spawnConfigApi(store), spawnConfigApi(store)]);
  ca = new VncClient({ url: a.url, retryBaseMs: 20 });
  cb = new VncClient({ url: b.url, retryBaseMs: 20 });
  await ca.create('project', { fq_name: P, parent_type: 'domain' });
});
after(async () => {
  ca?.close();
  cb?.close();
  await Promise.all([a?.stop(), b?.stop()]);
  await etcd?.stop();
});

test('both processes created the default objects once', { skip }, async () => {
  const [la, lb] = await Promise.all([ca.list('virtual-network'), cb.list('virtual-network')]);
  assert.deepEqual(la.map((x) => x.uuid).sort(), lb.map((x) => x.uuid).sort());
  assert.equal(la.filter((x) => x.fq_name[2] === 'ip-fabric').length, 1);
});

test('a write acknowledged by one process is read by the other immediately', { skip }, async () => {
  for (let i = 0; i < 40; i++) {
    const [w, r] = i % 2 ? [ca, cb] : [cb, ca];
    const np = await w.create('network-policy', { fq_name: [...P, `rw-${i}`], parent_type: 'project' });
    const got = await r.read('network-policy', np.uuid);
    assert.equal(got.uuid, np.uuid);
    await w.update('network-policy', np.uuid, { display_name: `v${i}` });
    assert.equal((await r.read('network-policy', np.uuid)).display_name, `v${i}`);
  }
});

test('both processes serve the same change feed', { skip }, async () => {
  const since = (await ca.listPage('network-policy', {})).revision;
  const feeds = [ca, cb].map((c) => {
    const events: WatchEvent[] = [];
    const h = c.watch({ types: ['network-policy'], since, onEvent: (e) => void (e.type !== 'BOOKMARK' && events.push(e)) });
    return { events, h };
  });
  for (let i = 0; i < 10; i++) await (i % 2 ? ca : cb).create('network-policy', { fq_name: [...P, `feed-${i}`], parent_type: 'project' });
  const deadline = Date.now() + 10_000;
  while (feeds.some((f) => f.events.length < 10) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const f of feeds) f.h.close();
  const sig = (evs: WatchEvent[]) => evs.map((e) => `${e.revision}:${e.type}:${e.object?.uuid}`);
  assert.equal(feeds[0].events.length, 10);
  assert.deepEqual(sig(feeds[0].events), sig(feeds[1].events));
});

type Op =
  | { kind: 'iip'; via: 0 | 1; request?: number }
  | { kind: 'free'; via: 0 | 1; pick: number }
  | { kind: 'vn'; via: 0 | 1 }
  | { kind: 'sg'; via: 0 | 1 };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('iip' as const), via: fc.constantFrom(0 as const, 1 as const), request: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('free' as const), via: fc.constantFrom(0 as const, 1 as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('vn' as const), via: fc.constantFrom(0 as const, 1 as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sg' as const), via: fc.constantFrom(0 as const, 1 as const) }) },
);

test('property: concurrent creates on two processes never share an address or an id', { skip }, async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 20, maxLength: 60 }), async (ops) => {
      const r = run++;
      const clients = [ca, cb];
      const vn = await ca.create('virtual-network', {
        fq_name: [...P, `prop-${r}`],
        parent_type: 'project',
        network_ipam_refs: [{ to: ['default-domain', 'default-project', 'default-network-ipam'], attr: { ipam_subnets: [{ subnet: { ip_prefix: '10.9.0.0', ip_prefix_len: 26 } }] } }],
      });
      const live: string[] = [];
      const vns: string[] = [vn.uuid];
      const sgs: string[] = [];
      // Real concurrency: each chunk of 8 operations is in flight at once, spread over both processes.
      for (let i = 0; i < ops.length; i += 8) {
        await Promise.all(
          ops.slice(i, i + 8).map(async (op, j) => {
            const c = clients[op.via];
            const name = `p${r}-${i + j}`;
            try {
              if (op.kind === 'iip') {
                const iip = await c.create('instance-ip', {
                  fq_name: [name],
                  virtual_network_refs: [{ uuid: vn.uuid }],
                  ...(op.request ? { instance_ip_address: `10.9.0.${op.request}` } : {}),
                });
                if (op.request) assert.equal(iip.instance_ip_address, `10.9.0.${op.request}`);
                live.push(iip.uuid);
              } else if (op.kind === 'free' && live.length > 0) {
                const [victim] = live.splice(op.pick % live.length, 1);
                await c.delete('instance-ip', victim);
              } else if (op.kind === 'vn') {
                vns.push((await c.create('virtual-network', { fq_name: [...P, name], parent_type: 'project' })).uuid);
              } else if (op.kind === 'sg') {
                sgs.push((await c.create('security-group', { fq_name: [...P, name], parent_type: 'project' })).uuid);
              }
            } catch (err) {
              // A requested address another operation holds is a legitimate 409; exhaustion a 400.
              if (!(err instanceof RefsExistError && err.code === 'IP_IN_USE') && !/exhausted/.test((err as Error).message)) throw err;
            }
          }),
        );
      }
      const iips = await cb.list('instance-ip', { backRefId: vn.uuid, detail: true });
      const addrs = iips.map((x) => x.instance_ip_address);
      assert.equal(new Set(addrs).size, addrs.length, `duplicate address in ${addrs.join(',')}`);
      assert.ok(addrs.every((x) => x !== '10.9.0.62' && x !== '10.9.0.61'), 'gateway and DNS never allocated');
      const allVns = await ca.list('virtual-network', { detail: true });
      const ids = allVns.map((x) => x.virtual_network_network_id);
      assert.equal(new Set(ids).size, ids.length, 'duplicate VN id');
      const allSgs = await cb.list('security-group', { detail: true });
      const sgIds = allSgs.map((x) => x.security_group_id);
      assert.equal(new Set(sgIds).size, sgIds.length, 'duplicate SG id');
      // Both processes see the same state.
      const fromA = await ca.list('instance-ip', { backRefId: vn.uuid });
      assert.deepEqual(fromA.map((x) => x.uuid).sort(), iips.map((x) => x.uuid).sort());
      for (const u of live) await ca.delete('instance-ip', u).catch(() => undefined);
    }),
    { numRuns: 12 },
  );
});
