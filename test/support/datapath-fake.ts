// A scripted CommandRunner for unit tests of the datapath orchestration (renderer, pod plumbing): answers
// the renderer's one-shell reads from canned sections and records every command with its stdin.
import type { CommandResult, CommandRunner } from '../../src/datapath/linux/exec.js';

export interface Call {
  argv: readonly string[];
  input?: string;
}

export type Reply = (argv: readonly string[], input?: string) => Partial<CommandResult> | undefined;

/** Renders sections the way readSections expects them from its shell (null = the command failed). */
export function sectionsOutput(sections: Readonly<Record<string, string | null>>): string {
  return Object.entries(sections)
    .map(([k, v]) => `\n@@@ ${k}\n${v === null ? '\n@@@!\n' : v}`)
    .join('');
}

export function fakeRunner(reply: Reply = () => undefined): { runner: CommandRunner; calls: Call[] } {
  const calls: Call[] = [];
  const runner: CommandRunner = async (argv, input) => {
    calls.push({ argv, input });
    const r = reply(argv, input) ?? {};
    return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', code: r.code ?? 0 };
  };
  return { runner, calls };
}

/** The program a call ran, without the nsenter prefix: e.g. "ip -force -batch -" or "sh". */
export function program(c: Call): string {
  const argv = c.argv[0] === 'nsenter' ? c.argv.slice(2) : c.argv;
  return argv[0] === 'sh' ? 'sh' : argv.join(' ');
}
