/**
 * The event log port: signals recorded during a run, in batches, per (run, source), with
 * contiguous per-source sequence numbers so a lost or doubled batch is detected on append
 * rather than discovered in an analysis. Adapters: FileEventLog (one file of checksummed
 * frames per run) and JetStreamEventLog (one NATS subject per run and source).
 *
 * Records are stored as JSON values, packed into columns (record-packing.ts): they must be
 * JSON values (an `undefined` in an array reads back as null, a BigInt cannot be stored).
 */
import { CorruptLogError, InvalidBatchError, SequenceError } from './errors';
import { deflateColumns, packColumns, unpackRecords } from './record-packing';

export interface LogBatch {
  readonly runId: string;
  readonly source: string;
  /** per (run, source) sequence numbers of the first and last record, contiguous across batches */
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly records: ReadonlyArray<unknown>;
}

/** A batch without its records: what sequence checks need. */
export type BatchHeader = Pick<LogBatch, 'runId' | 'source' | 'firstSeq' | 'lastSeq'>;

/**
 * What the log holds of one run, cheap to read without reading the run: stored batches per
 * source (JetStream) or bytes of the run's file. An entry keeps the footprint its run ended
 * with; a different one now means the log was damaged (a message deleted, a file cut).
 */
export type Footprint = Readonly<Record<string, number>>;

/** One run in the catalogue kept beside the log, so listing runs and finding unfinished ones reads no run. */
export interface RunEntry {
  readonly run: string;
  readonly experiment: string;
  readonly mode: string;
  /** running, finished, aborted, cancelled */
  readonly status: string;
  readonly steps: number;
  readonly learningTime_s: number;
  readonly reason?: string;
  /** The footprint when the run ended (absent while it runs). */
  readonly footprint?: Footprint;
  /** Embedded runs: the process that runs it, to tell a live run from an interrupted one. */
  readonly host?: string;
  readonly pid?: number;
  readonly updated_ms: number;
}

export interface EventLog {
  /** Idempotent: a batch with the same (runId, source, firstSeq) appended twice is stored once. Rejects (EventLogError) a batch whose firstSeq is not the previous lastSeq + 1 for that (run, source) — gaps or overlaps mean lost or doubled signals. Appends to one run issued without awaiting are stored in call order. */
  append(batch: LogBatch): Promise<void>;
  /**
   * Append batches of one run (of different sources, each continuing its own) so that a
   * crash stores all of them or none: what a recorder flushes at a consistent cut of a run
   * stays consistent across sources. The file log writes them as one frame; an adapter
   * without it appends them one by one.
   */
  appendAll?(batches: ReadonlyArray<LogBatch>): Promise<void>;
  /** Every batch of a run in append order (optionally one source only). */
  read(runId: string, options?: { source?: string }): AsyncIterable<LogBatch>;
  /** lastSeq of the newest batch of (run, source), 0 when none — used to resume after a crash. */
  lastSequence(runId: string, source: string): Promise<number>;
  /** Run ids that have any batch, oldest first. */
  runIds(): Promise<string[]>;
  /** Write (or replace) a run's catalogue entry. */
  putEntry(entry: RunEntry): Promise<void>;
  /** Every catalogue entry (any order). */
  entries(): Promise<RunEntry[]>;
  /** Footprints of the given runs now (of every run when none are named). */
  footprints(runIds?: ReadonlyArray<string>): Promise<Map<string, Footprint>>;
  /** Remove a run: its batches and its catalogue entry (metatwin prune). */
  deleteRun(runId: string): Promise<void>;
  close(): Promise<void>;
}

/** A stored batch and where it is in the log (JetStream: its stream sequence). */
export interface PositionedBatch {
  readonly batch: LogBatch;
  readonly position: number;
}

/**
 * A log whose batches have positions in one storage order across a run's sources (JetStream's
 * stream sequence), so a reader can seek: what a restarting service needs to read only the
 * end of a long run (services' recovery reads a run's tail from its latest snapshot on).
 */
export interface PositionedLog {
  /** The first batch of (run, source) stored at or after `position` (1: the start); null when none. */
  batchAtOrAfter(runId: string, source: string, position: number): Promise<PositionedBatch | null>;
  /** The newest batch of (run, source); null when none. */
  lastBatch(runId: string, source: string): Promise<PositionedBatch | null>;
  /** Every batch of the run (all sources) stored at or after `position`, in storage order. */
  readFrom(runId: string, position: number): AsyncIterable<LogBatch>;
}

/** Run ids and sources become NATS subject tokens and file names: keep them to this set. */
export const NAME_PATTERN = /^[A-Za-z0-9_-]+$/;

