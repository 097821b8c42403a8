// The agent's options, their defaults and validation (AGENT_BAD_OPTION naming the field). Pure.
import { isIpv4 } from '../common/ip.js';
import { AgentOptionError } from './errors.js';
import type { ControlEndpoint } from './bgp.js';

export const DEFAULT_CNI_SOCKET = '/var/run/tungsten/agent.sock';
export const DEFAULT_STATE_DIR = '/var/lib/tungsten/agent';
export const DEFAULT_CONTROL_PORT = 1179;

export interface Endpoint {
  host: string;
  port: number;
}

/** "a:p,b:p" (port defaults to 1179); at most two control nodes, as the original. */
export function parseControls(s: string): ControlEndpoint[] {
  const out: ControlEndpoint[] = [];
  for (const part of s.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
    const m = /^([^:]+)(?::(\d{1,5}))?$/.exec(part);
    const port = m?.[2] === undefined ? DEFAULT_CONTROL_PORT : Number(m[2]);
    if (!m || !isIpv4(m[1]) || port < 1 || port > 65535) throw new AgentOptionError(`--control: ${JSON.stringify(part)} is not <ipv4>[:port]`, 'control');
    if (out.some((c) => c.address === m[1])) throw new AgentOptionError(`--control: ${m[1]} is listed twice`, 'control');
    out.push({ address: m[1], port });
  }
  if (out.length === 0) throw new AgentOptionError('--control needs at least one control node (ip:port)', 'control');
  if (out.length > 2) throw new AgentOptionError(`--control: an agent peers with at most two control nodes, got ${out.length}`, 'control');
  return out;
}

/** "host:port" (port 0 = any free port). */
export function parseEndpoint(s: string, field: string): Endpoint {
  const m = /^(.+):(\d{1,5})$/.exec(s);
  if (!m || Number(m[2]) > 65535 || !(isIpv4(m[1]) || m[1] === 'localhost')) throw new AgentOptionError(`--${field}: ${JSON.stringify(s)} is not <ipv4>:<port>`, field);
  return { host: m[1], port: Number(m[2]) };
}

export function checkNodeName(node: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/.test(node)) throw new AgentOptionError(`--node: ${JSON.stringify(node)} is not a valid node name`, 'node');
}

export function checkIp(ip: string): void {
  if (!isIpv4(ip) || ip === '0.0.0.0') throw new AgentOptionError(`--ip: ${JSON.stringify(ip)} is not a usable IPv4 address`, 'ip');
}

export function checkSeconds(v: number, field: string, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new AgentOptionError(`--${field} must be an integer in ${min}..${max}, got ${v}`, field);
}

export function checkSocketPath(p: string): void {
  if (!p.startsWith('/') || Buffer.byteLength(p) > 107) throw new AgentOptionError(`--cni-socket must be an absolute path of at most 107 bytes, got ${JSON.stringify(p)}`, 'cni-socket');
}
