// Public entry of the VNC library: schema registry, typed client, informer cache, errors.
export * from './schema.js';
export * from './errors.js';
export { VncClient, type BatchOperation, type BatchResult, type ListOptions, type ListSummary, type ObjectOf, type Page, type PropCollectionUpdate, type ReadOptions, type RefOperation, type VncClientOptions, type VncType } from './client.js';
export { VncCache, type CacheHandlers, type CacheOptions } from './cache.js';
export type { WatchEvent, WatchEventType, WatchHandle, WatchOptions } from './watch.js';
export { parseWire, stringifyWire } from './wire.js';
