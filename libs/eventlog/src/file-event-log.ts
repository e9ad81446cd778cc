/**
 * EventLog on the local file system: one JSON-lines file per run (`<runId>.jsonl`, one batch
 * per line) and `runs.idx` listing run ids in the order their first batch was appended.
 * Each append is one write of a whole line followed by fsync, so after a crash a file ends
 * either on a complete line or on one torn line; reads ignore a torn last line and the next
 * append truncates it away before writing. One writing instance per directory.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, truncate, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptLogError, EventLogClosedError, EventLogError } from './errors';
import { KeyedQueue, assertName, decideAppend, decodeBatch, encodeBatch, validateBatch, type EventLog, type Footprint, type LogBatch, type RunEntry } from './event-log';

const INDEX_FILE = 'runs.idx';
/** The run catalogue: one JSON file per run, replaced whole (write, then rename). */
const CATALOGUE_DIR = 'catalogue';
const RUN_SUFFIX = '.jsonl';
const NEWLINE = 0x0a;
/** Open append handles kept at most; more runs written at once reopen their files. */
const MAX_OPEN_FILES = 16;

interface SourceState {
  lastSeq: number;
  /** firstSeq → lastSeq of every stored batch, to tell a re-sent batch from an overlap. */
  readonly batches: Map<number, number>;
}

interface RunState {
  readonly sources: Map<string, SourceState>;
  /** Bytes up to the end of the last complete line; beyond it lies at most a torn line. */
  validBytes: number;
  tornBytes: number;
}

interface Line {
  readonly text: string;
  /** 1-based line number, for error messages. */
  readonly line: number;
  /** Byte offset just past this line's newline. */
  readonly end: number;
}

