// NetworkPolicy → security groups, the pure model: every Kubernetes feature gives exact rules and
// exact per-pod group sets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1NetworkPolicy } from '@kubernetes/client-node';
import { InputError } from '../errors.js';
import { compilePolicy } from './compile.js';
import { policyGroups, podGroups, type PodView, type World } from './model.js';
import type { Rule } from '../sg-rules.js';

const names = { cluster: 'k8s-default', domain: 'default-domain', clusterProject: ['default-domain', 'kubernetes'] as const };
const P = 'default-domain:kubernetes';

function np(name: string, spec: Record<string, unknown>, ns = 'prod'): V1NetworkPolicy {
  return { metadata: { name, namespace: ns, uid: `uid-${name}` }, spec };
}
const pod = (ns: string, name: string, labels: Record<string, string>, ports: PodView['ports'] = []): PodView => ({ namespace: ns, name, labels, ports });

const world = (pods: PodView[] = []): World => ({
  names,
  namespaces: new Map<string, Record<string, string>>([
    ['prod', { 'kubernetes.io/metadata.name': 'prod', env: 'prod' }],
    ['staging', { 'kubernetes.io/metadata.name': 'staging', env: 'staging' }],
    ['tools', { 'kubernetes.io/metadata.name': 'tools', team: 'ops' }],
  ]),
  pods,
});

/** One line per rule: "in tcp IPv4 <src> 5432-5432" / "out udp IPv4 <dst> 53-53". */
function brief(rules: Rule[] | undefined): string[] {
  const addr = (a: Rule['src_addresses'][number]): string => a.security_group ?? `${a.subnet!.ip_prefix}/${a.subnet!.ip_prefix_len}`;
  return (rules ?? []).map((r) => {
    const ingress = r.dst_addresses[0].security_group === 'local';
    const peer = ingress ? addr(r.src_addresses[0]) : addr(r.dst_addresses[0]);
    const p = r.dst_ports[0];
    return `${ingress ? 'in' : 'out'} ${r.protocol} ${r.ethertype} ${peer.replace(`${P}:`, '')} ${p.start_port}-${p.end_port}`;
  });
}

const short = (groups: string[][]): string[] => groups.map((g) => g.join(':').replace(`${P}:`, ''));

test('podSelector peers: an identity group on the sources, the rule on the selected pods', () => {
  const cp = compilePolicy(np('db', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 5432 }] }] }));
  const g = policyGroups(cp, world());
  assert.deepEqual([...g.keys()].sort(), ['db__uid-db', 'db__uid-db__ingress__1']);
  assert.deepEqual(brief(g.get('db__uid-db')), ['in tcp IPv4 db__uid-db__ingress__1 5432-5432']);
  assert.deepEqual(g.get('db__uid-db__ingress__1'), []);
  const w = world();
  assert.deepEqual(short(podGroups(pod('prod', 'db-0', { app: 'db' }), [cp], w)), ['k8s-default-prod-sg', 'k8s-default-prod-allow-egress', 'db__uid-db'], 'ingress isolated, egress open');
  assert.deepEqual(short(podGroups(pod('prod', 'web-0', { app: 'web' }), [cp], w)), ['k8s-default-prod-default', 'k8s-default-prod-sg', 'db__uid-db__ingress__1']);
  assert.deepEqual(short(podGroups(pod('staging', 'web-0', { app: 'web' }), [cp], w)), ['k8s-default-staging-default', 'k8s-default-staging-sg'], 'podSelector alone means the policy namespace');
  assert.deepEqual(short(podGroups(pod('prod', 'cache', { app: 'cache' }), [cp], w)), ['k8s-default-prod-default', 'k8s-default-prod-sg'], 'not selected: allow all');
});