export function assertName(kind: 'runId' | 'source', value: unknown): asserts value is string {
  if (typeof value !== 'string' || !NAME_PATTERN.test(value)) {
    throw new InvalidBatchError(`${kind}: must match ${NAME_PATTERN} (letters, digits, _ and -), got ${JSON.stringify(value)}`);
  }
}

/**
 * Checks what every adapter needs before storing: safe names, integer sequence numbers from
 * 1, and exactly one record per sequence number.
 */
export function validateBatch(batch: LogBatch): void {
  validateHeader(batch);
  const { firstSeq, lastSeq, records } = batch;
  const where = `batch ${batch.runId}/${batch.source}`;
  if (!Array.isArray(records)) throw new InvalidBatchError(`${where}: records must be an array`);
  if (records.length !== lastSeq - firstSeq + 1) {
    throw new InvalidBatchError(`${where}: ${records.length} records for sequence numbers ${firstSeq}..${lastSeq} (${lastSeq - firstSeq + 1} expected)`);
  }
}

/** Safe names and integer sequence numbers from 1 (validateBatch without the records). */
export function validateHeader(batch: BatchHeader): void {
  assertName('runId', batch.runId);
  assertName('source', batch.source);
  const { firstSeq, lastSeq } = batch;
  const where = `batch ${batch.runId}/${batch.source}`;
  if (!Number.isSafeInteger(firstSeq) || firstSeq < 1) throw new InvalidBatchError(`${where}: firstSeq must be an integer ≥ 1, got ${firstSeq}`);
  if (!Number.isSafeInteger(lastSeq) || lastSeq < firstSeq) throw new InvalidBatchError(`${where}: lastSeq must be an integer ≥ firstSeq (${firstSeq}), got ${lastSeq}`);
}

const utf8 = new TextEncoder();

/** Stored form tag: a header, then the records packed (record-packing.ts). A JSON batch starts with `{`. */
const PACKED = 0x01;
const LEFT_BRACE = 0x7b;

/**
 * Batches of fewer records are stored as JSON: a few records gain little from packing, and a
 * distributed run's hop (a batch of one or two signals, awaited by the next service) would
 * pay a deflate on another thread and an inflate on every reader.
 */
const PACK_FROM_RECORDS = 32;

/**
 * The stored form of a batch: a tag byte, the header's length (u16, little-endian), the
 * header as JSON (`{runId, source, firstSeq, lastSeq}`), then the records as deflated
 * columns — about a tenth of their JSON. The deflating runs off the calling thread. A batch
 * of fewer than PACK_FROM_RECORDS records is its JSON.
 */
export async function encodeBatch(batch: LogBatch): Promise<Uint8Array> {
  if (batch.records.length < PACK_FROM_RECORDS) return utf8.encode(encodeBatchJson(batch));
  let columns: string;
  try {
    columns = packColumns(batch.records);
  } catch (err) {
    throw notJson(batch, err);
  }
  const header = utf8.encode(JSON.stringify({ runId: batch.runId, source: batch.source, firstSeq: batch.firstSeq, lastSeq: batch.lastSeq }));
  const records = await deflateColumns(columns);
  const out = new Uint8Array(3 + header.length + records.length);
  out[0] = PACKED;
  out[1] = header.length & 0xff;
  out[2] = header.length >> 8;
  out.set(header, 3);
  out.set(records, 3 + header.length);
  return out;
}

/** A batch as JSON text: the stored form of logs written before packing (read, and appended to, as they are). */
export function encodeBatchJson(batch: LogBatch): string {
  try {
    return JSON.stringify({ runId: batch.runId, source: batch.source, firstSeq: batch.firstSeq, lastSeq: batch.lastSeq, records: batch.records });
  } catch (err) {
    throw notJson(batch, err);
  }
}

function notJson(batch: LogBatch, err: unknown): InvalidBatchError {
  return new InvalidBatchError(`batch ${batch.runId}/${batch.source} ${batch.firstSeq}..${batch.lastSeq}: records are not JSON-serialisable`, { cause: err });
}

/** Tag of a frame body holding several stored batches: `0x02`, then each as `[length u32 LE][stored batch]`. */
const GROUP = 0x02;

/** One body holding the stored batches given (appendAll). */
export function encodeGroup(stored: ReadonlyArray<Uint8Array>): Uint8Array {
  const out = new Uint8Array(1 + stored.reduce((n, b) => n + 4 + b.length, 0));
  const view = new DataView(out.buffer);
  out[0] = GROUP;
  let at = 1;
  for (const b of stored) {
    view.setUint32(at, b.length, true);
    out.set(b, at + 4);
    at += 4 + b.length;
  }
  return out;
}

