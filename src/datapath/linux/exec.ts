// The I/O edge of the Linux renderer: runs ip/bridge/nft/sysctl (in a network namespace through nsenter
// when one is given), feeds batches on stdin and turns failures into typed errors. The runner is
// injectable so that everything above it is tested without a kernel.
import { spawn } from 'node:child_process';
import { DatapathApplyError, DatapathCommandError, type LineFailure } from '../errors.js';
import { netnsPath } from './ip-lines.js';

export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

export type CommandRunner = (argv: readonly string[], input?: string) => Promise<CommandResult>;

/** Spawns argv[0] directly (no shell), writes `input` to stdin, collects stdout and stderr. */
export const spawnRunner: CommandRunner = (argv, input) =>
  new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code }));
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });

/** argv wrapped to run inside `netns` (a name under /run/netns or a path); unchanged when undefined. */
export function inNetns(netns: string | undefined, argv: readonly string[]): string[] {
  return netns === undefined ? [...argv] : ['nsenter', `--net=${netnsPath(netns)}`, ...argv];
}

export async function runChecked(runner: CommandRunner, netns: string | undefined, argv: readonly string[], input?: string): Promise<string> {
  const full = inNetns(netns, argv);
  let res: CommandResult;
  try {
    res = await runner(full, input);
  } catch (err) {
    throw new DatapathCommandError(`cannot run ${full[0]}: ${err instanceof Error ? err.message : String(err)}`, { command: full, exitCode: null, stderr: '' });
  }
  if (res.code !== 0) {
    throw new DatapathCommandError(`${full.join(' ')} exited with ${res.code}: ${res.stderr.trim().split('\n').slice(0, 3).join(' / ')}`, {
      command: full,
      exitCode: res.code,
      stderr: res.stderr,
    });
  }
  return res.stdout;
}

/**
 * Maps `ip -force -batch` / `bridge -force -batch` stderr ("<message>…\nCommand failed -:<line>") to the
 * failed input lines with their messages.
 */
export function parseBatchFailures(stderr: string, lines: readonly string[]): LineFailure[] {
  const failures: LineFailure[] = [];
  let pending: string[] = [];
  for (const raw of stderr.split('\n')) {
    const m = /^Command failed (?:-|\S+):(\d+)\s*$/.exec(raw);
    if (m) {
      const n = Number(m[1]);
      failures.push({ line: lines[n - 1] ?? `line ${n}`, error: pending.join(' ').trim() || 'failed' });
      pending = [];
    } else if (raw.trim() !== '') pending.push(raw.trim());
  }
  return failures;
}

/**
 * Runs one batch with -force (every line is tried) and throws DatapathApplyError listing the lines that
 * failed. `stopOnError` runs without -force instead: the first failing line ends the batch.
 */
export async function runBatch(
  runner: CommandRunner,
  netns: string | undefined,
  tool: 'ip' | 'bridge',
  lines: readonly string[],
  opts: { stopOnError?: boolean } = {},
): Promise<void> {
  if (lines.length === 0) return;
  const argv = inNetns(netns, opts.stopOnError ? [tool, '-batch', '-'] : [tool, '-force', '-batch', '-']);
  let res: CommandResult;
  try {
    res = await runner(argv, lines.join('\n') + '\n');
  } catch (err) {
    throw new DatapathCommandError(`cannot run ${argv[0]}: ${err instanceof Error ? err.message : String(err)}`, { command: argv, exitCode: null, stderr: '' });
  }
  if (res.code === 0) return;
  const failures = parseBatchFailures(res.stderr, lines);
  if (failures.length === 0) failures.push({ line: lines[0], error: res.stderr.trim() || `exit code ${res.code}` });
  throw new DatapathApplyError(tool, failures);
}

const shQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export interface ChainedBatch {
  /** namespace to enter for this batch (relative to where the chain runs); undefined = stay */
  netns?: string;
  /** `ip -batch -` (default) or `nft -f -` (one transaction) */
  tool?: 'ip' | 'nft';
  /** runs alongside the next batch; the chain waits for both before going on */
  background?: boolean;
  lines: readonly string[];
}

export interface ChainFailure {
  /**
   * index of the batch that failed; the ones before it were applied, the ones after it did not run — except
   * that a background batch's failure is reported once the batch it ran alongside has been applied
   */
  batch: number;
  error: DatapathApplyError;
  /** the background batch that ran alongside `batch` and failed too */
  background?: { batch: number; error: DatapathApplyError };
}

/** nft -f stderr → the failure to report (the line with a position, and the first lines of the message). */
function nftFailure(stderr: string): LineFailure {
  const msg = stderr.trim().split('\n');
  return { line: msg.find((l) => /:\d+:\d+/.test(l)) ?? 'nft -f -', error: msg.slice(0, 4).join(' / ') };
}