test('namespaceSelector with every operator, empty podSelector, both selectors together', () => {
  const cp = compilePolicy(
    np('ns', {
      podSelector: {},
      ingress: [
        { from: [{ namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['staging', 'prod'] }] } }] },
        { from: [{ namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] } }], ports: [{ port: 22 }] },
        { from: [{ podSelector: {} }], ports: [{ port: 80 }] },
        { from: [{ namespaceSelector: { matchLabels: { team: 'ops' } }, podSelector: { matchExpressions: [{ key: 'role', operator: 'NotIn', values: ['batch'] }] } }], ports: [{ port: 9090 }] },
      ],
    }),
  );
  const g = policyGroups(cp, world());
  assert.deepEqual(brief(g.get('ns__uid-ns')), [
    'in any IPv4 k8s-default-prod-sg 0-65535',
    'in any IPv4 k8s-default-staging-sg 0-65535',
    'in tcp IPv4 k8s-default-tools-sg 22-22',
    'in tcp IPv4 k8s-default-prod-sg 80-80',
    'in tcp IPv4 ns__uid-ns__ingress__1 9090-9090',
  ]);
  const w = world();
  assert.ok(short(podGroups(pod('tools', 'prom', { role: 'monitor' }), [cp], w)).includes('ns__uid-ns__ingress__1'));
  assert.ok(!short(podGroups(pod('tools', 'job', { role: 'batch' }), [cp], w)).includes('ns__uid-ns__ingress__1'), 'NotIn excludes');
  assert.ok(!short(podGroups(pod('prod', 'prom', { role: 'monitor' }), [cp], w)).includes('ns__uid-ns__ingress__1'), 'namespace must match too');
});

test('ipBlock with except: exact CIDR subtraction, both families', () => {
  const cp = compilePolicy(
    np('ip', {
      podSelector: {},
      ingress: [{ from: [{ ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] } }, { ipBlock: { cidr: '2001:db8::/32', except: ['2001:db8::/34'] } }] }],
    }),
  );
  assert.deepEqual(brief(policyGroups(cp, world()).get('ip__uid-ip')), [
    'in any IPv4 172.17.0.0/24 0-65535',
    'in any IPv4 172.17.2.0/23 0-65535',
    'in any IPv4 172.17.4.0/22 0-65535',
    'in any IPv4 172.17.8.0/21 0-65535',
    'in any IPv4 172.17.16.0/20 0-65535',
    'in any IPv4 172.17.32.0/19 0-65535',
    'in any IPv4 172.17.64.0/18 0-65535',
    'in any IPv4 172.17.128.0/17 0-65535',
    'in any IPv6 2001:db8:4000::/34 0-65535',
    'in any IPv6 2001:db8:8000::/33 0-65535',
  ]);
});

test('ports: TCP/UDP/SCTP, endPort ranges, protocol without port, no ports, no peers', () => {
  const cp = compilePolicy(
    np('ports', {
      podSelector: { matchLabels: { app: 'x' } },
      ingress: [
        { ports: [{ protocol: 'TCP', port: 32000, endPort: 32768 }, { protocol: 'UDP', port: 53 }, { protocol: 'SCTP', port: 9999 }, { protocol: 'UDP' }] },
        {},
      ],
    }),
  );
  assert.deepEqual(brief(policyGroups(cp, world()).get('ports__uid-ports')), [
    'in tcp IPv4 0.0.0.0/0 32000-32768',
    'in udp IPv4 0.0.0.0/0 53-53',
    'in 132 IPv4 0.0.0.0/0 9999-9999',
    'in udp IPv4 0.0.0.0/0 0-65535',
    'in tcp IPv6 ::/0 32000-32768',
    'in udp IPv6 ::/0 53-53',
    'in 132 IPv6 ::/0 9999-9999',
    'in udp IPv6 ::/0 0-65535',
    'in any IPv4 0.0.0.0/0 0-65535',
    'in any IPv6 ::/0 0-65535',
  ]);
});

test('policyTypes: egress rules, default deny in each direction, defaults as the apiserver sets them', () => {
  const egress = compilePolicy(np('eg', { podSelector: { matchLabels: { app: 'x' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: [{ protocol: 'UDP', port: 53 }] }] }));
  assert.equal(egress.ingress, undefined);
  assert.deepEqual(brief(policyGroups(egress, world()).get('eg__uid-eg')), ['out udp IPv4 10.0.0.0/8 53-53']);
  assert.deepEqual(short(podGroups(pod('prod', 'x', { app: 'x' }), [egress], world())), ['k8s-default-prod-sg', 'k8s-default-prod-allow-ingress', 'eg__uid-eg']);

  const denyIn = compilePolicy(np('deny', { podSelector: {} }));
  assert.deepEqual(denyIn.ingress, [], 'no policyTypes, no egress section: Ingress only, no rule = deny all ingress');
  assert.equal(denyIn.egress, undefined);
  assert.deepEqual(policyGroups(denyIn, world()).get('deny__uid-deny'), []);
  const inferred = compilePolicy(np('inf', { podSelector: {}, egress: [] }));
  assert.deepEqual([inferred.ingress, inferred.egress], [[], []], 'an egress section implies Egress');

  const both = podGroups(pod('prod', 'x', { app: 'x' }), [egress, denyIn], world());
  assert.deepEqual(short(both), ['k8s-default-prod-sg', 'eg__uid-eg', 'deny__uid-deny'], 'isolated both ways: no allow-all group at all');
  assert.deepEqual(short(podGroups(pod('staging', 'y', {}), [egress, denyIn], world())), ['k8s-default-staging-default', 'k8s-default-staging-sg'], 'policies select only in their namespace');
});

