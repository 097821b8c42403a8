// tfctl serve kube-manager: Kubernetes namespaces, pods, services, endpoints, network policies and
// ingresses as VNC objects (ARCHITECTURE.md "Command lines").
import { readFileSync } from 'node:fs';
import { errorMessage } from '../common/errors.js';
import { PORTS } from '../common/defaults.js';
import { createLogger } from '../common/log.js';
import { loadConfig, type KubeManagerConfig } from '../kube/config.js';
import { KubeManager } from '../kube/manager.js';
import { intOption, parseCommandArgs, type CommandModule } from './command.js';

const usage = `usage: tfctl serve kube-manager --config kubemanager.conf [--introspect-port ${PORTS.kubeManagerIntrospect}]

Watches a Kubernetes API server (kubeconfig, in-cluster, or [KUBERNETES] kubernetes_api_server /
kubernetes_api_port) and keeps the VNC config API ([VNC] vnc_endpoint_ip / vnc_endpoint_port) in
step: projects, networks and security groups per namespace, a VM, interface and instance IP per pod,
a native load balancer per service, security groups per NetworkPolicy. The configuration is the
original's ini file (contrail-kubernetes.conf); see examples/kubemanager-*.conf and
docs/kube-manager.md.

  --config           the ini file (required)
  --introspect-port  /healthz, /metrics, /status     default [DEFAULTS] http_server_port (${PORTS.kubeManagerIntrospect})`;

const command: CommandModule = {
  summary: 'run kube-manager (Kubernetes → VNC)',
  usage,
  async run(args) {
    const { values, help } = parseCommandArgs(args, { config: { type: 'string', short: 'c' }, 'introspect-port': { type: 'string' } }, false);
    if (help) {
      console.log(usage);
      return 0;
    }
    if (!values.config) {
      console.error(`tfctl serve kube-manager: --config is required\n\n${usage}`);
      return 2;
    }
    let cfg: KubeManagerConfig;
    try {
      cfg = loadConfig(readFileSync(values.config, 'utf8'));
    } catch (err) {
      console.error(`tfctl serve kube-manager: ${values.config}: ${errorMessage(err)}`);
      return 1;
    }
    const log = createLogger('kube-manager');
    if (cfg.logLevel && process.env.TF_LOG_LEVEL === undefined) log.level = cfg.logLevel;
    for (const u of cfg.unknown) log.warn({ option: u }, 'unknown option ignored');
    const ac = new AbortController();
    const stop = (): void => ac.abort();
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    let km: KubeManager | undefined;
    try {
      // The config API or the Kubernetes API may come up after us: keep trying until stopped.
      for (let attempt = 0; !ac.signal.aborted; attempt++) {
        try {
          km = await KubeManager.start({ config: cfg, introspectPort: intOption('introspect-port', values['introspect-port'], cfg.httpServerPort), log });
          break;
        } catch (err) {
          if ((err as { code?: string }).code?.startsWith('KM_CONFIG') || (err as { code?: string }).code === 'KM_CLUSTER_NETWORK_MISSING' || (err as { code?: string }).code === 'EADDRINUSE') {
            console.error(`tfctl serve kube-manager: ${errorMessage(err)}`);
            return 1;
          }
          const delay = Math.min(10_000, 500 * 2 ** Math.min(attempt, 5));
          log.warn({ err: errorMessage(err), retryInMs: delay }, 'start failed; retrying');
          await new Promise((r) => setTimeout(r, delay));
        }
      }
      if (!km) return 0;
      console.log(`tfctl serve kube-manager: running (kubernetes ${km.k8s.server}, config API ${km.client.url}, introspect ${km.introspect ? `:${km.introspect.port}` : 'off'})`);
      await new Promise<void>((resolve) => {
        if (ac.signal.aborted) resolve();
        else ac.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      return 0;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await km?.stop();
    }
  },
};

export default command;