/**
 * Runs several `ip -batch` (or `nft -f`) in sequence from one shell started in `netns` (one process start
 * from Node instead of one per batch: a pod ADD touches two namespaces). Each ip batch stops at its first
 * failing line, an nft batch is one transaction; a failing batch ends the chain. A background batch runs
 * alongside the next one. Returns null on success. Exit codes: 10 + i batch i failed; 40 + i batch i and
 * the background batch before it failed.
 */
export async function runBatchChain(runner: CommandRunner, netns: string | undefined, batches: readonly ChainedBatch[]): Promise<ChainFailure | null> {
  const parts: string[] = [];
  let bg: number | undefined;
  batches.forEach((b, i) => {
    const enter = b.netns === undefined ? '' : `nsenter --net=${shQuote(netnsPath(b.netns))} `;
    const head = `${enter}${b.tool === 'nft' ? 'nft -f -' : 'ip -batch -'} <<'TF_BATCH_${i}'`;
    const body = `${b.lines.join('\n')}\nTF_BATCH_${i}`;
    if (b.background && i < batches.length - 1) {
      parts.push(`${head} &\n${body}`, 'tf_bg=$!');
      bg = i;
      return;
    }
    const onFail = bg === undefined ? `exit ${10 + i}` : `{ wait $tf_bg || exit ${40 + i}; exit ${10 + i}; }`;
    parts.push(`${head} || ${onFail}\n${body}`);
    if (bg !== undefined) parts.push(`wait $tf_bg || exit ${10 + bg}`);
    bg = undefined;
  });
  const script = parts.join('\n');
  const argv = inNetns(netns, ['sh', '-c', script]);
  let res: CommandResult;
  try {
    res = await runner(argv, '');
  } catch (err) {
    throw new DatapathCommandError(`cannot run sh: ${err instanceof Error ? err.message : String(err)}`, { command: argv, exitCode: null, stderr: '' });
  }
  if (res.code === 0) return null;
  const both = res.code !== null && res.code >= 40;
  const batch = res.code === null ? -1 : res.code - (both ? 40 : 10);
  if (batch < 0 || batch >= batches.length || (both && !batches[batch - 1]?.background)) {
    throw new DatapathCommandError(`batch chain exited with ${res.code}: ${res.stderr.trim()}`, { command: argv, exitCode: res.code, stderr: res.stderr });
  }
  const failure: ChainFailure = { batch, error: batchError(batches[batch], res.stderr, res.code) };
  if (both) failure.background = { batch: batch - 1, error: batchError(batches[batch - 1], res.stderr, res.code) };
  return failure;
}

function batchError(b: ChainedBatch, stderr: string, code: number | null): DatapathApplyError {
  if (b.tool === 'nft') return new DatapathApplyError('nft', [nftFailure(stderr)]);
  const failures = parseBatchFailures(stderr, b.lines);
  if (failures.length === 0) failures.push({ line: b.lines[0], error: stderr.trim() || `exit code ${code}` });
  return new DatapathApplyError('ip', failures);
}

/** Applies an nft script as one transaction (all or nothing). */
export async function runNft(runner: CommandRunner, netns: string | undefined, script: string): Promise<void> {
  const argv = inNetns(netns, ['nft', '-f', '-']);
  let res: CommandResult;
  try {
    res = await runner(argv, script);
  } catch (err) {
    throw new DatapathCommandError(`cannot run nft: ${err instanceof Error ? err.message : String(err)}`, { command: argv, exitCode: null, stderr: '' });
  }
  if (res.code !== 0) throw new DatapathApplyError('nft', [nftFailure(res.stderr)]);
}

/**
 * Runs several read-only commands in one shell inside the namespace (one process start instead of one per
 * command) and returns each command's stdout, or null for a command that failed.
 */
export async function readSections(runner: CommandRunner, netns: string | undefined, commands: Readonly<Record<string, string>>): Promise<Record<string, string | null>> {
  const names = Object.keys(commands);
  const script = names.map((n) => `printf '\\n@@@ %s\\n' '${n}'; ${commands[n]} 2>/dev/null || printf '\\n@@@!\\n'`).join('\n');
  const stdout = await runChecked(runner, netns, ['sh', '-c', script]);
  const out: Record<string, string | null> = {};
  const parts = stdout.split(/\n@@@ /);
  for (const part of parts.slice(1)) {
    const nl = part.indexOf('\n');
    const name = nl < 0 ? part : part.slice(0, nl);
    const body = nl < 0 ? '' : part.slice(nl + 1);
    out[name] = body.includes('\n@@@!') || body.startsWith('@@@!') ? null : body;
  }
  for (const n of names) if (!(n in out)) out[n] = null;
  return out;
}
