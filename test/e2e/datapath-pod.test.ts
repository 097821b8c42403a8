// Pod interface plumbing (CNI ADD / CHECK / DEL as datapath operations) against a real kernel: a node
// namespace, pods as named namespaces and as a process's /proc/<pid>/ns/net. Needs root.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { LinuxRenderer } from '../../src/datapath/linux/renderer.js';
import { createNetns, deleteNetns, execInNetns, spawnInNetns } from '../../src/datapath/linux/netns.js';
import type { LocalInterface, NodeState, Vrf } from '../../src/datapath/model.js';
import { probe, startServer, type NetnsServer } from '../support/netns-tcp.js';

const skip = process.getuid?.() !== 0 ? 'needs root: network namespaces' : false;
const ID = `dpp${process.pid}`;
const NODE = `${ID}-node`;
const VRF: Vrf = { name: 'pods', table: 2001, vni: 7001 };

function pod(n: number, netns = `${ID}-p${n}`): LocalInterface {
  return {
    tap: `tap${ID.slice(3)}${n}`.slice(0, 15),
    netns,
    ifname: 'eth0',
    mac: `02:cc:00:00:00:${n.toString(16).padStart(2, '0')}`,
    ip: `10.47.0.${n}`,
    plen: 16,
    gateway: '10.47.255.254',
    mtu: 1450,
    vrf: VRF.name,
  };
}

function state(ifaces: LocalInterface[]): NodeState {
  return { underlay: { device: 'ul0', ip: '192.168.90.1' }, vrfs: [VRF], interfaces: ifaces, routes: [], addressGroups: [], services: [], floatingIps: [], snat: [] };
}

