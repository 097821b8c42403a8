// Public surface of the BGP library: the speaker, its configuration and events, and the lower layers
// (codec, session FSM, RIB) for components that compose their own tables.
export * from './speaker.js';
export * from './config.js';
export type { PeerEvent, PeerStatus, MessageStats } from './peer.js';
export { routeTargetsOf } from './peer.js';
export * from './export-policy.js';
export * as wire from './wire/index.js';
export * from './rib/index.js';
export { Session } from './fsm/session.js';
export type { SessionConfig, SessionEvents, SessionState, SessionDown, Negotiated, GracefulRestartConfig, PeerGracefulRestart } from './fsm/session.js';
export { FakeClock, systemClock } from './fsm/clock.js';
export type { Clock, Timer } from './fsm/clock.js';
export { memoryPair } from './fsm/transport.js';
export type { Transport, Connector, ConnectOptions } from './fsm/transport.js';
export { socketTransport, tcpConnect } from './fsm/tcp.js';
export type { Family } from './wire/constants.js';
export type { Nlri, LabeledNlri } from './wire/nlri.js';
export type { PathAttributes } from './wire/attributes.js';
