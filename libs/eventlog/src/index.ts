export { FileEventLog } from './file-event-log';
export { ERR_STREAM_NOT_FOUND, JetStreamEventLog, apiErrorCode, streamLimits, type StreamLimits } from './jetstream-event-log';
export { ThreadedJetStreamEventLog } from './threaded-jetstream-event-log';
export type { JetStreamEventLogOptions } from './jetstream-event-log';
export { NAME_PATTERN, decodeBatch, decodeBatches, readEveryBatch } from './event-log';
export type { EventLog, Footprint, LogBatch, PositionedBatch, PositionedLog, RunEntry } from './event-log';
export { ConcurrentAppendError, CorruptLogError, EventLogClosedError, EventLogError, InvalidBatchError, SequenceError } from './errors';
