// `tfctl lab status`: the lab's processes as the supervisor started them (PID, namespace, address,
// alive?), its ports, and every component's state (the same probes as `tfctl status`).
import { resolve } from 'node:path';
import { parseCommandArgs, UsageError, type CommandModule } from '../cli/command.js';
import { formatStatus, statusOf } from '../cli/status.js';
import { labDir, readEndpoints } from '../common/endpoints.js';
import { humanDuration, processAge } from '../common/proc-info.js';
import { readState, stillRunning } from './state.js';

const USAGE = `usage: tfctl lab status [--dir ./tf-lab] [-o json]

The running lab: supervisor, processes (PID, network namespace, alive), host ports, and the state of
every component. Exit code 0 when every component is active, 1 otherwise (or no lab).`;

const command: CommandModule = {
  summary: 'processes, namespaces and component states of the running lab',
  usage: USAGE,
  async run(args) {
    const { values, help } = parseCommandArgs(args, { dir: { type: 'string' }, output: { type: 'string', short: 'o' } }, false);
    if (help) {
      console.log(USAGE);
      return 0;
    }
    if (values.output !== undefined && values.output !== 'json') throw new UsageError(`-o must be json, got ${JSON.stringify(values.output)}`);
    const dir = resolve(values.dir ?? labDir());
    const state = readState(dir);
    const eps = readEndpoints(dir);
    if (!state) {
      if (values.output === 'json') console.log(JSON.stringify({ running: false, dir }));
      else console.log(`no lab in ${dir}`);
      return 1;
    }
    const supervisorUp = stillRunning(state.supervisor);
    const processes = state.processes.map((p) => ({ ...p, running: stillRunning(p) }));
    const st = eps && supervisorUp ? await statusOf(eps) : undefined;
    if (values.output === 'json') {
      console.log(JSON.stringify({ running: supervisorUp, phase: state.phase, dir, prefix: state.prefix, supervisor: state.supervisor, ports: state.ports, processes, status: st }, null, 2));
    } else {
      const age = supervisorUp ? processAge(state.supervisor.pid) : undefined;
      const lines = [
        `lab ${dir}: ${supervisorUp ? `${state.phase}, supervisor pid ${state.supervisor.pid}, up ${humanDuration(age ?? 0)}` : 'supervisor NOT running (run `tfctl lab down` to clean up)'}`,
        `  ${state.nodes} nodes, ${state.controls} control nodes, namespaces ${state.prefix}*, kubeconfig ${state.kubeconfig}`,
        `  ports: config API ${state.ports.configApi} (introspect ${state.ports.configIntrospect}), Kubernetes API ${state.ports.kubeApi}, kube-manager ${state.ports.kubeManager}, lab ${state.ports.lab}`,
        `         control introspect ${state.ports.controlIntrospect.join(', ')}; agent introspect ${state.ports.agentIntrospect.join(', ')}; agent port API ${state.ports.agentPortApi.join(', ')}`,
        '',
        ['PROCESS', 'PID', 'NETNS', 'RUNNING'].map((h, i) => h.padEnd([16, 8, 16, 8][i])).join(''),
        ...processes.map((p) => [p.name, String(p.pid), p.netns ?? '(host)', p.running ? 'yes' : 'no'].map((c, i) => c.padEnd([16, 8, 16, 8][i])).join('').trimEnd()),
      ];
      if (st) lines.push('', formatStatus(st.services));
      console.log(lines.join('\n'));
    }
    return st && st.active === st.total ? 0 : 1;
  },
};

export default command;
