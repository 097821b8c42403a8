// `tfctl lab up [--nodes 2] [--control 2] [--detach]`: brings the lab up and prints a contrail-status
// summary and the kubectl line. In the foreground (npm start) it runs until Ctrl-C / SIGTERM and then
// tears everything down; with --detach it hands the lab to a background `tfctl lab up` (the supervisor)
// and returns once the lab is healthy — `tfctl lab down` stops it.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { intOption, parseCommandArgs, type CommandModule } from '../cli/command.js';
import { formatStatus, statusOf } from '../cli/status.js';
import { labDir } from '../common/endpoints.js';
import { TfError, errorMessage } from '../common/errors.js';
import { quietLogger, startLab, type Lab } from './lab.js';
import { tfctlArgv } from './launch.js';

const USAGE = `usage: tfctl lab up [--nodes 2] [--control 2] [--detach] [--dir ./tf-lab] [--prefix tfl-]
                   [--ports default|auto] [--no-agents] [--timeout 180]

Brings up the all-in-one lab on this machine (needs root): network namespaces for the compute nodes
(<prefix>node1…), the control nodes (<prefix>ctl1…), a gateway (<prefix>gw, bird2) and an external
client (<prefix>ext) on an underlay switch (<prefix>fabric); the config API (SQLite under the lab
dir, schema transformer in-process), control nodes, one vRouter agent and one kubelet per node, the
lab Kubernetes API with its controllers, and kube-manager (examples/kubemanager-single-tenant.conf).
Prints the state of every component and the kubectl line to use.

  --nodes     compute nodes (1-64)                                   default 2
  --control   control nodes (1-4)                                    default 2
  --detach    return once healthy; the lab keeps running (tfctl lab down stops it)
  --dir       lab directory (state, logs, data, kubeconfig)  env TF_LAB_DIR, default ./tf-lab
  --prefix    network namespace prefix                               default tfl-
  --ports     host ports: default (8082, 6443, …: see docs/lab.md) or auto (free ports)
  --no-agents do not start vRouter agents
  --timeout   seconds for every component to become healthy           default 180

Foreground: Ctrl-C stops every process and deletes every namespace the lab made.`;

function kubectlLine(lab: { kubeconfigPath: string }): string {
  const rel = relative(process.cwd(), lab.kubeconfigPath);
  const p = rel.startsWith('..') ? lab.kubeconfigPath : rel.startsWith('.') ? rel : `./${rel}`;
  return `export KUBECONFIG=${p}; kubectl get nodes -o wide`;
}

async function summary(lab: Lab): Promise<string> {
  const st = await statusOf(lab.endpoints());
  return [
    formatStatus(st.services),
    '',
    `lab up in ${lab.upSeconds.toFixed(1)} s: ${lab.topo.nodes.length} nodes, ${lab.topo.controls.length} control nodes${lab.agents ? '' : ' (no vRouter agents: pods get no network)'}, logs in ${join(lab.dir, 'logs')}`,
    `  ${kubectlLine(lab)}`,
    `  kubectl apply -f examples/kubernetes/first-containers.yaml; tfctl lab exec default/<pod> -- ping <other pod ip>`,
    `  tfctl status · tfctl ctr nei · tfctl lab exec external -- ping <floating ip> · tfctl lab down`,
  ].join('\n');
}

interface DaemonMessage {
  progress?: string;
  ready?: string;
  error?: string;
}

