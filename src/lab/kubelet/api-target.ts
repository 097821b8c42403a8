// Where a lab process finds the Kubernetes API: --kubeconfig, else --server, else $TF_KUBE_API,
// else http://127.0.0.1:6443.
import { ENV, PORTS, envOr } from '../../common/defaults.js';
import { HttpKubeClient, kubeconfigClientOptions } from '../kube/http-client.js';

export function apiClient(server: string | undefined, kubeconfig: string | undefined): HttpKubeClient {
  if (kubeconfig) return new HttpKubeClient(kubeconfigClientOptions(kubeconfig));
  return new HttpKubeClient({ server: server ?? envOr(ENV.kubeApi, `http://127.0.0.1:${PORTS.kubeApi}`) });
}
