// Ports, addresses and environment variables shared by every component (ARCHITECTURE.md "Components").
// Every URL and port has an environment variable and a default; commands read them through here.

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

export const defaultConfigApiUrl = (): string => envOr(ENV.configApi, `http://127.0.0.1:${PORTS.configApi}`);
export const defaultControlIntrospectUrl = (): string => envOr(ENV.controlIntrospect, `http://127.0.0.1:${PORTS.controlIntrospect}`);
export const defaultAgentIntrospectUrl = (): string => envOr(ENV.agentIntrospect, `http://127.0.0.1:${PORTS.agentIntrospect}`);
