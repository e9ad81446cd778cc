/**
 * EventLog on the local file system: one file per run (`<runId>.mtlog`, one checksummed frame
 * per stored batch, frames.ts) and `runs.idx` listing run ids in the order their first batch
 * was appended. Each append is one write of a whole frame followed by fsync, so after a crash
 * a file ends either on a complete frame or on one torn frame; reads ignore a torn last frame
 * and the next append truncates it away before writing. Runs logged before framing
 * (`<runId>.jsonl`, one JSON batch per line) are read, and appended to, as they are. One
 * writing instance per directory.
 */
import { mkdir, open, readFile, readdir, rename, rm, stat, truncate, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptLogError, EventLogClosedError, EventLogError, InvalidBatchError } from './errors';
import {
  KeyedQueue,
  assertName,
  decideAppend,
  decodeBatches,
  encodeGroup,
  encodeBatch,
  encodeBatchJson,
  validateBatch,
  type EventLog,
  type Footprint,
  type LogBatch,
  type RunEntry,
} from './event-log';
import { completeFrames, completeLines, frame, type Unit } from './frames';

const INDEX_FILE = 'runs.idx';
/** The run catalogue: one JSON file per run, replaced whole (write, then rename). */
const CATALOGUE_DIR = 'catalogue';
const RUN_SUFFIX = '.mtlog';
/** Runs logged before framing: one JSON batch per line. */
const JSONL_SUFFIX = '.jsonl';
/** Open append handles kept at most; more runs written at once reopen their files. */
const MAX_OPEN_FILES = 16;

interface SourceState {
  lastSeq: number;
  /** firstSeq → lastSeq of every stored batch, to tell a re-sent batch from an overlap. */
  readonly batches: Map<number, number>;
}

interface RunState {
  readonly sources: Map<string, SourceState>;
  /** Bytes up to the end of the last complete frame (line); beyond it lies at most a torn one. */
  validBytes: number;
  tornBytes: number;
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

/** A run's file name without its suffix, for either format. */
function runIdOf(file: string): string | null {
  if (file.endsWith(RUN_SUFFIX)) return file.slice(0, -RUN_SUFFIX.length);
  if (file.endsWith(JSONL_SUFFIX)) return file.slice(0, -JSONL_SUFFIX.length);
  return null;
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
    await this.appendAll([batch]);
  }

  /** One frame for all of them (several batches: a group), so a crash keeps all or none. */
  async appendAll(batches: ReadonlyArray<LogBatch>): Promise<void> {
    this.assertOpen();
    if (batches.length === 0) return;
    for (const b of batches) validateBatch(b);
    const runId = batches[0].runId;
    if (batches.some((b) => b.runId !== runId))
      throw new InvalidBatchError(`appendAll: batches of runs ${[...new Set(batches.map((b) => b.runId))].join(', ')}; one run at a time`);
    // Packing starts now, deflating off this thread, while earlier appends are written.
    const packed = batches.map((b) => encodeBatch(b));
    for (const p of packed) p.catch(() => undefined); // a failure surfaces when the queued append awaits it
    await this.queue.run(runId, () => this.appendNow(batches, packed));
  }

