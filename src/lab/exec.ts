// `tfctl lab exec <target> -- <cmd…>`: runs a command inside one of the lab's network namespaces with the
// terminal attached, exiting with its code. Targets: `external` (the external client), `gateway` (the
// bird2 router), `node/<name>` (a compute node, where its agent renders the datapath), `control/<name>`,
// `fabric`, or a pod `[<namespace>/]<pod>` (handled by the lab kubelet's exec against the lab's
// Kubernetes API). The lab is found through <lab dir>/endpoints.json.
import { resolve } from 'node:path';
import { parseCommandArgs, UsageError, type CommandModule } from '../cli/command.js';
import { labDir, readEndpoints } from '../common/endpoints.js';
import { spawnInNetns } from '../datapath/index.js';
import podExec from './kubelet/exec-command.js';

const USAGE = `usage: tfctl lab exec [--dir ./tf-lab] <target> -- <command> [args…]

targets:
  external          the external client (reaches public floating IPs through the gateway)
  gateway           the gateway router's namespace (bird2: birdc -s <lab run dir>/bird.ctl show route)
  node/<name>       a compute node (node1, node2, …): its datapath (ip rule, ip route show table all, nft list ruleset)
  control/<name>    a control node's namespace (control1, …)
  fabric            the underlay switch
  [<ns>/]<pod>      a pod's network namespace (default namespace: default)

e.g. tfctl lab exec default/cirros-deployment-7d9c-abcde -- ping -c 3 10.47.255.251
     tfctl lab exec external -- curl -s http://198.51.100.252/`;

/** Maps a target to the lab namespace it names, or undefined when it is a pod. Pure. */
export function targetNetns(prefix: string, target: string): string | undefined {
  if (target === 'external') return `${prefix}ext`;
  if (target === 'gateway') return `${prefix}gw`;
  if (target === 'fabric') return `${prefix}fabric`;
  const node = /^node\/node(\d+)$/.exec(target) ?? /^node\/(\d+)$/.exec(target);
  if (node) return `${prefix}node${node[1]}`;
  const ctl = /^control\/control(\d+)$/.exec(target) ?? /^control\/(\d+)$/.exec(target);
  if (ctl) return `${prefix}ctl${ctl[1]}`;
  if (/^(node|control)\//.test(target)) throw new UsageError(`unknown ${target.split('/')[0]} ${JSON.stringify(target.split('/')[1])} (node1, node2, …; control1, …)`);
  return undefined;
}

const command: CommandModule = {
  summary: 'run a command in a lab namespace: external, gateway, node/<name>, or a pod',
  usage: USAGE,
  async run(args) {
    const dash = args.indexOf('--');
    const own = dash >= 0 ? args.slice(0, dash) : args;
    const cmd = dash >= 0 ? args.slice(dash + 1) : [];
    const { values, positionals, help } = parseCommandArgs(own, { dir: { type: 'string' }, server: { type: 'string' }, kubeconfig: { type: 'string' }, namespace: { type: 'string', short: 'n' } });
    if (help) {
      console.log(USAGE);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('name exactly one target: external, gateway, node/<name>, control/<name>, fabric or [<namespace>/]<pod>');
    if (cmd.length === 0) throw new UsageError('give the command after --');
    const dir = resolve(values.dir ?? labDir());
    const eps = readEndpoints(dir);
    const target = positionals[0];
    const netns = targetNetns(eps?.prefix ?? 'tfl-', target);
    if (netns === undefined) {
      // a pod: the lab's API unless told otherwise
      const fwd = [...(values.server ? ['--server', values.server] : values.kubeconfig ? ['--kubeconfig', values.kubeconfig] : eps ? ['--kubeconfig', eps.kubeconfig] : [])];
      if (values.namespace) fwd.push('-n', values.namespace);
      return podExec.run([...fwd, target, '--', ...cmd]);
    }
    if (!eps) {
      console.error(`tfctl lab exec: LAB_NOT_RUNNING: no lab is running from ${dir}`);
      return 1;
    }
    const child = spawnInNetns(netns, cmd, { stdio: 'inherit' });
    return new Promise((resolveRun) => {
      child.on('error', (err) => {
        console.error(`tfctl lab exec: ${err.message}`);
        resolveRun(127);
      });
      child.on('exit', (code, signal) => resolveRun(code ?? (signal ? 128 : 1)));
    });
  },
};

export default command;
