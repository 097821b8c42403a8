// The seeds' walkthroughs on a whole lab with real packets (issue 9, e2e scenarios 1-6), one lab for
// the file, the scenarios in order (the first one relies on being the first pods of the lab):
//  1. first-containers.yaml: two pods on two nodes get 10.47.255.252 and .251 and ping each other;
//     `tfctl ctr route show` has the route in the pod network's table with next hop = the node;
//  2. isolation: dev-isolated cannot reach dev-unisolated; two non-isolated namespaces reach each other;
//  3. a custom network: a pod of dev-customized gets an address of the `red` network's subnet;
//  4. web-qa RC (2 replicas) + ClusterIP service: 20 requests reach both replicas, an undeclared port not;
//  5. the same service as type LoadBalancer: the external client, through the bird2 gateway, reaches
//     both replicas on the public floating IP;
//  6. NetworkPolicy default-deny, then allow from a namespaceSelector, checked from both namespaces.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { probe } from '../support/netns-tcp.js';
import {
  agentSkip, EXAMPLES, kubectlMissing, manifestFile, nodeOf, podIP, rootSkip, startE2eLab, until, type E2eLab,
} from '../support/lab-e2e.js';

const skip = rootSkip || kubectlMissing || agentSkip;
let e: E2eLab;
before(async () => {
  if (!skip) e = await startE2eLab('seeds');
});
after(async () => {
  await e?.close();
});

const POD_TABLE = 'default-domain:kubernetes:cluster-network:cluster-network.inet.0';
const underlayOf = (node: string): string => e.lab.topo.nodes.find((n) => n.host === node)!.underlayIp!;

/** TCP probe results as the set of replica names that answered (null = nothing answered). */
const names = (answers: (string | null)[]): Set<string | null> => new Set(answers.map((a) => (a === null ? null : a.split(':')[0].trim())));

test('1. first-containers: .252 and .251 on two nodes ping each other; ctr route show has them with the node as next hop', { skip }, async () => {
  await e.kubectlOk(['create', '-f', join(EXAMPLES, 'first-containers.yaml')]);
  const pods = await e.running('default', 'app=cirros-deployment', 2);
  assert.deepEqual(pods.map(podIP).sort(), ['10.47.255.251', '10.47.255.252']);
  assert.notEqual(nodeOf(pods[0]), nodeOf(pods[1]), 'the scheduler spreads the replicas');
  const wide = await e.kubectlOk(['get', 'pod', '-o', 'wide']);
  for (const p of pods) assert.match(wide, new RegExp(`${p.metadata.name}\\s+1/1\\s+Running\\s.*${podIP(p).replace(/\./g, '\\.')}\\s+${nodeOf(p)}`));
  const [a, b] = pods;
  assert.ok(await e.pingEventually(e.netnsOf(a), podIP(b)), `${podIP(a)} → ${podIP(b)}`);
  assert.ok(await e.pingEventually(e.netnsOf(b), podIP(a)), `${podIP(b)} → ${podIP(a)}`);
  // through the CLI as a user types it: tfctl lab exec <ns>/<pod> -- ping
  const viaCli = await e.tfctl(['lab', 'exec', `default/${a.metadata.name}`, '--', 'ping', '-c', '2', '-W', '2', podIP(b)]);
  assert.equal(viaCli.code, 0, viaCli.stdout + viaCli.stderr);
  for (const p of pods) {
    const out = await until(
      () => e.tfctl(['ctr', 'route', 'show', '-t', POD_TABLE, podIP(p)]),
      (r) => r.code === 0 && r.stdout.includes(`${podIP(p)}/32`),
      `route of ${podIP(p)} in ${POD_TABLE}`,
    );
    assert.match(out.stdout, new RegExp(`^${POD_TABLE.replace(/\./g, '\\.')}: \\d+ destinations`, 'm'));
    assert.match(out.stdout, new RegExp(`nh: ${underlayOf(nodeOf(p)).replace(/\./g, '\\.')},`), `next hop of ${podIP(p)} is ${nodeOf(p)}'s underlay address`);
  }
});

test('2. isolation: dev-isolated and dev-unisolated do not reach each other; two non-isolated namespaces do', { skip }, async () => {
  await e.kubectlOk(['apply', '-f', join(EXAMPLES, 'namespace-dev-isolated.yaml'), '-f', join(EXAMPLES, 'namespace-dev-unisolated.yaml')]);
  for (const ns of ['dev-isolated', 'dev-unisolated']) await e.kubectlOk(['create', '-n', ns, '-f', join(EXAMPLES, 'nginx-1.yaml')]);
  // a second pod in the isolated namespace proves its own network works before we look for what must not
  await e.kubectlOk(['run', 'nginx-2', '-n', 'dev-isolated', '--image=docker.io/nginx', '--labels=app=nginx-2']);
  const [iso] = await e.running('dev-isolated', 'app!=nginx-2', 1);
  const [iso2] = await e.running('dev-isolated', 'app=nginx-2', 1);
  const [uni] = await e.running('dev-unisolated', '', 1);
  const [cirros] = await e.running('default', 'app=cirros-deployment', 2);
  assert.ok(await e.pingEventually(e.netnsOf(iso2), podIP(iso)), 'inside the isolated network');
  assert.ok(await e.pingEventually(e.netnsOf(uni), podIP(cirros)), 'dev-unisolated → default (both non-isolated)');
  assert.ok(await e.pingEventually(e.netnsOf(cirros), podIP(uni)), 'default → dev-unisolated');
  for (let i = 0; i < 3; i++) {
    assert.equal(await e.ping(e.netnsOf(iso), podIP(uni)), false, 'dev-isolated → dev-unisolated must fail');
    assert.equal(await e.ping(e.netnsOf(uni), podIP(iso)), false, 'dev-unisolated → dev-isolated must fail');
    assert.equal(await e.ping(e.netnsOf(iso), podIP(cirros)), false, 'dev-isolated → default must fail');
  }
  assert.deepEqual(names(await probe(e.netnsOf(uni), podIP(iso), 80, { count: 2, timeoutMs: 3_000 })), new Set([null]), 'no TCP either');
});

