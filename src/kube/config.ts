// kube-manager's configuration: the original's ini file (contrail-kubernetes.conf / kubemanager.conf,
// all sections merged as the original's argparse defaults), dict-valued options as Python literals.
// Pure: loadConfig(text) → KubeManagerConfig or a ConfigError naming the option.
import { parseIni, type IniFile } from '../common/ini.js';
import { parseCidr, formatCidr, cidrOverlaps, type Cidr } from '../common/ip.js';
import { PORTS } from '../common/defaults.js';
import { parsePyStringDict } from '../common/py-literal.js';
import { errorMessage } from '../common/errors.js';
import { ConfigError } from './errors.js';

export interface KubeConnection {
  /** [KUBERNETES] kubeconfig (ours): a kubeconfig file to load */
  kubeconfig?: string;
  /** http://<kubernetes_api_server>:<kubernetes_api_port>, when either is configured */
  url?: string;
  /** [KUBERNETES] kubernetes_api_secure_port (kept for fidelity; TLS goes through a kubeconfig) */
  securePort: number;
}

export interface KubeManagerConfig {
  /** introspect port ([DEFAULTS] http_server_port) */
  httpServerPort: number;
  httpServerIp: string;
  /** pino level derived from the original's SYS_* level */
  logLevel?: string;
  /** accepted for compatibility; kube-manager is event-driven and runs no resync timer */
  kubeTimerInterval: number;
  /** reconcile workers ([DEFAULTS] reconcile_workers, ours) */
  workers: number;
  kube: KubeConnection;
  podSubnets: Cidr[];
  serviceSubnets: Cidr[];
  ipFabricSubnets: Cidr[];
  clusterName: string;
  /** fq_name of the single project every namespace maps to; undefined = multi-tenant */
  clusterProject?: [string, string];
  /** fq_name of an existing VN to use instead of creating cluster-network */
  clusterNetwork?: [string, string, string];
  /** fabric SNAT on the pod networks kube-manager creates, unless a namespace annotation says otherwise */
  ipFabricSnat: boolean;
  /** annotation owner=… on every object ([KUBERNETES] kubernetes_cluster_owner) */
  owner: string;
  /** domain of the cluster's projects ([KUBERNETES] kubernetes_cluster_domain) */
  domain: string;
  vncUrl: string;
  /** fq_name of the default public floating-ip-pool; undefined when not configured */
  publicFipPool?: [string, string, string, string];
  clusterId: string;
  adminToken?: string;
  /** options found but not understood (reported as warnings) */
  unknown: string[];
}

const KNOWN: Record<string, readonly string[]> = {
  DEFAULTS: ['http_server_port', 'http_server_ip', 'log_level', 'log_file', 'log_local', 'log_category', 'use_syslog', 'syslog_facility', 'kube_timer_interval', 'reconcile_workers', 'worker_id', 'collectors', 'orchestrator', 'token', 'nested_mode', 'kube_object_cache', 'api_service_link_local', 'global_tags', 'aps_name', 'logging_conf', 'logger_class', 'disc_server_ip', 'disc_server_port'],
  KUBERNETES: ['kubernetes_api_server', 'kubernetes_api_port', 'kubernetes_api_secure_port', 'kubernetes_service_name', 'kubeconfig', 'pod_subnets', 'service_subnets', 'ip_fabric_subnets', 'cluster_name', 'cluster_project', 'cluster_network', 'cluster_pod_network', 'cluster_service_network', 'ip_fabric_forwarding', 'ip_fabric_snat', 'kubernetes_cluster_owner', 'kubernetes_cluster_domain', 'host_network_service', 'token'],
  VNC: ['vnc_endpoint_ip', 'vnc_endpoint_port', 'public_fip_pool', 'cluster_id', 'admin_token', 'admin_user', 'admin_password', 'admin_tenant', 'rabbit_server', 'rabbit_port', 'rabbit_user', 'rabbit_password', 'rabbit_vhost', 'rabbit_ha_mode', 'rabbit_use_ssl', 'cassandra_server_list', 'cassandra_user', 'cassandra_password', 'zk_server_ip'],
  AUTH: ['auth_token_url', 'auth_user', 'auth_password', 'auth_tenant'],
};

const LOG_LEVELS: Record<string, string> = {
  SYS_EMERG: 'fatal',
  SYS_ALERT: 'fatal',
  SYS_CRIT: 'fatal',
  SYS_ERR: 'error',
  SYS_WARN: 'warn',
  SYS_NOTICE: 'info',
  SYS_INFO: 'info',
  SYS_DEBUG: 'debug',
};

const where = (ini: IniFile, section: string, key: string): string => {
  const line = ini.lines.get(`${section}.${key}`);
  return `[${section}] ${key}${line ? ` (line ${line})` : ''}`;
};

