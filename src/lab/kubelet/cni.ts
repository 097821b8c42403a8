// Runs CNI plugins as a kubelet's container runtime does (CNI spec 1.0, with 0.3.x/0.4.0 results
// accepted): the network configuration is the first *.conf / *.conflist / *.json file (in name order)
// of the configuration directory; each plugin binary is found on CNI_PATH and run with CNI_COMMAND,
// CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS and CNI_PATH in its environment and its network
// configuration on stdin. A conflist is run in order for ADD, each plugin getting the previous
// result as prevResult, and in reverse for DEL with the cached ADD result. With a node network
// namespace, plugins run inside it (`ip netns exec <node-ns> <plugin>`).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TfError } from '../../common/errors.js';
import { isObject } from '../kube/types.js';

export type CniErrorCode = 'CNI_NO_CONFIG' | 'CNI_BAD_CONFIG' | 'CNI_PLUGIN_NOT_FOUND' | 'CNI_PLUGIN_FAILED' | 'CNI_BAD_RESULT' | 'CNI_TIMEOUT';

export class CniError extends TfError {
  declare readonly code: CniErrorCode;
  constructor(code: CniErrorCode, message: string, details?: unknown) {
    super(code, message, { status: 500, details });
  }
}

export type PluginConf = Record<string, unknown> & { type: string };

export interface NetworkConfig {
  /** the file it came from */
  file: string;
  name: string;
  cniVersion: string;
  plugins: PluginConf[];
}

/** Parses one configuration file's text. Pure. */
export function parseNetworkConfig(file: string, text: string): NetworkConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CniError('CNI_BAD_CONFIG', `${file}: not JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw new CniError('CNI_BAD_CONFIG', `${file}: not a JSON object`);
  const name = doc.name;
  if (typeof name !== 'string' || name === '') throw new CniError('CNI_BAD_CONFIG', `${file}: no network name`);
  const cniVersion = typeof doc.cniVersion === 'string' ? doc.cniVersion : '0.2.0';
  if (file.endsWith('.conflist') || Array.isArray(doc.plugins)) {
    if (!Array.isArray(doc.plugins) || doc.plugins.length === 0) throw new CniError('CNI_BAD_CONFIG', `${file}: a conflist needs a non-empty "plugins" list`);
    const plugins = doc.plugins.map((p, i) => {
      if (!isObject(p) || typeof p.type !== 'string' || p.type === '') throw new CniError('CNI_BAD_CONFIG', `${file}: plugins[${i}] has no "type"`);
      return p as PluginConf;
    });
    return { file, name, cniVersion, plugins };
  }
  if (typeof doc.type !== 'string' || doc.type === '') throw new CniError('CNI_BAD_CONFIG', `${file}: no plugin "type"`);
  return { file, name, cniVersion, plugins: [doc as PluginConf] };
}

/** The first network configuration of a directory, as libcni's ConfFiles + sort. */
export function loadNetworkConfig(confDir: string): NetworkConfig {
  let entries: string[];
  try {
    entries = readdirSync(confDir);
  } catch (err) {
    throw new CniError('CNI_NO_CONFIG', `no network config found in ${confDir}: ${(err as Error).message}`);
  }
  const files = entries.filter((f) => /\.(conf|conflist|json)$/.test(f)).sort();
  if (files.length === 0) throw new CniError('CNI_NO_CONFIG', `no network config found in ${confDir}`);
  const file = join(confDir, files[0]);
  return parseNetworkConfig(file, readFileSync(file, 'utf8'));
}

/** The stdin of one plugin of a list. Pure. */
export function pluginStdin(net: NetworkConfig, plugin: PluginConf, prevResult: unknown): Record<string, unknown> {
  const conf: Record<string, unknown> = { ...plugin, cniVersion: net.cniVersion, name: net.name };
  if (prevResult !== undefined) conf.prevResult = prevResult;
  else delete conf.prevResult;
  return conf;
}

export function versionAtLeast(v: string, major: number, minor: number): boolean {
  const [a, b] = v.split('.').map((x) => Number(x));
  return a > major || (a === major && (b ?? 0) >= minor);
}

export interface CniParams {
  containerId: string;
  /** path of the pod's network namespace, e.g. /var/run/netns/lab-<uid> */
  netnsPath: string;
  ifName: string;
  podNamespace: string;
  podName: string;
  podUid: string;
}

/** The environment of a plugin call (added to PATH etc.). Pure. */
export function cniEnv(command: 'ADD' | 'DEL' | 'CHECK', p: CniParams, binDirs: readonly string[]): Record<string, string> {
  return {
    CNI_COMMAND: command,
    CNI_CONTAINERID: p.containerId,
    CNI_NETNS: p.netnsPath,
    CNI_IFNAME: p.ifName,
    CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${p.podNamespace};K8S_POD_NAME=${p.podName};K8S_POD_INFRA_CONTAINER_ID=${p.containerId};K8S_POD_UID=${p.podUid}`,
    CNI_PATH: binDirs.join(':'),
  };
}

