// The seam for running the schema transformer inside the config API process (tfctl serve config
// without --no-transformer). The transformer lives in src/transformer/ and is written by another
// engineer; this module only defines the interface it must export and loads it on demand.
//
// Contract: src/transformer/index.ts exports
//   startTransformer(opts: TransformerStartOptions): Promise<{ close(): Promise<void> }>
// which connects to the config API at opts.configApiUrl (with opts.adminToken) like a standalone
// `tfctl serve transformer` would. If the module or the export is missing, starting fails loudly
// (TransformerMissingError): the flag never pretends to do anything.
import { TfError } from '../common/errors.js';
import type { Logger } from '../common/log.js';

export interface TransformerStartOptions {
  configApiUrl: string;
  adminToken?: string;
  logger?: Logger;
}

export interface TransformerHandle {
  close(): Promise<void>;
}

export type TransformerStarter = (opts: TransformerStartOptions) => Promise<TransformerHandle>;

/** true: load src/transformer/index.js; a function: use it (tests, embedding). */
export type TransformerOption = boolean | TransformerStarter;

export const TRANSFORMER_MODULE = '../transformer/index.js';

export class TransformerMissingError extends TfError {
  constructor(detail: string) {
    super(
      'TRANSFORMER_MISSING',
      `the schema transformer is not part of this build (${detail}); run with --no-transformer, or run \`tfctl serve transformer\` separately`,
      { status: 500 },
    );
  }
}

export async function loadTransformer(): Promise<TransformerStarter> {
  let mod: { startTransformer?: unknown };
  try {
    mod = (await import(TRANSFORMER_MODULE)) as { startTransformer?: unknown };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') throw new TransformerMissingError('src/transformer/index.ts not found');
    throw err;
  }
  if (typeof mod.startTransformer !== 'function') throw new TransformerMissingError('src/transformer/index.ts does not export startTransformer()');
  return mod.startTransformer as TransformerStarter;
}

export async function startTransformerHook(opt: TransformerOption, opts: TransformerStartOptions): Promise<TransformerHandle | undefined> {
  if (opt === false) return undefined;
  const start = opt === true ? await loadTransformer() : opt;
  return start(opts);
}
