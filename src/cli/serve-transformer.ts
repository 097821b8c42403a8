// tfctl serve transformer: the schema transformer as its own process (ARCHITECTURE.md "Command lines").
import { ENV, PORTS, defaultConfigApiUrl, envOr } from '../common/defaults.js';
import { errorMessage } from '../common/errors.js';
import { startIntrospect, type RunningServer } from '../common/http.js';
import { summarize } from '../common/health.js';
import { Registry } from '../common/metrics.js';
import { startTransformer, type RunningTransformer } from '../transformer/index.js';
import { intOption, parseCommandArgs, type CommandModule, untilStopSignal } from './command.js';

const usage = `usage: tfctl serve transformer [--config-api URL] [--introspect-port ${PORTS.transformerIntrospect}] [--admin-token T]
                               [--settle-ms 50]

Follows the config API's change feed and keeps the derived objects exact: each virtual network's
route target and default routing-instance import/export targets and connections, network and
security-group access-control-lists (docs/transformer.md). Several may run against one API.

  --config-api       config API URL       env ${ENV.configApi}   default ${defaultConfigApiUrl()}
  --introspect-port  /healthz, /metrics, /Snh_TransformerStatus  default ${PORTS.transformerIntrospect} (0: a free port)
  --admin-token      X-Auth-Token for the config API             env ${ENV.adminToken}
  --settle-ms        quiet time before a changed network is reconciled (default 50)`;

const command: CommandModule = {
  summary: 'run the schema transformer',
  usage,
  async run(args) {
    const { values, help } = parseCommandArgs(
      args,
      {
        'config-api': { type: 'string' },
        'introspect-port': { type: 'string' },
        'admin-token': { type: 'string' },
        'settle-ms': { type: 'string' },
      },
      false,
    );
    if (help) {
      console.log(usage);
      return 0;
    }
    const url = values['config-api'] ?? defaultConfigApiUrl();
    const introspectPort = intOption('introspect-port', values['introspect-port'], PORTS.transformerIntrospect);
    const settleMs = intOption('settle-ms', values['settle-ms'], 50);
    let running: RunningTransformer | undefined;
    let introspect: RunningServer | undefined;
    try {
      running = await startTransformer({ configApiUrl: url, adminToken: values['admin-token'] ?? (envOr(ENV.adminToken, '') || undefined), settleMs });
      const t = running.transformer;
      const registry = new Registry();
      registry.gauge('tf_transformer_queue_depth', 'keys waiting, settling or running', (g) => g.set(t.stats().queueDepth + t.stats().pending));
      registry.gauge('tf_transformer_writes', 'writes issued since start by action', (g) => {
        for (const [action, n] of Object.entries(t.stats().writes)) g.set(n, { action });
      });
      registry.gauge('tf_transformer_reconciles', 'reconciles finished since start', (g) => g.set(t.stats().reconciles));
      registry.gauge('tf_transformer_revision', 'config revision the transformer has seen', (g) => g.set(t.stats().revision));
      introspect = await startIntrospect({
        port: introspectPort,
        registry,
        health: () => summarize('schema-transformer', [{ type: 'ApiServer', name: 'config-api', server_addrs: [url], status: t.stats().synced ? 'Up' : 'Initializing' }]),
        routes: { '/Snh_TransformerStatus': () => t.stats() },
      });
    } catch (err) {
      await running?.close();
      console.error(`tfctl serve transformer: ${errorMessage(err)}`);
      return 1;
    }
    console.log(`tfctl serve transformer: following ${url} (introspect on port ${introspect.port})`);
    await untilStopSignal();
    await introspect.close();
    await running.close();
    return 0;
  },
};

export default command;
