// `tfctl lab exec <ns>/<pod> -- <cmd…>`: runs a command in a pod's network namespace on this machine
// (the namespace whose name ends with the pod's uid), with the terminal attached; exits with its code.
import { spawn } from 'node:child_process';
import { parseCommandArgs, UsageError, type CommandModule } from '../../cli/command.js';
import { isNotFound } from '../kube/errors.js';
import { R } from '../kube/resources.js';
import { apiClient } from './api-target.js';
import { IpNetns } from './netns.js';

const USAGE = `usage: tfctl lab exec [--server URL | --kubeconfig FILE] [<namespace>/]<pod> -- <command> [args…]

Runs <command> inside the pod's network namespace (as \`ip netns exec\`), e.g.
  tfctl lab exec default/cirros-deployment-7d9c-abcde -- ping -c 3 10.47.255.251`;

/** Finds the network namespace of a pod uid among `names`. Pure. */
export function netnsForUid(names: readonly string[], uid: string): string | undefined {
  return names.find((n) => n.endsWith(uid));
}

const command: CommandModule = {
  summary: 'run a command in a pod\'s network namespace',
  usage: USAGE,
  async run(args) {
    const dash = args.indexOf('--');
    const own = dash >= 0 ? args.slice(0, dash) : args;
    const cmd = dash >= 0 ? args.slice(dash + 1) : [];
    const { values, positionals, help } = parseCommandArgs(own, { server: { type: 'string' }, kubeconfig: { type: 'string' }, namespace: { type: 'string', short: 'n' } });
    if (help) {
      console.log(USAGE);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('name exactly one pod: [<namespace>/]<pod>');
    if (cmd.length === 0) throw new UsageError('give the command after --');
    const target = positionals[0];
    const slash = target.indexOf('/');
    const namespace = slash >= 0 ? target.slice(0, slash) : (values.namespace ?? 'default');
    const name = slash >= 0 ? target.slice(slash + 1) : target;
    const client = apiClient(values.server, values.kubeconfig);
    let uid: string;
    let node = '';
    try {
      const pod = await client.get(R.pods, namespace, name);
      uid = pod.metadata.uid ?? '';
      node = typeof (pod.spec as { nodeName?: string } | undefined)?.nodeName === 'string' ? String((pod.spec as { nodeName: string }).nodeName) : '';
    } catch (err) {
      if (isNotFound(err)) {
        console.error(`Error from server (NotFound): pods "${name}" not found in namespace ${namespace}`);
        return 1;
      }
      throw err;
    } finally {
      client.close();
    }
    const netns = netnsForUid(await new IpNetns().list(), uid);
    if (!netns) {
      console.error(`pod ${namespace}/${name} has no network namespace on this machine${node ? ` (node ${node})` : ' (not scheduled yet)'}`);
      return 1;
    }
    const child = spawn('ip', ['netns', 'exec', netns, ...cmd], { stdio: 'inherit' });
    return new Promise((resolve) => {
      child.on('error', (err) => {
        console.error(`tfctl lab exec: ${err.message}`);
        resolve(127);
      });
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + 1 : 1)));
    });
  },
};

export default command;
