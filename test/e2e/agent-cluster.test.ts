// Two compute nodes with real agents (`tfctl serve agent` inside node namespaces), a real config API with
// the schema transformer and our control node in the test process, pods plumbed through tf-cni: ping and
// TCP across nodes, isolated networks that cannot reach each other, a security group allowing tcp/80 and
// not tcp/81, a service VIP with members on both nodes spreading connections and dropping an undeclared
// port, an agent restart that keeps an open TCP connection and changes nothing, and forwarding that goes
// on while the control node is gone (headless). Needs root.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestConfigApi, type TestConfigApi } from '../support/config-api.js';
import { startControlNode, type ControlNode } from '../../src/control/control-node.js';
import { AgentProcess, ConfigBuilder, Fabric, cniEnv, eventually, netconf, ping, rootSkip, runCni, type PodObjects } from '../support/agent-env.js';
import { holdConnection, probe, startServer, type NetnsServer } from '../support/netns-tcp.js';
import { agentFetcher, vrOutput } from '../../src/cli/vr.js';
import { runTrace } from '../../src/cli/trace.js';
import { formatTrace, reportVerdict } from '../../src/agent/cli-format.js';
import { execInNetns } from '../../src/datapath/linux/netns.js';
import { connect } from 'node:net';

interface Pod {
  name: string;
  ns: string;
  node: string;
  obj: PodObjects;
}

