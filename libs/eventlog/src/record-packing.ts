/**
 * The compact stored form of a batch's records. A run logs the same few record shapes
 * hundreds of thousands of times — `[type, seq, t_ns, {step, substep, values}]` — so the
 * records are stored as columns: one column per (shape, field), integer columns as
 * differences (the step, the sequence number and the time each grow by a constant, which
 * deflate then stores in a few bits), everything else as its JSON. The columns are JSON,
 * deflated. Unpacking gives back the records exactly as JSON would (same values, same key
 * order), so a packed log reads as the JSON one did.
 *
 * Records that are not `[integer, integer, integer, object]` (another log's) are kept as they are.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { inflateRawSync } from 'node:zlib';
import type { DeflateReply, DeflateRequest } from './deflate-worker';

type Json = unknown;
type Row = [number, number, number, Record<string, Json>];

/** A column: raw values, or integers as their first value followed by successive differences. */
type Column = { readonly raw: Json[] } | { readonly delta: number[] };

interface Packed {
  /** Record count. */
  readonly n: number;
  /** Columns of the record's first three fields. */
  readonly type?: Column;
  readonly seq?: Column;
  readonly t?: Column;
  /** Each data shape's keys in order, and which shape each record has. */
  readonly shapes?: string[][];
  readonly shape?: Column;
  /** Per shape, one column per key. */
  readonly cols?: Column[][];
  /** Records that are not rows, kept whole. */
  readonly records?: Json[];
}

const isRow = (r: unknown): r is Row =>
  Array.isArray(r) &&
  r.length === 4 &&
  Number.isSafeInteger(r[0]) &&
  Number.isSafeInteger(r[1]) &&
  Number.isSafeInteger(r[2]) &&
  typeof r[3] === 'object' &&
  r[3] !== null &&
  !Array.isArray(r[3]);

function column(values: Json[]): Column {
  let prev = 0;
  const delta: number[] = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || !Number.isSafeInteger(v - prev) || Object.is(v, -0)) return { raw: values };
    delta[i] = v - prev;
    prev = v;
  }
  return { delta };
}

function expand(c: Column, n: number, where: string): Json[] {
  if ('delta' in c && Array.isArray(c.delta)) {
    let v = 0;
    const out = c.delta.map((d) => (v += d));
    if (out.length !== n) throw new RangeError(`${where}: ${out.length} values for ${n} records`);
    return out;
  }
  if ('raw' in c && Array.isArray(c.raw)) {
    if (c.raw.length !== n) throw new RangeError(`${where}: ${c.raw.length} values for ${n} records`);
    return c.raw;
  }
  throw new RangeError(`${where}: not a column`);
}

/**
 * Deflate packColumns's text on a thread of its own. node's asynchronous zlib keeps the main
 * thread busy for most of the work (measured: 505 ms of 505 for a 100,000-step run's columns
 * handed over as text, 309 of 484 as bytes); a worker leaves it only the copy of the text.
 * The thread is started on first use and does not keep the process alive when idle.
 */
export function deflateColumns(columns: string): Promise<Uint8Array> {
  const thread = (deflater ??= startDeflater());
  return new Promise((resolve, reject) => {
    const id = thread.next++;
    thread.waiting.set(id, { resolve, reject });
    if (thread.waiting.size === 1) thread.worker.ref();
    thread.worker.postMessage({ id, text: columns } satisfies DeflateRequest);
  });
}

interface Deflater {
  readonly worker: Worker;
  readonly waiting: Map<number, { resolve: (bytes: Uint8Array) => void; reject: (err: Error) => void }>;
  next: number;
}

let deflater: Deflater | null = null;

