/**
 * The signal bus: how the four subsystems hear each other. Embedded runs use the
 * in-process bus; distributed runs the NATS bus. Both deliver a source's signals to each
 * subscriber in the order they were published, which is all the cores rely on.
 */
import type { Signal, Source } from '@metatwin/contracts';

export type SignalHandler = (signal: Signal) => void;

export interface SignalBus {
  /** Send a signal to every subscriber of its source. */
  publish(signal: Signal): void;
  /** Receive every signal from the given sources; returns an unsubscribe function. */
  subscribe(sources: ReadonlyArray<Source>, handler: SignalHandler): () => void;
  /** Deliver everything published so far (in-process: runs the queue; NATS: flushes). */
  settle(): Promise<void>;
  close(): Promise<void>;
}
