// The RIB: route tables with the decision process, interned attributes, path sources, RT membership.
export * from './key-index.js';
export * from './attr-pool.js';
export * from './sources.js';
export * from './decision.js';
export * from './table.js';
export * from './rtc-filter.js';