function port(ini: IniFile, section: string, key: string, fallback: number): number {
  const v = ini.get(section, key);
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`${where(ini, section, key)}: not a port number: ${JSON.stringify(v)}`);
  return n;
}

function bool(ini: IniFile, section: string, key: string, fallback: boolean): boolean {
  const v = ini.get(section, key);
  if (v === undefined || v === '') return fallback;
  if (/^(true|yes|on|1)$/i.test(v)) return true;
  if (/^(false|no|off|0)$/i.test(v)) return false;
  throw new ConfigError(`${where(ini, section, key)}: not a boolean: ${JSON.stringify(v)}`);
}

function cidrs(ini: IniFile, section: string, key: string, fallback: string): Cidr[] {
  const v = ini.get(section, key) ?? fallback;
  const out: Cidr[] = [];
  for (const s of v.split(/[\s,]+/).filter((x) => x !== '')) {
    try {
      out.push(parseCidr(s));
    } catch (err) {
      throw new ConfigError(`${where(ini, section, key)}: ${errorMessage(err)} (IPv4 CIDRs only)`);
    }
  }
  return out;
}

function dict(ini: IniFile, section: string, key: string, required: readonly string[], optional: readonly string[] = []): Record<string, string> | undefined {
  const v = ini.get(section, key);
  if (v === undefined || v.trim() === '' || v.trim() === '{}' || v.trim() === 'None') return undefined;
  let d: Record<string, string>;
  try {
    d = parsePyStringDict(v);
  } catch (err) {
    throw new ConfigError(`${where(ini, section, key)}: ${errorMessage(err)}`);
  }
  if (Object.keys(d).length === 0) return undefined;
  for (const k of required) {
    if (!d[k]) throw new ConfigError(`${where(ini, section, key)}: missing '${k}' in ${v}`);
  }
  for (const k of Object.keys(d)) {
    if (!required.includes(k) && !optional.includes(k)) throw new ConfigError(`${where(ini, section, key)}: unexpected key '${k}' in ${v}`);
  }
  return d;
}

function checkNoOverlap(groups: [string, Cidr[]][]): void {
  const all = groups.flatMap(([name, list]) => list.map((c) => [name, c] as const));
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      if (cidrOverlaps(all[i][1], all[j][1])) {
        throw new ConfigError(`${all[i][0]} ${formatCidr(all[i][1])} overlaps ${all[j][0]} ${formatCidr(all[j][1])}`);
      }
    }
  }
}

