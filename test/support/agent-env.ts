// A small fabric for privileged agent tests: a bridge in its own namespace, the test process's namespace
// on it (the in-process config API and control node listen on that address) and compute nodes as
// namespaces on it, each running a real agent process (`tfctl serve agent`, started with the same
// `ip netns exec` the lab uses). Pods are namespaces plumbed through tf-cni exactly as a kubelet calls
// it. Addresses come from a random /24 in 100.96.0.0/11 (other suites use 198.18.0.0/15 and 100.64-65)
// and names carry a random id, so test files running in parallel never collide; destroy() removes
// everything, also after a failure.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createNetns, deleteNetns, execInNetns, listNetns, spawnInNetns } from '../../src/datapath/linux/netns.js';
import type { VncClient } from '../../src/vnc/client.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const TF_CNI = join(REPO, 'src/cni/tf-cni');
export const rootSkip: string | false = process.getuid?.() !== 0 ? 'needs root: network namespaces' : false;

async function sh(netns: string | undefined, ...argv: string[]): Promise<string> {
  const r = await execInNetns(netns, argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')}${netns ? ` in ${netns}` : ''}: ${r.stderr.trim()}`);
  return r.stdout;
}

export interface FabricNode {
  name: string;
  ns: string;
  ip: string;
}

/** Bridge namespace + host veth + one namespace per node, all on one /24. */
export class Fabric {
  readonly id: string;
  readonly hostIp: string;
  readonly hostIf: string;
  readonly fab: string;
  readonly net: string;
  readonly dir: string;
  readonly nodes = new Map<string, FabricNode>();
  readonly #namespaces: string[] = [];

  private constructor(tag: string) {
    this.id = `${tag}${randomBytes(2).toString('hex')}`;
    const r = randomBytes(2);
    this.net = `100.${96 + (r[0] & 31)}.${r[1]}`;
    this.hostIp = `${this.net}.1`;
    this.hostIf = `${this.id}h`;
    this.fab = `${this.id}-fab`;
    this.dir = mkdtempSync(join(tmpdir(), `tf-agent-${this.id}-`));
  }

  static async create(tag: string, nodeNames: readonly string[]): Promise<Fabric> {
    const f = new Fabric(tag);
    try {
      await f.#ns(f.fab);
      await sh(f.fab, 'ip', 'link', 'add', 'br0', 'type', 'bridge');
      await sh(f.fab, 'ip', 'link', 'set', 'br0', 'up');
      await sh(undefined, 'ip', 'link', 'add', f.hostIf, 'type', 'veth', 'peer', 'name', 'p-host', 'netns', f.fab);
      await sh(undefined, 'ip', 'addr', 'add', `${f.hostIp}/24`, 'dev', f.hostIf);
      await sh(undefined, 'ip', 'link', 'set', f.hostIf, 'up');
      await sh(f.fab, 'ip', 'link', 'set', 'p-host', 'master', 'br0', 'up');
      let i = 11;
      for (const name of nodeNames) {
        const ns = `${f.id}-${name}`;
        await f.#ns(ns);
        const ip = `${f.net}.${i++}`;
        await sh(undefined, 'ip', 'link', 'add', 'ul0', 'netns', ns, 'type', 'veth', 'peer', 'name', `p-${name}`, 'netns', f.fab);
        await sh(ns, 'ip', 'addr', 'add', `${ip}/24`, 'dev', 'ul0');
        await sh(ns, 'ip', 'link', 'set', 'ul0', 'up');
        await sh(f.fab, 'ip', 'link', 'set', `p-${name}`, 'master', 'br0', 'up');
        f.nodes.set(name, { name, ns, ip });
      }
    } catch (err) {
      await f.destroy();
      throw err;
    }
    return f;
  }

  async #ns(name: string): Promise<void> {
    await createNetns(name);
    this.#namespaces.push(name);
  }

  node(name: string): FabricNode {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  /** A pod network namespace (deleted with the fabric). */
  async podNs(name: string): Promise<string> {
    const ns = `${this.id}-p-${name}`;
    await this.#ns(ns);
    return ns;
  }

  async destroy(): Promise<void> {
    for (const ns of listNetns().filter((n) => n.startsWith(`${this.id}-`))) await deleteNetns(ns).catch(() => undefined);
    await execInNetns(undefined, ['ip', 'link', 'del', this.hostIf]).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface AgentProcessOptions {
  configApi: string;
  controls: string;
  stateDir?: string;
  extra?: string[];
}

/** A `tfctl serve agent` process inside a node namespace. */
export class AgentProcess {
  readonly node: FabricNode;
  readonly socket: string;
  readonly stateDir: string;
  readonly introspect: string;
  readonly portApi: string;
  #child: ChildProcess | undefined;
  #output = '';
  readonly #args: string[];

  constructor(fabric: Fabric, node: FabricNode, o: AgentProcessOptions) {
    this.node = node;
    this.socket = join(fabric.dir, `${node.name}.sock`);
    this.stateDir = o.stateDir ?? join(fabric.dir, `${node.name}-state`);
    this.introspect = `http://${node.ip}:8085`;
    this.portApi = `http://${node.ip}:9091`;
    this.#args = [
      'serve', 'agent', '--config-api', o.configApi, '--node', node.name, '--ip', node.ip, '--control', o.controls,
      '--port-api', `${node.ip}:9091`, '--introspect-port', '8085', '--introspect-host', node.ip,
      '--cni-socket', this.socket, '--state-dir', this.stateDir, '--hold-time', '9', ...(o.extra ?? []),
    ];
  }

  get output(): string {
    return this.#output;
  }

  /** the agent's process id (nsenter execs it, so this is the Node process itself) */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Starts the process and resolves on its "ready" line. */
  async start(): Promise<string> {
    const child = spawnInNetns(this.node.ns, [process.execPath, '--import', 'tsx', join(REPO, 'src/bin/tfctl.ts'), ...this.#args], {
      cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TF_LOG_LEVEL: process.env.TF_AGENT_LOG_LEVEL ?? 'warn' },
    });
    this.#child = child;
    child.stderr!.on('data', (d: Buffer) => (this.#output = (this.#output + d.toString()).slice(-20_000)));
    const rl = createInterface({ input: child.stdout! });
    const exited = once(child, 'exit').then(([code]) => {
      throw new Error(`agent on ${this.node.name} exited (${String(code)}) before ready:\n${this.#output}`);
    });
    const ready = new Promise<string>((res) => rl.on('line', (l) => {
      this.#output += `${l}\n`;
      if (l.includes(': ready ')) res(l);
    }));
    try {
      return await Promise.race([ready, exited]);
    } finally {
      exited.catch(() => undefined);
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const c = this.#child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return c?.exitCode ?? null;
    const exited = once(c, 'exit') as Promise<[number | null]>;
    c.kill(signal);
    const [code] = await exited;
    return code;
  }

  async get<T>(path: string): Promise<T> {
    const res = await fetch(`${this.introspect}${path}`);
    return (await res.json()) as T;
  }
}

export interface CniRun {
  code: number;
  stdout: string;
  json: Record<string, unknown> | undefined;
}

/** Runs tf-cni exactly as a kubelet: the CNI_* environment, the netconf on stdin, the answer on stdout. */
export async function runCni(env: Record<string, string>, stdin: string, extraEnv: Record<string, string> = {}): Promise<CniRun> {
  const child = spawn('sh', [TF_CNI], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env, ...extraEnv }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stdin.end(stdin);
  const [code] = (await once(child, 'close')) as [number | null];
  let json: Record<string, unknown> | undefined;
  try {
    json = stdout.trim() === '' ? undefined : (JSON.parse(stdout) as Record<string, unknown>);
  } catch {
    json = undefined;
  }
  return { code: code ?? -1, stdout, json };
}

export function netconf(socket: string, extra: Record<string, unknown> = {}, version = '1.0.0'): string {
  return JSON.stringify({ cniVersion: version, name: 'tungsten', type: 'tf-cni', contrail: { 'cluster-name': 'k8s', 'agent-socket': socket, 'poll-timeout': 1, 'poll-retries': 20, ...extra } });
}

export function cniEnv(command: string, containerId: string, netnsName: string | undefined, pod: { namespace: string; name: string }, ifname = 'eth0'): Record<string, string> {
  return {
    CNI_COMMAND: command,
    CNI_CONTAINERID: containerId,
    ...(netnsName !== undefined ? { CNI_NETNS: `/run/netns/${netnsName}` } : {}),
    CNI_IFNAME: ifname,
    CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${pod.namespace};K8S_POD_NAME=${pod.name};K8S_POD_INFRA_CONTAINER_ID=${containerId}`,
    CNI_PATH: '/opt/cni/bin',
  };
}

export interface PodObjects {
  vm: string;
  vmi: string;
  iip: string;
  ip: string;
  mac: string;
}

/** Writes the config kube-manager would write for pods, networks, groups and services. */
export class ConfigBuilder {
  constructor(readonly client: VncClient, readonly cluster = 'k8s') {}

  async project(name: string): Promise<string[]> {
    const fq = ['default-domain', name];
    await this.client.create('project', { fq_name: fq, parent_type: 'domain' });
    return fq;
  }

  /** A network with one user-defined subnet on the default IPAM. */
  async network(project: readonly string[], name: string, cidr: string, extra: Record<string, unknown> = {}): Promise<{ uuid: string; fq: string[] }> {
    const [prefix, len] = cidr.split('/');
    const vn = await this.client.create('virtual-network', {
      fq_name: [...project, name], parent_type: 'project',
      network_ipam_refs: [{ to: ['default-domain', 'default-project', 'default-network-ipam'], attr: { ipam_subnets: [{ subnet: { ip_prefix: prefix, ip_prefix_len: Number(len) } }] } }],
      ...extra,
    });
    return { uuid: vn.uuid, fq: vn.fq_name };
  }

  async securityGroup(project: readonly string[], name: string, rules: Record<string, unknown>[]): Promise<{ uuid: string; fq: string[] }> {
    const sg = await this.client.create('security-group', { fq_name: [...project, name], parent_type: 'project', security_group_entries: { policy_rule: rules } });
    return { uuid: sg.uuid, fq: sg.fq_name };
  }

  /** VM + VMI + instance-ip of a pod, linked to the node's virtual-router (which the agent registered). */
  async pod(project: readonly string[], ns: string, name: string, vn: { fq: string[] }, vrouter: string, sgs: { fq: string[] }[] = [], address?: string): Promise<PodObjects> {
    const uid = randomUUID();
    const ann = { key_value_pair: [{ key: 'cluster', value: this.cluster }, { key: 'namespace', value: ns }, { key: 'name', value: name }, { key: 'kind', value: 'Pod' }, { key: 'owner', value: 'k8s' }] };
    const vm = await this.client.create('virtual-machine', { uuid: uid, fq_name: [`${name}__${uid}`], display_name: `${ns}__${name}`, annotations: ann });
    const vmiUuid = randomUUID();
    const vmi = await this.client.create('virtual-machine-interface', {
      uuid: vmiUuid, fq_name: [...project, `${name}__${vmiUuid}`], parent_type: 'project',
      virtual_network_refs: [{ to: vn.fq }], virtual_machine_refs: [{ to: vm.fq_name }], security_group_refs: sgs.map((s) => ({ to: s.fq })), annotations: ann,
    });
    const iip = await this.client.create('instance-ip', {
      fq_name: [`${name}__${randomUUID()}`], virtual_network_refs: [{ to: vn.fq }], virtual_machine_interface_refs: [{ to: vmi.fq_name }],
      ...(address ? { instance_ip_address: address } : {}),
    });
    const vr = await this.client.fqNameToId('virtual-router', ['default-global-system-config', vrouter]);
    await this.client.refUpdate('virtual-router', vr, 'virtual-machine', vm.uuid, 'ADD');
    return { vm: vm.uuid, vmi: vmi.uuid, iip: iip.uuid, ip: iip.instance_ip_address!, mac: vmi.virtual_machine_interface_mac_addresses!.mac_address![0] };
  }

  /** A ClusterIP service as kube-manager writes it: LB interface + VIP instance-ip + floating-ip with port mappings on the members. */
  async service(project: readonly string[], name: string, vn: { fq: string[] }, vip: string, members: PodObjects[], mappings: { protocol: string; src_port: number; dst_port: number }[]): Promise<{ fip: string }> {
    const lbVmi = await this.client.create('virtual-machine-interface', {
      fq_name: [...project, `${name}__${randomUUID()}`], parent_type: 'project', virtual_network_refs: [{ to: vn.fq }], virtual_machine_interface_device_owner: 'K8S:LOADBALANCER',
    });
    const iip = await this.client.create('instance-ip', {
      fq_name: [`${name}__${randomUUID()}`], virtual_network_refs: [{ to: vn.fq }], virtual_machine_interface_refs: [{ to: lbVmi.fq_name }], instance_ip_address: vip,
    });
    const vmis = await Promise.all(members.map((m) => this.client.read('virtual-machine-interface', m.vmi)));
    const fip = await this.client.create('floating-ip', {
      fq_name: [...iip.fq_name, `${name}-vip`], parent_type: 'instance-ip', floating_ip_address: vip, floating_ip_traffic_direction: 'ingress',
      floating_ip_port_mappings_enable: true, floating_ip_port_mappings: { port_mappings: mappings }, project_refs: [{ to: [...project] }],
      virtual_machine_interface_refs: vmis.map((v) => ({ to: v.fq_name })),
    });
    return { fip: fip.uuid };
  }
}

/** Polls until f returns a truthy value (errors count as not yet). */
export async function eventually<T>(f: () => T | undefined | null | false | Promise<T | undefined | null | false>, what: string, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One ping from a pod namespace; the wait only bounds a dead path. */
export async function ping(podNs: string, to: string, expectReply = true): Promise<boolean> {
  const r = await execInNetns(podNs, ['ping', '-c', '1', '-W', expectReply ? '5' : '1', to]);
  return r.code === 0;
}
