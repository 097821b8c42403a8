// A kubeconfig for a plain API server URL (the original's kubernetes_api_server/kubernetes_api_port).
// client-node refuses http:// servers unless TLS verification is marked off. Pure.
import { stringify } from 'yaml';

export function renderLoopbackKubeconfig(server: string): string {
  const name = 'kube-manager';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, ...(server.startsWith('http://') ? { 'insecure-skip-tls-verify': true } : {}) } }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
    users: [{ name, user: {} }],
  });
}
