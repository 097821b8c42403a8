// `tfctl lab down`: stops a lab and removes everything it made (see down.ts). Safe to run twice or after
// a crash; without a lab it says so and succeeds.
import { resolve } from 'node:path';
import { parseCommandArgs, type CommandModule } from '../cli/command.js';
import { labDir } from '../common/endpoints.js';
import { labDown } from './down.js';
import { preflight } from './lab.js';
import { TfError, errorMessage } from '../common/errors.js';

const USAGE = `usage: tfctl lab down [--dir ./tf-lab] [--prefix tfl-]

Stops the lab's supervisor (it stops every component in order), then kills whatever is left of the
lab's processes, deletes every network namespace of the lab's prefix (with their veths, bridge,
routes, rules and nftables tables) and removes the runtime files (state.json, endpoints.json,
kubeconfig, sockets). Logs and the config database stay in the lab directory.

  --dir     lab directory          env TF_LAB_DIR, default ./tf-lab
  --prefix  namespace prefix when the lab directory has no state.json (default tfl-)`;

const command: CommandModule = {
  summary: 'stop the lab and remove everything it made',
  usage: USAGE,
  async run(args) {
    const { values, help } = parseCommandArgs(args, { dir: { type: 'string' }, prefix: { type: 'string' } }, false);
    if (help) {
      console.log(USAGE);
      return 0;
    }
    try {
      preflight();
    } catch (err) {
      console.error(`tfctl lab down: ${err instanceof TfError ? `${err.code}: ` : ''}${errorMessage(err)}`);
      return 1;
    }
    const dir = resolve(values.dir ?? labDir());
    const r = await labDown(dir, { prefix: values.prefix });
    if (r.nothing) {
      console.log(`no lab running (${dir}); nothing to remove`);
      return 0;
    }
    const parts = [
      r.supervisorStopped ? 'supervisor stopped' : 'no supervisor running',
      `${r.namespaces.length} namespaces deleted`,
      `${r.killed.length} leftover processes killed`,
    ];
    console.log(`lab down: ${parts.join(', ')}`);
    return 0;
  },
};

export default command;
