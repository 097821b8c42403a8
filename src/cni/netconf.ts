// The network configuration kubelet gives the plugin on stdin: the spec's fields (cniVersion, name,
// type, prevResult for CHECK) and the original's `contrail` block (contrail-k8s-cni). Pure: bad input is
// a CniError with the spec's code (6 undecodable, 7 invalid, 1 unsupported version), nothing else.
import { CniError } from './errors.js';
import { compareVersions, isSupportedVersion, SUPPORTED_VERSIONS, type CniVersion } from './versions.js';

export interface ContrailConf {
  /** prefix of the VM name the agent looks up: <cluster-name>__<namespace>__<pod> */
  clusterName: string;
  mode: 'k8s';
  vifType: 'veth';
  /** largest pod MTU; the agent uses the smaller of this and the VXLAN MTU (underlay − 50) */
  mtu: number;
  /** seconds between the original's /vm-cfg polls; with pollRetries bounds the wait for the interface */
  pollTimeout: number;
  pollRetries: number;
  /** the agent's unix socket (read by the tf-cni script; informational here) */
  agentSocket?: string;
  /** the original's fields that have no effect here, kept for introspect */
  vrouterIp?: string;
  vrouterPort?: number;
  configDir?: string;
  logFile?: string;
  logLevel?: string;
}

export interface NetConf {
  cniVersion: CniVersion;
  name: string;
  type: string;
  contrail: ContrailConf;
  prevResult?: unknown;
  /** the whole decoded object */
  raw: Record<string, unknown>;
}

export const CONTRAIL_DEFAULTS: ContrailConf = { clusterName: 'k8s', mode: 'k8s', vifType: 'veth', mtu: 1500, pollTimeout: 3, pollRetries: 20 };

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

function str(o: Record<string, unknown>, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new CniError('CNI_INVALID_CONFIG', `${where}${key} must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function int(o: Record<string, unknown>, key: string, where: string, min: number, max: number): number | undefined {
  let v = o[key];
  if (v === undefined || v === null) return undefined;
  // The original's example config carries numbers as strings in places ("log-level": "4"); accept digits.
  if (typeof v === 'string' && /^\d+$/.test(v)) v = Number(v);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new CniError('CNI_INVALID_CONFIG', `${where}${key} must be an integer in ${min}..${max}, got ${JSON.stringify(o[key])}`);
  }
  return v;
}

function parseContrail(v: unknown): ContrailConf {
  if (v === undefined || v === null) return { ...CONTRAIL_DEFAULTS };
  if (typeof v !== 'object' || Array.isArray(v)) throw new CniError('CNI_INVALID_CONFIG', `contrail must be an object, got ${JSON.stringify(v)}`);
  const o = v as Record<string, unknown>;
  const w = 'contrail.';
  const clusterName = str(o, 'cluster-name', w) ?? CONTRAIL_DEFAULTS.clusterName;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(clusterName)) throw new CniError('CNI_INVALID_CONFIG', `contrail.cluster-name ${JSON.stringify(clusterName)} is not a valid name`);
  const mode = str(o, 'mode', w) ?? 'k8s';
  if (mode !== 'k8s') throw new CniError('CNI_INVALID_CONFIG', `contrail.mode ${JSON.stringify(mode)} is not supported (k8s)`);
  const vifType = str(o, 'vif-type', w) ?? 'veth';
  if (vifType !== 'veth') throw new CniError('CNI_INVALID_CONFIG', `contrail.vif-type ${JSON.stringify(vifType)} is not supported (veth)`);
  const agentSocket = str(o, 'agent-socket', w);
  if (agentSocket !== undefined && !agentSocket.startsWith('/')) throw new CniError('CNI_INVALID_CONFIG', `contrail.agent-socket must be an absolute path, got ${JSON.stringify(agentSocket)}`);
  const out: ContrailConf = {
    clusterName,
    mode: 'k8s',
    vifType: 'veth',
    mtu: int(o, 'mtu', w, 68, 65535) ?? CONTRAIL_DEFAULTS.mtu,
    pollTimeout: int(o, 'poll-timeout', w, 0, 3600) ?? CONTRAIL_DEFAULTS.pollTimeout,
    pollRetries: int(o, 'poll-retries', w, 0, 10_000) ?? CONTRAIL_DEFAULTS.pollRetries,
  };
  const opt: Partial<ContrailConf> = {
    agentSocket,
    vrouterIp: str(o, 'vrouter-ip', w),
    vrouterPort: int(o, 'vrouter-port', w, 1, 65535),
    configDir: str(o, 'config-dir', w),
    logFile: str(o, 'log-file', w),
    logLevel: typeof o['log-level'] === 'string' || typeof o['log-level'] === 'number' ? String(o['log-level']) : undefined,
  };
  for (const [k, val] of Object.entries(opt)) if (val !== undefined) (out as unknown as Record<string, unknown>)[k] = val;
  return out;
}

/** Decodes and checks the netconf text. */
export function parseNetConf(text: string): NetConf {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CniError('CNI_DECODE_FAILED', 'the network configuration on stdin is not JSON', err instanceof Error ? err.message : String(err));
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new CniError('CNI_DECODE_FAILED', 'the network configuration must be a JSON object');
  const o = raw as Record<string, unknown>;
  const version = o.cniVersion === undefined ? '0.2.0' : o.cniVersion;
  if (typeof version !== 'string') throw new CniError('CNI_INVALID_CONFIG', `cniVersion must be a string, got ${JSON.stringify(version)}`);
  if (!isSupportedVersion(version)) {
    throw new CniError('CNI_INCOMPATIBLE_VERSION', `CNI version ${version} is not supported`, `supported versions: ${SUPPORTED_VERSIONS.join(', ')}`);
  }
  const name = str(o, 'name', '');
  if (name === undefined || name === '') throw new CniError('CNI_INVALID_CONFIG', 'name is required');
  if (!NAME_RE.test(name)) throw new CniError('CNI_INVALID_CONFIG', `name ${JSON.stringify(name)} must start with an alphanumeric and contain only alphanumerics, '_', '.', '-'`);
  const type = str(o, 'type', '');
  if (type === undefined || type === '') throw new CniError('CNI_INVALID_CONFIG', 'type is required');
  return { cniVersion: version, name, type, contrail: parseContrail(o.contrail), ...(o.prevResult !== undefined ? { prevResult: o.prevResult } : {}), raw: o };
}

/** CHECK exists from 0.4.0 on. */
export function supportsCheck(v: string): boolean {
  return compareVersions(v, '0.4.0') >= 0;
}

/** Seconds a CNI ADD may wait for the pod's interface: poll-timeout × poll-retries, capped by the agent's limit. */
export function interfaceWaitSeconds(c: ContrailConf, agentLimit: number): number {
  return Math.min(agentLimit, c.pollTimeout * c.pollRetries);
}
