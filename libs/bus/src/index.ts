// Signal buses: in-process (embedded runs) and NATS (distributed runs).
export { type SignalBus, type SignalHandler } from './bus';
export { InProcessBus } from './in-process-bus';
export { NatsBus, type NatsBusOptions } from './nats-bus';
