// The transformer over time: deletes and number reuse, "already in sync" → zero writes, objects it
// did not derive are never modified, ASN changes re-target, a restart in the middle of a burst ends
// in the same state as an uninterrupted run, two instances never share a number, and the in-process
// seam of `tfctl serve config`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestConfigApi } from '../../test/support/config-api.js';
import { derivedState, startTransformerEnv } from '../../test/support/transformer.js';
import type { VncClient } from '../vnc/client.js';
import type { PolicyRuleType, RoutingInstance } from '../vnc/schema.js';
import { startTransformer } from './index.js';
import { CREATOR } from './marks.js';

const PORTS = [{ start_port: -1, end_port: -1 }];
const rule = (src: string, dst: string, uuid?: string): PolicyRuleType => ({
  ...(uuid ? { rule_uuid: uuid } : {}),
  direction: '<>',
  protocol: 'any',
  action_list: { simple_action: 'pass' },
  src_addresses: [{ virtual_network: src }],
  dst_addresses: [{ virtual_network: dst }],
  src_ports: PORTS,
  dst_ports: PORTS,
});

async function project(client: VncClient, name: string): Promise<string[]> {
  await client.create('project', { fq_name: ['default-domain', name], parent_type: 'domain' });
  return ['default-domain', name];
}

/** n networks in a ring, each with two policies naming its neighbours, plus one security group each. */
async function ring(client: VncClient, p: string[], n: number, from = 0, to = n): Promise<void> {
  const fq = (i: number) => [...p, `vn${(i + n) % n}`].join(':');
  for (let i = from; i < to; i++) {
    const left = await client.create('network-policy', { fq_name: [...p, `np${i}-l`], parent_type: 'project', network_policy_entries: { policy_rule: [rule('local', fq(i - 1), `00000000-0000-4000-8000-1${String(i).padStart(11, '0')}`)] } });
    const right = await client.create('network-policy', { fq_name: [...p, `np${i}-r`], parent_type: 'project', network_policy_entries: { policy_rule: [rule('local', fq(i + 1), `00000000-0000-4000-8000-2${String(i).padStart(11, '0')}`)] } });
    await client.create('virtual-network', {
      fq_name: [...p, `vn${i}`],
      parent_type: 'project',
      network_policy_refs: [left, right].map((x, k) => ({ uuid: x.uuid, attr: { sequence: { major: k, minor: 0 } } })),
    });
    await client.create('security-group', {
      fq_name: [...p, `sg${i}`],
      parent_type: 'project',
      security_group_entries: { policy_rule: [{ rule_uuid: `00000000-0000-4000-8000-3${String(i).padStart(11, '0')}`, direction: '>', protocol: 'tcp', src_addresses: [{ security_group: 'any' }], dst_addresses: [{ security_group: 'local' }], dst_ports: [{ start_port: 80 + i, end_port: 80 + i }] }] },
    });
  }
}

const own = async (client: VncClient, vnUuid: string): Promise<string[]> =>
  (await client.list('route-target', { detail: true })).filter((t) => t.annotations?.key_value_pair?.some((kv) => kv.value === vnUuid)).map((t) => t.fq_name[0]);

const targets = (r: RoutingInstance) => (r.route_target_refs ?? []).map((x) => `${x.to[0]} ${x.attr?.import_export ?? 'both'}`).sort();

test('rule 4: deleting a network deletes what was derived from it, and its number is reused', async () => {
  const env = await startTransformerEnv();
  try {
    const p = await project(env.client, 'del');
    const pa = await env.client.create('network-policy', { fq_name: [...p, 'pa'], parent_type: 'project', network_policy_entries: { policy_rule: [rule('local', 'default-domain:del:b')] } });
    const pb = await env.client.create('network-policy', { fq_name: [...p, 'pb'], parent_type: 'project', network_policy_entries: { policy_rule: [rule('local', 'default-domain:del:a')] } });
    const a = await env.client.create('virtual-network', { fq_name: [...p, 'a'], parent_type: 'project', network_policy_refs: [{ uuid: pa.uuid, attr: { sequence: { major: 0, minor: 0 } } }] });
    const b = await env.client.create('virtual-network', { fq_name: [...p, 'b'], parent_type: 'project', network_policy_refs: [{ uuid: pb.uuid, attr: { sequence: { major: 0, minor: 0 } } }] });
    await env.t.transformer.settled();
    const [rtA] = await own(env.client, a.uuid);
    const [rtB] = await own(env.client, b.uuid);
    assert.deepEqual(targets(await env.client.readByFqName('routing-instance', [...p, 'b', 'b'])), [`${rtA} import`, `${rtB} both`].sort());
    const before = env.reports.length;
    await env.client.delete('virtual-network', a.uuid);
    await env.t.transformer.settled();
    const writes = env.reports.slice(before).flatMap((r) => r.writes.map((w) => `${w.action} ${w.type} ${w.fq_name.join(':')}`));
    assert.deepEqual(writes.sort(), [`deleted route-target ${rtA}`, 'updated routing-instance default-domain:del:b:b']);
    const riB = await env.client.readByFqName('routing-instance', [...p, 'b', 'b']);
    assert.deepEqual(targets(riB), [`${rtB} both`]);
    assert.equal(riB.routing_instance_refs, undefined);
    await assert.rejects(env.client.readByFqName('access-control-list', [...p, 'a', 'a']), { code: 'NO_ID' });
    const c = await env.client.create('virtual-network', { fq_name: [...p, 'c'], parent_type: 'project' });
    await env.t.transformer.settled();
    assert.deepEqual(await own(env.client, c.uuid), [rtA], 'the freed number is the lowest free one again');
  } finally {
    await env.close();
  }
});

