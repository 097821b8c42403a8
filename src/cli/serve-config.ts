// tfctl serve config: the VNC config API server (ARCHITECTURE.md "Command lines").
import { ENV, PORTS, envOr } from '../common/defaults.js';
import { errorMessage } from '../common/errors.js';
import { startConfigApi } from '../config/server.js';
import { DEFAULT_STORE_URL } from '../config/store/open.js';
import { intOption, parseCommandArgs, type CommandModule, untilStopSignal } from './command.js';

const usage = `usage: tfctl serve config [--port ${PORTS.configApi}] [--host 127.0.0.1]
                          [--store sqlite://./tf-data/config.db | etcd://h1:2379,h2:2379[/namespace/]]
                          [--introspect-port ${PORTS.configIntrospect}] [--admin-token T] [--no-transformer]

Serves the VNC config API (REST on --port, change feed on /watch) on an embedded SQLite file or on
etcd (several processes may share one etcd and behave as one API). Creates the default objects on
first start. Unless --no-transformer, runs the schema transformer in this process (it must be part
of the build).

  --port             listen port (0 picks a free one)              default ${PORTS.configApi}
  --host             listen address                                default 127.0.0.1
  --store            store URL        env ${ENV.store}             default ${DEFAULT_STORE_URL}
  --introspect-port  /healthz and /metrics                         default ${PORTS.configIntrospect}
  --admin-token      require X-Auth-Token on every request         env ${ENV.adminToken}
  --no-transformer   do not run the schema transformer in-process`;

const command: CommandModule = {
  summary: 'run the VNC config API server',
  usage,
  async run(args) {
    const { values, help } = parseCommandArgs(
      args,
      {
        port: { type: 'string' },
        host: { type: 'string' },
        store: { type: 'string' },
        'introspect-port': { type: 'string' },
        'admin-token': { type: 'string' },
        'no-transformer': { type: 'boolean' },
      },
      false,
    );
    if (help) {
      console.log(usage);
      return 0;
    }
    const token = values['admin-token'] ?? (envOr(ENV.adminToken, '') || undefined);
    const port = intOption('port', values.port, PORTS.configApi);
    const introspectPort = intOption('introspect-port', values['introspect-port'], PORTS.configIntrospect);
    let api;
    try {
      api = await startConfigApi({
        port,
        host: values.host ?? '127.0.0.1',
        store: values.store ?? envOr(ENV.store, DEFAULT_STORE_URL),
        introspectPort,
        adminToken: token,
        transformer: values['no-transformer'] !== true,
      });
    } catch (err) {
      console.error(`tfctl serve config: ${errorMessage(err)}`);
      return 1;
    }
    // Signal handlers first: whoever reads the "listening" line may stop us right away.
    const stopped = untilStopSignal();
    console.log(`tfctl serve config: listening on ${api.url} (store ${api.store.description}, revision ${api.service.mirror.revision})`);
    await stopped;
    await api.close();
    return 0;
  },
};

export default command;
