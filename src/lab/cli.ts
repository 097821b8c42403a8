// `tfctl lab …`: the lab's subcommands, as a table that later subcommands (up, down, status,
// kubeconfig, …) extend by adding an entry. Each entry is a module loaded on use.
import { UsageError, type CommandModule } from '../cli/command.js';

export interface LabSubcommand {
  readonly name: string;
  readonly summary: string;
  /** module path relative to this file, exporting `default: CommandModule` */
  readonly module: string;
}

export const LAB_SUBCOMMANDS: LabSubcommand[] = [
  { name: 'up', summary: 'bring the all-in-one lab up (foreground until Ctrl-C, or --detach)', module: './up-command.js' },
  { name: 'down', summary: 'stop the lab and remove every namespace, process and file it made', module: './down-command.js' },
  { name: 'status', summary: 'processes, namespaces, ports and component states of the running lab', module: './status-command.js' },
  { name: 'kubeconfig', summary: 'print the path of the lab\'s kubeconfig', module: './kubeconfig-command.js' },
  { name: 'kube-api', summary: 'run the lab Kubernetes API server (with its controllers)', module: './kube/command.js' },
  { name: 'kubelet', summary: 'run a lab kubelet for one node (pods as network namespaces + processes, CNI)', module: './kubelet/command.js' },
  { name: 'exec', summary: 'run a command in a lab namespace: exec <ns>/<pod> | external | gateway | node/<name> -- <cmd…>', module: './exec.js' },
  { name: 'relay', summary: 'lab-internal TCP/unix socket relay (started by lab up)', module: './relay-command.js' },
];

function usage(): string {
  return [
    'usage: tfctl lab <subcommand> [options]',
    '',
    'subcommands:',
    ...LAB_SUBCOMMANDS.map((s) => `  ${s.name.padEnd(12)} ${s.summary}`),
    '',
    'Run `tfctl lab <subcommand> --help` for its options.',
  ].join('\n');
}

const command: CommandModule = {
  summary: 'all-in-one lab: kube-api, kubelet, exec (and up, down, status, kubeconfig)',
  get usage() {
    return usage();
  },
  async run(args) {
    const [name, ...rest] = args;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      console.log(usage());
      return name === undefined ? 2 : 0;
    }
    const sub = LAB_SUBCOMMANDS.find((s) => s.name === name);
    if (!sub) {
      console.error(`tfctl lab: unknown subcommand ${JSON.stringify(name)}\n\n${usage()}`);
      return 2;
    }
    const mod = (await import(sub.module)) as { default: CommandModule };
    try {
      return await mod.default.run(rest);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      console.error(`tfctl lab ${sub.name}: ${err.message}\n\n${mod.default.usage}`);
      return 2;
    }
  },
};

export default command;
