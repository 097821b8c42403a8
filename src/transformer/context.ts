// What the reconcile functions share: the cache and its World, the indexes, the writer, the way to
// touch other keys, and the global ASN.
import type { Logger } from '../common/log.js';
import type { VncCache } from '../vnc/cache.js';
import type { VncClient } from '../vnc/client.js';
import type { Indexes } from './indexes.js';
import type { World } from './world.js';
import type { Writer } from './writer.js';

export const DEFAULT_ASN = 64512;

/** Reconcile keys: `<kind>:<uuid>`. */
export type KeyKind = 'alloc' | 'vn' | 'sg' | 'rt';

export const key = (kind: KeyKind, uuid: string): string => `${kind}:${uuid}`;

export interface Ctx {
  readonly cache: VncCache;
  readonly client: VncClient;
  readonly world: World;
  readonly idx: Indexes;
  readonly writer: Writer;
  readonly log: Logger;
  /** schedules a key (alloc and rt keys run at once, vn and sg keys after the settle delay) */
  touch(kind: KeyKind, uuid: string): void;
  asn(): number;
}
