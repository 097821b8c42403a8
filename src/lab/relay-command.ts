// `tfctl lab relay --map <listen>=<connect> …`: the relay a lab runs inside each of its network
// namespaces (started by `tfctl lab up`; see relay.ts for what the mappings are for).
import { parseCommandArgs, UsageError, type CommandModule } from '../cli/command.js';
import { errorMessage } from '../common/errors.js';
import { parseMapping, formatMapping, startRelay, type RelayMapping } from './relay.js';

const USAGE = `usage: tfctl lab relay --map <listen>=<connect> [--map …]

Pipes connections between TCP and unix sockets (one end each: tcp:<host>:<port> or
unix:<absolute path>) until SIGINT/SIGTERM. \`tfctl lab up\` runs one inside each lab namespace so
that processes there reach the host's loopback APIs and the host reaches their introspect ports.`;

const command: CommandModule = {
  summary: 'lab-internal TCP/unix socket relay',
  usage: USAGE,
  async run(args) {
    const { values, help } = parseCommandArgs(args, { map: { type: 'string', multiple: true } }, false);
    if (help) {
      console.log(USAGE);
      return 0;
    }
    let mappings: RelayMapping[];
    try {
      mappings = (values.map ?? []).map(parseMapping);
    } catch (err) {
      throw new UsageError(errorMessage(err));
    }
    if (mappings.length === 0) throw new UsageError('give at least one --map');
    let relay;
    try {
      relay = await startRelay(mappings);
    } catch (err) {
      console.error(`tfctl lab relay: ${errorMessage(err)}`);
      return 1;
    }
    console.log(`tfctl lab relay: ${mappings.map(formatMapping).join(' ')}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await relay.close();
    return 0;
  },
};

export default command;
