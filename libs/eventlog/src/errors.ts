/**
 * Errors of the event log, one small class per failure a caller can act on. All extend
 * EventLogError and carry the underlying error as `cause` (nats.js jserrors.ts style).
 */

export class EventLogError extends Error {
  override readonly name: string = 'EventLogError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A batch that can never be stored: a name that is not a NATS token, bad sequence numbers. */
export class InvalidBatchError extends EventLogError {
  override readonly name: string = 'InvalidBatchError';
}

/**
 * A batch that does not continue its (run, source) — a gap means lost signals, an overlap
 * doubled ones. `expectedFirstSeq` is what would have been accepted.
 */
export class SequenceError extends EventLogError {
  override readonly name: string = 'SequenceError';
  constructor(
    message: string,
    readonly runId: string,
    readonly source: string,
    readonly expectedFirstSeq: number,
    readonly firstSeq: number,
  ) {
    super(message);
  }
}

/** Another writer kept appending to the same (run, source) while this one retried. */
export class ConcurrentAppendError extends EventLogError {
  override readonly name: string = 'ConcurrentAppendError';
}

/** Stored data that cannot be read back: a complete line or message that is not a batch. */
export class CorruptLogError extends EventLogError {
  override readonly name: string = 'CorruptLogError';
}

/** The log was used after close(). */
export class EventLogClosedError extends EventLogError {
  override readonly name: string = 'EventLogClosedError';
  constructor() {
    super('the event log is closed');
  }
}
