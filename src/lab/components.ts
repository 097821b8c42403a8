// What runs where in a lab, as plain data (pure): the command line of every supervised process, the
// relay mappings per namespace, the CNI configuration of each node, and the services that
// endpoints.json lists for `tfctl status`, `tfctl ctr` and `tfctl vr`.
//
//   host namespace: config API (+ schema transformer in-process), kube-manager, and inside `tfctl lab up`
//                   itself the Kubernetes API with its controllers, one kubelet per node, the host relay
//   <prefix>ctlK:   control node K (BGP on its underlay address, port 1179) + relay
//   <prefix>nodeK:  vRouter agent K (renders the datapath into this namespace) + relay
//   <prefix>gw:     bird2
import { join } from 'node:path';
import type { ServiceEndpoint } from '../common/endpoints.js';
import { PORTS } from '../common/defaults.js';
import type { LabPorts } from './ports.js';
import type { RelayMapping } from './relay.js';
import type { ProcessSpec } from './supervisor.js';
import type { NamespaceSpec, Topology } from './topology.js';

export interface LabLayout {
  readonly dir: string;
  /** unix sockets (short path) */
  readonly runDir: string;
  readonly topo: Topology;
  readonly ports: LabPorts;
  /** argv prefix that runs tfctl */
  readonly tfctl: readonly string[];
  /** run vRouter agents (false when the agent is not part of this build) */
  readonly agents: boolean;
  readonly asn: number;
  /** TF_LOG_LEVEL of the children */
  readonly logLevel: string;
  /** where tf-cni is (a directory for the kubelets' --cni-bin-dir) */
  readonly cniBinDir: string;
  /** kube-manager's cluster_name: the CNI's cluster-name (VM names are <cluster>__<ns>__<pod>) */
  readonly clusterName: string;
}

export const CONTROL_BGP_PORT = PORTS.controlBgp;
export const GATEWAY_BGP_PORT = 179;
/** ports inside each namespace (the defaults: every namespace has its own loopback) */
export const INNER = { configApi: PORTS.configApi, controlIntrospect: PORTS.controlIntrospect, agentIntrospect: PORTS.agentIntrospect, agentPortApi: PORTS.agentPortApi } as const;

const tcp = (port: number) => ({ kind: 'tcp' as const, host: '127.0.0.1', port });
const unix = (path: string) => ({ kind: 'unix' as const, path });

export const configSocket = (l: LabLayout): string => join(l.runDir, 'config.sock');
export const controlSocket = (l: LabLayout, k: number): string => join(l.runDir, `ctl${k}-${INNER.controlIntrospect}.sock`);
export const agentSocket = (l: LabLayout, k: number, port: number): string => join(l.runDir, `node${k}-${port}.sock`);
export const cniSocket = (l: LabLayout, k: number): string => join(l.runDir, `node${k}-cni.sock`);
export const birdSocket = (l: LabLayout): string => join(l.runDir, 'bird.ctl');
export const logFile = (l: LabLayout, name: string): string => join(l.dir, 'logs', `${name}.log`);

/** The host relay's mappings (run inside `tfctl lab up`). */
export function hostRelay(l: LabLayout): RelayMapping[] {
  const out: RelayMapping[] = [{ listen: unix(configSocket(l)), connect: tcp(l.ports.configApi) }];
  l.topo.controls.forEach((_, i) => out.push({ listen: tcp(l.ports.controlIntrospect[i]), connect: unix(controlSocket(l, i + 1)) }));
  if (l.agents) {
    l.topo.nodes.forEach((_, i) => {
      out.push({ listen: tcp(l.ports.agentIntrospect[i]), connect: unix(agentSocket(l, i + 1, INNER.agentIntrospect)) });
      out.push({ listen: tcp(l.ports.agentPortApi[i]), connect: unix(agentSocket(l, i + 1, INNER.agentPortApi)) });
    });
  }
  return out;
}