test('already in sync → zero writes, after a restart and after an unrelated change', async () => {
  const env = await startTransformerEnv();
  try {
    const p = await project(env.client, 'sync');
    await ring(env.client, p, 6);
    await env.t.transformer.settled();
    const before = await derivedState(env.client);
    await env.restart();
    await env.t.transformer.settled();
    assert.equal(env.t.transformer.stats().reconciles > 0, true, 'the restarted transformer did reconcile everything');
    assert.deepEqual(env.t.transformer.stats().writes, { created: 0, updated: 0, deleted: 0 });
    const vn0 = await env.client.readByFqName('virtual-network', [...p, 'vn0']);
    await env.client.update('virtual-network', vn0.uuid, { display_name: 'renamed' });
    await env.t.transformer.settled();
    assert.deepEqual(env.t.transformer.stats().writes, { created: 0, updated: 0, deleted: 0 });
    assert.deepEqual(await derivedState(env.client), before);
  } finally {
    await env.close();
  }
});

test('the transformer never modifies objects it did not derive', async () => {
  const env = await startTransformerEnv();
  try {
    const p = await project(env.client, 'own');
    await env.t.close(); // write the intent while no transformer runs, so everything it does comes after the snapshot
    const pol = await env.client.create('network-policy', { fq_name: [...p, 'pol'], parent_type: 'project', network_policy_entries: { policy_rule: [rule('local', 'any')] } });
    const vn = await env.client.create('virtual-network', { fq_name: [...p, 'n'], parent_type: 'project', network_policy_refs: [{ uuid: pol.uuid, attr: { sequence: { major: 0, minor: 0 } } }] });
    await env.client.create('virtual-network', { fq_name: [...p, 'm'], parent_type: 'project', route_target_list: { route_target: ['target:64512:8000002'] } });
    // A user ACL where the transformer's would go, a user target inside the allocation range, a
    // user routing instance (not default) with refs of its own.
    await env.client.create('access-control-list', { fq_name: [...p, 'n', 'n'], parent_type: 'virtual-network', access_control_list_entries: { dynamic: false, acl_rule: [] } });
    const userRt = await env.client.readByFqName('route-target', ['target:64512:8000002']).catch(() => env.client.create('route-target', { fq_name: ['target:64512:8000002'] }));
    await env.client.create('routing-instance', { fq_name: [...p, 'n', 'extra'], parent_type: 'virtual-network', route_target_refs: [{ uuid: userRt.uuid, attr: { import_export: 'import' } }] });
    await env.client.create('security-group', { fq_name: [...p, 'sg'], parent_type: 'project' });
    const snapshot = async (): Promise<Map<string, string>> => {
      const out = new Map<string, string>();
      for (const type of ['virtual-network', 'network-policy', 'security-group', 'route-target', 'routing-instance', 'access-control-list', 'project']) {
        for (const o of await env.client.list<string>(type, { detail: true })) {
          if (o.id_perms?.creator === CREATOR) continue;
          if (type === 'routing-instance' && (o as RoutingInstance).routing_instance_is_default) continue; // its two ref fields are the transformer's
          out.set(`${type} ${o.fq_name.join(':')}`, JSON.stringify(o));
        }
      }
      return out;
    };
    const before = await snapshot();
    env.t = await startTransformer({ configApiUrl: env.api.url, settleMs: 20, onReconcile: (r) => env.reports.push(r) });
    await env.t.transformer.settled();
    await env.client.update('virtual-network', vn.uuid, { network_policy_refs: [] }); // the ACL would now be deleted — but it is not ours
    await env.t.transformer.settled();
    const after = await snapshot();
    for (const [k, v] of before) if (!k.startsWith('virtual-network default-domain:own:n')) assert.equal(after.get(k), v, `${k} unchanged`);
    assert.ok(after.has('access-control-list default-domain:own:n:n'), 'the user ACL is still there');
    assert.ok(Object.values(env.t.transformer.stats().problems).flat().some((x) => /access-control-list default-domain:own:n:n exists and was not created by the transformer/.test(x)));
    const mOwn = await own(env.client, (await env.client.readByFqName('virtual-network', [...p, 'm'])).uuid);
    assert.equal(mOwn.length, 1);
    assert.notEqual(mOwn[0], 'target:64512:8000002', 'a user target in the range is never handed out');
  } finally {
    await env.close();
  }
});

