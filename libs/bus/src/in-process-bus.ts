/**
 * All four subsystems in one process. Publishing enqueues; the queue is drained in FIFO
 * order with no serialisation, so one signal's handlers finish before the next signal is
 * delivered, exactly the order a single NATS connection per source gives — which is why
 * embedded and distributed runs are bit-identical. A handler that publishes does not
 * recurse: its signals join the queue.
 */
import type { Signal, SignalType, Source } from '@metatwin/contracts';
import type { SignalBus, SignalHandler } from './bus';

export class InProcessBus implements SignalBus {
  private readonly handlers = new Map<Source, SignalHandler[]>();
  private queue: Signal[] = [];
  private head = 0;
  private draining = false;
  private closed = false;

  publish(signal: Signal): void {
    if (this.closed) throw new Error('publish on a closed bus');
    this.queue.push(signal);
    if (!this.draining) this.drain();
  }

  subscribe(sources: ReadonlyArray<Source>, handler: SignalHandler, _types?: ReadonlyArray<SignalType>): () => void {
    for (const s of sources) {
      const list = this.handlers.get(s) ?? [];
      list.push(handler);
      this.handlers.set(s, list);
    }
    return () => {
      for (const s of sources) this.handlers.set(s, (this.handlers.get(s) ?? []).filter((h) => h !== handler));
    };
  }

  async settle(): Promise<void> {
    if (!this.draining) this.drain();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
  }

  private drain(): void {
    this.draining = true;
    try {
      while (this.head < this.queue.length) {
        const signal = this.queue[this.head++];
        const list = this.handlers.get(signal.meta.source);
        if (list) for (let i = 0; i < list.length; i++) list[i](signal);
        if (this.head > 4096 && this.head * 2 > this.queue.length) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
