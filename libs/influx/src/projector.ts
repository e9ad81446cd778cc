/**
 * InfluxDB as a projection of the event log. Batches arrive from wherever the host gets them
 * (a JetStream follower, the embedded recorder, a re-read of the log); per (run, source) the
 * projector remembers the last sequence number it projected, folds only what comes after,
 * and fills any gap by reading the log. So a batch dropped while InfluxDB was away, a batch
 * seen twice, or a projector that starts in the middle of a run all end in the same points,
 * each written once — and the points themselves are idempotent in InfluxDB besides.
 */
import { SOURCES, fromRecord, type Signal, type Source } from '@metatwin/contracts';
import type { EventLog, LogBatch } from '@metatwin/eventlog';
import { RunProjection, type Point } from '@metatwin/projection';
import type { InfluxSink } from './sink';

interface RunState {
  projection: RunProjection | null;
  readonly cursors: Map<string, number>;
  /** Batches seen before the run's RunCreated (only without a log to look it up in). */
  readonly held: LogBatch[];
}

export interface ProjectorOptions {
  /** Where gaps are filled from and RunCreated is looked up; null: project only what is offered. */
  readonly log: EventLog | null;
  readonly sink: InfluxSink;
  readonly onWarning?: (message: string) => void;
  /** Batches `offer` queues before it drops (a dropped batch is a gap, filled from the log later). */
  readonly maxQueued?: number;
  /** Runs whose state is kept (the oldest is forgotten; it is re-read from the log if it comes back). */
  readonly maxRuns?: number;
}

export class LogProjector {
  private readonly runs = new Map<string, RunState>();
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  /** Points handed to the sink. */
  points = 0;
  /** Batches `offer` dropped because the projector was behind. */
  dropped = 0;

  constructor(private readonly options: ProjectorOptions) {}

  /** Project a batch, after every batch accepted before it. */
  accept(batch: LogBatch): Promise<void> {
    const next = this.chain.then(() => this.project(batch));
    this.chain = next.catch((err) => this.options.onWarning?.(`projecting ${batch.runId}/${batch.source} ${batch.firstSeq}..${batch.lastSeq}: ${(err as Error).message}`));
    return next;
  }

  /** Like accept, without waiting: when too far behind, the batch is dropped (and later read from the log). */
  offer(batch: LogBatch): void {
    if (this.queued >= (this.options.maxQueued ?? 8)) {
      this.dropped++;
      return;
    }
    this.queued++;
    void this.accept(batch)
      .catch(() => undefined)
      .finally(() => this.queued--);
  }

  /** Resolves when every accepted batch is projected. */
  async idle(): Promise<void> {
    let last: Promise<void>;
    do {
      last = this.chain;
      await last;
    } while (last !== this.chain);
  }

  /** Bring a run up to the end of the log, every source (after a run, or to rebuild it). */
  catchUp(runId: string): Promise<void> {
    const next = this.chain.then(async () => {
      const log = this.requireLog();
      const st = this.state(runId);
      if (!st.projection && !(await this.begin(runId, st))) throw new Error(`run ${runId}: no RunCreated in the event log`);
      for (const source of SOURCES) {
        const last = await log.lastSequence(runId, source);
        await this.fill(st, runId, source, last);
      }
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Forget what was projected of a run and project it again from the log. */
  async rebuild(runId: string): Promise<void> {
    await this.idle();
    this.runs.delete(runId);
    await this.catchUp(runId);
  }

  private requireLog(): EventLog {
    if (!this.options.log) throw new Error('this projector has no event log to read from');
    return this.options.log;
  }

  private state(runId: string): RunState {
    let st = this.runs.get(runId);
    if (!st) {
      st = { projection: null, cursors: new Map(), held: [] };
      this.runs.set(runId, st);
      const maxRuns = this.options.maxRuns ?? 32;
      if (this.runs.size > maxRuns) this.runs.delete(this.runs.keys().next().value as string);
    }
    return st;
  }

  private async project(batch: LogBatch): Promise<void> {
    const st = this.state(batch.runId);
    if (!st.projection) {
      const first = batch.source === 'supervisor' && batch.firstSeq === 1 ? fromRecord(batch.records[0], batch.runId, 'supervisor') : null;
      if (first?.type === 'RunCreated') st.projection = new RunProjection(batch.runId, first);
      else if (!this.options.log || !(await this.begin(batch.runId, st))) {
        if (st.held.length < 256) st.held.push(batch);
        else this.options.onWarning?.(`run ${batch.runId}: no RunCreated yet; dropping ${batch.source} ${batch.firstSeq}..${batch.lastSeq}`);
        return;
      }
      for (const held of st.held.splice(0)) await this.projectKnown(st, held);
    }
    await this.projectKnown(st, batch);
  }

  private async projectKnown(st: RunState, batch: LogBatch): Promise<void> {
    const cursor = st.cursors.get(batch.source) ?? 0;
    if (batch.lastSeq <= cursor) return;
    if (batch.firstSeq > cursor + 1 && this.options.log) await this.fill(st, batch.runId, batch.source, batch.firstSeq - 1);
    const now = st.cursors.get(batch.source) ?? 0;
    if (batch.firstSeq > now + 1) this.options.onWarning?.(`run ${batch.runId}/${batch.source}: records ${now + 1}..${batch.firstSeq - 1} are in no batch seen and not in the log`);
    await this.fold(st, batch, Infinity);
  }

  private async begin(runId: string, st: RunState): Promise<boolean> {
    for await (const b of this.requireLog().read(runId, { source: 'supervisor' })) {
      const s = fromRecord(b.records[0], runId, 'supervisor');
      if (b.firstSeq === 1 && s.type === 'RunCreated') st.projection = new RunProjection(runId, s);
      break;
    }
    return st.projection !== null;
  }

  /** Read (run, source) from the log and project what lies after the cursor, up to `upTo`. */
  private async fill(st: RunState, runId: string, source: Source | string, upTo: number): Promise<void> {
    if ((st.cursors.get(source) ?? 0) >= upTo) return;
    for await (const b of this.requireLog().read(runId, { source })) {
      if (b.lastSeq <= (st.cursors.get(source) ?? 0)) continue;
      if (b.firstSeq > upTo) break;
      await this.fold(st, b, upTo);
    }
  }

  private async fold(st: RunState, batch: LogBatch, upTo: number): Promise<void> {
    const projection = st.projection as RunProjection;
    let cursor = st.cursors.get(batch.source) ?? 0;
    const points: Point[] = [];
    for (let i = 0; i < batch.records.length; i++) {
      const seq = batch.firstSeq + i;
      if (seq <= cursor) continue;
      if (seq > upTo) break;
      const s: Signal = fromRecord(batch.records[i], batch.runId, batch.source as Source);
      projection.fold(s, points);
      cursor = seq;
      if (points.length >= 5000) await this.flushPoints(points);
    }
    st.cursors.set(batch.source, cursor);
    await this.flushPoints(points);
  }

  private async flushPoints(points: Point[]): Promise<void> {
    if (points.length === 0) return;
    this.points += points.length;
    await this.options.sink.write(points.splice(0));
  }
}
