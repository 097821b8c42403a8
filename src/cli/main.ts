// tfctl: one CLI for every daemon and every introspect view. Commands load lazily so that
// `tfctl ctr nei` does not pay for the config API's SQLite driver. `tfctl lab …` is the one place
// outside src/lab/ that reaches the lab harness, and only through this dispatch table.
import { UsageError, type CommandModule } from './command.js';

interface Entry {
  readonly name: string;
  readonly module: string;
  readonly summary: string;
}

/** Module paths are relative to this file. */
const COMMANDS: readonly Entry[] = [
  { name: 'serve config', module: './serve-config.js', summary: 'run the VNC config API server' },
  { name: 'serve transformer', module: './serve-transformer.js', summary: 'run the schema transformer' },
  { name: 'serve control', module: './serve-control.js', summary: 'run a control node (BGP route reflector, VRFs)' },
  { name: 'serve agent', module: './serve-agent.js', summary: 'run a vRouter agent on a compute node' },
  { name: 'serve kube-manager', module: './serve-kube-manager.js', summary: 'run kube-manager (Kubernetes → VNC)' },
  { name: 'lab', module: '../lab/cli.js', summary: 'all-in-one lab: up, down, status, kubeconfig, exec, kube-api, kubelet' },
  { name: 'status', module: './status.js', summary: 'state of every component, like contrail-status' },
  { name: 'ctr', module: './ctr.js', summary: 'control node introspect: status, nei, route summary|tables|show' },
  { name: 'vr', module: './vr.js', summary: 'vRouter agent introspect: intf, vrf, route' },
  { name: 'config', module: './config.js', summary: 'VNC config objects: list, show, create, update, delete, ref-update' },
  { name: 'trace', module: './trace.js', summary: 'can A reach B? answered from the agent state model' },
];

function globalHelp(available: Set<string>): string {
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(20)} ${c.summary}${available.has(c.name) ? '' : ' (not in this build)'}`);
  return ['usage: tfctl <command> [options]', '', 'commands:', ...lines, '', 'Run `tfctl <command> --help` for the options of a command.'].join('\n');
}

async function load(entry: Entry): Promise<CommandModule | undefined> {
  try {
    const mod = (await import(entry.module)) as { default?: CommandModule };
    return mod.default;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(entry.module.replace(/^\.\.?\//, ''))) {
      return undefined;
    }
    throw err;
  }
}

async function availableCommands(): Promise<Set<string>> {
  const out = new Set<string>();
  for (const c of COMMANDS) if (await load(c).catch(() => undefined)) out.add(c.name);
  return out;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    console.log(globalHelp(await availableCommands()));
    return argv.length === 0 ? 2 : 0;
  }
  const entry =
    COMMANDS.find((c) => c.name.includes(' ') && argv.slice(0, 2).join(' ') === c.name) ??
    COMMANDS.find((c) => !c.name.includes(' ') && argv[0] === c.name);
  if (!entry) {
    console.error(`tfctl: unknown command ${JSON.stringify(argv.slice(0, 2).join(' '))}\n`);
    console.error(globalHelp(await availableCommands()));
    return 2;
  }
  const mod = await load(entry);
  if (!mod) {
    console.error(`tfctl: command "${entry.name}" is not part of this build`);
    return 2;
  }
  const rest = argv.slice(entry.name.split(' ').length);
  try {
    return await mod.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`tfctl ${entry.name}: ${err.message}\n\n${mod.usage}`);
      return 2;
    }
    throw err;
  }
}