describe('agents on two nodes', { skip: rootSkip }, () => {
  let fabric: Fabric;
  let api: TestConfigApi;
  let cn: ControlNode | undefined;
  let cfg: ConfigBuilder;
  let project: string[];
  let controlPort = 0;
  let red: { uuid: string; fq: string[] };
  let web: { uuid: string; fq: string[] };
  const agents = new Map<string, AgentProcess>();
  const pods = new Map<string, Pod>();
  const servers: NetnsServer[] = [];
  const VIP = '10.61.1.200';

  async function startControl(port = 0): Promise<ControlNode> {
    const c = await startControlNode({ configApi: api.url, name: 'cn1', routerId: fabric.hostIp, bgpAddress: fabric.hostIp, bgpPort: port, introspectPort: 0, connectRetryTime: 1, holdTime: 9 });
    controlPort = c.bgpPort;
    return c;
  }

  async function addPod(name: string, node: string, vn: { fq: string[] }, sgs: { fq: string[] }[] = []): Promise<Pod> {
    const obj = await cfg.pod(project, 'default', name, vn, node, sgs);
    const ns = await fabric.podNs(name);
    const a = agents.get(node)!;
    const r = await runCni(cniEnv('ADD', `c-${name}`, ns, { namespace: 'default', name }), netconf(a.socket));
    assert.equal(r.code, 0, `CNI ADD ${name}: ${r.stdout}\n${a.output}`);
    const p = { name, ns, node, obj };
    pods.set(name, p);
    return p;
  }

  before(async () => {
    fabric = await Fabric.create('ag', ['a', 'b']);
    api = await startTestConfigApi({ transformer: true, bookmarkMs: 50, host: fabric.hostIp });
    cfg = new ConfigBuilder(api.client);
    const gsc = await api.client.fqNameToId('global-system-config', ['default-global-system-config']);
    await api.client.update('global-system-config', gsc, { graceful_restart_parameters: { enable: true, restart_time: 120, end_of_rib_timeout: 30 } });
    cn = await startControl();
    for (const n of ['a', 'b']) {
      const a = new AgentProcess(fabric, fabric.node(n), { configApi: api.url, controls: `${fabric.hostIp}:${controlPort}` });
      agents.set(n, a);
      await a.start();
    }
    project = await cfg.project(`p-${fabric.id}`);
    red = await cfg.network(project, 'red', '10.61.1.0/24');
    const blue = await cfg.network(project, 'blue', '10.61.2.0/24');
    web = await cfg.securityGroup(project, 'web', [
      { direction: '>', protocol: 'tcp', ethertype: 'IPv4', src_addresses: [{ security_group: 'any' }], dst_addresses: [{ security_group: 'local' }], dst_ports: [{ start_port: 80, end_port: 80 }], src_ports: [{ start_port: 0, end_port: 65535 }] },
      { direction: '>', protocol: 'icmp', ethertype: 'IPv4', src_addresses: [{ security_group: 'any' }], dst_addresses: [{ security_group: 'local' }], dst_ports: [{ start_port: 0, end_port: 65535 }], src_ports: [{ start_port: 0, end_port: 65535 }] },
      { direction: '>', protocol: 'any', ethertype: 'IPv4', src_addresses: [{ security_group: 'local' }], dst_addresses: [{ subnet: { ip_prefix: '0.0.0.0', ip_prefix_len: 0 } }], dst_ports: [{ start_port: 0, end_port: 65535 }], src_ports: [{ start_port: 0, end_port: 65535 }] },
    ]);
    await addPod('ra1', 'a', red);
    await addPod('ra2', 'a', red);
    await addPod('rb1', 'b', red);
    await addPod('ba1', 'a', blue);
    await addPod('bb1', 'b', blue);
    await addPod('wb1', 'b', red, [web]);
    await cfg.service(project, 'svc', red, VIP, [pods.get('ra1')!.obj, pods.get('rb1')!.obj], [{ protocol: 'TCP', src_port: 80, dst_port: 8080 }]);
    for (const p of ['ra1', 'rb1']) servers.push(await startServer(pods.get(p)!.ns, p, [8080, 7000]));
    servers.push(await startServer(pods.get('wb1')!.ns, 'wb1', [80, 81]));
    servers.push(await startServer(pods.get('bb1')!.ns, 'bb1', [7000]));
  });

  after(async () => {
    for (const s of servers) await s.stop().catch(() => undefined);
    for (const a of agents.values()) await a.stop('SIGKILL').catch(() => undefined);
    await cn?.stop().catch(() => undefined);
    await api?.close().catch(() => undefined);
    await fabric?.destroy();
  });

  const ip = (p: string) => pods.get(p)!.obj.ip;
  const ns = (p: string) => pods.get(p)!.ns;

  test('ping and TCP across nodes on one network', async () => {
    await eventually(() => ping(ns('ra1'), ip('rb1')), `ping ra1 → rb1 (${ip('rb1')})`, 60_000);
    assert.ok(await ping(ns('rb1'), ip('ra1')));
    assert.ok(await ping(ns('ra2'), ip('ra1')), 'same node');
    const r = await probe(ns('ra1'), ip('rb1'), 7000, { count: 3 });
    assert.ok(r.every((x) => x?.startsWith('rb1:7000:')), JSON.stringify(r));
  });

  test('pods of two isolated networks cannot reach each other', async () => {
    await eventually(() => ping(ns('ba1'), ip('bb1')), 'ping within blue', 60_000);
    assert.equal(await ping(ns('ra1'), ip('bb1'), false), false, 'red → blue across nodes');
    assert.equal(await ping(ns('ra1'), ip('ba1'), false), false, 'red → blue on one node');
    assert.deepEqual(await probe(ns('rb1'), ip('ba1'), 7000, { timeoutMs: 1500 }), [null]);
  });

  test('a security group allowing tcp/80 and not tcp/81 is enforced on real connections', async () => {
    await eventually(async () => (await probe(ns('ra1'), ip('wb1'), 80, { timeoutMs: 2000 }))[0]?.startsWith('wb1:80:'), 'tcp/80 to wb1', 60_000);
    assert.deepEqual(await probe(ns('ra1'), ip('wb1'), 81, { timeoutMs: 1500 }), [null], 'tcp/81 blocked');
    assert.ok(await ping(ns('ra1'), ip('wb1')), 'icmp allowed');
    // egress allowed by the group: wb1 reaches ra1
    assert.ok((await probe(ns('wb1'), ip('ra1'), 7000))[0]?.startsWith('ra1:7000:'));
  });

  test('a service VIP spreads connections over members on both nodes and drops an undeclared port', async () => {
    const answers = await eventually(async () => {
      const r = await probe(ns('ra2'), VIP, 80, { count: 40, timeoutMs: 3000, concurrency: 4 });
      return r.every((x) => x !== null) && r;
    }, 'VIP answers', 60_000);
    const who = new Set(answers.map((x) => x.split(':')[0]));
    assert.deepEqual([...who].sort(), ['ra1', 'rb1'], 'both members answered');
    assert.deepEqual(await probe(ns('ra2'), VIP, 81, { timeoutMs: 1500 }), [null], 'undeclared port dropped');
    // from the other node too
    const fromB = await probe(ns('wb1'), VIP, 80, { count: 10 });
    assert.ok(fromB.every((x) => x?.split(':')[1] === '8080'), JSON.stringify(fromB));
  });

  test('introspect lists interfaces, VRFs and routes (ECMP-free here) as the model has them', async () => {
    const a = agents.get('a')!;
    const health = await fetch(`${a.introspect}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'up');
    const itf = await a.get<{ interfaces: { name: string; ip: string; active: boolean; vm_name: string; vn_name: string }[] }>('/Snh_ItfReq');
    assert.deepEqual(itf.interfaces.map((i) => i.ip).sort(), [ip('ba1'), ip('ra1'), ip('ra2')].sort());
    assert.ok(itf.interfaces.every((i) => i.active));
    const vrfs = await a.get<{ vrfs: { name: string; vn: string; ucindex: number }[] }>('/Snh_VrfListReq');
    assert.deepEqual(vrfs.vrfs.map((v) => v.vn).sort(), [`${project.join(':')}:blue`, `${project.join(':')}:red`]);
    const routes = await a.get<{ routes: { src_ip: string; path_list: { peer: string; nh: { type: string; dip?: string } }[] }[] }>(`/Snh_Inet4UcRouteReq?src_ip=${ip('rb1')}`);
    const r = routes.routes.find((x) => x.src_ip === ip('rb1'))!;
    assert.equal(r.path_list[0].nh.type, 'tunnel');
    assert.equal(r.path_list[0].nh.dip, fabric.node('b').ip);
  });

  test('tfctl vr prints interfaces, VRFs and routes in ist.py layouts', async () => {
    const get = agentFetcher(agents.get('a')!.introspect);
    const intf = await vrOutput(['intf'], get);
    assert.match(intf.split('\n')[1], /^\| index +\| name +\| active +\| mac_addr +\| ip_addr +\| mdata_ip_addr +\| vm_name +\| vn_name +\|$/);
    assert.ok(intf.includes(ip('ra1')) && intf.includes('Active'));
    const vrf = await vrOutput(['vrf'], get);
    assert.match(vrf.split('\n')[1], /^\| name +\| ucindex +\| mcindex +\| brindex +\| evpnindex +\| vxlan_id +\| vn +\|$/);
    const route = await vrOutput(['route', ip('rb1')], get);
    assert.match(route, new RegExp(`${ip('rb1').replace(/\./g, '\\.')}/32\n    \\[${fabric.hostIp.replace(/\./g, '\\.')}\\] pref:200\n     via VXLAN dip:${fabric.node('b').ip.replace(/\./g, '\\.')} sip:${fabric.node('a').ip.replace(/\./g, '\\.')} label:\\d+`));
    const xmpp = await vrOutput(['xmpp'], get);
    assert.ok(xmpp.includes('Established'));
  });

  test('tfctl trace: which rule decides, across nodes, through a service', async () => {
    const all = [...agents.values()].map((a) => ({ url: a.introspect, get: agentFetcher(a.introspect) }));
    const ok80 = await runTrace({ src: ip('ra1'), dst: ip('wb1'), protocol: 'tcp', port: 80 }, all);
    assert.equal(reportVerdict(ok80), 'allowed', formatTrace(ok80));
    assert.match(formatTrace(ok80), /ingress +\[node b\] tap\S+ ingress: allowed by rule \S+: tcp port 80/);
    const no81 = await runTrace({ src: ip('ra1'), dst: ip('wb1'), protocol: 'tcp', port: 81 }, all);
    assert.equal(reportVerdict(no81), 'denied');
    assert.match(formatTrace(no81), /no rule of its security groups allows it/);
    const iso = await runTrace({ src: ip('ra1'), dst: ip('bb1'), protocol: 'icmp' }, all);
    assert.equal(reportVerdict(iso), 'denied');
    assert.match(formatTrace(iso), /no route to .* unreachable/);
    const svc = await runTrace({ src: ip('ra2'), dst: VIP, protocol: 'tcp', port: 80 }, all);
    assert.equal(reportVerdict(svc), 'allowed', formatTrace(svc));
    assert.deepEqual(svc.source!.branches.map((b) => `${b.dst}:${b.port}`).sort(), [`${ip('ra1')}:8080`, `${ip('rb1')}:8080`].sort());
    const svc81 = await runTrace({ src: ip('ra2'), dst: VIP, protocol: 'tcp', port: 81 }, all);
    assert.equal(reportVerdict(svc81), 'denied');
    assert.match(formatTrace(svc81), /not a declared port; dropped/);
  });

  test('a public floating IP: the control node gets <fip>/32 → the member node as an inet route; the member node DNATs it', async () => {
    const pub = await cfg.network(project, 'public', '203.0.113.0/24', { router_external: true });
    const pool = await api.client.create('floating-ip-pool', { fq_name: [...pub.fq, 'pool'], parent_type: 'virtual-network' });
    const rb1 = await api.client.read('virtual-machine-interface', pods.get('rb1')!.obj.vmi);
    const fip = await api.client.create('floating-ip', {
      fq_name: [...pool.fq_name, 'web'], parent_type: 'floating-ip-pool', virtual_machine_interface_refs: [{ to: rb1.fq_name }],
      floating_ip_port_mappings_enable: true, floating_ip_port_mappings: { port_mappings: [{ protocol: 'TCP', src_port: 80, dst_port: 7000 }] },
    });
    const addr = fip.floating_ip_address!;
    const route = await eventually(() => cn!.runtime?.speaker.table('inet').get({ family: 'inet', prefix: `${addr}/32` }), 'inet route for the floating IP at the control node', 20_000).catch(async (err: unknown) => {
      const st = await agents.get('b')!.get<{ problems: string[] }>('/Snh_AgentStatus');
      const vpn = [...cn!.runtime!.speaker.table('inet-vpn').routes()].map((r) => JSON.stringify(r.nlri) + ' ' + JSON.stringify(r.paths[0].attrs.extCommunities));
      const vrf = cn!.runtime!.vrfs().map((v) => `${v.spec.name} ext=${v.spec.external} imp=${v.spec.importTargets.join(',')}`);
      throw new Error(`${String(err)}\nproblems ${JSON.stringify(st.problems)}\nvpn ${vpn.join('\n')}\nvrfs ${vrf.join('\n')}`);
    });
    assert.equal(route.paths[0].attrs.nextHop, fabric.node('b').ip, 'next hop = the node hosting the member');
    // Play the gateway: route the address to node b and connect from outside the overlay.
    await execInNetns(undefined, ['ip', 'route', 'add', `${addr}/32`, 'via', fabric.node('b').ip, 'dev', fabric.hostIf]);
    const greeting = await eventually(() => new Promise<string | false>((resolve) => {
      const c = connect({ host: addr, port: 80 });
      const t = setTimeout(() => { c.destroy(); resolve(false); }, 2000);
      c.once('data', (d) => { clearTimeout(t); c.destroy(); resolve(d.toString().trim()); });
      c.once('error', () => { clearTimeout(t); resolve(false); });
    }), 'connection to the floating IP', 60_000);
    assert.match(greeting, new RegExp(`^rb1:7000:${fabric.hostIp.replace(/\./g, '\\.')}$`));
  });

  test('a new pod is filtered by its security groups from its first packet, before its node renders', async () => {
    const b = agents.get('b')!;
    // A CNI ADD kept in flight on node b (its pod's config does not exist yet) holds b's renders back, as
    // in a CNI burst (render-pacer.ts: up to 3 s): whatever protects the next pod comes with its own ADD.
    const ghostNs = await fabric.podNs('ghost');
    const blocker = runCni(cniEnv('ADD', 'c-ghost', ghostNs, { namespace: 'default', name: 'ghost' }), netconf(b.socket, { 'poll-timeout': 1, 'poll-retries': 30 }));
    await new Promise((r) => setTimeout(r, 300));
    const before = (await b.get<{ renders: number }>('/Snh_AgentStatus')).renders;
    const wb2 = await addPod('wb2', 'b', red, [web]);
    servers.push(await startServer(wb2.ns, 'wb2', [80, 81]));
    const r80 = await probe(ns('rb1'), wb2.obj.ip, 80, { timeoutMs: 2000 });
    const r81 = await probe(ns('rb1'), wb2.obj.ip, 81, { timeoutMs: 1000 });
    const after = (await b.get<{ renders: number }>('/Snh_AgentStatus')).renders;
    assert.equal(after, before, 'node b did not render meanwhile: what filtered came with the ADD');
    assert.deepEqual(r81, [null], 'tcp/81 is not allowed by the group: dropped from the first packet');
    assert.ok(r80[0]?.startsWith('wb2:80:'), `tcp/80 allowed: ${JSON.stringify(r80)}`);
    await cfg.pod(project, 'default', 'ghost', red, 'b');
    assert.equal((await blocker).code, 0, 'the held ADD completes once its pod exists');
  });

  test('network policy: two networks connected by a policy passing tcp/80 only — tcp/80 works, tcp/81 and icmp do not', async () => {
    const g1 = await cfg.network(project, 'green1', '10.61.3.0/24');
    const g2 = await cfg.network(project, 'green2', '10.61.4.0/24');
    const np = await api.client.create('network-policy', {
      fq_name: [...project, 'green-web'], parent_type: 'project', network_policy_entries: { policy_rule: [{
        direction: '<>', protocol: 'tcp', ethertype: 'IPv4', action_list: { simple_action: 'pass' },
        src_addresses: [{ virtual_network: g1.fq.join(':') }], dst_addresses: [{ virtual_network: g2.fq.join(':') }],
        src_ports: [{ start_port: -1, end_port: -1 }], dst_ports: [{ start_port: 80, end_port: 80 }],
      }] },
    });
    for (const vn of [g1, g2]) await api.client.update('virtual-network', vn.uuid, { network_policy_refs: [{ to: np.fq_name, attr: { sequence: { major: 0, minor: 0 } } }] });
    const g1a = await addPod('g1a', 'a', g1);
    const g2a = await addPod('g2a', 'a', g2);
    const g2b = await addPod('g2b', 'b', g2);
    for (const p of [g1a, g2a, g2b]) servers.push(await startServer(p.ns, p.name, [80, 81]));
    // across nodes, once the routes of the connected networks are in
    const across = await eventually(async () => (await probe(g1a.ns, g2b.obj.ip, 80, { timeoutMs: 2000 }))[0], 'tcp/80 from green1 to green2 across nodes', 60_000);
    assert.equal(across, `g2b:80:${g1a.obj.ip}`);
    assert.deepEqual(await probe(g1a.ns, g2b.obj.ip, 81, { timeoutMs: 1500 }), [null], 'tcp/81 across nodes');
    assert.equal(await ping(g1a.ns, g2b.obj.ip, false), false, 'icmp across nodes');
    assert.equal(await ping(g2b.ns, g1a.obj.ip, false), false, 'icmp the other way');
    assert.deepEqual(await probe(g2b.ns, g1a.obj.ip, 80, { timeoutMs: 1500 }), [null], 'the rule passes green1 → green2:80, not green2 → green1:80');
    // on one node
    const local = await eventually(async () => (await probe(g1a.ns, g2a.obj.ip, 80, { timeoutMs: 2000 }))[0], 'tcp/80 from green1 to green2 on one node', 30_000);
    assert.equal(local, `g2a:80:${g1a.obj.ip}`);
    assert.deepEqual(await probe(g1a.ns, g2a.obj.ip, 81, { timeoutMs: 1500 }), [null], 'tcp/81 on one node');
    assert.equal(await ping(g1a.ns, g2a.obj.ip, false), false, 'icmp on one node');
    // within each network nothing changes
    assert.ok(await ping(g2a.ns, g2b.obj.ip), 'green2 to green2 across nodes');
    assert.ok((await probe(g2a.ns, g2b.obj.ip, 81))[0]?.startsWith('g2b:81:'));
    // tfctl trace names the deciding rule
    const all = [...agents.values()].map((a) => ({ url: a.introspect, get: agentFetcher(a.introspect) }));
    const t81 = await runTrace({ src: g1a.obj.ip, dst: g2b.obj.ip, protocol: 'tcp', port: 81 }, all);
    assert.equal(reportVerdict(t81), 'denied', formatTrace(t81));
    assert.match(formatTrace(t81), /network +network policy of VRF \S+green1:green1: denied by rule \S+: any protocol from network \d+ to network \d+; dropped/);
    const t80 = await runTrace({ src: g1a.obj.ip, dst: g2b.obj.ip, protocol: 'tcp', port: 80 }, all);
    assert.equal(reportVerdict(t80), 'allowed', formatTrace(t80));
  });

  test('an agent restart keeps an open TCP connection and converges without changes', async () => {
    const conn = await holdConnection(ns('ra1'), ip('rb1'), 7000);
    try {
      assert.equal(await conn.roundTrip('before'), 'before');
      const b = agents.get('b')!;
      assert.equal(await b.stop('SIGTERM'), 0);
      assert.equal(await conn.roundTrip('agent down'), 'agent down');
      await b.start();
      await eventually(async () => (await b.get<{ last_render: { ok: boolean } | null }>('/Snh_AgentStatus')).last_render?.ok, 'first render after restart', 60_000);
      const st = await b.get<{ last_render: { inSync: boolean }; renders: number }>('/Snh_AgentStatus');
      assert.equal(st.last_render.inSync, true, 'the restarted agent found the kernel as it wants it');
      assert.equal(await conn.roundTrip('after'), 'after');
      // still converges: a new pod on the restarted node is reachable
      const rb2 = await addPod('rb2', 'b', red);
      await eventually(() => ping(ns('ra1'), rb2.obj.ip), 'ping a pod added after the restart', 60_000);
    } finally {
      await conn.close();
    }
  });

  test('forwarding goes on while the control node is gone; routes are learned again when it returns', async () => {
    const conn = await holdConnection(ns('ra1'), ip('rb1'), 7000);
    try {
      await cn!.stop();
      cn = undefined;
      const a = agents.get('a')!;
      await eventually(async () => (await a.get<{ headless: boolean }>('/Snh_AgentStatus')).headless, 'agent a headless');
      assert.equal(await conn.roundTrip('headless'), 'headless');
      assert.ok(await ping(ns('ra1'), ip('rb1')), 'new traffic still flows');
      cn = await startControl(controlPort);
      await eventually(async () => !(await a.get<{ headless: boolean }>('/Snh_AgentStatus')).headless, 'agent a back on live routes', 60_000);
      assert.ok(await ping(ns('ra1'), ip('rb1')));
      assert.equal(await conn.roundTrip('back'), 'back');
    } finally {
      await conn.close();
    }
  });
});
