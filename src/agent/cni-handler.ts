// CNI ADD / DEL / CHECK / VERSION done by the agent for tf-cni (docs/cni.md). ADD waits for the pod's
// interface in the config (as the original CNI polls /vm-cfg, bounded by poll-timeout × poll-retries and
// --vmi-timeout), plumbs the veth into CNI_NETNS as CNI_IFNAME through the datapath together with its
// security groups and its network's policy (so a new pod is never reachable unfiltered), registers the
// port (persisted) and answers the result in the netconf's version; routes and advertisements follow with
// the next recompute. DEL removes the ports of the container (an unknown container is fine: DEL is
// idempotent); CHECK compares the interface with what ADD made.
import { DatapathModelError, DatapathPreconditionError } from '../datapath/errors.js';
import { TfError, errorMessage } from '../common/errors.js';
import type { InterfacePolicy, LocalInterface, Vrf } from '../datapath/model.js';
import { CniError } from '../cni/errors.js';
import { parseCniEnv, podOf, type CniEnv } from '../cni/env.js';
import { interfaceWaitSeconds, parseNetConf, supportsCheck, type NetConf } from '../cni/netconf.js';
import { buildResult } from '../cni/result.js';
import { versionInfo } from '../cni/versions.js';
import { findVm, type InterfaceConfig, type NetworkConfig, type NodeConfig, type VmConfig } from './config-view.js';
import { vrfTable } from './model.js';
import { tapName, type PortEntry } from './ports.js';
import type { Agent } from './agent.js';

export interface CniRequest {
  /** CNI_* variables */
  vars: Record<string, string | undefined>;
  /** the netconf text (stdin) */
  stdin: string;
}

export interface CniReply {
  /** the stdout of the plugin ('' for DEL) */
  body: unknown;
  /** netconf version, for error bodies */
  version: string;
}

interface Resolved {
  vm: VmConfig;
  f: InterfaceConfig;
  net: NetworkConfig;
}

/** The pod's first interface when it can be plumbed, else undefined (with the reason in `why`). */
function resolve(cfg: NodeConfig | undefined, name: string, why: { reason: string }): Resolved | undefined {
  if (!cfg) {
    why.reason = 'the agent has not synced its config yet';
    return undefined;
  }
  const vm = findVm(cfg, name);
  if (!vm) {
    why.reason = `no virtual-machine ${name} is linked to this node's virtual-router yet`;
    return undefined;
  }
  const uuid = vm.vmiUuids[0];
  const f = uuid ? cfg.interfaces.get(uuid) : undefined;
  if (!f) {
    why.reason = `virtual-machine ${vm.name} has no interface yet`;
    return undefined;
  }
  if (f.problems.length > 0) {
    why.reason = `interface ${f.fqName}: ${f.problems.join('; ')}`;
    return undefined;
  }
  const net = f.vnUuid ? cfg.networks.get(f.vnUuid) : undefined;
  if (!net?.vrf) {
    why.reason = `the routing instance of ${net?.fqName ?? 'the interface network'} is not known yet`;
    return undefined;
  }
  return { vm, f, net };
}

function vrfOf(net: NetworkConfig): Vrf {
  return { name: net.vrf!.name, table: vrfTable(net.vni), vni: net.vni, ...(net.fabricSnat ? { onMiss: 'main' as const } : {}) };
}

function localInterface(r: Resolved, env: CniEnv, mtu: number): LocalInterface {
  return { tap: tapName(r.f.uuid), netns: env.netns, ifname: env.ifname, mac: r.f.mac!, ip: r.f.ip!, plen: r.f.plen!, gateway: r.f.gateway!, mtu, vrf: r.net.vrf!.name, uuid: r.f.uuid };
}

/** For an interface the model would not plumb (it is removed by the next render): nothing passes meanwhile. */
const DENY_ALL: InterfacePolicy = { ingress: { default: 'deny', rules: [] }, egress: { default: 'deny', rules: [] } };

function datapathError(err: unknown, what: string): CniError {
  if (err instanceof CniError) return err;
  if (err instanceof DatapathPreconditionError && err.code === 'DATAPATH_NETNS_MISSING') {
    return new CniError('CNI_INVALID_ENV', `CNI_NETNS: ${err.message}`, '', err);
  }
  if (err instanceof DatapathModelError) return new CniError('CNI_INVALID_CONFIG', `${what}: ${err.message}`, err.problems.map((p) => `${p.path}: ${p.message}`).join('; '), err);
  const details = err instanceof TfError && err.details !== undefined ? JSON.stringify(err.details) : '';
  return new CniError('CNI_DATAPATH_FAILED', `${what}: ${errorMessage(err)}`, details, err);
}

