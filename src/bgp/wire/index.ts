// The BGP wire codec: pure encode/decode, no I/O, no imports outside this folder.
export * from './constants.js';
export * from './errors.js';
export * from './addr.js';
export * from './rd.js';
export * from './ext-community.js';
export * from './nlri.js';
export * from './attributes.js';
export * from './open.js';
export * from './update.js';
export * from './message.js';