test('named ports: resolved per destination pod, one group per resolution', () => {
  const pods = [
    pod('prod', 'a', { app: 'web' }, [{ name: 'http', containerPort: 8080 }]),
    pod('prod', 'b', { app: 'web' }, [{ name: 'http', containerPort: 9090 }]),
    pod('prod', 'c', { app: 'web' }, [{ name: 'metrics', containerPort: 9100 }]),
    pod('prod', 'db', { app: 'db' }, [{ name: 'pg', containerPort: 5432 }]),
    pod('prod', 'db2', { app: 'db' }, [{ name: 'pg', containerPort: 6432 }]),
  ];
  const ing = compilePolicy(np('named', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ port: 'http' }, { port: 443 }] }] }));
  const g = policyGroups(ing, world(pods));
  assert.deepEqual(brief(g.get('named__uid-named')), ['in tcp IPv4 0.0.0.0/0 443-443', 'in tcp IPv6 ::/0 443-443']);
  const variants = [...g.keys()].filter((k) => k.includes('__ports__'));
  assert.equal(variants.length, 2, 'two resolutions of "http" among the selected pods');
  const rulesOf = (podName: string): string[] => {
    const v = short(podGroups(pods.find((p) => p.name === podName)!, [ing], world(pods))).filter((n) => n.includes('__ports__'));
    return v.flatMap((n) => brief(g.get(n)));
  };
  assert.deepEqual(rulesOf('a'), ['in tcp IPv4 0.0.0.0/0 8080-8080', 'in tcp IPv6 ::/0 8080-8080']);
  assert.deepEqual(rulesOf('b'), ['in tcp IPv4 0.0.0.0/0 9090-9090', 'in tcp IPv6 ::/0 9090-9090']);
  assert.deepEqual(rulesOf('c'), [], 'a pod without the named port: the name matches nothing');

  const eg = compilePolicy(np('egn', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 'pg' }] }] }));
  const ge = policyGroups(eg, world(pods));
  const split = [...ge.keys()].filter((k) => /__egress__1__/.test(k)).sort();
  assert.equal(split.length, 2);
  assert.deepEqual(brief(ge.get('egn__uid-egn')).map((l) => l.replace(/__egress__1__[0-9a-f]+/, '__egress__1__SIG')).sort(), ['out tcp IPv4 egn__uid-egn__egress__1__SIG 5432-5432', 'out tcp IPv4 egn__uid-egn__egress__1__SIG 6432-6432']);
  const dbGroups = short(podGroups(pods[3], [eg], world(pods)));
  assert.ok(dbGroups.includes('egn__uid-egn__egress__1'));
  assert.equal(dbGroups.filter((n) => /__egress__1__/.test(n)).length, 1);
});

test('invalid policies are input errors, never partial rule sets', () => {
  const bad: Record<string, unknown>[] = [
    { podSelector: {}, ingress: [{ ports: [{ protocol: 'ICMP', port: 1 }] }] },
    { podSelector: {}, ingress: [{ ports: [{ port: 70000 }] }] },
    { podSelector: {}, ingress: [{ ports: [{ port: 100, endPort: 50 }] }] },
    { podSelector: {}, ingress: [{ ports: [{ port: 'http', endPort: 90 }] }] },
    { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['11.0.0.0/16'] } }] }] },
    { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/33' } }] }] },
    { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] }] },
    { podSelector: { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['b'] }] } },
    { podSelector: {}, policyTypes: ['Sideways'] },
  ];
  for (const spec of bad) assert.throws(() => compilePolicy(np('bad', spec)), (e: unknown) => e instanceof InputError && e.reason === 'InvalidNetworkPolicy' || (e instanceof InputError && e.code === 'KM_INVALID_SELECTOR'), JSON.stringify(spec));
});
