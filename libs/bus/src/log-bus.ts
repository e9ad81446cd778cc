/**
 * Log-first signal delivery: a signal exists once the JetStream event log holds it.
 *
 * Sending: `publish` puts a signal in its (run, source) outbox. One batch per outbox is in
 * flight at a time — everything queued since the last one, so batches grow under load — and
 * the log's append is idempotent (msgID, and the subject's last sequence checked), so a
 * batch whose answer was lost in an outage is appended again, in order, until it is stored.
 * Nothing is dropped: a NATS outage only delays.
 *
 * Receiving: one ordered consumer over the stream, from a given stream sequence. A service
 * sees other services' signals only once stored, in stream order, which is causal (what a
 * signal caused was stored after it). After an outage or a restarted server the consumer is
 * made again from the last sequence it delivered, so every service catches up from the log.
 * Records are validated as the core NATS bus validated messages; a bad one is answered on
 * `mt.dead.<service>` with the reason, and the rest of its batch is still delivered.
 *
 * Provenance: a batch is delivered only when its header claims the run and source of the
 * subject it was stored on (checkBatchProvenance), and — with a verifier — when it carries a
 * valid signature of that source; otherwise the whole batch is dead-lettered with the reason
 * and none of it delivered. Each record must then be a signal its source may send (EMITTER).
 */
import { SUBJECTS, checkBatchProvenance, checkSignal, fromRecord, toRecord, type DeadLetter, type Signal, type SignalType, type Source } from '@metatwin/contracts';
import { EventLogClosedError, InvalidBatchError, SequenceError, type JetStreamEventLog, type LogBatch } from '@metatwin/eventlog';
import type { SignalBus, SignalHandler } from './bus';
import { takeSignature, type BatchSigner, type BatchVerifier } from './signing';

export interface LogBusOptions {
  readonly log: JetStreamEventLog;
  /** The receiving service, for dead letters ('observer' sends none). */
  readonly service: Source | 'observer';
  /** Appends are failing (NATS away) or succeed again: for a log line, never for control flow. */
  readonly onAppendStatus?: (status: { readonly waiting: boolean; readonly reason?: string }) => void;
  /**
   * A batch the log can never take (its sequence numbers do not continue the run's log):
   * the run cannot go on consistently; its outbox is dropped and the owner told.
   */
  readonly onAppendRefused?: (runId: string, err: Error) => void;
  /** Between attempts while appends fail, ms (default 250). */
  readonly retryEvery_ms?: number;
  /** Signs every batch this bus appends (METATWIN_SIGNING_SEED). */
  readonly signer?: BatchSigner | null;
  /** Delivers only batches that verify with their source's key (METATWIN_SIGNING_KEYS). */
  readonly verifier?: BatchVerifier | null;
}

interface Outbox {
  readonly runId: string;
  readonly source: Source;
  queued: Signal[];
  inFlight: boolean;
}

