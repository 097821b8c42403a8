// `tfctl lab kube-api`: the lab Kubernetes API server in the foreground until SIGINT/SIGTERM.
import { readFileSync, writeFileSync } from 'node:fs';
import { intOption, parseCommandArgs, UsageError, type CommandModule } from '../../cli/command.js';
import { PORTS } from '../../common/defaults.js';
import { createLogger } from '../../common/log.js';
import { parseCidr } from '../../common/ip.js';
import { startKubeApi } from './api-server.js';

const USAGE = `usage: tfctl lab kube-api [--port ${PORTS.kubeApi}] [--host 127.0.0.1] [--persist <file.db>]
                         [--service-cidr 10.96.0.0/12] [--node-port-range 30000-32767]
                         [--tls-cert <pem> --tls-key <pem>] [--no-controllers]
                         [--kubeconfig-out <file>]

Runs the lab's Kubernetes API (core/v1, apps/v1, apps/v1beta1 deployments, networking.k8s.io/v1)
with its scheduler and controllers. kubectl works against it directly:
  kubectl --server http://127.0.0.1:${PORTS.kubeApi} get pods
or with the kubeconfig written by --kubeconfig-out.`;

const command: CommandModule = {
  summary: 'run the lab Kubernetes API server',
  usage: USAGE,
  async run(args) {
    const { values, help } = parseCommandArgs(
      args,
      {
        port: { type: 'string' },
        host: { type: 'string' },
        persist: { type: 'string' },
        'service-cidr': { type: 'string' },
        'node-port-range': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'no-controllers': { type: 'boolean' },
        'kubeconfig-out': { type: 'string' },
      },
      false,
    );
    if (help) {
      console.log(USAGE);
      return 0;
    }
    const port = intOption('port', values.port, PORTS.kubeApi);
    if (values['service-cidr'] !== undefined) {
      try {
        parseCidr(values['service-cidr']);
      } catch (err) {
        throw new UsageError(`--service-cidr: ${(err as Error).message}`);
      }
    }
    let nodePortRange: [number, number] | undefined;
    if (values['node-port-range'] !== undefined) {
      const m = /^(\d+)-(\d+)$/.exec(values['node-port-range']);
      if (!m || Number(m[1]) > Number(m[2]) || Number(m[2]) > 65535) throw new UsageError('--node-port-range must look like 30000-32767');
      nodePortRange = [Number(m[1]), Number(m[2])];
    }
    if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
    const log = createLogger('lab-kube-api');
    const api = await startKubeApi({
      port,
      host: values.host,
      persist: values.persist,
      serviceCidr: values['service-cidr'],
      nodePortRange,
      tls: values['tls-cert'] && values['tls-key'] ? { cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']) } : undefined,
      controllers: values['no-controllers'] ? false : undefined,
      log,
    });
    if (values['kubeconfig-out']) writeFileSync(values['kubeconfig-out'], api.kubeconfig(), { mode: 0o600 });
    console.log(`lab Kubernetes API at ${api.url}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await api.close();
    return 0;
  },
};

export default command;