test('changing the global ASN re-targets every network and frees the old targets', async () => {
  const env = await startTransformerEnv();
  try {
    const p = await project(env.client, 'asn');
    await ring(env.client, p, 3);
    await env.t.transformer.settled();
    const gsc = await env.client.readByFqName('global-system-config', ['default-global-system-config']);
    await env.client.update('global-system-config', gsc.uuid, { autonomous_system: 4_200_000_000 });
    await env.t.transformer.settled();
    const rts = (await env.client.list('route-target', { detail: true })).filter((t) => t.id_perms?.creator === CREATOR).map((t) => t.fq_name[0]).sort();
    assert.deepEqual(rts, ['target:4200000000:8001', 'target:4200000000:8002', 'target:4200000000:8003', 'target:4200000000:8004'], 'ip-fabric and the three networks, 4-byte range');
    const state = await derivedState(env.client);
    const vn0 = state.networks['default-domain:asn:vn0'];
    assert.deepEqual(vn0.targets, ['RT(default-domain:asn:vn0) both', 'RT(default-domain:asn:vn1) import', 'RT(default-domain:asn:vn2) import']);
  } finally {
    await env.close();
  }
});

test('a restart in the middle of a burst ends in the same state as an uninterrupted run, without duplicates', async () => {
  const N = 16;
  const reference = await startTransformerEnv();
  let expected;
  try {
    await ring(reference.client, await project(reference.client, 'burst'), N);
    await reference.t.transformer.settled();
    expected = await derivedState(reference.client);
  } finally {
    await reference.close();
  }
  const env = await startTransformerEnv();
  try {
    const p = await project(env.client, 'burst');
    await ring(env.client, p, N, 0, N / 2);
    // Crash once it has written a little of what the first half needs: its connection dies while it
    // is busy (requests in flight fail), then it stops.
    while (env.writes().length < 8) await new Promise((r) => setTimeout(r, 2));
    env.t.client.close();
    await env.t.transformer.close();
    await ring(env.client, p, N, N / 2, N);
    env.t = await startTransformer({ configApiUrl: env.api.url, settleMs: 20 });
    await env.t.transformer.settled();
    const w = env.t.transformer.stats().writes;
    assert.ok(w.created + w.updated > 0, 'the restarted transformer had work left');
    const got = await derivedState(env.client);
    assert.deepEqual(got, expected);
    for (const [name, n] of Object.entries(got.networks)) if (!name.endsWith('__link_local__')) assert.equal(n.own.length, 1, `${name} has exactly one target`);
    assert.equal(new Set(got.routeTargets).size, got.routeTargets.length, 'no duplicate or orphan targets');
  } finally {
    await env.close();
  }
});

test('two transformer instances at once never share a route target number and converge to one target per network', async () => {
  const env = await startTransformerEnv();
  const second = await startTransformer({ configApiUrl: env.api.url, settleMs: 20 });
  try {
    const p = await project(env.client, 'two');
    await ring(env.client, p, 12);
    for (let i = 0; i < 3; i++) {
      await env.t.transformer.settled();
      await second.transformer.settled();
    }
    const state = await derivedState(env.client);
    for (const [name, n] of Object.entries(state.networks)) if (!name.endsWith('__link_local__')) assert.equal(n.own.length, 1, `${name}: ${n.own.join(', ')}`);
    assert.equal(state.routeTargets.length, 13, 'ip-fabric and twelve networks, no leftovers');
    assert.deepEqual(state.networks['default-domain:two:vn5'].targets, ['RT(default-domain:two:vn4) import', 'RT(default-domain:two:vn5) both', 'RT(default-domain:two:vn6) import']);
  } finally {
    await second.close();
    await env.close();
  }
});

test('tfctl serve config runs the transformer in-process (the seam of transformer-hook.ts)', async () => {
  const api = await startTestConfigApi({ transformer: true });
  try {
    const p = await project(api.client, 'seam');
    await api.client.create('virtual-network', { fq_name: [...p, 'x'], parent_type: 'project' });
    const deadline = Date.now() + 20_000;
    let refs: RoutingInstance['route_target_refs'];
    while (!refs?.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      refs = (await api.client.readByFqName('routing-instance', [...p, 'x', 'x'])).route_target_refs;
    }
    assert.equal(refs?.length, 1);
  } finally {
    await api.close();
  }
});