test('3. custom network: a pod of dev-customized gets an address of the red network', { skip }, async () => {
  const red = manifestFile(e.dir, 'red.yaml', [
    'virtual-network:',
    '  fq_name: [default-domain, demo, red]',
    '  parent_type: project',
    '  network_ipam_refs:',
    '    - to: [default-domain, default-project, default-network-ipam]',
    '      attr: {ipam_subnets: [{subnet: {ip_prefix: 10.10.10.0, ip_prefix_len: 24}}]}',
  ].join('\n'));
  const project = manifestFile(e.dir, 'demo.yaml', 'project:\n  fq_name: [default-domain, demo]\n  parent_type: domain\n');
  for (const [type, file] of [['project', project], ['virtual-network', red]]) {
    const r = await e.tfctl(['config', 'create', type, '-f', file]);
    assert.equal(r.code, 0, r.stderr);
  }
  await e.kubectlOk(['apply', '-f', join(EXAMPLES, 'namespace-dev-customized.yaml')]);
  await e.kubectlOk(['create', '-n', 'dev-customized', '-f', join(EXAMPLES, 'nginx-1.yaml')]);
  await e.kubectlOk(['run', 'nginx-2', '-n', 'dev-customized', '--image=docker.io/nginx']);
  const pods = await e.running('dev-customized', '', 2);
  for (const p of pods) assert.match(podIP(p), /^10\.10\.10\.\d+$/, `${p.metadata.name} is on red`);
  assert.ok(await e.pingEventually(e.netnsOf(pods[0]), podIP(pods[1])), 'pods on red reach each other');
});