const command: CommandModule = {
  summary: 'bring the lab up (foreground until Ctrl-C unless --detach)',
  usage: USAGE,
  async run(args) {
    const { values, help } = parseCommandArgs(args, {
      nodes: { type: 'string' },
      control: { type: 'string' },
      detach: { type: 'boolean' },
      dir: { type: 'string' },
      prefix: { type: 'string' },
      ports: { type: 'string' },
      'no-agents': { type: 'boolean' },
      timeout: { type: 'string' },
    }, false);
    if (help) {
      console.log(USAGE);
      return 0;
    }
    const nodes = intOption('nodes', values.nodes, 2);
    const controls = intOption('control', values.control, 2);
    const timeout = intOption('timeout', values.timeout, 180);
    const ports = values.ports ?? 'default';
    if (ports !== 'default' && ports !== 'auto') {
      console.error(`tfctl lab up: --ports must be default or auto, got ${JSON.stringify(ports)}`);
      return 2;
    }
    const dir = resolve(values.dir ?? labDir());
    const daemon = process.env.TF_LAB_DAEMON === '1' && typeof process.send === 'function';
    if (values.detach) return detach(args.filter((a) => a !== '--detach'), dir);

    const say = (line: string): void => {
      if (daemon) process.send!({ progress: line } satisfies DaemonMessage);
      else console.log(line);
    };
    // Ctrl-C while starting stops what was started; once up, it stops the lab (below)
    const starting = new AbortController();
    const abortStart = (): void => starting.abort();
    process.on('SIGINT', abortStart);
    process.on('SIGTERM', abortStart);
    process.on('SIGHUP', abortStart);
    let lab: Lab;
    try {
      lab = await startLab({
        signal: starting.signal,
        nodes, controls, dir, prefix: values.prefix, ports, readyTimeoutMs: timeout * 1000,
        ...(values['no-agents'] ? { agents: false } : {}),
        log: quietLogger(),
        onProgress: say,
      });
    } catch (err) {
      const msg = `${err instanceof TfError ? `${err.code}: ` : ''}${errorMessage(err)}`;
      if (daemon) process.send!({ error: msg } satisfies DaemonMessage);
      console.error(`tfctl lab up: ${msg}`);
      return 1;
    } finally {
      process.off('SIGINT', abortStart);
      process.off('SIGTERM', abortStart);
      process.off('SIGHUP', abortStart);
    }
    const stopped = new Promise<void>((resolveStop) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        process.off('SIGHUP', stop);
        resolveStop();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      process.on('SIGHUP', stop);
    });
    const text = await summary(lab);
    if (daemon) {
      process.send!({ ready: text } satisfies DaemonMessage);
      process.disconnect?.();
    } else {
      console.log(`\n${text}\n\nRunning in the foreground: Ctrl-C stops the lab and removes everything it made.`);
    }
    await stopped;
    if (!daemon) console.log('\nstopping the lab …');
    await lab.stop();
    if (!daemon) console.log('lab stopped: processes ended, namespaces deleted');
    return 0;
  },
};

/** Starts the supervisor in the background and relays its progress until it is ready (or failed). */
async function detach(args: string[], dir: string): Promise<number> {
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const logPath = join(dir, 'logs', 'lab.log');
  const fd = openSync(logPath, 'a');
  const argv = [...tfctlArgv(), 'lab', 'up', ...args];
  const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', fd, fd, 'ipc'], env: { ...process.env, TF_LAB_DAEMON: '1' } });
  closeSync(fd);
  return new Promise<number>((resolveRun) => {
    let done = false;
    const finish = (code: number): void => {
      if (done) return;
      done = true;
      child.removeAllListeners();
      if (child.connected) child.disconnect();
      child.unref();
      resolveRun(code);
    };
    child.on('message', (m: DaemonMessage) => {
      if (m.progress) console.log(m.progress);
      if (m.ready) {
        console.log(`\n${m.ready}\n\nRunning in the background (supervisor pid ${child.pid}, log ${logPath}); \`tfctl lab down\` stops it.`);
        finish(0);
      }
      if (m.error) {
        console.error(`tfctl lab up: ${m.error}\n(log: ${logPath})`);
        finish(1);
      }
    });
    child.on('exit', (code) => {
      if (!done) console.error(`tfctl lab up: the lab supervisor exited (${code}) before it was ready; see ${logPath}`);
      finish(code || 1);
    });
  });
}

export default command;
