// `tfctl lab kubeconfig`: prints the path of the running lab's kubeconfig (`export KUBECONFIG=$(tfctl lab
// kubeconfig)`), or with --print its content.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseCommandArgs, type CommandModule } from '../cli/command.js';
import { labDir, readEndpoints } from '../common/endpoints.js';

const USAGE = `usage: tfctl lab kubeconfig [--dir ./tf-lab] [--print]

Prints the path of the kubeconfig of the lab running from the lab directory, e.g.
  export KUBECONFIG=$(tfctl lab kubeconfig)
  --print   print the file's content instead`;

const command: CommandModule = {
  summary: 'print the path of the lab kubeconfig',
  usage: USAGE,
  async run(args) {
    const { values, help } = parseCommandArgs(args, { dir: { type: 'string' }, print: { type: 'boolean' } }, false);
    if (help) {
      console.log(USAGE);
      return 0;
    }
    const dir = resolve(values.dir ?? labDir());
    const eps = readEndpoints(dir);
    if (!eps) {
      console.error(`tfctl lab kubeconfig: LAB_NOT_RUNNING: no lab is running from ${dir} (start one with \`tfctl lab up\`)`);
      return 1;
    }
    if (values.print) process.stdout.write(readFileSync(eps.kubeconfig, 'utf8'));
    else console.log(eps.kubeconfig);
    return 0;
  },
};

export default command;