async function add(agent: Agent, env: CniEnv, conf: NetConf): Promise<unknown> {
  const pod = podOf(env);
  const name = `${conf.contrail.clusterName}__${pod.namespace}__${pod.name}`;
  const why = { reason: '' };
  const probe = () => (pod.uid ? resolve(agent.config, pod.uid, { reason: '' }) : undefined) ?? resolve(agent.config, name, why);
  const waitMs = interfaceWaitSeconds(conf.contrail, agent.vmiTimeoutMs / 1000) * 1000;
  const t0 = performance.now();
  const r = await agent.waitFor(probe, waitMs);
  const t1 = performance.now();
  if (!r) {
    throw new CniError('CNI_INTERFACE_TIMEOUT', `the interface of pod ${pod.namespace}/${pod.name} did not appear in the config within ${Math.round(waitMs / 1000)} s`, why.reason);
  }
  const mtu = Math.min(conf.contrail.mtu, agent.podMtu);
  const port: PortEntry = {
    vmiUuid: r.f.uuid, vmUuid: r.vm.uuid, vnUuid: r.net.uuid, vmName: name, containerId: env.containerId, tap: tapName(r.f.uuid),
    ifname: env.ifname, netns: env.netns, mtu, time: new Date().toISOString(),
  };
  // The interface as the model will have it once the port is registered: with its policies.
  const preview = agent.previewPort(port);
  const tp = performance.now();
  const iface = preview?.iface ?? { ...localInterface(r, env, mtu), policy: DENY_ALL };
  try {
    await agent.datapath.addPod(iface, preview?.vrf ?? vrfOf(r.net), { addressGroups: preview?.addressGroups ?? [] });
  } catch (err) {
    throw datapathError(err, `plumbing ${iface.tap} into ${env.netns}`);
  }
  const t2 = performance.now();
  agent.putPort(port, { plumbed: true });
  agent.logger.info({ pod: `${pod.namespace}/${pod.name}`, tap: iface.tap, ip: iface.ip, container: env.containerId, waitMs: Math.round(t1 - t0), previewMs: Math.round(tp - t1), plumbMs: Math.round(t2 - tp) }, 'CNI ADD');
  return buildResult(conf.cniVersion, { ifname: env.ifname, mac: iface.mac, sandbox: env.netns, ip: iface.ip, plen: iface.plen, gateway: iface.gateway, ...(r.f.dns ? { dns: r.f.dns } : {}) });
}

async function del(agent: Agent, env: CniEnv): Promise<unknown> {
  const ports = agent.ports.byContainer(env.containerId, env.ifname);
  try {
    const removed = await agent.removePorts(ports);
    if (removed.length > 0) agent.logger.info({ container: env.containerId, taps: removed.map((p) => p.tap) }, 'CNI DEL');
  } catch (err) {
    throw datapathError(err, `removing the interface of container ${env.containerId}`);
  }
  return '';
}

function prevResultIps(prev: unknown): string[] {
  const p = prev as { ips?: { address?: string }[]; ip4?: { ip?: string } } | undefined;
  if (Array.isArray(p?.ips)) return p.ips.map((x) => x.address ?? '').filter((x) => x !== '');
  return p?.ip4?.ip ? [p.ip4.ip] : [];
}

async function check(agent: Agent, env: CniEnv, conf: NetConf): Promise<unknown> {
  if (!supportsCheck(conf.cniVersion)) throw new CniError('CNI_INCOMPATIBLE_VERSION', `CHECK needs cniVersion 0.4.0 or later, got ${conf.cniVersion}`);
  const port = agent.ports.byContainer(env.containerId, env.ifname)[0];
  if (!port) throw new CniError('CNI_UNKNOWN_CONTAINER', `container ${env.containerId} has no interface ${env.ifname} on this node`);
  const why = { reason: '' };
  const r = resolve(agent.config, port.vmUuid, why);
  if (!r || r.f.uuid !== port.vmiUuid) throw new CniError('CNI_CHECK_FAILED', `the interface of container ${env.containerId} is no longer in the config`, why.reason);
  const iface = localInterface(r, { ...env, netns: env.netns || port.netns }, port.mtu ?? agent.podMtu);
  const problems: string[] = [];
  if (env.netns && env.netns !== port.netns) problems.push(`CNI_NETNS ${env.netns} differs from the registered ${port.netns}`);
  const prev = prevResultIps(conf.prevResult);
  if (conf.prevResult !== undefined && !prev.includes(`${iface.ip}/${iface.plen}`)) problems.push(`prevResult lacks ${iface.ip}/${iface.plen} (has ${prev.join(', ') || 'none'})`);
  let res;
  try {
    res = await agent.datapath.checkPod(iface, vrfOf(r.net));
  } catch (err) {
    throw datapathError(err, `checking ${iface.tap}`);
  }
  problems.push(...res.problems);
  if (problems.length > 0) throw new CniError('CNI_CHECK_FAILED', `interface ${env.ifname} of container ${env.containerId} differs from what ADD made`, problems.join('; '));
  return '';
}

/** Runs one CNI command. Throws CniError (or another TfError) for the error JSON. */
export async function handleCni(agent: Agent, req: CniRequest): Promise<CniReply> {
  const env = parseCniEnv(req.vars);
  if (env.command === 'VERSION') return { body: versionInfo(), version: '1.0.0' };
  const conf = parseNetConf(req.stdin);
  const counter = agent.registry.counter('tf_agent_cni_requests_total', 'CNI requests by command and result.');
  const t0 = performance.now();
  agent.cniBegin();
  try {
    const body = env.command === 'ADD' ? await add(agent, env, conf) : env.command === 'DEL' ? await del(agent, env) : await check(agent, env, conf);
    counter.inc({ command: env.command, result: 'ok' });
    if (env.command === 'ADD') agent.registry.histogram('tf_agent_cni_add_seconds', 'CNI ADD time in the agent.').observe((performance.now() - t0) / 1000);
    return { body, version: conf.cniVersion };
  } catch (err) {
    counter.inc({ command: env.command, result: 'error' });
    throw err;
  } finally {
    agent.cniEnd();
  }
}