async function sh(netns: string | undefined, ...argv: string[]): Promise<string> {
  const r = await execInNetns(netns, argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} in ${netns}: ${r.stderr}`);
  return r.stdout;
}

describe('pod interface plumbing', { skip }, () => {
  const names = [NODE, `${ID}-p1`, `${ID}-p2`, `${ID}-p3`, `${ID}-p7`, `${ID}-p8`];
  const servers: NetnsServer[] = [];
  let r: LinuxRenderer;
  let holder: ChildProcess | undefined;

  before(async () => {
    for (const n of names) await createNetns(n);
    await sh(NODE, 'ip', 'link', 'add', 'ul0', 'type', 'veth', 'peer', 'name', 'ul1');
    await sh(NODE, 'ip', 'addr', 'add', '192.168.90.1/24', 'dev', 'ul0');
    await sh(NODE, 'ip', 'link', 'set', 'ul0', 'up');
    r = new LinuxRenderer({ netns: NODE });
    await r.render(state([]));
  });

  after(async () => {
    holder?.kill('SIGKILL');
    for (const sv of servers) await sv.stop().catch(() => undefined);
    for (const n of names) await deleteNetns(n).catch(() => undefined);
  });

  test('ADD plumbs both sides, CHECK passes, and the renderer then finds the node in sync', async () => {
    const p1 = pod(1);
    const p2 = pod(2);
    const res = await r.addPod(p1, VRF);
    assert.deepEqual(res, { tap: p1.tap, ifname: 'eth0', mac: p1.mac, mtu: 1450, gatewayMac: '00:00:5e:00:01:00', replacedStale: false, policy: 'none' });
    await r.addPod(p2, VRF);
    assert.deepEqual(await r.checkPod(p1, VRF), { ok: true, problems: [] });
    const addr = JSON.parse(await sh(p1.netns, 'ip', '-4', '-j', 'addr', 'show', 'dev', 'eth0')) as { addr_info: { local: string; prefixlen: number }[] }[];
    assert.deepEqual(addr[0].addr_info.map((a) => `${a.local}/${a.prefixlen}`), ['10.47.0.1/16']);
    const ping = await execInNetns(p1.netns, ['ping', '-c', '1', '-W', '5', p2.ip]);
    assert.equal(ping.code, 0, 'two pods of one VRF on one node reach each other');
    const again = await r.render(state([p1, p2]));
    assert.equal(again.inSync, true, JSON.stringify(again.plan));
  });

  test('CHECK reports what drifted', async () => {
    const p1 = pod(1);
    await sh(p1.netns, 'ip', 'neigh', 'del', '10.47.255.254', 'dev', 'eth0');
    await sh(NODE, 'ip', 'link', 'set', 'dev', p1.tap, 'mtu', '1400');
    const res = await r.checkPod(p1, VRF);
    assert.equal(res.ok, false);
    assert.deepEqual(res.problems, [`${p1.tap} mtu 1400, expected 1450`, 'pod has no permanent neighbour 10.47.255.254 → 00:00:5e:00:01:00']);
  });

  test('DEL removes the tap, the pod end and the rules, and succeeds again for an unknown pod', async () => {
    const p1 = pod(1);
    const done = await r.delPod({ tap: p1.tap, ip: p1.ip });
    assert.deepEqual(done, [`link del dev ${p1.tap}`, `rule del priority 1100 iif ${p1.tap} lookup 2001`, 'rule del priority 1200 iif lo to 10.47.0.1/32 lookup 2001']);
    assert.doesNotMatch(await sh(p1.netns, 'ip', 'link', 'show'), /eth0/);
    assert.doesNotMatch(await sh(NODE, 'ip', 'rule', 'show'), new RegExp(p1.tap));
    assert.deepEqual(await r.delPod({ tap: p1.tap, ip: p1.ip }), []);
    assert.deepEqual(await r.delPod({ tap: 'tapunknown' }), []);
    assert.equal((await r.checkPod(p1, VRF)).ok, false);
  });

  test('ADD over a leftover of an earlier ADD replaces it', async () => {
    const p3 = pod(3);
    await sh(NODE, 'ip', 'rule', 'add', 'priority', '1100', 'iif', p3.tap, 'lookup', '2001');
    const res = await r.addPod(p3, VRF);
    assert.equal(res.replacedStale, true);
    assert.deepEqual(await r.checkPod(p3, VRF), { ok: true, problems: [] });
  });

  test('ADD into a process namespace given as /proc/<pid>/ns/net', async () => {
    holder = spawnInNetns(undefined, ['unshare', '--net', 'sleep', '600'], { stdio: 'ignore' });
    await once(holder, 'spawn');
    // unshare execs sleep in the new namespace; wait until the pid's namespace differs from ours.
    let path = '';
    for (let i = 0; i < 100; i++) {
      const ns = await sh(undefined, 'readlink', `/proc/${holder.pid}/ns/net`).catch(() => '');
      const mine = await sh(undefined, 'readlink', '/proc/self/ns/net');
      if (ns !== '' && ns !== mine) {
        path = `/proc/${holder.pid}/ns/net`;
        break;
      }
      await new Promise((res) => setTimeout(res, 20));
    }
    assert.notEqual(path, '', 'the holder process got its own namespace');
    const p4 = pod(4, path);
    await r.addPod(p4, VRF);
    assert.deepEqual(await r.checkPod(p4, VRF), { ok: true, problems: [] });
    const ping = await execInNetns(path, ['ping', '-c', '1', '-W', '5', pod(2).ip]);
    assert.equal(ping.code, 0);
    await r.delPod({ tap: p4.tap, ip: p4.ip });
  });

  test('ADD into a missing namespace or with bad input fails with a typed error and leaves nothing', async () => {
    const ghost = pod(9, `${ID}-nope`);
    await assert.rejects(() => r.addPod(ghost, VRF), { code: 'DATAPATH_NETNS_MISSING' });
    await assert.rejects(() => r.addPod({ ...pod(5), mac: 'zz' }, VRF), { code: 'DATAPATH_INVALID_MODEL' });
    await assert.rejects(() => r.addPod(pod(5), { ...VRF, table: 5 }), { code: 'DATAPATH_INVALID_MODEL' });
    const links = await sh(NODE, 'ip', '-j', 'link', 'show');
    assert.doesNotMatch(links, new RegExp(ghost.tap));
    assert.doesNotMatch(links, new RegExp(pod(5).tap));
  });

  test('an interface name already taken in the pod fails cleanly', async () => {
    const p2 = pod(2);
    // Second interface into the same pod under the same ifname: the veth cannot be created there.
    const clash = { ...pod(6), netns: p2.netns };
    await assert.rejects(() => r.addPod(clash, VRF), { code: 'DATAPATH_APPLY_FAILED' });
    assert.doesNotMatch(await sh(NODE, 'ip', '-j', 'link', 'show'), new RegExp(clash.tap));
    assert.doesNotMatch(await sh(NODE, 'ip', 'rule', 'show'), new RegExp(clash.tap));
    assert.deepEqual(await r.checkPod(p2, VRF), { ok: true, problems: [] }, 'the existing pod is untouched');
  });

  test('ADD installs the pod\'s security policy and its VRF\'s policy itself: filtered from the first packet, before any render', async () => {
    const rendersBefore = r.lastState;
    const p2 = pod(2);
    // p8's group allows tcp/80, tcp/82 from anywhere and icmp from p2's group; the VRF policy denies tcp/82 to it.
    const p8: LocalInterface = {
      ...pod(8),
      policy: {
        ingress: { default: 'deny', rules: [{ protocol: 'tcp', ports: { from: 80, to: 80 } }, { protocol: 'tcp', ports: { from: 82, to: 82 } }, { protocol: 'icmp', remoteGroup: 'g2' }] },
        egress: { default: 'allow', rules: [] },
      },
    };
    const vrf: Vrf = { ...VRF, policy: { default: 'pass', rules: [{ action: 'deny', protocol: 'tcp', dst: { cidr: `${p8.ip}/32` }, dstPorts: { from: 82, to: 82 } }] } };
    const res = await r.addPod(p8, vrf, { addressGroups: [{ id: 'g2', addresses: [p2.ip] }] });
    assert.equal(res.policy, 'installed');
    assert.equal(r.lastState, rendersBefore, 'no render ran');
    servers.push(await startServer(p8.netns, 'p8', [80, 81, 82]));
    assert.deepEqual(await probe(p2.netns, p8.ip, 80), [`p8:80:${p2.ip}`]);
    assert.deepEqual(await probe(p2.netns, p8.ip, 81, { timeoutMs: 1500 }), [null], 'tcp/81 is not allowed by its group');
    assert.deepEqual(await probe(p2.netns, p8.ip, 82, { timeoutMs: 1500 }), [null], 'tcp/82: allowed by the group, denied by the VRF policy');
    assert.equal((await execInNetns(p2.netns, ['ping', '-c', '1', '-W', '5', p8.ip])).code, 0, 'icmp from the group');
    // The next render of a state that knows the pod keeps exactly that.
    const again = await r.render({ ...state([p2, p8]), vrfs: [vrf], addressGroups: [{ id: 'g2', addresses: [p2.ip] }] });
    assert.equal(again.inSync, false, 'the table is rewritten with its marker');
    assert.deepEqual(await probe(p2.netns, p8.ip, 81, { timeoutMs: 1500 }), [null]);
    assert.deepEqual(await probe(p2.netns, p8.ip, 82, { timeoutMs: 1500 }), [null]);
    assert.deepEqual(await probe(p2.netns, p8.ip, 80), [`p8:80:${p2.ip}`]);
    await r.delPod({ tap: p8.tap, ip: p8.ip });
    await r.render(state([p2]));
  });

  test('a failing pod side rolls the host side back', async () => {
    const p7 = pod(7);
    await sh(p7.netns, 'ip', 'link', 'add', 'x0', 'type', 'veth', 'peer', 'name', 'x1');
    await sh(p7.netns, 'ip', 'addr', 'add', '10.9.9.1/24', 'dev', 'x0');
    await sh(p7.netns, 'ip', 'link', 'set', 'x0', 'up');
    await sh(p7.netns, 'ip', 'route', 'add', 'default', 'via', '10.9.9.2');
    await assert.rejects(() => r.addPod(p7, VRF), (err: { code: string; message: string }) => {
      assert.equal(err.code, 'DATAPATH_APPLY_FAILED');
      assert.match(err.message, /route add default/);
      return true;
    });
    assert.doesNotMatch(await sh(NODE, 'ip', '-j', 'link', 'show'), new RegExp(p7.tap));
    assert.doesNotMatch(await sh(NODE, 'ip', 'rule', 'show'), new RegExp(p7.tap));
    assert.doesNotMatch(await sh(p7.netns, 'ip', 'link', 'show'), /eth0/);
  });
});