interface Subscriber {
  readonly sources: ReadonlySet<string>;
  readonly types: ReadonlySet<SignalType> | null;
  readonly handler: SignalHandler;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class LogBus implements SignalBus {
  private readonly outboxes = new Map<string, Outbox>();
  private readonly subscribers: Subscriber[] = [];
  private readonly settled: Array<() => void> = [];
  private scheduled = false;
  private waiting = false;
  private closed = false;
  private readonly stops: Array<() => Promise<void>> = [];
  private readonly following: Array<Promise<void>> = [];
  /** Signals the log has stored from this bus, signals delivered, records refused. */
  stored = 0;
  received = 0;
  deadLetters = 0;

  constructor(private readonly options: LogBusOptions) {}

  publish(signal: Signal): void {
    if (this.closed) throw new EventLogClosedError();
    const key = `${signal.meta.runId}\n${signal.meta.source}`;
    let box = this.outboxes.get(key);
    if (box === undefined) this.outboxes.set(key, (box = { runId: signal.meta.runId, source: signal.meta.source, queued: [], inFlight: false }));
    box.queued.push(signal);
    if (!box.inFlight && !this.scheduled) {
      // Whatever else this turn publishes (a host emits a whole decision synchronously) joins the same batch.
      this.scheduled = true;
      queueMicrotask(() => this.sendQueued());
    }
  }

  subscribe(sources: ReadonlyArray<Source>, handler: SignalHandler, types?: ReadonlyArray<SignalType>): () => void {
    const sub: Subscriber = { sources: new Set(sources), types: types ? new Set(types) : null, handler };
    this.subscribers.push(sub);
    return () => {
      const i = this.subscribers.indexOf(sub);
      if (i >= 0) this.subscribers.splice(i, 1);
    };
  }

  /**
   * Start delivering stored batches from stream sequence `fromStreamSeq` (a service: the
   * sequence after what its recovery read; a new run's follower: the stream's next) and, with
   * `runId`, only that run's. Subscribe first. One consumer over everything keeps the
   * stream's (causal) order across sources; `perSource` (with `runId`) has the server filter
   * each subscribed source apart instead, so nothing else is even sent — for a follower that
   * needs each source's order only.
   */
  async start(options: { fromStreamSeq: number; runId?: string; perSource?: boolean }): Promise<void> {
    const wanted = [...new Set(this.subscribers.flatMap((s) => [...s.sources]))];
    const from = Math.max(1, options.fromStreamSeq);
    const onCorrupt = (err: Error, subject: string, payload: Uint8Array): void => this.sendDeadLetter(subject, err.message, Buffer.from(payload).toString('utf8'));
    // mtlog.<run>.<source>: skip other sources' batches without decoding them.
    const ofWantedSource = (subject: string): boolean => wanted.includes(subject.slice(subject.lastIndexOf('.') + 1));
    const filters: Array<{ source?: string }> = options.perSource && options.runId !== undefined ? wanted.map((source) => ({ source })) : [{}];
    for (const filter of filters) {
      // The subject of the batch being yielded: the iteration decodes one message at a time,
      // after accepting its subject, and waits for its delivery before reading the next.
      let subject = '';
      const accept = (s: string): boolean => {
        subject = s;
        return ofWantedSource(s);
      };
      const { batches, stop } = await this.options.log.follow({
        fromStreamSeq: from,
        ...(options.runId === undefined ? {} : { runId: options.runId }),
        ...filter,
        accept,
        onCorrupt,
        // Provenance is judged in deliver(), which dead-letters with the reason.
        withMismatched: true,
      });
      this.stops.push(stop);
      this.following.push(
        (async () => {
          for await (const batch of batches) this.deliver(batch, subject);
        })(),
      );
    }
  }

  /** Resolves once everything published so far is stored. */
  settle(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.settled.push(resolve));
  }

  /** Stop delivering; wait (up to `timeout_ms`) for the outboxes to be stored. */
  async close(timeout_ms = 10_000): Promise<void> {
    if (this.closed) return;
    await Promise.race([this.settle(), sleep(timeout_ms)]);
    this.closed = true;
    for (const stop of this.stops) await stop();
    await Promise.all(this.following.map((f) => f.catch(() => undefined)));
  }

  private idle(): boolean {
    for (const box of this.outboxes.values()) if (box.inFlight || box.queued.length > 0) return false;
    return true;
  }

  private sendQueued(): void {
    this.scheduled = false;
    for (const box of this.outboxes.values()) if (!box.inFlight && box.queued.length > 0) void this.drain(box);
  }