/** Complete (newline-terminated) lines of `file` within its first `size` bytes. */
async function* completeLines(file: string, size: number): AsyncGenerator<Line> {
  if (size <= 0) return;
  const decoder = new TextDecoder();
  let rest: Uint8Array = new Uint8Array(0);
  let line = 0;
  let offset = 0; // file offset of rest[0]
  for await (const chunk of createReadStream(file, { start: 0, end: size - 1, highWaterMark: 1 << 20 })) {
    const bytes = chunk as Uint8Array;
    let buf: Uint8Array = bytes;
    if (rest.length) {
      buf = new Uint8Array(rest.length + bytes.length);
      buf.set(rest);
      buf.set(bytes, rest.length);
    }
    let start = 0;
    for (let nl = buf.indexOf(NEWLINE); nl !== -1; nl = buf.indexOf(NEWLINE, start)) {
      line++;
      yield { text: decoder.decode(buf.subarray(start, nl)), line, end: offset + nl + 1 };
      start = nl + 1;
    }
    offset += start;
    rest = buf.subarray(start);
  }
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (err) {
    if (isMissing(err)) return 0;
    throw new EventLogError(`cannot read ${file}`, { cause: err });
  }
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

export class FileEventLog implements EventLog {
  private readonly runs = new Map<string, RunState>();
  private readonly handles = new Map<string, FileHandle>();
  /** Runs with a write in flight on their handle. */
  private readonly writing = new Set<string>();
  private readonly queue = new KeyedQueue();
  private closed = false;

  private constructor(readonly directory: string) {}

  /** Opens (creating it if needed) the log kept in `directory`. */
  static async open(directory: string): Promise<FileEventLog> {
    try {
      await mkdir(directory, { recursive: true });
    } catch (err) {
      throw new EventLogError(`cannot create event log directory ${directory}`, { cause: err });
    }
    return new FileEventLog(directory);
  }

  async append(batch: LogBatch): Promise<void> {
    this.assertOpen();
    validateBatch(batch);
    await this.queue.run(batch.runId, () => this.appendNow(batch));
  }

  async *read(runId: string, options: { source?: string } = {}): AsyncIterable<LogBatch> {
    this.assertOpen();
    assertName('runId', runId);
    if (options.source !== undefined) assertName('source', options.source);
    const file = this.runFile(runId);
    const size = await fileSize(file);
    // Bytes present now: batches appended while iterating belong to a later read.
    for await (const { text, line } of completeLines(file, size)) {
      const batch = decodeBatch(text, `${file}:${line}`);
      if (options.source === undefined || batch.source === options.source) yield batch;
    }
  }

  async lastSequence(runId: string, source: string): Promise<number> {
    this.assertOpen();
    assertName('runId', runId);
    assertName('source', source);
    return this.queue.run(runId, async () => (await this.runState(runId)).sources.get(source)?.lastSeq ?? 0);
  }

  async runIds(): Promise<string[]> {
    this.assertOpen();
    let indexed: string[] = [];
    try {
      const text = await readFile(join(this.directory, INDEX_FILE), 'utf8');
      // The last line may be torn, and a crash between index and run file leaves a run id
      // with no batch: only ids whose file holds a complete line count.
      indexed = text.split('\n').slice(0, -1);
    } catch (err) {
      if (!isMissing(err)) throw new EventLogError(`cannot read ${INDEX_FILE} in ${this.directory}`, { cause: err });
    }
    // Run files missing from the index (copied in, say) follow the indexed ones by name.
    const files = new Set((await readdir(this.directory)).filter((f) => f.endsWith(RUN_SUFFIX)).map((f) => f.slice(0, -RUN_SUFFIX.length)));
    const ordered = new Set([...indexed, ...[...files].sort()].filter((id) => files.has(id)));
    const withBatches: string[] = [];
    for (const id of ordered) {
      const file = this.runFile(id);
      for await (const _line of completeLines(file, await fileSize(file))) {
        withBatches.push(id);
        break;
      }
    }
    return withBatches;
  }

  async putEntry(entry: RunEntry): Promise<void> {
    this.assertOpen();
    assertName('runId', entry.run);
    const dir = join(this.directory, CATALOGUE_DIR);
    const file = join(dir, `${entry.run}.json`);
    try {
      await mkdir(dir, { recursive: true });
      await writeFile(`${file}.tmp`, JSON.stringify(entry) + '\n');
      await rename(`${file}.tmp`, file);
    } catch (err) {
      throw new EventLogError(`cannot write the catalogue entry ${file}`, { cause: err });
    }
  }

  async entries(): Promise<RunEntry[]> {
    this.assertOpen();
    const dir = join(this.directory, CATALOGUE_DIR);
    let names: string[];
    try {
      names = (await readdir(dir)).filter((f) => f.endsWith('.json'));
    } catch (err) {
      if (isMissing(err)) return [];
      throw new EventLogError(`cannot read the catalogue ${dir}`, { cause: err });
    }
    const entries: RunEntry[] = [];
    for (const name of names) {
      try {
        entries.push(JSON.parse(await readFile(join(dir, name), 'utf8')) as RunEntry);
      } catch (err) {
        throw new CorruptLogError(`${join(dir, name)}: not a catalogue entry`, { cause: err });
      }
    }
    return entries;
  }

  /** Bytes of each run's file: a line removed or cut changes it. */
  async footprints(runIds?: ReadonlyArray<string>): Promise<Map<string, Footprint>> {
    this.assertOpen();
    const ids = runIds ?? (await readdir(this.directory)).filter((f) => f.endsWith(RUN_SUFFIX)).map((f) => f.slice(0, -RUN_SUFFIX.length));
    const out = new Map<string, Footprint>();
    for (const id of ids) {
      assertName('runId', id);
      out.set(id, { bytes: await fileSize(this.runFile(id)) });
    }
    return out;
  }

  async deleteRun(runId: string): Promise<void> {
    this.assertOpen();
    assertName('runId', runId);
    await this.queue.run(runId, async () => {
      await this.closeHandle(runId);
      this.runs.delete(runId);
      try {
        await rm(this.runFile(runId), { force: true });
        await rm(join(this.directory, CATALOGUE_DIR, `${runId}.json`), { force: true });
        const index = join(this.directory, INDEX_FILE);
        const kept = (await readFile(index, 'utf8').catch(() => '')).split('\n').filter((id) => id !== '' && id !== runId);
        await writeFile(`${index}.tmp`, kept.map((id) => `${id}\n`).join(''));
        await rename(`${index}.tmp`, index);
      } catch (err) {
        throw new EventLogError(`cannot remove run ${runId} from ${this.directory}`, { cause: err });
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.idle();
    const handles = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(handles.map((h) => h.close()));
  }

  private async appendNow(batch: LogBatch): Promise<void> {
    const run = await this.runState(batch.runId);
    const source = run.sources.get(batch.source) ?? { lastSeq: 0, batches: new Map<number, number>() };
    if ((await decideAppend(batch, source.lastSeq, (first) => source.batches.get(first))) === 'duplicate') return;
    const line = encodeBatch(batch) + '\n';
    this.writing.add(batch.runId);
    try {
      if (run.validBytes === 0) await this.appendToIndex(batch.runId);
      if (run.tornBytes > 0) {
        await this.closeHandle(batch.runId);
        await truncate(this.runFile(batch.runId), run.validBytes);
        run.tornBytes = 0;
      }
      const handle = await this.handle(batch.runId);
      await handle.appendFile(line);
      await handle.sync();
      // A new file survives a power cut only once its directory entry is on disk too.
      if (run.validBytes === 0) await this.syncDirectory();
    } catch (err) {
      // The file may now end in a partial line: forget what we know and rescan next time.
      this.runs.delete(batch.runId);
      await this.closeHandle(batch.runId).catch(() => undefined);
      throw new EventLogError(`cannot append to ${this.runFile(batch.runId)}`, { cause: err });
    } finally {
      this.writing.delete(batch.runId);
    }
    run.validBytes += Buffer.byteLength(line, 'utf8');
    source.lastSeq = batch.lastSeq;
    source.batches.set(batch.firstSeq, batch.lastSeq);
    run.sources.set(batch.source, source);
  }

  /** What the run's file holds, scanned once per instance (then kept up to date by appends). */
  private async runState(runId: string): Promise<RunState> {
    const known = this.runs.get(runId);
    if (known) return known;
    const state: RunState = { sources: new Map(), validBytes: 0, tornBytes: 0 };
    const file = this.runFile(runId);
    const size = await fileSize(file);
    for await (const { text, line, end } of completeLines(file, size)) {
      const batch = decodeBatch(text, `${file}:${line}`);
      const source = state.sources.get(batch.source) ?? { lastSeq: 0, batches: new Map<number, number>() };
      source.lastSeq = batch.lastSeq;
      source.batches.set(batch.firstSeq, batch.lastSeq);
      state.sources.set(batch.source, source);
      state.validBytes = end;
    }
    state.tornBytes = size - state.validBytes;
    this.runs.set(runId, state);
    return state;
  }

  private async appendToIndex(runId: string): Promise<void> {
    const index = await open(join(this.directory, INDEX_FILE), 'a');
    try {
      await index.appendFile(`${runId}\n`);
      await index.sync();
    } finally {
      await index.close();
    }
  }

  private async syncDirectory(): Promise<void> {
    const dir = await open(this.directory, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  private async handle(runId: string): Promise<FileHandle> {
    const open_ = this.handles.get(runId);
    if (open_) return open_;
    // Runs append concurrently (the queue orders appends per run only): never close a handle
    // another run is writing through.
    const idle = [...this.handles.keys()].find((id) => !this.writing.has(id));
    if (this.handles.size >= MAX_OPEN_FILES && idle !== undefined) await this.closeHandle(idle);
    const handle = await open(this.runFile(runId), 'a');
    this.handles.set(runId, handle);
    return handle;
  }

  private async closeHandle(runId: string): Promise<void> {
    const handle = this.handles.get(runId);
    if (!handle) return;
    this.handles.delete(runId);
    await handle.close();
  }

  private runFile(runId: string): string {
    return join(this.directory, runId + RUN_SUFFIX);
  }

  private assertOpen(): void {
    if (this.closed) throw new EventLogClosedError();
  }
}