/** The relay mappings inside one namespace. */
export function namespaceRelay(l: LabLayout, n: NamespaceSpec): RelayMapping[] {
  const out: RelayMapping[] = [{ listen: tcp(INNER.configApi), connect: unix(configSocket(l)) }];
  const k = Number(/(\d+)$/.exec(n.host)?.[1] ?? 0);
  if (n.role === 'control') out.push({ listen: unix(controlSocket(l, k)), connect: tcp(INNER.controlIntrospect) });
  if (n.role === 'node' && l.agents) {
    out.push({ listen: unix(agentSocket(l, k, INNER.agentIntrospect)), connect: tcp(INNER.agentIntrospect) });
    out.push({ listen: unix(agentSocket(l, k, INNER.agentPortApi)), connect: tcp(INNER.agentPortApi) });
  }
  return out;
}

/**
 * The control nodes agent i (0-based) peers with: all of them when there are at most two (an agent peers
 * with at most two, as the original's), else two consecutive ones, spread round-robin. Pure.
 */
export function agentControls(t: Topology, i: number): NamespaceSpec[] {
  const c = t.controls;
  if (c.length <= 2) return [...c];
  return [c[i % c.length], c[(i + 1) % c.length]];
}

const fmtEnd = (e: RelayMapping['listen']): string => (e.kind === 'unix' ? `unix:${e.path}` : `tcp:${e.host}:${e.port}`);

/** Every supervised process, in start order. Pure. */
export function processSpecs(l: LabLayout): { first: ProcessSpec[]; rest: ProcessSpec[] } {
  const env = { TF_LOG_LEVEL: l.logLevel };
  const t = l.tfctl;
  const spec = (name: string, argv: string[], netns?: string): ProcessSpec => ({ name, argv: [...t, ...argv], env, logFile: logFile(l, name), ...(netns ? { netns } : {}) });
  const configApi = spec('config-api', [
    'serve', 'config', '--port', String(l.ports.configApi), '--host', '127.0.0.1',
    '--store', `sqlite://${join(l.dir, 'data', 'config.db')}`, '--introspect-port', String(l.ports.configIntrospect),
  ]);
  const relays = [...l.topo.controls, ...l.topo.nodes].map((n) =>
    spec(`relay-${n.name.slice(l.topo.prefix.length)}`, ['lab', 'relay', ...namespaceRelay(l, n).flatMap((m) => ['--map', `${fmtEnd(m.listen)}=${fmtEnd(m.connect)}`])], n.name),
  );
  const controlList = l.topo.controls.map((c, i) => spec(`control${i + 1}`, [
    'serve', 'control', '--config-api', `http://127.0.0.1:${INNER.configApi}`, '--name', c.host,
    '--router-id', c.underlayIp!, '--bgp-address', c.underlayIp!, '--bgp-port', String(CONTROL_BGP_PORT),
    '--introspect-port', String(INNER.controlIntrospect),
  ], c.name));
  const agentList = l.agents
    ? l.topo.nodes.map((n, i) => spec(`agent-${n.host}`, [
      'serve', 'agent', '--config-api', `http://127.0.0.1:${INNER.configApi}`, '--node', n.host, '--ip', n.underlayIp!,
      '--control', agentControls(l.topo, i).map((c) => `${c.underlayIp}:${CONTROL_BGP_PORT}`).join(','), '--port-api', `127.0.0.1:${INNER.agentPortApi}`, '--introspect-port', String(INNER.agentIntrospect),
      '--cni-socket', cniSocket(l, i + 1), '--state-dir', join(l.dir, 'agent', n.host),
    ], n.name))
    : [];
  const gateway: ProcessSpec = {
    name: 'gateway',
    argv: ['bird', '-f', '-c', join(l.dir, 'gateway', 'bird.conf'), '-s', birdSocket(l), '-P', join(l.runDir, 'bird.pid')],
    env,
    logFile: logFile(l, 'gateway'),
    netns: l.topo.gateway.name,
  };
  const kubeManager = spec('kube-manager', ['serve', 'kube-manager', '--config', join(l.dir, 'kubemanager.conf')]);
  return { first: [configApi], rest: [...relays, ...controlList, gateway, kubeManager, ...agentList] };
}