/** Reads a kube-manager ini file. Defaults are the original's (reference "Config file"). */
export function loadConfig(text: string): KubeManagerConfig {
  let ini: IniFile;
  try {
    ini = parseIni(text);
  } catch (err) {
    throw new ConfigError(errorMessage(err), 'KM_CONFIG_SYNTAX');
  }
  const unknown: string[] = [];
  for (const [section, values] of ini.sections) {
    const known = KNOWN[section];
    if (!known) continue;
    for (const key of values.keys()) if (!known.includes(key) && ini.lines.has(`${section}.${key}`)) unknown.push(`[${section}] ${key}`);
  }
  const logLevelRaw = ini.get('DEFAULTS', 'log_level');
  let logLevel: string | undefined;
  if (logLevelRaw) {
    logLevel = LOG_LEVELS[logLevelRaw.toUpperCase()] ?? (/^(trace|debug|info|warn|error|fatal|silent)$/.test(logLevelRaw) ? logLevelRaw : undefined);
    if (!logLevel) throw new ConfigError(`${where(ini, 'DEFAULTS', 'log_level')}: unknown level ${JSON.stringify(logLevelRaw)} (SYS_DEBUG … SYS_EMERG)`);
  }
  const workersRaw = ini.get('DEFAULTS', 'reconcile_workers');
  const workers = workersRaw === undefined || workersRaw === '' ? 64 : Number(workersRaw);
  if (!Number.isInteger(workers) || workers < 1 || workers > 1024) throw new ConfigError(`${where(ini, 'DEFAULTS', 'reconcile_workers')}: must be an integer in 1..1024`);
  const timerRaw = ini.get('DEFAULTS', 'kube_timer_interval');
  const kubeTimerInterval = timerRaw === undefined || timerRaw === '' ? 60 : Number(timerRaw);
  if (!Number.isFinite(kubeTimerInterval) || kubeTimerInterval < 0) throw new ConfigError(`${where(ini, 'DEFAULTS', 'kube_timer_interval')}: not a number`);

  const domain = ini.get('KUBERNETES', 'kubernetes_cluster_domain') || 'default-domain';
  const projectDict = dict(ini, 'KUBERNETES', 'cluster_project', ['project'], ['domain']);
  const networkDict = dict(ini, 'KUBERNETES', 'cluster_network', ['project', 'name'], ['domain']);
  const poolDict = dict(ini, 'VNC', 'public_fip_pool', ['project', 'network', 'name'], ['domain']);

  const podSubnets = cidrs(ini, 'KUBERNETES', 'pod_subnets', '10.32.0.0/12');
  const serviceSubnets = cidrs(ini, 'KUBERNETES', 'service_subnets', '10.96.0.0/12');
  const ipFabricSubnets = cidrs(ini, 'KUBERNETES', 'ip_fabric_subnets', '10.64.0.0/12');
  if (podSubnets.length === 0) throw new ConfigError('[KUBERNETES] pod_subnets: at least one subnet is required');
  if (serviceSubnets.length === 0) throw new ConfigError('[KUBERNETES] service_subnets: at least one subnet is required');
  checkNoOverlap([
    ['pod_subnets', podSubnets],
    ['service_subnets', serviceSubnets],
    ['ip_fabric_subnets', ipFabricSubnets],
  ]);

  const apiServer = ini.get('KUBERNETES', 'kubernetes_api_server');
  const apiPortRaw = ini.get('KUBERNETES', 'kubernetes_api_port');
  const kube: KubeConnection = {
    kubeconfig: ini.get('KUBERNETES', 'kubeconfig') || undefined,
    securePort: port(ini, 'KUBERNETES', 'kubernetes_api_secure_port', 6443),
  };
  if (apiServer || apiPortRaw) {
    const host = apiServer || 'localhost';
    const p = port(ini, 'KUBERNETES', 'kubernetes_api_port', 8080);
    kube.url = /^https?:\/\//.test(host) ? host : `http://${host.includes(':') ? `[${host}]` : host}:${p}`;
  }

  const vncIp = (ini.get('VNC', 'vnc_endpoint_ip') || '127.0.0.1').replace(/^\[|\]$/g, '').split(/[\s,]+/)[0];
  const vncPort = port(ini, 'VNC', 'vnc_endpoint_port', PORTS.configApi);
  const vncUrl = /^https?:\/\//.test(vncIp) ? vncIp : `http://${vncIp.includes(':') ? `[${vncIp}]` : vncIp}:${vncPort}`;

  // Gateway-less pods on the fabric (pod networks on ip-fabric-ipam) need underlay routing of pod
  // addresses, which the datapath does not do: refuse rather than quietly give overlay addresses.
  if (bool(ini, 'KUBERNETES', 'ip_fabric_forwarding', false)) {
    throw new ConfigError(`${where(ini, 'KUBERNETES', 'ip_fabric_forwarding')}: True is not supported (pods get overlay addresses; ip_fabric_snat gives them outbound access through their node)`, 'KM_CONFIG_UNSUPPORTED');
  }
  const clusterName = ini.get('KUBERNETES', 'cluster_name') || 'k8s-default';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(clusterName)) throw new ConfigError(`${where(ini, 'KUBERNETES', 'cluster_name')}: invalid name ${JSON.stringify(clusterName)}`);

  return {
    httpServerPort: port(ini, 'DEFAULTS', 'http_server_port', PORTS.kubeManagerIntrospect),
    httpServerIp: ini.get('DEFAULTS', 'http_server_ip') || '127.0.0.1',
    logLevel,
    kubeTimerInterval,
    workers,
    kube,
    podSubnets,
    serviceSubnets,
    ipFabricSubnets,
    clusterName,
    clusterProject: projectDict ? [projectDict.domain || domain, projectDict.project] : undefined,
    clusterNetwork: networkDict ? [networkDict.domain || domain, networkDict.project, networkDict.name] : undefined,
    ipFabricSnat: bool(ini, 'KUBERNETES', 'ip_fabric_snat', false),
    owner: ini.get('KUBERNETES', 'kubernetes_cluster_owner') || 'k8s',
    domain,
    vncUrl,
    publicFipPool: poolDict ? [poolDict.domain || domain, poolDict.project, poolDict.network, poolDict.name] : undefined,
    clusterId: ini.get('VNC', 'cluster_id') ?? '',
    adminToken: ini.get('VNC', 'admin_token') || undefined,
    unknown,
  };
}

/** A pool / network reference from an annotation value: JSON '{"domain":…, "project":…, "name":…}'. */
export function parseFqDictAnnotation(value: string, keys: readonly string[], domain: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    // The original read these with ast.literal_eval as well: accept Python dict syntax too.
    try {
      parsed = parsePyStringDict(value);
    } catch {
      throw new Error(`not a JSON object: ${value}`);
    }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`not a JSON object: ${value}`);
  const o = parsed as Record<string, unknown>;
  const out: string[] = [];
  for (const k of keys) {
    const v = k === 'domain' ? (o[k] ?? domain) : o[k];
    if (typeof v !== 'string' || v === '') throw new Error(`missing or empty "${k}" in ${value}`);
    out.push(v);
  }
  for (const k of Object.keys(o)) if (!keys.includes(k) && k !== 'namespace') throw new Error(`unexpected key "${k}" in ${value}`);
  return out;
}
