// Stand-ins for running the lab kubelet without root: a fake CNI plugin (a real executable shell
// script that logs every call and hands out 10.99.<net>.N addresses, failing on demand) and a
// NetnsOps that records namespaces as files and runs container processes in the host namespace.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetnsOps } from '../../src/lab/kubelet/netns.js';

export interface FakeCni {
  binDir: string;
  confDir: string;
  /** every call: command and environment, and the parsed stdin */
  calls(): { command: string; env: Record<string, string>; stdin: Record<string, unknown> }[];
  /** make ADD fail (true) or succeed again (false) */
  failAdds(on: boolean): void;
}

const SCRIPT = `#!/bin/sh
# Fake CNI plugin for tests: logs the call, answers ADD with the next address.
dir=$(dirname "$0")
stdin=$(cat)
exec 9>"$dir/lock"
flock 9
printf '%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n' "$CNI_COMMAND" "$CNI_CONTAINERID" "$CNI_NETNS" "$CNI_IFNAME" "$CNI_ARGS" "$CNI_PATH" "$stdin" >> "$dir/calls.log"
case "$CNI_COMMAND" in
ADD)
  if [ -f "$dir/fail" ]; then echo '{"cniVersion":"1.0.0","code":11,"msg":"fake plugin told to fail"}'; exit 1; fi
  n=$(cat "$dir/next" 2>/dev/null || echo 2)
  echo $((n + 1)) > "$dir/next"
  net=$(cat "$dir/net")
  echo "{\\"cniVersion\\":\\"1.0.0\\",\\"interfaces\\":[{\\"name\\":\\"eth0\\",\\"sandbox\\":\\"$CNI_NETNS\\"}],\\"ips\\":[{\\"address\\":\\"10.99.$net.$n/24\\",\\"gateway\\":\\"10.99.$net.1\\",\\"interface\\":0}]}"
  ;;
DEL) ;;
VERSION) echo '{"cniVersion":"1.0.0","supportedVersions":["0.3.1","0.4.0","1.0.0"]}' ;;
*) echo '{"cniVersion":"1.0.0","code":4,"msg":"unknown command"}'; exit 1 ;;
esac
`;

export function fakeCni(root: string, net = 0, type = 'fakecni'): FakeCni {
  const binDir = join(root, 'bin');
  const confDir = join(root, 'net.d');
  mkdirSync(binDir, { recursive: true });
  mkdirSync(confDir, { recursive: true });
  writeFileSync(join(binDir, type), SCRIPT);
  chmodSync(join(binDir, type), 0o755);
  writeFileSync(join(binDir, 'net'), String(net));
  writeFileSync(join(confDir, '10-fake.conf'), JSON.stringify({ cniVersion: '1.0.0', name: 'fakenet', type }));
  return {
    binDir,
    confDir,
    calls() {
      const file = join(binDir, 'calls.log');
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [command, id, netns, ifname, args, path, stdin] = line.split('\t');
          return { command, env: { CNI_CONTAINERID: id, CNI_NETNS: netns, CNI_IFNAME: ifname, CNI_ARGS: args, CNI_PATH: path }, stdin: JSON.parse(stdin) as Record<string, unknown> };
        });
    },
    failAdds(on) {
      if (on) writeFileSync(join(binDir, 'fail'), '');
      else rmSync(join(binDir, 'fail'), { force: true });
    },
  };
}

/** Network namespaces as files in a directory; processes run unconfined. */
export class DirNetns implements NetnsOps {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }
  async create(name: string): Promise<void> {
    writeFileSync(join(this.dir, name), '');
  }
  async remove(name: string): Promise<void> {
    rmSync(join(this.dir, name), { force: true });
  }
  async list(): Promise<string[]> {
    return readdirSync(this.dir);
  }
  async exists(name: string): Promise<boolean> {
    return existsSync(join(this.dir, name));
  }
  path(name: string): string {
    return join(this.dir, name);
  }
  wrap(_name: string, argv: readonly string[]): string[] {
    return [...argv];
  }
}

/** A responder stand-in that binds no ports (so parallel tests do not collide): sleeps until killed. */
export const SLEEPING_RESPONDER = ['sh', '-c', 'exec sleep 3600', 'responder'];
