// Ports, addresses and environment variables shared by every component (ARCHITECTURE.md "Components").
// Every URL and port has an environment variable and a default; commands read them through here.
import { labIntrospect, labUrl } from './endpoints.js';

export const PORTS = {
  configApi: 8082,
  configIntrospect: 8084,
  transformerIntrospect: 8087,
  controlBgp: 1179,
  controlIntrospect: 8083,
  agentPortApi: 9091,
  agentIntrospect: 8085,
  kubeManagerIntrospect: 8108,
  kubeApi: 6443,
  /** the lab supervisor's own status endpoint (`tfctl lab up`) */
  labIntrospect: 8090,
} as const;

export const ENV = {
  configApi: 'TF_CONFIG_API',
  adminToken: 'TF_ADMIN_TOKEN',
  store: 'TF_STORE',
  controlIntrospect: 'TF_CONTROL_INTROSPECT',
  agentIntrospect: 'TF_AGENT_INTROSPECT',
  kubeApi: 'TF_KUBE_API',
  logLevel: 'TF_LOG_LEVEL',
} as const;

export function envOr(name: string, fallback: string): string {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : v;
}

export const defaultConfigApiUrl = (): string =>
  envOr(ENV.configApi, labUrl('config', 'api') ?? `http://127.0.0.1:${PORTS.configApi}`);
// Introspect defaults: the environment variable, else the first such component of a lab running from
// this directory (./tf-lab/endpoints.json, see endpoints.ts), else the default port on loopback.
export const defaultControlIntrospectUrl = (): string =>
  envOr(ENV.controlIntrospect, labIntrospect('control', 'control') ?? `http://127.0.0.1:${PORTS.controlIntrospect}`);
export const defaultAgentIntrospectUrl = (): string =>
  envOr(ENV.agentIntrospect, labIntrospect('vrouter', 'agent') ?? `http://127.0.0.1:${PORTS.agentIntrospect}`);
