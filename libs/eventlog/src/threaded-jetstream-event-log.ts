/**
 * JetStreamEventLog with its appends on a worker thread. Recording a run's signals costs the
 * simulation's thread JSON encoding plus the NATS client's work for every batch; here the
 * simulation's thread only encodes (to UTF-8 bytes, handed over without copying) and the
 * worker publishes and waits for the acknowledgements on the machine's other core. Reads and
 * look-ups stay on this thread. The same EventLog contract: appends of one run are stored in
 * call order, and an append resolves once JetStream has acknowledged it.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ConcurrentAppendError, EventLogClosedError, EventLogError, InvalidBatchError, SequenceError } from './errors';
import { encodeBatch, validateBatch, type EventLog, type Footprint, type LogBatch, type RunEntry } from './event-log';
import { JetStreamEventLog, type JetStreamEventLogOptions } from './jetstream-event-log';
import type { AppendRequest, ErrorData, WorkerReply } from './jetstream-append-worker';

/** Errors cross the thread as data; they come back as their own class. */
const ERRORS: Record<string, new (message: string) => Error> = { EventLogError, InvalidBatchError, EventLogClosedError, ConcurrentAppendError };

function revive(e: ErrorData): Error {
  if (e.sequence) return new SequenceError(e.message, e.sequence.runId, e.sequence.source, e.sequence.expectedFirstSeq, e.sequence.firstSeq);
  return new (ERRORS[e.name] ?? EventLogError)(e.message);
}

/**
 * The compiled worker beside this file, started through bin/thread.js (a thread does not
 * inherit the parent's @metatwin/* aliases, and the log imports @metatwin/nats-auth), or (under
 * jest, from sources) the TypeScript one through tsx.
 */
function workerFile(): { file: string; execArgv: string[]; module?: string } {
  const js = join(__dirname, 'jetstream-append-worker.js');
  const boot = resolve(__dirname, '..', '..', '..', '..', 'bin', 'thread.js');
  if (existsSync(js) && existsSync(boot)) return { file: boot, execArgv: [], module: 'libs/eventlog/src/jetstream-append-worker.js' };
  return { file: join(__dirname, 'jetstream-append-worker.ts'), execArgv: ['--require', 'tsx/cjs'] };
}

export class ThreadedJetStreamEventLog implements EventLog {
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Settles once the latest appended batch has been handed to the append thread. */
  private handedOver: Promise<void> = Promise.resolve();
  private nextId = 1;
  private closed = false;
  private failure: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    private readonly reader: JetStreamEventLog,
  ) {
    worker.on('message', (m: WorkerReply) => {
      if (!('id' in m)) return;
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (!w) return;
      if (!m.error) return w.resolve();
      w.reject(revive(m.error));
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => {
      if (!this.closed) this.fail(new EventLogError(`the event-log append thread exited (${code})`));
    });
  }

  static async connect(options: JetStreamEventLogOptions): Promise<ThreadedJetStreamEventLog> {
    // Connect on this thread first: it creates the stream and reports bad options clearly.
    const reader = await JetStreamEventLog.connect(options);
    const { file, execArgv, module } = workerFile();
    const worker = new Worker(file, { workerData: module ? { ...options, module } : options, execArgv });
    const ready = await new Promise<WorkerReply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    }).catch(async (err) => {
      await reader.close();
      throw new EventLogError(`cannot start the event-log append thread: ${(err as Error).message}`);
    });
    if ('fatal' in ready) {
      await reader.close();
      await worker.terminate();
      throw new EventLogError(ready.fatal);
    }
    return new ThreadedJetStreamEventLog(worker, reader);
  }

  append(batch: LogBatch): Promise<void> {
    if (this.closed) return Promise.reject(new EventLogClosedError());
    if (this.failure) return Promise.reject(this.failure);
    try {
      validateBatch(batch);
    } catch (err) {
      return Promise.reject(err);
    }
    // Deflating finishes on another thread, and JSON batches at once: hand batches over in call order.
    const encoded = encodeBatch(batch);
    const inOrder = this.handedOver.then(() => encoded);
    this.handedOver = inOrder.then(
      () => undefined,
      () => undefined,
    );
    const appended = inOrder.then(
      (payload) =>
        new Promise<void>((resolve, reject) => {
          const id = this.nextId++;
          const request: AppendRequest = { id, header: { runId: batch.runId, source: batch.source, firstSeq: batch.firstSeq, lastSeq: batch.lastSeq }, payload };
          this.waiting.set(id, { resolve, reject });
          // A packed batch owns its buffer whole (encodeBatch allocates it): hand it over without copying.
          this.worker.postMessage(request, [payload.buffer as ArrayBuffer]);
        }),
    );
    this.inFlight.add(appended);
    const settled = (): void => void this.inFlight.delete(appended);
    appended.then(settled, settled);
    return appended;
  }

  read(runId: string, options?: { source?: string }): AsyncIterable<LogBatch> {
    return this.reader.read(runId, options);
  }

  lastSequence(runId: string, source: string): Promise<number> {
    return this.reader.lastSequence(runId, source);
  }

  runIds(): Promise<string[]> {
    return this.reader.runIds();
  }

  putEntry(entry: RunEntry): Promise<void> {
    return this.reader.putEntry(entry);
  }

  entries(): Promise<RunEntry[]> {
    return this.reader.entries();
  }

  footprints(runIds?: ReadonlyArray<string>): Promise<Map<string, Footprint>> {
    return this.reader.footprints(runIds);
  }

  deleteRun(runId: string): Promise<void> {
    return this.reader.deleteRun(runId);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Every append handed over is answered before the thread goes.
    await Promise.allSettled([...this.inFlight]);
    const exited = new Promise<void>((r) => this.worker.once('exit', () => r()));
    this.worker.postMessage('close');
    await exited;
    await this.reader.close();
  }

  private fail(err: Error): void {
    this.failure = err instanceof EventLogError ? err : new EventLogError(`event-log append thread: ${err.message}`);
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
  }
}
