/**
 * The signal bus over core NATS (no acknowledgements: live signals, as the wires are live;
 * durability is the event log's job). Each source publishes on `mt.sig.<run>.<source>` from
 * one connection, so each subscriber sees a source's signals in order. Everything received
 * is validated; a bad message is answered on `mt.dead.<service>` with the reason and
 * otherwise ignored, and the service keeps running.
 */
import { EMITTER, SIGNAL_TYPES, SUBJECTS, decodeSignal, encodeSignal, type DeadLetter, type Signal, type SignalType, type Source } from '@metatwin/contracts';
import { connect, type NatsConnection, type Subscription } from 'nats';
import type { SignalBus, SignalHandler } from './bus';

export interface NatsBusOptions {
  readonly servers: string;
  /** The service this bus belongs to, for dead letters and the connection name. */
  readonly service: Source | 'observer';
  /** Only receive signals of this run (default: every run). */
  readonly runId?: string;
}

export class NatsBus implements SignalBus {
  private readonly subscriptions: Subscription[] = [];
  deadLetters = 0;
  received = 0;

  private constructor(
    readonly connection: NatsConnection,
    private readonly options: NatsBusOptions,
  ) {}

  static async connect(options: NatsBusOptions): Promise<NatsBus> {
    const connection = await connect({ servers: options.servers, name: `metatwin-${options.service}`, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    return new NatsBus(connection, options);
  }

  publish(signal: Signal): void {
    this.connection.publish(SUBJECTS.signal(signal.meta.runId, signal.meta.source, signal.type), encodeSignal(signal));
  }

  subscribe(sources: ReadonlyArray<Source>, handler: SignalHandler, types?: ReadonlyArray<SignalType>): () => void {
    const wanted = (types ?? SIGNAL_TYPES).flatMap((t) => {
      const emitter = EMITTER[t];
      return emitter === 'any' ? sources.map((source) => [source, t] as const) : sources.includes(emitter) ? [[emitter, t] as const] : [];
    });
    const subs = wanted.map(([source, type]) => {
      return this.connection.subscribe(SUBJECTS.signalsOfType(this.options.runId ?? '*', source, type), {
        callback: (err, msg) => {
          if (err) return;
          const checked = decodeSignal(msg.data);
          if (!checked.ok) return this.deadLetter(msg.subject, checked.reason, msg.data);
          if (checked.signal.type !== type) return this.deadLetter(msg.subject, `a ${checked.signal.type} signal arrived on the ${type} subject`, msg.data);
          this.received++;
          try {
            handler(checked.signal);
          } catch (e) {
            this.deadLetter(msg.subject, `handler failed: ${(e as Error).message}`, msg.data);
          }
        },
      });
    });
    this.subscriptions.push(...subs);
    return () => subs.forEach((s) => s.unsubscribe());
  }

  async settle(): Promise<void> {
    await this.connection.flush();
  }

  async close(): Promise<void> {
    if (this.connection.isClosed()) return;
    await this.connection.drain();
  }

  private deadLetter(subject: string, reason: string, payload: Uint8Array): void {
    this.deadLetters++;
    if (this.options.service === 'observer') return;
    const letter: DeadLetter = { service: this.options.service, subject, reason, payload: Buffer.from(payload).toString('utf8').slice(0, 2048) };
    this.connection.publish(SUBJECTS.deadLetter(this.options.service), new TextEncoder().encode(JSON.stringify(letter)));
  }
}
