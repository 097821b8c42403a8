// tfctl serve agent: a vRouter agent on this compute node (ARCHITECTURE.md "Command lines", docs/agent.md).
import { hostname } from 'node:os';
import { ENV, PORTS, defaultConfigApiUrl, envOr } from '../common/defaults.js';
import { TfError, errorMessage } from '../common/errors.js';
import { Agent } from '../agent/agent.js';
import { AgentOptionError } from '../agent/errors.js';
import { DEFAULT_CNI_SOCKET, DEFAULT_STATE_DIR, parseControls, parseEndpoint } from '../agent/options.js';
import { intOption, parseCommandArgs, UsageError, type CommandModule, untilStopSignal } from './command.js';

const usage = `usage: tfctl serve agent --config-api URL --node <name> --ip <underlay ip> --control ip:port[,ip:port]
                         [--port-api 127.0.0.1:${PORTS.agentPortApi}] [--introspect-port ${PORTS.agentIntrospect}] [--introspect-host 127.0.0.1]
                         [--cni-socket ${DEFAULT_CNI_SOCKET}] [--state-dir ${DEFAULT_STATE_DIR}]
                         [--underlay <device>] [--admin-token T] [--hold-time 30] [--restart-time 120]
                         [--vmi-timeout 60] [--eor-timeout 15]

Runs a vRouter agent in the current network namespace: registers virtual-router <node> with the
underlay address, follows the config of the pods placed on it, peers over BGP (inet-vpn, route-target)
with up to two control nodes, and renders interfaces, VRFs, routes, security groups and service NAT
into the Linux datapath. Serves the original's port API, a unix socket for tf-cni, and introspect
(/healthz, /metrics, JSON for tfctl vr and tfctl trace). Prints one "ready" line when it serves.

  --config-api       config API URL          env ${ENV.configApi}   default http://127.0.0.1:${PORTS.configApi}
  --node             virtual-router (Kubernetes node) name                   default the host name
  --ip               underlay address: router id, VXLAN source, next hop     required
  --control          control nodes ip:port, comma separated (at most two; port default 1179)   required
  --port-api         port API host:port (port 0 = any)                       default 127.0.0.1:${PORTS.agentPortApi}
  --introspect-port  introspect port (0 = any)                               default ${PORTS.agentIntrospect}
  --introspect-host  introspect listen address                               default 127.0.0.1
  --cni-socket       unix socket tf-cni talks to       env TF_CNI_SOCKET     default ${DEFAULT_CNI_SOCKET}
  --state-dir        persisted ports and routes snapshot                     default ${DEFAULT_STATE_DIR}
  --underlay         underlay device                                         default the device holding --ip
  --admin-token      X-Auth-Token for the config API   env ${ENV.adminToken}
  --hold-time        BGP hold time proposed, seconds (0 or 3..65535)         default 30
  --restart-time     graceful-restart time announced, seconds (0 = none)     default 120
  --vmi-timeout      longest wait of a CNI ADD for the pod's interface, s    default 60
  --eor-timeout      longest wait for End-of-RIB before the first render, s  default 15`;

const command: CommandModule = {
  summary: 'run a vRouter agent on a compute node',
  usage,
  async run(args) {
    const { values, help } = parseCommandArgs(args, {
      'config-api': { type: 'string' },
      node: { type: 'string' },
      ip: { type: 'string' },
      control: { type: 'string' },
      'port-api': { type: 'string' },
      'introspect-port': { type: 'string' },
      'introspect-host': { type: 'string' },
      'cni-socket': { type: 'string' },
      'state-dir': { type: 'string' },
      underlay: { type: 'string' },
      'admin-token': { type: 'string' },
      'hold-time': { type: 'string' },
      'restart-time': { type: 'string' },
      'vmi-timeout': { type: 'string' },
      'eor-timeout': { type: 'string' },
    }, false);
    if (help) {
      console.log(usage);
      return 0;
    }
    if (values.ip === undefined) throw new UsageError('--ip is required');
    if (values.control === undefined) throw new UsageError('--control is required');
    const hold = intOption('hold-time', values['hold-time'], 30);
    if (hold !== 0 && hold < 3) throw new UsageError('--hold-time must be 0 or 3..65535');
    let agent: Agent;
    try {
      agent = new Agent({
        configApi: values['config-api'] ?? defaultConfigApiUrl(),
        adminToken: values['admin-token'] ?? (envOr(ENV.adminToken, '') || undefined),
        node: values.node ?? hostname().split('.')[0],
        ip: values.ip,
        controls: parseControls(values.control),
        portApi: parseEndpoint(values['port-api'] ?? `127.0.0.1:${PORTS.agentPortApi}`, 'port-api'),
        introspect: { host: values['introspect-host'] ?? '127.0.0.1', port: intOption('introspect-port', values['introspect-port'], PORTS.agentIntrospect) },
        cniSocket: values['cni-socket'] ?? envOr('TF_CNI_SOCKET', DEFAULT_CNI_SOCKET),
        stateDir: values['state-dir'] ?? DEFAULT_STATE_DIR,
        ...(values.underlay ? { underlay: values.underlay } : {}),
        holdTime: hold,
        restartTime: intOption('restart-time', values['restart-time'], 120),
        vmiTimeout: intOption('vmi-timeout', values['vmi-timeout'], 60),
        eorTimeout: intOption('eor-timeout', values['eor-timeout'], 15),
      });
    } catch (err) {
      if (err instanceof AgentOptionError) throw new UsageError(err.message);
      throw err;
    }
    const stopped = untilStopSignal();
    const started = agent.start().then(() => true, (err: unknown) => {
      console.error(`tfctl serve agent: ${err instanceof TfError ? `${err.code}: ` : ''}${errorMessage(err)}`);
      return false;
    });
    const first = await Promise.race([started, stopped.then(() => 'stopped' as const)]);
    if (first === false) {
      await agent.stop().catch(() => undefined);
      return 1;
    }
    if (first === true) {
      console.log(`tfctl serve agent: ready node=${agent.node} ip=${agent.ip} port-api=${agent.portApiUrl ?? '-'} introspect=${agent.introspectUrl ?? '-'} cni-socket=${agent.cniSocket ?? '-'}`);
      await stopped;
    }
    await agent.stop();
    return 0;
  },
};

export default command;
