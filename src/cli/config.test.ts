// tfctl config against a real config API: list (table/json), create from YAML, show by fq_name,
// ref-update, delete, and errors as exit code 1 with the server's message and code.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestConfigApi, type TestConfigApi } from '../../test/support/config-api.js';
import { main } from './main.js';

let api: TestConfigApi;
before(async () => {
  api = await startTestConfigApi();
});
after(() => api.close());

async function tfctl(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.map(String).join(' '));
  console.error = (...a: unknown[]) => void err.push(a.map(String).join(' '));
  try {
    const code = await main(['config', '--api', api.url, ...args]);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test('list prints a table of uuid and fq_name; -o json prints objects', async () => {
  const t = await tfctl('list', 'virtual-network');
  assert.equal(t.code, 0);
  assert.match(t.out, /^UUID\s+FQ_NAME/);
  assert.match(t.out, /default-domain:default-project:ip-fabric/);
  const j = await tfctl('-o', 'json', 'list', 'virtual-network');
  const items = JSON.parse(j.out) as { fq_name: string[]; virtual_network_network_id?: number }[];
  assert.ok(items.some((i) => i.fq_name.join(':') === 'default-domain:default-project:ip-fabric' && i.virtual_network_network_id === 1));
});

test('create -f (YAML, wrapped or bare), show by fq_name, ref-update, delete', async () => {
  const f = join(api.dir, 'np.yaml');
  writeFileSync(f, 'network-policy:\n  fq_name: [default-domain, default-project, np1]\n  parent_type: project\n');
  const c = await tfctl('create', 'network-policy', '-f', f);
  assert.equal(c.code, 0, c.err);
  const created = JSON.parse(c.out) as { uuid: string };
  const vnFile = join(api.dir, 'vn.json');
  writeFileSync(vnFile, JSON.stringify({ fq_name: ['default-domain', 'default-project', 'vn1'], parent_type: 'project' }));
  assert.equal((await tfctl('create', 'virtual-network', '-f', vnFile)).code, 0);
  const r = await tfctl('ref-update', 'virtual-network', 'default-domain:default-project:vn1', 'ADD', 'network-policy', created.uuid, '--attr', '{"sequence":{"major":0,"minor":0}}');
  assert.equal(r.code, 0, r.err);
  const s = await tfctl('-o', 'table', 'show', 'virtual-network', 'default-domain:default-project:vn1');
  assert.match(s.out, /network_policy_refs\s+default-domain:default-project:np1/);
  assert.equal((await tfctl('ref-update', 'virtual-network', 'default-domain:default-project:vn1', 'DELETE', 'network-policy', 'default-domain:default-project:np1')).code, 0);
  const d = await tfctl('delete', 'network-policy', created.uuid);
  assert.equal(d.code, 0, d.err);
  assert.match(d.out, /deleted network-policy/);
});

test('server errors exit 1 with message and code; usage errors exit 2', async () => {
  const e = await tfctl('show', 'virtual-network', 'default-domain:nope:vn');
  assert.equal(e.code, 1);
  assert.match(e.err, /Name \['default-domain', 'nope', 'vn'\] not found \(NO_ID\)/);
  const bad = join(api.dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ fq_name: ['default-domain', 'default-project', 'x:y'], parent_type: 'project' }));
  const b = await tfctl('create', 'virtual-network', '-f', bad);
  assert.equal(b.code, 1);
  assert.match(b.err, /invalid chars.*\(INVALID_NAME\)/);
  assert.equal((await tfctl('list', 'no-such-type')).code, 2);
  assert.equal((await tfctl('frobnicate')).code, 2);
});
