/**
 * All four subsystems in one process. Publishing enqueues; the queue is drained in FIFO
 * order with no serialisation, so one signal's handlers finish before the next signal is
 * delivered, exactly the order a single NATS connection per source gives — which is why
 * embedded and distributed runs are bit-identical. A handler that publishes does not
 * recurse: its signals join the queue.
 */
import { EMITTER as EMITTER_, type Signal, type SignalType, type Source } from '@metatwin/contracts';
import type { SignalBus, SignalHandler } from './bus';

// Bound once: compiled re-exports are getters, and this is read for every signal.
const EMITTER = EMITTER_;

export class InProcessBus implements SignalBus {
  /** Per source, per signal type ('*': every type), the handlers: filtering here keeps a handler off types it ignores. */
  private readonly handlers = new Map<Source, Map<SignalType | '*', SignalHandler[]>>();
  /**
   * Per route, the type's handlers then every-type handlers, built on first delivery. A
   * signal type has one emitter, so the type alone is the route; types any service emits
   * (EMITTER 'any') are routed by source and type.
   */
  private readonly routes = new Map<string, SignalHandler[]>();
  private queue: Signal[] = [];
  private head = 0;
  private draining = false;
  private closed = false;

  publish(signal: Signal): void {
    if (this.closed) throw new Error('publish on a closed bus');
    this.queue.push(signal);
    if (!this.draining) this.drain();
  }

  subscribe(sources: ReadonlyArray<Source>, handler: SignalHandler, types?: ReadonlyArray<SignalType>): () => void {
    const keys: ReadonlyArray<SignalType | '*'> = types ?? ['*'];
    for (const s of sources) {
      let byType = this.handlers.get(s);
      if (!byType) this.handlers.set(s, (byType = new Map()));
      for (const t of keys) byType.set(t, [...(byType.get(t) ?? []), handler]);
    }
    this.routes.clear();
    return () => {
      this.routes.clear();
      for (const s of sources) {
        const byType = this.handlers.get(s);
        for (const t of keys)
          byType?.set(
            t,
            (byType.get(t) ?? []).filter((h) => h !== handler),
          );
      }
    };
  }

  async settle(): Promise<void> {
    if (!this.draining) this.drain();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
  }

  /** Handlers of the type, then those of every type: each set in subscription order. */
  private route(source: Source, type: SignalType): SignalHandler[] {
    const key = EMITTER[type] === 'any' ? `${source}:${type}` : type;
    let list = this.routes.get(key);
    if (list === undefined) {
      const byType = this.handlers.get(source);
      this.routes.set(key, (list = [...(byType?.get(type) ?? []), ...(byType?.get('*') ?? [])]));
    }
    return list;
  }

  private drain(): void {
    this.draining = true;
    try {
      while (this.head < this.queue.length) {
        const signal = this.queue[this.head];
        // Drop the reference at once: a delivered signal must not outlive the young generation.
        this.queue[this.head++] = undefined as unknown as Signal;
        const list = this.route(signal.meta.source, signal.type);
        for (let i = 0; i < list.length; i++) list[i](signal);
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