/** The batches of a stored body: one, or a group's several. */
export function decodeBatches(bytes: Uint8Array, where: string): LogBatch[] {
  if (bytes[0] !== GROUP) return [decodeBatch(bytes, where)];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: LogBatch[] = [];
  for (let at = 1; at < bytes.length;) {
    if (at + 4 > bytes.length) throw new CorruptLogError(`${where}: group cut inside a length`);
    const length = view.getUint32(at, true);
    if (at + 4 + length > bytes.length) throw new CorruptLogError(`${where}: group member ${out.length + 1} runs past the end`);
    out.push(decodeBatch(bytes.subarray(at + 4, at + 4 + length), `${where} member ${out.length + 1}`));
    at += 4 + length;
  }
  return out;
}

/** Parses a stored batch (packed, or JSON as logs before packing hold), naming `where` (file and frame, or stream and sequence) on failure. */
export function decodeBatch(bytes: Uint8Array, where: string): LogBatch {
  let value: unknown;
  if (bytes[0] === PACKED && bytes.length >= 3) {
    const length = bytes[1] | (bytes[2] << 8);
    let header: Partial<LogBatch> | null;
    try {
      header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 3, length).toString('utf8')) as Partial<LogBatch> | null;
    } catch (err) {
      throw new CorruptLogError(`${where}: packed batch header is not JSON`, { cause: err });
    }
    let records: unknown[];
    try {
      records = unpackRecords(bytes.subarray(3 + length));
    } catch (err) {
      throw new CorruptLogError(`${where}: ${(err as Error).message}`, { cause: err });
    }
    value = { ...header, records };
  } else if (bytes[0] === LEFT_BRACE) {
    try {
      value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    } catch (err) {
      throw new CorruptLogError(`${where}: not JSON`, { cause: err });
    }
  } else throw new CorruptLogError(`${where}: not a stored batch (starts with byte ${bytes[0] ?? 'none'})`);
  const b = value as Partial<LogBatch> | null;
  if (!b || typeof b.runId !== 'string' || typeof b.source !== 'string' || !Number.isSafeInteger(b.firstSeq) || !Number.isSafeInteger(b.lastSeq) || !Array.isArray(b.records)) {
    throw new CorruptLogError(`${where}: not a batch (runId, source, firstSeq, lastSeq, records)`);
  }
  return b as LogBatch;
}

/** Every batch of the given runs (default every run) in append order, numbered from 1 per run: for checks over a whole log. */
export async function readEveryBatch(log: EventLog, runIds?: ReadonlyArray<string>): Promise<Array<{ run: string; index: number; batch: LogBatch }>> {
  const out: Array<{ run: string; index: number; batch: LogBatch }> = [];
  for (const run of runIds?.length ? runIds : await log.runIds()) {
    let index = 0;
    for await (const batch of log.read(run)) out.push({ run, index: ++index, batch });
  }
  return out;
}

export type AppendDecision = 'append' | 'duplicate';

/**
 * Whether `batch` continues a (run, source) whose newest stored record is `storedLastSeq`.
 * A batch starting at or below it is a duplicate only if a stored batch has the same first
 * and last sequence (`storedBatchEnd(firstSeq)` gives that batch's lastSeq, or undefined);
 * anything else is an overlap. Throws SequenceError for gaps and overlaps.
 */
export async function decideAppend(
  batch: BatchHeader,
  storedLastSeq: number,
  storedBatchEnd: (firstSeq: number) => number | undefined | Promise<number | undefined>,
): Promise<AppendDecision> {
  const expected = storedLastSeq + 1;
  const { runId, source, firstSeq, lastSeq } = batch;
  if (firstSeq === expected) return 'append';
  if (firstSeq > expected) {
    throw new SequenceError(
      `${runId}/${source}: gap — expected firstSeq ${expected}, got ${firstSeq} (records ${expected}..${firstSeq - 1} missing)`,
      runId,
      source,
      expected,
      firstSeq,
    );
  }
  const end = await storedBatchEnd(firstSeq);
  if (end === lastSeq) return 'duplicate';
  const what = end === undefined ? `no stored batch starts at ${firstSeq}` : `the stored batch starting at ${firstSeq} ends at ${end}, not ${lastSeq}`;
  throw new SequenceError(
    `${runId}/${source}: overlap — records ${firstSeq}..${lastSeq} overlap those stored up to ${storedLastSeq} and ${what}; expected firstSeq ${expected}`,
    runId,
    source,
    expected,
    firstSeq,
  );
}

/**
 * Runs `task` after every task queued under the same key has settled: appends to one
 * (run, source) must see each other's effects.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Resolves once every task queued so far has settled. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }
}
