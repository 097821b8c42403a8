import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadRequestError } from '../common/errors.js';
import { PortStore, portFromJson, portToJson, tapName, type PortEntry } from './ports.js';

const p: PortEntry = {
  vmiUuid: '5a1fc03e-f7ab-4c3b-9d2e-000000000001', vmUuid: '6b2fc03e-f7ab-4c3b-9d2e-000000000002', vnUuid: '7c3fc03e-f7ab-4c3b-9d2e-000000000003',
  vmName: 'k8s__default__web', containerId: 'c1', tap: 'tap5a1fc03e-f7', ifname: 'eth0', netns: '/var/run/netns/p1', mtu: 1450, time: '2024-01-01T00:00:00.000Z',
};

test("the original's port JSON both ways; the tap name is tap + 11 characters of the VMI uuid", () => {
  assert.equal(tapName(p.vmiUuid), 'tap5a1fc03e-f7');
  assert.deepEqual(portToJson(p), {
    time: p.time, 'vm-id': 'c1', 'vm-uuid': p.vmUuid, 'vm-name': 'k8s__default__web', 'host-ifname': 'tap5a1fc03e-f7', 'vm-ifname': 'eth0',
    'vm-namespace': '/var/run/netns/p1', 'vn-uuid': p.vnUuid, 'vmi-uuid': p.vmiUuid, mtu: 1450,
  });
  assert.deepEqual(portFromJson(portToJson(p)), p);
});

test('a bad port names the first bad field in the original order', () => {
  const good = portToJson(p);
  const cases: [Record<string, unknown>, RegExp][] = [
    [{}, /<vm-uuid>/],
    [{ ...good, 'vm-uuid': 'nope' }, /<vm-uuid>: not a uuid/],
    [{ ...good, 'host-ifname': undefined }, /<host-ifname>/],
    [{ ...good, 'host-ifname': 'way-too-long-interface' }, /<host-ifname>: not an interface name/],
    [{ ...good, 'vm-name': 7 }, /<vm-name>/],
    [{ ...good, 'vn-uuid': '' }, /<vn-uuid>/],
    [{ ...good, 'vmi-uuid': null }, /<vmi-uuid>/],
    [{ ...good, 'vm-namespace': 'relative' }, /<vm-namespace>/],
    [{ ...good, mtu: 20 }, /<mtu>/],
  ];
  for (const [body, re] of cases) assert.throws(() => portFromJson(body), (e: unknown) => e instanceof BadRequestError && re.test(e.message), JSON.stringify(body));
  assert.throws(() => portFromJson([]), BadRequestError);
  const minimal = portFromJson({ ...good, 'vm-ifname': undefined, 'vm-id': undefined, time: undefined, mtu: undefined });
  assert.equal(minimal.ifname, 'eth0');
  assert.equal(minimal.containerId, '');
});

test('ports persist as one file each, written atomically, and load back; unreadable files are reported', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-ports-'));
  try {
    const s = new PortStore(dir);
    s.put(p);
    s.put({ ...p, vmiUuid: '5a1fc03e-f7ab-4c3b-9d2e-0000000000ff', tap: 'tap5a1fc03e-f8', containerId: 'c2' });
    assert.deepEqual(readdirSync(dir).sort(), [`${p.vmiUuid}.json`, '5a1fc03e-f7ab-4c3b-9d2e-0000000000ff.json']);
    assert.equal((JSON.parse(readFileSync(join(dir, `${p.vmiUuid}.json`), 'utf8')) as { 'vm-id': string })['vm-id'], 'c1');
    writeFileSync(join(dir, 'broken.json'), '{');
    const again = new PortStore(dir);
    const problems = again.load();
    assert.equal(problems.length, 1);
    assert.match(problems[0], /broken\.json/);
    assert.deepEqual(again.all().map((x) => x.tap), ['tap5a1fc03e-f7', 'tap5a1fc03e-f8']);
    assert.deepEqual(again.byContainer('c2', 'eth0').map((x) => x.containerId), ['c2']);
    assert.deepEqual(again.byContainer('c2', 'eth1'), []);
    assert.equal(again.byVm(p.vmUuid).length, 2);
    assert.equal(again.delete(p.vmiUuid), true);
    assert.equal(again.delete(p.vmiUuid), false);
    assert.equal(new PortStore(dir).load().length, 1, 'still the broken file only');
    assert.equal(readdirSync(dir).includes(`${p.vmiUuid}.json`), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
