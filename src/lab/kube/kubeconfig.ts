// A kubeconfig for the lab API, for kubectl and client libraries. Pure.
import { stringify } from 'yaml';

export interface KubeconfigOptions {
  server: string;
  /** context, cluster and user name (default tungsten-lab) */
  name?: string;
  namespace?: string;
  /** PEM CA for an https server */
  caPem?: string;
}

export function renderKubeconfig(opts: KubeconfigOptions): string {
  const name = opts.name ?? 'tungsten-lab';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster: {
          server: opts.server,
          ...(opts.caPem ? { 'certificate-authority-data': Buffer.from(opts.caPem).toString('base64') } : {}),
          // @kubernetes/client-node refuses plain http:// unless TLS verification is marked off
          ...(opts.server.startsWith('http://') ? { 'insecure-skip-tls-verify': true } : {}),
        },
      },
    ],
    contexts: [{ name, context: { cluster: name, user: name, ...(opts.namespace ? { namespace: opts.namespace } : {}) } }],
    'current-context': name,
    users: [{ name, user: {} }],
    preferences: {},
  });
}
