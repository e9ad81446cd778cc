// Signal buses: in-process (embedded runs) and log-first over JetStream (distributed runs).
export { type SignalBus, type SignalHandler } from './bus';
export { InProcessBus } from './in-process-bus';
export { LogBus, type LogBusOptions } from './log-bus';
export {
  BatchSigner,
  BatchVerifier,
  SIGNATURE_KEY,
  SigningConfigError,
  keyFromPublic,
  keyFromSeed,
  signingFromEnv,
  takeSignature,
  type SignedContent,
  type Verified,
} from './signing';
