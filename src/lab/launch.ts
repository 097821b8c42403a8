// How the lab starts `tfctl` child processes: the same way it is running itself — the compiled
// dist/bin/tfctl.js (npm start, the published package) or the TypeScript sources through tsx (tests,
// `npm run tfctl`). Also answers whether a command module is part of this build.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = import.meta.url.endsWith('.js');

/** argv prefix that runs tfctl. */
export function tfctlArgv(): string[] {
  if (compiled) return [process.execPath, '--enable-source-maps', fileURLToPath(new URL('../bin/tfctl.js', import.meta.url))];
  return [process.execPath, '--import', import.meta.resolve('tsx'), fileURLToPath(new URL('../bin/tfctl.ts', import.meta.url))];
}

/** Is src/cli/<name> (or dist/cli/<name>.js) present? e.g. hasCliModule('serve-agent'). */
export function hasCliModule(name: string): boolean {
  return existsSync(fileURLToPath(new URL(`../cli/${name}.${compiled ? 'js' : 'ts'}`, import.meta.url)));
}

/** The tf-cni executable: next to the cni modules (source tree, or copied into dist/cni), else the package's src/cni or bin/. */
export function tfCniPath(): string | undefined {
  const candidates = [new URL('../cni/tf-cni', import.meta.url), new URL('../../src/cni/tf-cni', import.meta.url), new URL('../../bin/tf-cni', import.meta.url)];
  return candidates.map((u) => fileURLToPath(u)).find((p) => existsSync(p));
}

/** The package root (where examples/ and bin/ live). */
export function packageRoot(): string {
  return fileURLToPath(new URL('../../', import.meta.url));
}
