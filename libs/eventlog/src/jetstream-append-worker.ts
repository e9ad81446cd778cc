/**
 * The thread behind ThreadedJetStreamEventLog: holds its own NATS connection and appends the
 * batches the main thread encoded, in the order they arrive, answering each by id. Relative
 * imports only: it runs in a fresh isolate without the workspace's path aliases.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SequenceError } from './errors';
import type { BatchHeader } from './event-log';
import { JetStreamEventLog, type JetStreamEventLogOptions } from './jetstream-event-log';

export interface AppendRequest {
  readonly id: number;
  readonly header: BatchHeader;
  readonly payload: Uint8Array;
}

/** An error as it crosses the thread: its class name, message and, for a SequenceError, where the sequence broke. */
export interface ErrorData {
  readonly name: string;
  readonly message: string;
  readonly sequence?: { readonly runId: string; readonly source: string; readonly expectedFirstSeq: number; readonly firstSeq: number };
}

export type WorkerReply = { readonly ready: true } | { readonly id: number; readonly error?: ErrorData } | { readonly fatal: string };

const port = parentPort;
if (!port) throw new Error('jetstream-append-worker must run in a worker thread');

void (async () => {
  let log: JetStreamEventLog;
  try {
    log = await JetStreamEventLog.connect(workerData as JetStreamEventLogOptions);
  } catch (err) {
    port.postMessage({ fatal: (err as Error).message } satisfies WorkerReply);
    return;
  }
  port.on('message', (m: AppendRequest | 'close') => {
    if (m === 'close') {
      void log.close().then(() => port.close());
      return;
    }
    // Not awaited: the log queues appends of one run in call order and pipelines the rest.
    log.appendEncoded(m.header, m.payload).then(
      () => port.postMessage({ id: m.id } satisfies WorkerReply),
      (err: Error) => {
        const sequence = err instanceof SequenceError ? { runId: err.runId, source: err.source, expectedFirstSeq: err.expectedFirstSeq, firstSeq: err.firstSeq } : undefined;
        port.postMessage({ id: m.id, error: { name: err.name, message: err.message, sequence } } satisfies WorkerReply);
      },
    );
  });
  port.postMessage({ ready: true } satisfies WorkerReply);
})();
