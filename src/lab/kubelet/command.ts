// `tfctl lab kubelet`: one lab node's kubelet in the foreground until SIGINT/SIGTERM.
import { isIpv4 } from '../../common/ip.js';
import { parseCommandArgs, UsageError, type CommandModule } from '../../cli/command.js';
import { createLogger } from '../../common/log.js';
import { apiClient } from './api-target.js';
import { startKubelet } from './kubelet.js';

const USAGE = `usage: tfctl lab kubelet --node <name> --ip <underlay ip> --cni-conf-dir <dir> --cni-bin-dir <dir[:dir…]>
                        [--netns-prefix lab-] [--node-netns <netns>] [--state-dir <dir>]
                        [--server http://127.0.0.1:6443 | --kubeconfig <file>] [--label k=v …]
                        [--teardown-on-exit]

Registers Node <name> (InternalIP <underlay ip>) and runs the pods bound to it: one network
namespace per pod (<netns-prefix><pod uid>), the CNI plugin of the first *.conf/*.conflist in
--cni-conf-dir (run inside --node-netns when given), containers as processes in the pod's namespace.
On exit the containers stop; sandboxes stay for the next start unless --teardown-on-exit.`;

const command: CommandModule = {
  summary: 'run a lab kubelet for one node',
  usage: USAGE,
  async run(args) {
    const { values, help } = parseCommandArgs(
      args,
      {
        node: { type: 'string' },
        ip: { type: 'string' },
        'cni-conf-dir': { type: 'string' },
        'cni-bin-dir': { type: 'string' },
        'netns-prefix': { type: 'string' },
        'node-netns': { type: 'string' },
        'state-dir': { type: 'string' },
        server: { type: 'string' },
        kubeconfig: { type: 'string' },
        label: { type: 'string', multiple: true },
        'teardown-on-exit': { type: 'boolean' },
      },
      false,
    );
    if (help) {
      console.log(USAGE);
      return 0;
    }
    const node = values.node;
    const ip = values.ip;
    if (!node) throw new UsageError('--node is required');
    if (!ip || !isIpv4(ip)) throw new UsageError('--ip must be the node\'s IPv4 underlay address');
    if (!values['cni-conf-dir']) throw new UsageError('--cni-conf-dir is required');
    if (!values['cni-bin-dir']) throw new UsageError('--cni-bin-dir is required');
    const prefix = values['netns-prefix'] ?? 'lab-';
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) throw new UsageError('--netns-prefix may hold letters, digits, ".", "_" and "-"');
    const labels: Record<string, string> = {};
    for (const l of values.label ?? []) {
      const eq = l.indexOf('=');
      if (eq <= 0) throw new UsageError(`--label ${JSON.stringify(l)} must look like key=value`);
      labels[l.slice(0, eq)] = l.slice(eq + 1);
    }
    const client = apiClient(values.server, values.kubeconfig);
    const kubelet = await startKubelet({
      client,
      node,
      ip,
      cniConfDir: values['cni-conf-dir'],
      cniBinDirs: values['cni-bin-dir'].split(':').filter(Boolean),
      netnsPrefix: prefix,
      nodeNetns: values['node-netns'],
      stateDir: values['state-dir'],
      labels,
      log: createLogger('lab-kubelet', { node }),
    });
    console.log(`kubelet for node ${node} (${ip}) against ${client.server}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await kubelet.close({ teardownPods: values['teardown-on-exit'] === true });
    client.close();
    return 0;
  },
};

export default command;
