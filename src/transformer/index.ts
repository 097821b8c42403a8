// Public entry of the schema transformer. startTransformer() is also the in-process seam of
// `tfctl serve config` (src/config/transformer-hook.ts).
import { createLogger } from '../common/log.js';
import type { TransformerHandle, TransformerStartOptions } from '../config/transformer-hook.js';
import { VncClient } from '../vnc/client.js';
import { Transformer, type TransformerOptions } from './transformer.js';

export { Transformer, WATCHED_TYPES, type TransformerOptions, type TransformerStats } from './transformer.js';
export type { ReconcileReport, WriteAction, WriteRecord } from './writer.js';
export { CREATOR, OWNER_KEY, isDerived, ownerOf } from './marks.js';
export { attrToIe, type ImportExport } from './ri-refs.js';
export { rtRange, rtName, parseRt } from './route-target.js';
export { INGRESS_ACL, EGRESS_ACL } from './sg-acl.js';
export { IMPLICIT_ALLOW_UUID, IMPLICIT_DENY_UUID } from './acl-common.js';

export interface RunningTransformer extends TransformerHandle {
  readonly transformer: Transformer;
  readonly client: VncClient;
}

/** Connects to the config API, syncs, and keeps the derived objects exact until close(). */
export async function startTransformer(opts: TransformerStartOptions & Partial<Omit<TransformerOptions, 'client'>>): Promise<RunningTransformer> {
  const client = new VncClient({ url: opts.configApiUrl, adminToken: opts.adminToken });
  const logger = opts.logger ? opts.logger.child({ component: 'transformer' }) : createLogger('transformer');
  const transformer = new Transformer({ ...opts, client, logger });
  try {
    await transformer.start();
  } catch (err) {
    await transformer.close();
    client.close();
    throw err;
  }
  return {
    transformer,
    client,
    async close() {
      await transformer.close();
      client.close();
    },
  };
}