/** The CNI network configuration of node k (read by its kubelet, executed in the node's namespace). Pure. */
export function cniConfig(l: LabLayout, k: number): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    name: 'tungsten',
    type: 'tf-cni',
    contrail: {
      'cluster-name': l.clusterName,
      mode: 'k8s',
      'vif-type': 'veth',
      'agent-socket': cniSocket(l, k),
      'poll-timeout': 3,
      'poll-retries': 20,
    },
  };
}

/** What endpoints.json lists. `pids` maps process names to PIDs; `self` is the supervisor's PID. Pure. */
export function serviceEndpoints(l: LabLayout, pids: ReadonlyMap<string, number>, self: number): ServiceEndpoint[] {
  const lab = `http://127.0.0.1:${l.ports.lab}`;
  const pid = (name: string): { pid?: number } => (pids.has(name) ? { pid: pids.get(name)! } : {});
  const out: ServiceEndpoint[] = [
    {
      group: 'config', service: 'api', instance: 'api', original: 'contrail-controller-config-api', url: `http://127.0.0.1:${l.ports.configApi}`,
      introspect: `http://127.0.0.1:${l.ports.configIntrospect}`, health: `http://127.0.0.1:${l.ports.configIntrospect}/healthz`, ...pid('config-api'),
    },
    // the schema transformer runs inside the config API process (serve config without --no-transformer)
    { group: 'config', service: 'schema', instance: 'schema', original: 'contrail-controller-config-schema', health: `${lab}/health/schema`, ...pid('config-api') },
    ...l.topo.controls.map((c, i): ServiceEndpoint => ({
      group: 'control', service: 'control', instance: c.host, original: 'contrail-controller-control-control',
      introspect: `http://127.0.0.1:${l.ports.controlIntrospect[i]}`, health: `http://127.0.0.1:${l.ports.controlIntrospect[i]}/healthz`,
      netns: c.name, address: c.underlayIp!, ...pid(`control${i + 1}`),
    })),
    ...(l.agents
      ? l.topo.nodes.map((n, i): ServiceEndpoint => ({
        group: 'vrouter', service: 'agent', instance: n.host, original: 'contrail-vrouter-agent',
        introspect: `http://127.0.0.1:${l.ports.agentIntrospect[i]}`, portApi: `http://127.0.0.1:${l.ports.agentPortApi[i]}`,
        health: `http://127.0.0.1:${l.ports.agentIntrospect[i]}/healthz`, netns: n.name, address: n.underlayIp!, ...pid(`agent-${n.host}`),
      }))
      : []),
    {
      group: 'kubernetes', service: 'kube-manager', instance: 'kube-manager', original: 'contrail-kubernetes-kube-manager',
      introspect: `http://127.0.0.1:${l.ports.kubeManager}`, health: `http://127.0.0.1:${l.ports.kubeManager}/healthz`, ...pid('kube-manager'),
    },
    { group: 'kubernetes', service: 'kube-apiserver', instance: 'kube-apiserver', original: 'lab kube-apiserver', url: `http://127.0.0.1:${l.ports.kubeApi}`, health: `${lab}/health/kube-apiserver`, pid: self },
    ...l.topo.nodes.map((n): ServiceEndpoint => ({
      group: 'kubernetes', service: 'kubelet', instance: n.host, original: 'lab kubelet', health: `${lab}/health/kubelet-${n.host}`, netns: n.name, address: n.underlayIp!, pid: self,
    })),
    { group: 'gateway', service: 'bird', instance: 'gateway', original: 'bird2', health: `${lab}/health/gateway`, netns: l.topo.gateway.name, address: l.topo.gateway.underlayIp!, ...pid('gateway') },
    { group: 'lab', service: 'supervisor', instance: 'supervisor', original: 'tfctl lab up', introspect: lab, health: `${lab}/health/supervisor`, pid: self },
    ...[...l.topo.controls, ...l.topo.nodes].map((n): ServiceEndpoint => {
      const name = `relay-${n.name.slice(l.topo.prefix.length)}`;
      return { group: 'lab', service: 'relay', instance: n.host, original: 'tfctl lab relay', health: `${lab}/health/${name}`, netns: n.name, ...pid(name) };
    }),
  ];
  return out;
}