export interface CniIp {
  address: string;
  gateway?: string;
  interface?: number;
}

/** The pod's IPv4 addresses from a result of any supported version. Pure. */
export function resultIps(result: unknown): CniIp[] {
  if (!isObject(result)) return [];
  if (Array.isArray(result.ips)) {
    const ifaces = Array.isArray(result.interfaces) ? result.interfaces : [];
    const ips = result.ips.filter(isObject).map((ip) => ({
      address: String(ip.address as string),
      ...(typeof ip.gateway === 'string' ? { gateway: ip.gateway } : {}),
      ...(typeof ip.interface === 'number' ? { interface: ip.interface } : {}),
    }));
    // prefer addresses on an interface inside the sandbox
    const inSandbox = ips.filter((ip) => ip.interface === undefined || (isObject(ifaces[ip.interface]) && typeof (ifaces[ip.interface] as Record<string, unknown>).sandbox === 'string' && (ifaces[ip.interface] as Record<string, unknown>).sandbox !== ''));
    return inSandbox.length ? inSandbox : ips;
  }
  const ip4 = result.ip4; // CNI 0.1/0.2
  if (isObject(ip4) && typeof ip4.ip === 'string') return [{ address: ip4.ip, ...(typeof ip4.gateway === 'string' ? { gateway: ip4.gateway } : {}) }];
  return [];
}

export function podIpsOf(result: unknown): string[] {
  return resultIps(result)
    .map((ip) => ip.address.split('/')[0])
    .filter((a) => a !== '');
}

export interface CniRunnerOptions {
  binDirs: string[];
  /** run plugins inside this network namespace (the lab node's) */
  nodeNetns?: string;
  timeoutMs?: number;
}

function findPlugin(type: string, binDirs: readonly string[]): string {
  if (type.includes('/')) throw new CniError('CNI_BAD_CONFIG', `invalid plugin type ${JSON.stringify(type)}`);
  for (const d of binDirs) {
    const p = join(d, type);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* next dir */
    }
  }
  throw new CniError('CNI_PLUGIN_NOT_FOUND', `failed to find plugin "${type}" in path [${binDirs.join(' ')}]`);
}

export class CniRunner {
  readonly #o: CniRunnerOptions;

  constructor(o: CniRunnerOptions) {
    this.#o = o;
  }

  /** Runs one plugin; resolves with its parsed stdout (undefined when empty). */
  exec(type: string, command: 'ADD' | 'DEL' | 'CHECK', stdin: unknown, params: CniParams): Promise<unknown> {
    const bin = findPlugin(type, this.#o.binDirs);
    const [cmd, args] = this.#o.nodeNetns ? ['ip', ['netns', 'exec', this.#o.nodeNetns, bin]] : [bin, []];
    const env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...cniEnv(command, params, this.#o.binDirs) };
    const timeout = this.#o.timeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new CniError('CNI_TIMEOUT', `plugin ${type} ${command} timed out after ${timeout} ms`));
      }, timeout);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new CniError('CNI_PLUGIN_FAILED', `plugin ${type} ${command}: ${e.message}`));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        let parsed: unknown;
        try {
          parsed = out.trim() === '' ? undefined : JSON.parse(out);
        } catch {
          parsed = undefined;
        }
        if (code !== 0) {
          const e = isObject(parsed) ? parsed : {};
          const msg = typeof e.msg === 'string' ? e.msg : err.trim() || out.trim() || `exit status ${code}`;
          const details = typeof e.details === 'string' && e.details ? `; ${e.details}` : '';
          return reject(new CniError('CNI_PLUGIN_FAILED', `plugin type="${type}" failed (${command.toLowerCase()}): ${msg}${details}`, { code: e.code, stderr: err.trim() }));
        }
        if (command === 'ADD' && !isObject(parsed)) return reject(new CniError('CNI_BAD_RESULT', `plugin ${type} ADD printed no JSON result: ${out.trim().slice(0, 200)}`));
        resolve(parsed);
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(JSON.stringify(stdin));
    });
  }

  /** ADD through the whole list; resolves with the final result. */
  async add(net: NetworkConfig, params: CniParams): Promise<unknown> {
    let prev: unknown;
    for (const plugin of net.plugins) prev = await this.exec(plugin.type, 'ADD', pluginStdin(net, plugin, prev), params);
    return prev;
  }

  /** DEL through the list in reverse; every plugin runs even if one fails, the first error is thrown. */
  async del(net: NetworkConfig, params: CniParams, cachedResult: unknown): Promise<void> {
    let first: Error | undefined;
    // prevResult on DEL exists from spec 0.4.0 on
    const prev = versionAtLeast(net.cniVersion, 0, 4) ? cachedResult : undefined;
    for (const plugin of [...net.plugins].reverse()) {
      try {
        await this.exec(plugin.type, 'DEL', pluginStdin(net, plugin, prev), params);
      } catch (err) {
        first ??= err instanceof Error ? err : new Error(String(err));
      }
    }
    if (first) throw first;
  }
}
