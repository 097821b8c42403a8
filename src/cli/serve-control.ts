// tfctl serve control: a control node (ARCHITECTURE.md "Command lines").
import { hostname } from 'node:os';
import { ENV, PORTS, defaultConfigApiUrl, envOr } from '../common/defaults.js';
import { TfError, errorMessage } from '../common/errors.js';
import { startControlNode } from '../control/control-node.js';
import { intOption, parseCommandArgs, UsageError, type CommandModule, untilStopSignal } from './command.js';

const usage = `usage: tfctl serve control --config-api URL --name <bgp-router name> --router-id <ip> --bgp-address <ip>
                           [--bgp-port ${PORTS.controlBgp}] [--introspect-port ${PORTS.controlIntrospect}] [--introspect-host 127.0.0.1]
                           [--hold-time 90] [--gr-peer-wait 10] [--admin-token T] [--register]

Runs a control node: follows routing instances, route targets, bgp-routers, virtual-routers and
global-system-config from the config API; keeps a VRF per routing instance and replicates routes
between the VRFs and bgp.l3vpn.0 by route target; reflects routes between agents (iBGP clients,
accepted only from the virtual_router_ip_address of a configured virtual-router), meshes with the
other control nodes and peers with gateways (bgp-router objects); serves introspect JSON, /metrics
and /healthz.

  --config-api       config API URL     env ${ENV.configApi}     default http://127.0.0.1:${PORTS.configApi}
  --name             this node's bgp-router name (fq_name default-domain:default-project:ip-fabric:__default__:<name>)
                                                                default the host name
  --router-id        BGP identifier                             default --bgp-address
  --bgp-address      address to listen on and connect from      default --router-id
  --bgp-port         BGP port (0 picks a free one)              default ${PORTS.controlBgp}
  --introspect-port  introspect port                            default ${PORTS.controlIntrospect}
  --introspect-host  introspect listen address                  default 127.0.0.1
  --hold-time        hold time proposed, seconds (0 or 3..65535) default 90
  --gr-peer-wait     with graceful restart on: seconds the start waits for a configured
                     agent or control node that has not connected before sending routes
                     and End-of-RIB (RFC 4724 selection deferral)  default 10
  --admin-token      X-Auth-Token for the config API            env ${ENV.adminToken}
  --register         create/update this node's bgp-router object (router_type control-node) on start`;

const command: CommandModule = {
  summary: 'run a control node (BGP route reflector, VRFs)',
  usage,
  async run(args) {
    const { values, help } = parseCommandArgs(args, {
      'config-api': { type: 'string' },
      name: { type: 'string' },
      'router-id': { type: 'string' },
      'bgp-address': { type: 'string' },
      'bgp-port': { type: 'string' },
      'introspect-port': { type: 'string' },
      'introspect-host': { type: 'string' },
      'hold-time': { type: 'string' },
      'gr-peer-wait': { type: 'string' },
      'admin-token': { type: 'string' },
      register: { type: 'boolean' },
    }, false);
    if (help) {
      console.log(usage);
      return 0;
    }
    const routerId = values['router-id'] ?? values['bgp-address'];
    const bgpAddress = values['bgp-address'] ?? values['router-id'];
    if (routerId === undefined || bgpAddress === undefined) throw new UsageError('--router-id or --bgp-address is required');
    const hold = values['hold-time'] === undefined ? undefined : intOption('hold-time', values['hold-time'], 90);
    const peerWait = values['gr-peer-wait'] === undefined ? undefined : intOption('gr-peer-wait', values['gr-peer-wait'], 10);
    let node;
    try {
      node = await startControlNode({
        configApi: values['config-api'] ?? defaultConfigApiUrl(),
        adminToken: values['admin-token'] ?? (envOr(ENV.adminToken, '') || undefined),
        name: values.name ?? hostname().split('.')[0],
        routerId,
        bgpAddress,
        bgpPort: intOption('bgp-port', values['bgp-port'], PORTS.controlBgp),
        introspectPort: intOption('introspect-port', values['introspect-port'], PORTS.controlIntrospect),
        introspectHost: values['introspect-host'] ?? '127.0.0.1',
        ...(hold !== undefined ? { holdTime: hold } : {}),
        ...(peerWait !== undefined ? { grPeerWaitTime: peerWait } : {}),
        register: values.register === true,
      });
    } catch (err) {
      console.error(`tfctl serve control: ${err instanceof TfError ? `${err.code}: ` : ''}${errorMessage(err)}`);
      return 1;
    }
    const stopped = untilStopSignal();
    console.log(`tfctl serve control: ${node.name} BGP ${node.bgpAddress}:${node.bgpPort}, introspect http://${values['introspect-host'] ?? '127.0.0.1'}:${node.introspectPort ?? '-'}, config revision ${node.configRevision}`);
    await stopped;
    await node.stop();
    return 0;
  },
};

export default command;
