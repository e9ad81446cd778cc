/**
 * The signal bus: how the four subsystems hear each other. Embedded runs use the
 * in-process bus; distributed runs the NATS bus. Both deliver a source's signals to each
 * subscriber in the order they were published, which is all the cores rely on.
 */
import type { Signal, SignalType, Source } from '@metatwin/contracts';

export type SignalHandler = (signal: Signal) => void;

export interface SignalBus {
  /** Send a signal to every subscriber of its source. */
  publish(signal: Signal): void;
  /**
   * Receive signals from the given sources (only the given types, when named; a bus may
   * still deliver others, so handlers ignore what they do not act on). Returns an unsubscribe.
   */
  subscribe(sources: ReadonlyArray<Source>, handler: SignalHandler, types?: ReadonlyArray<SignalType>): () => void;
  /** Deliver everything published so far (in-process: runs the queue; NATS: flushes). */
  settle(): Promise<void>;
  close(): Promise<void>;
}