  /** Append the outbox's batches one at a time, each retried until stored. */
  private async drain(box: Outbox): Promise<void> {
    box.inFlight = true;
    const retry = this.options.retryEvery_ms ?? 250;
    try {
      while (box.queued.length > 0) {
        const signals = box.queued;
        box.queued = [];
        const header = { runId: box.runId, source: box.source, firstSeq: signals[0].meta.seq, lastSeq: signals[signals.length - 1].meta.seq };
        const records = signals.map(toRecord);
        // Signed once: a retry appends the same batch, signature and all.
        const batch: LogBatch = { ...header, records: this.options.signer ? this.options.signer.sign({ ...header, records }) : records };
        for (;;) {
          try {
            await this.options.log.append(batch);
            break;
          } catch (err) {
            if (err instanceof SequenceError || err instanceof InvalidBatchError) throw err;
            if (this.closed || err instanceof EventLogClosedError) return;
            if (!this.waiting) {
              this.waiting = true;
              this.options.onAppendStatus?.({ waiting: true, reason: (err as Error).message });
            }
            await sleep(retry);
          }
        }
        this.stored += signals.length;
        if (this.waiting) {
          this.waiting = false;
          this.options.onAppendStatus?.({ waiting: false });
        }
      }
    } catch (err) {
      box.queued = [];
      if (this.options.onAppendRefused) this.options.onAppendRefused(box.runId, err as Error);
      else throw err;
    } finally {
      box.inFlight = false;
      if (box.queued.length === 0) this.outboxes.delete(`${box.runId}\n${box.source}`);
      if (this.settled.length > 0 && this.idle()) for (const resolve of this.settled.splice(0)) resolve();
    }
  }

  /** Deliver a stored batch's signals, once its provenance holds: stored on `subject`, `mtlog.<run>.<source>`. */
  private deliver(stored: LogBatch, subject: string): void {
    const refused = checkBatchProvenance(subject, stored);
    if (refused !== null) return this.deadLetterBatch(stored, subject, refused);
    let batch = stored;
    if (this.options.verifier) {
      const v = this.options.verifier.verify(subject.slice(subject.lastIndexOf('.') + 1), stored);
      if (!v.ok) return this.deadLetterBatch(stored, subject, v.reason);
      batch = { ...stored, records: v.records };
    } else {
      // Signed by a sender, but not checked here: the signature is no part of the signal.
      const { records, signature } = takeSignature(stored.records);
      if (signature !== null) batch = { ...stored, records };
    }
    const source = batch.source as Source;
    for (let i = 0; i < batch.records.length; i++) {
      let signal: Signal;
      try {
        signal = fromRecord(batch.records[i], batch.runId, source);
      } catch (err) {
        this.deadLetter(batch, i, (err as Error).message);
        continue;
      }
      let checked = false;
      for (const sub of this.subscribers) {
        if (!sub.sources.has(source) || (sub.types !== null && !sub.types.has(signal.type))) continue;
        if (!checked) {
          const c = checkSignal(signal);
          if (!c.ok) {
            this.deadLetter(batch, i, c.reason);
            break;
          }
          checked = true;
          this.received++;
        }
        try {
          sub.handler(signal);
        } catch (err) {
          this.deadLetter(batch, i, `handler failed: ${(err as Error).message}`);
        }
      }
    }
  }

  /** A whole batch refused (its provenance): one dead letter, none of it delivered. */
  private deadLetterBatch(batch: LogBatch, subject: string, reason: string): void {
    let payload: string;
    try {
      payload = JSON.stringify({ runId: batch.runId, source: batch.source, firstSeq: batch.firstSeq, lastSeq: batch.lastSeq, records: batch.records.slice(0, 4) }) ?? '';
    } catch {
      payload = '';
    }
    this.sendDeadLetter(subject, `batch ${String(batch.firstSeq)}..${String(batch.lastSeq)} (${batch.records.length} records) refused: ${reason}`, payload);
  }

  private deadLetter(batch: LogBatch, index: number, reason: string): void {
    const record = JSON.stringify(batch.records[index]) ?? 'undefined';
    this.sendDeadLetter(`${SUBJECTS.logPrefix}.${batch.runId}.${batch.source}`, `record ${batch.firstSeq + index}: ${reason}`, record);
  }

  private sendDeadLetter(subject: string, reason: string, payload: string): void {
    this.deadLetters++;
    if (this.options.service === 'observer') return;
    const letter: DeadLetter = { service: this.options.service, subject, reason, payload: payload.slice(0, 2048) };
    const nc = this.options.log.connection;
    if (!nc.isClosed()) nc.publish(SUBJECTS.deadLetter(this.options.service), new TextEncoder().encode(JSON.stringify(letter)));
  }
}
