// The CNI runtime environment (CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS, CNI_PATH)
// checked as the spec requires per command, and CNI_ARGS parsed ("K=V;K=V"). Pure: tf-cni forwards the
// variables to the agent as HTTP headers (envFromHeaders), the agent validates them here.
import { CniError } from './errors.js';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION';
export const CNI_COMMANDS: readonly CniCommand[] = ['ADD', 'DEL', 'CHECK', 'VERSION'];

export interface CniEnv {
  command: CniCommand;
  containerId: string;
  /** path of the pod's network namespace; '' when not given (allowed for DEL) */
  netns: string;
  ifname: string;
  /** CNI_ARGS as key → value */
  args: Record<string, string>;
  path: string;
}

/** The header tf-cni sends each variable in. */
export const ENV_HEADERS: Readonly<Record<string, string>> = {
  CNI_COMMAND: 'x-cni-command',
  CNI_CONTAINERID: 'x-cni-containerid',
  CNI_NETNS: 'x-cni-netns',
  CNI_IFNAME: 'x-cni-ifname',
  CNI_ARGS: 'x-cni-args',
  CNI_PATH: 'x-cni-path',
};

/** Reads the variables from request headers (lower-case names, as node:http gives them). */
export function envFromHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, header] of Object.entries(ENV_HEADERS)) {
    const v = headers[header];
    out[name] = Array.isArray(v) ? v[0] : v;
  }
  return out;
}

/** "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web" → {…}. A pair without '=' is an error. */
export function parseCniArgs(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(';')) {
    if (part.trim() === '') continue;
    const i = part.indexOf('=');
    if (i <= 0) throw new CniError('CNI_INVALID_ENV', `CNI_ARGS: ${JSON.stringify(part)} is not KEY=VALUE`);
    out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

// Linux interface names: 1-15 bytes, no '/', whitespace, ':' (the kernel's dev_valid_name, stricter).
const IFNAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;

/** Validates the environment for its command (spec §"Parameters"); throws CNI_INVALID_ENV naming the variable. */
export function parseCniEnv(vars: Record<string, string | undefined>): CniEnv {
  const get = (k: string): string => (vars[k] ?? '').trim();
  const command = get('CNI_COMMAND');
  if (command === '') throw new CniError('CNI_INVALID_ENV', 'CNI_COMMAND is not set');
  if (!(CNI_COMMANDS as readonly string[]).includes(command)) {
    throw new CniError('CNI_INVALID_ENV', `CNI_COMMAND ${JSON.stringify(command)} is not supported (${CNI_COMMANDS.join(', ')})`);
  }
  const env: CniEnv = {
    command: command as CniCommand,
    containerId: get('CNI_CONTAINERID'),
    netns: get('CNI_NETNS'),
    ifname: get('CNI_IFNAME'),
    args: parseCniArgs(vars.CNI_ARGS ?? ''),
    path: get('CNI_PATH'),
  };
  if (env.command === 'VERSION') return env;
  const required = env.command === 'DEL' ? ['CNI_CONTAINERID', 'CNI_IFNAME'] : ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'];
  const missing = required.filter((k) => get(k) === '');
  if (missing.length > 0) throw new CniError('CNI_INVALID_ENV', `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set (required for ${env.command})`);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(env.containerId)) {
    throw new CniError('CNI_INVALID_ENV', `CNI_CONTAINERID ${JSON.stringify(env.containerId)} must start with an alphanumeric and contain only alphanumerics, '_', '.', '-'`);
  }
  if (!IFNAME_RE.test(env.ifname) || env.ifname === '.' || env.ifname === '..') {
    throw new CniError('CNI_INVALID_ENV', `CNI_IFNAME ${JSON.stringify(env.ifname)} is not a valid interface name (1-15 characters of [A-Za-z0-9_.-])`);
  }
  if (env.netns !== '' && (!env.netns.startsWith('/') || /[\s\0]/.test(env.netns))) {
    throw new CniError('CNI_INVALID_ENV', `CNI_NETNS ${JSON.stringify(env.netns)} must be an absolute path`);
  }
  return env;
}

/** The pod a Kubernetes runtime names in CNI_ARGS (K8S_POD_NAMESPACE, K8S_POD_NAME, optional K8S_POD_UID). */
export function podOf(env: CniEnv): { namespace: string; name: string; uid?: string } {
  const namespace = env.args.K8S_POD_NAMESPACE ?? '';
  const name = env.args.K8S_POD_NAME ?? '';
  if (namespace === '' || name === '') {
    throw new CniError('CNI_INVALID_ENV', 'CNI_ARGS must name the pod (K8S_POD_NAMESPACE and K8S_POD_NAME)', `CNI_ARGS=${Object.entries(env.args).map(([k, v]) => `${k}=${v}`).join(';')}`);
  }
  const uid = env.args.K8S_POD_UID;
  return { namespace, name, ...(uid ? { uid } : {}) };
}