function startDeflater(): Deflater {
  const js = join(__dirname, 'deflate-worker.js');
  const worker = existsSync(js) ? new Worker(js) : new Worker(join(__dirname, 'deflate-worker.ts'), { execArgv: ['--require', 'tsx/cjs'] });
  const thread: Deflater = { worker, waiting: new Map(), next: 1 };
  worker.unref();
  worker.on('message', (reply: DeflateReply) => {
    const w = thread.waiting.get(reply.id);
    thread.waiting.delete(reply.id);
    if (thread.waiting.size === 0) worker.unref();
    if (!w) return;
    if ('error' in reply) w.reject(new Error(`deflating packed records: ${reply.error}`));
    else w.resolve(reply.bytes);
  });
  const fail = (err: Error): void => {
    // Whatever was waiting fails; the next call starts a new thread.
    if (deflater === thread) deflater = null;
    for (const w of thread.waiting.values()) w.reject(new Error(`the deflate thread stopped: ${err.message}`));
    thread.waiting.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  return thread;
}

/** The data's keys with a defined value, in order, if they are exactly `keys`. */
function hasKeys(data: Record<string, Json>, keys: ReadonlyArray<string>): boolean {
  let i = 0;
  for (const k in data) {
    if (data[k] === undefined) continue;
    if (keys[i] !== k) return false;
    i++;
  }
  return i === keys.length;
}

/** The records as columns (JSON text), before deflating. Throws when a record is not JSON (as JSON.stringify would). */
export function packColumns(records: ReadonlyArray<unknown>): string {
  const n = records.length;
  const types: number[] = new Array<number>(n);
  const seqs: number[] = new Array<number>(n);
  const times: number[] = new Array<number>(n);
  const shape: number[] = new Array<number>(n);
  const shapes: string[][] = [];
  const cols: Json[][][] = [];
  // Per type, the shapes seen (a type logs one or two): found without building a key string.
  const shapesOfType = new Map<number, number[]>();
  let rows = n > 0;
  for (let i = 0; i < n && rows; i++) {
    const r = records[i];
    if (!isRow(r)) {
      rows = false;
      break;
    }
    const data = r[3];
    types[i] = r[0];
    seqs[i] = r[1];
    times[i] = r[2];
    let known = shapesOfType.get(r[0]);
    if (known === undefined) shapesOfType.set(r[0], (known = []));
    let s = -1;
    for (const candidate of known) if (hasKeys(data, shapes[candidate])) s = candidate;
    if (s < 0) {
      // A key whose value is undefined is not in the JSON of the object, nor here.
      const keys = Object.keys(data).filter((k) => data[k] !== undefined);
      s = shapes.length;
      shapes.push(keys);
      cols.push(keys.map(() => []));
      known.push(s);
    }
    shape[i] = s;
    const keys = shapes[s];
    const c = cols[s];
    for (let k = 0; k < keys.length; k++) c[k].push(data[keys[k]]);
  }
  const packed: Packed = rows
    ? { n, type: column(types), seq: column(seqs), t: column(times), shapes, shape: column(shape), cols: cols.map((perKey) => perKey.map(column)) }
    : { n, records: [...records] };
  return JSON.stringify(packed);
}

/** The records that packColumns and deflateColumns packed. Throws RangeError naming what is wrong with bytes that are not such. */
export function unpackRecords(bytes: Uint8Array): unknown[] {
  let packed: Packed;
  try {
    packed = JSON.parse(inflateRawSync(bytes).toString('utf8')) as Packed;
  } catch (err) {
    throw new RangeError(`packed records do not inflate to JSON (${(err as Error).message})`);
  }
  const n = packed?.n;
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('packed records: no record count');
  if (packed.records !== undefined) {
    if (!Array.isArray(packed.records) || packed.records.length !== n) throw new RangeError('packed records: the kept records do not match the count');
    return packed.records;
  }
  const { type, seq, t, shapes, shape, cols } = packed;
  if (!type || !seq || !t || !Array.isArray(shapes) || !shape || !Array.isArray(cols) || cols.length !== shapes.length) throw new RangeError('packed records: columns missing');
  const types = expand(type, n, 'type column');
  const seqs = expand(seq, n, 'seq column');
  const times = expand(t, n, 't_ns column');
  const shapeOfRow = expand(shape, n, 'shape column') as number[];
  const values = cols.map((perKey, s) => {
    const count = shapeOfRow.reduce((m: number, x) => (x === s ? m + 1 : m), 0);
    if (!Array.isArray(perKey) || !Array.isArray(shapes[s]) || perKey.length !== shapes[s].length)
      throw new RangeError(`packed records: shape ${s} has ${shapes[s]?.length} keys and ${perKey?.length} columns`);
    return perKey.map((c, k) => expand(c, count, `shape ${s} column ${shapes[s][k]}`));
  });
  const next = new Array<number>(shapes.length).fill(0);
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) {
    const s = shapeOfRow[i];
    const keys = shapes[s];
    if (keys === undefined) throw new RangeError(`packed records: record ${i} has unknown shape ${s}`);
    const j = next[s]++;
    const data: Record<string, Json> = {};
    for (let k = 0; k < keys.length; k++) data[keys[k]] = values[s][k][j];
    out[i] = [types[i], seqs[i], times[i], data];
  }
  return out;
}