let clusterIp = '';
test('4. web-qa RC + ClusterIP service: 20 requests reach both replicas; an undeclared port does not answer', { skip }, async () => {
  await e.kubectlOk(['create', '-f', join(EXAMPLES, 'web-qa-rc.yaml'), '-f', join(EXAMPLES, 'web-qa-svc-clusterip.yaml')]);
  const replicas = await e.running('default', 'app=web-qa', 2);
  clusterIp = (await e.kubectlOk(['get', 'svc', 'web-qa', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
  assert.match(clusterIp, /^10\.(9[6-9]|1[01]\d)\.\d+\.\d+$/);
  const [client] = await e.running('default', 'app=cirros-deployment', 2);
  const want = new Set(replicas.map((p) => p.metadata.name));
  const seen = await until(
    () => probe(e.netnsOf(client), clusterIp, 80, { count: 20, timeoutMs: 5_000, concurrency: 4 }),
    (answers) => answers.every((a) => a !== null) && [...want].every((n) => names(answers).has(n!)),
    'both replicas answering on the service IP',
  );
  assert.equal(seen.length, 20);
  assert.deepEqual(new Set([...names(seen)].filter((n) => n !== null)), want, 'only the two replicas answer');
  assert.deepEqual(names(await probe(e.netnsOf(client), clusterIp, 8080, { count: 3, timeoutMs: 3_000 })), new Set([null]), 'port 8080 is not declared');
});

test('5. LoadBalancer: the external client reaches both replicas on the public floating IP through the bird2 gateway', { skip }, async () => {
  await e.kubectlOk(['apply', '-f', join(EXAMPLES, 'web-qa-svc-loadbalancer.yaml')]);
  const fip = (await until(
    () => e.kubectlOk(['get', 'svc', 'web-qa', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}']),
    (ip) => /^198\.51\.100\.\d+$/.test(ip.trim()),
    'a public floating IP on the service',
  )).trim();
  const gw = e.lab.topo.gateway.name;
  const route = await until(() => e.exec(gw, ['ip', 'route', 'show', `${fip}/32`]), (r) => /proto bird/.test(r.stdout), `the gateway's route to ${fip}`).catch(async (err: unknown) => {
    // say where the route stopped: the agents' VPN routes, the control node's inet.0, bird's table
    const ctr = await e.tfctl(['ctr', 'route', 'show', fip]);
    const bird = await e.exec(gw, ['birdc', '-s', join(e.lab.layout.runDir, 'bird.ctl'), 'show', 'route', 'all']);
    throw new Error(`${String(err)}\n--- tfctl ctr route show ${fip}:\n${ctr.stdout}${ctr.stderr}\n--- bird:\n${bird.stdout}${bird.stderr}`);
  });
  assert.match(route.stdout, /10\.0\.0\.10\d/, 'next hop: a node hosting a replica');
  const replicas = await e.pods('default', 'app=web-qa');
  const want = new Set(replicas.map((p) => p.metadata.name));
  const ext = e.lab.topo.external.name;
  // first: the service answers from outside at all (through the gateway and a member node's DNAT)
  const first = await until(() => probe(ext, fip, 80, { count: 4, timeoutMs: 5_000 }), (answers) => answers.every((a) => a !== null), `${fip}:80 answering the external client`);
  assert.ok([...names(first)].every((n) => want.has(n!)), `only replicas answer: ${JSON.stringify(first)}`);
  const http = await e.tfctl(['lab', 'exec', 'external', '--', 'curl', '-s', '-m', '5', `http://${fip}/`]);
  assert.ok(want.has(http.stdout.trim()), `curl from the external client: ${http.stdout}${http.stderr}`);
  // then: both replicas, as the seed's load balancer spreads the flows
  const answered = new Set<string | null>();
  for (let round = 0; round < 5 && answered.size < want.size; round++) {
    for (const n of names(await probe(ext, fip, 80, { count: 20, timeoutMs: 5_000, concurrency: 4 }))) answered.add(n);
  }
  const routes = (await e.exec(gw, ['ip', 'route', 'show', `${fip}/32`])).stdout.trim();
  assert.deepEqual(answered, want, `100 connections from the external client reached ${[...answered].join(', ')}; the gateway's route: ${routes}`);
});

test('6. NetworkPolicy: default-deny, then allow from a namespaceSelector — enforced both ways', { skip }, async () => {
  for (const [ns, team] of [['np-server', 'a'], ['np-allowed', 'b'], ['np-other', 'c']]) {
    await e.kubectlOk(['create', 'namespace', ns]);
    await e.kubectlOk(['label', 'namespace', ns, `team=${team}`]);
    await e.kubectlOk(['run', 'web', '-n', ns, '--image=docker.io/nginx', '--labels=app=web']);
  }
  const [server] = await e.running('np-server', 'app=web', 1);
  const [allowed] = await e.running('np-allowed', 'app=web', 1);
  const [other] = await e.running('np-other', 'app=web', 1);
  const reach = (from: string, to: string): Promise<Set<string | null>> => probe(from, to, 80, { count: 2, timeoutMs: 3_000 }).then(names);
  const answersFrom = (s: Set<string | null>, name: string): boolean => s.size === 1 && s.has(name);
  // before any policy everybody reaches the server
  await until(() => reach(e.netnsOf(other), podIP(server)), (s) => answersFrom(s, 'web'), 'np-other → server before policies');

  await e.kubectlOk(['apply', '-n', 'np-server', '-f', '-'], [
    'apiVersion: networking.k8s.io/v1', 'kind: NetworkPolicy', 'metadata: {name: default-deny}',
    'spec: {podSelector: {}, policyTypes: [Ingress]}',
  ].join('\n'));
  await until(() => reach(e.netnsOf(allowed), podIP(server)), (s) => s.size === 1 && s.has(null), 'default-deny closes the server to np-allowed');
  assert.deepEqual(await reach(e.netnsOf(other), podIP(server)), new Set([null]), 'and to np-other');
  assert.ok(answersFrom(await reach(e.netnsOf(server), podIP(allowed)), 'web'), 'the server still reaches out (egress is not restricted)');

  await e.kubectlOk(['apply', '-n', 'np-server', '-f', '-'], [
    'apiVersion: networking.k8s.io/v1', 'kind: NetworkPolicy', 'metadata: {name: allow-team-b}',
    'spec:', '  podSelector: {matchLabels: {app: web}}', '  ingress:', '  - from:', '    - namespaceSelector: {matchLabels: {team: b}}',
  ].join('\n'));
  await until(() => reach(e.netnsOf(allowed), podIP(server)), (s) => answersFrom(s, 'web'), 'np-allowed (team=b) → server after the allow');
  for (let i = 0; i < 2; i++) assert.deepEqual(await reach(e.netnsOf(other), podIP(server)), new Set([null]), 'np-other (team=c) is still denied');
  assert.ok(answersFrom(await reach(e.netnsOf(server), podIP(other)), 'web'), 'np-other has no policy: the server reaches it');

  // relabelling the namespace moves it across the policy
  await e.kubectlOk(['label', 'namespace', 'np-other', 'team=b', '--overwrite']);
  await until(() => reach(e.netnsOf(other), podIP(server)), (s) => answersFrom(s, 'web'), 'np-other relabelled team=b is allowed');
  await e.kubectlOk(['label', 'namespace', 'np-allowed', 'team=x', '--overwrite']);
  await until(() => reach(e.netnsOf(allowed), podIP(server)), (s) => s.size === 1 && s.has(null), 'np-allowed relabelled team=x is denied');
});
