// The shape of a tfctl command module and a small argument parser on node:util parseArgs that
// turns --help and unknown options into usage text instead of stack traces.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface CommandModule {
  /** one line for `tfctl --help` */
  readonly summary: string;
  /** full usage text for `tfctl <command> --help` */
  readonly usage: string;
  /** returns the process exit code */
  run(args: string[]): Promise<number>;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed<O extends Options> {
  values: { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : O[K]['multiple'] extends true ? string[] : string };
  positionals: string[];
  help: boolean;
}

export function parseCommandArgs<O extends Options>(args: string[], options: O, allowPositionals = true): Parsed<O> {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
    });
    const { help, ...rest } = values as Record<string, unknown>;
    return { values: rest as Parsed<O>['values'], positionals, help: help === true };
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

export function intOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

/** Resolves on the first SIGINT or SIGTERM (and stops listening for both): how a `serve` command waits to stop. */
export function untilStopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