  async *read(runId: string, options: { source?: string } = {}): AsyncIterable<LogBatch> {
    this.assertOpen();
    assertName('runId', runId);
    if (options.source !== undefined) assertName('source', options.source);
    // Bytes present now: batches appended while iterating belong to a later read.
    for await (const { batch } of this.batches(runId)) if (options.source === undefined || batch.source === options.source) yield batch;
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
    const files = new Set(await this.runFileIds());
    const ordered = new Set([...indexed, ...[...files].sort()].filter((id) => files.has(id)));
    const withBatches: string[] = [];
    for (const id of ordered) {
      const { file, framed } = await this.runFile(id);
      for await (const _unit of (framed ? completeFrames : completeLines)(file, await fileSize(file))) {
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
    const ids = runIds ?? (await this.runFileIds());
    const out = new Map<string, Footprint>();
    for (const id of ids) {
      assertName('runId', id);
      out.set(id, { bytes: await fileSize((await this.runFile(id)).file) });
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
        await rm(join(this.directory, runId + RUN_SUFFIX), { force: true });
        await rm(join(this.directory, runId + JSONL_SUFFIX), { force: true });
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

  private async appendNow(all: ReadonlyArray<LogBatch>, packed: ReadonlyArray<Promise<Uint8Array>>): Promise<void> {
    const runId = all[0].runId;
    const run = await this.runState(runId);
    // Every batch is checked (a gap or an overlap refuses them all) before anything is written.
    const lastSeq = new Map<string, number>();
    const kept: number[] = [];
    for (const [i, batch] of all.entries()) {
      const stored = run.sources.get(batch.source);
      const last = lastSeq.get(batch.source) ?? stored?.lastSeq ?? 0;
      if ((await decideAppend(batch, last, (first) => stored?.batches.get(first))) === 'duplicate') continue;
      kept.push(i);
      lastSeq.set(batch.source, batch.lastSeq);
    }
    if (kept.length === 0) return;
    const { file, framed } = await this.runFile(runId);
    let unit: Uint8Array;
    if (!framed) unit = new TextEncoder().encode(kept.map((i) => encodeBatchJson(all[i]) + '\n').join(''));
    else if (kept.length === 1) unit = frame(await packed[kept[0]]);
    else unit = frame(encodeGroup(await Promise.all(kept.map((i) => packed[i]))));
    this.writing.add(runId);
    try {
      if (run.validBytes === 0) await this.appendToIndex(runId);
      if (run.tornBytes > 0) {
        await this.closeHandle(runId);
        await truncate(file, run.validBytes);
        run.tornBytes = 0;
      }
      const handle = await this.handle(runId, file);
      await handle.appendFile(unit);
      await handle.sync();
      // A new file survives a power cut only once its directory entry is on disk too.
      if (run.validBytes === 0) await this.syncDirectory();
    } catch (err) {
      // The file may now end in a partial frame: forget what we know and rescan next time.
      this.runs.delete(runId);
      await this.closeHandle(runId).catch(() => undefined);
      throw new EventLogError(`cannot append to ${file}`, { cause: err });
    } finally {
      this.writing.delete(runId);
    }
    run.validBytes += unit.length;
    for (const i of kept) {
      const batch = all[i];
      const source = run.sources.get(batch.source) ?? { lastSeq: 0, batches: new Map<number, number>() };
      source.lastSeq = batch.lastSeq;
      source.batches.set(batch.firstSeq, batch.lastSeq);
      run.sources.set(batch.source, source);
    }
  }

  /** What the run's file holds, scanned once per instance (then kept up to date by appends). */
  private async runState(runId: string): Promise<RunState> {
    const known = this.runs.get(runId);
    if (known) return known;
    const state: RunState = { sources: new Map(), validBytes: 0, tornBytes: 0 };
    const { file } = await this.runFile(runId);
    const size = await fileSize(file);
    for await (const { batch, end } of this.batches(runId, size)) {
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

  /** The run's batches within the file's first `size` bytes (as it is now by default), each with the offset past it. */
  private async *batches(runId: string, size?: number): AsyncGenerator<{ batch: LogBatch; end: number }> {
    const { file, framed } = await this.runFile(runId);
    const units: AsyncGenerator<Unit> = (framed ? completeFrames : completeLines)(file, size ?? (await fileSize(file)));
    for await (const { bytes, index, end } of units) for (const batch of decodeBatches(bytes, `${file}:${framed ? 'frame ' : ''}${index}`)) yield { batch, end };
  }

  /** Ids of the run files in the directory (either format). */
  private async runFileIds(): Promise<string[]> {
    return [...new Set((await readdir(this.directory)).map(runIdOf).filter((id): id is string => id !== null))];
  }

  private async handle(runId: string, file: string): Promise<FileHandle> {
    const open_ = this.handles.get(runId);
    if (open_) return open_;
    // Runs append concurrently (the queue orders appends per run only): never close a handle
    // another run is writing through.
    const idle = [...this.handles.keys()].find((id) => !this.writing.has(id));
    if (this.handles.size >= MAX_OPEN_FILES && idle !== undefined) await this.closeHandle(idle);
    const handle = await open(file, 'a');
    this.handles.set(runId, handle);
    return handle;
  }

  private async closeHandle(runId: string): Promise<void> {
    const handle = this.handles.get(runId);
    if (!handle) return;
    this.handles.delete(runId);
    await handle.close();
  }

  /** The run's file: framed, unless the run was logged as JSON lines before framing. */
  private async runFile(runId: string): Promise<{ file: string; framed: boolean }> {
    const jsonl = join(this.directory, runId + JSONL_SUFFIX);
    if ((await fileSize(jsonl)) > 0) return { file: jsonl, framed: false };
    return { file: join(this.directory, runId + RUN_SUFFIX), framed: true };
  }

  private assertOpen(): void {
    if (this.closed) throw new EventLogClosedError();
  }
}
