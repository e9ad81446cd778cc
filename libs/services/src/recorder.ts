/**
 * Recording signals to the event log in batches (one stored message holds many signals:
 * JetStream stores ≈ 16k messages/s, far below simulation speed). Signals are grouped per
 * (run, source) so each batch's sequence numbers are contiguous; `flush` writes what is
 * buffered and waits for it, which bounds memory between windows of a run.
 */
import { fromRecord, toRecord, type Signal, type Source } from '@metatwin/contracts';
import type { EventLog, LogBatch } from '@metatwin/eventlog';
import type { SignalRecorder } from './embedded';

export class LogRecorder implements SignalRecorder {
  /** Per run, per source: signals not yet handed to the log (no per-signal key strings on this hot path). */
  private readonly buffers = new Map<string, Map<string, Signal[]>>();
  private pending: Promise<void>[] = [];
  /** Signals buffered, not yet handed to the log. */
  buffered = 0;
  recorded = 0;

  constructor(
    private readonly log: EventLog,
    /** Only record signals from these sources (a service records its own). */
    private readonly sources: ReadonlyArray<Source> | null = null,
    /**
     * Start writing once this many signals are buffered, wherever the run is: a cut that may
     * split a cause from its effect. A run that wants its log consistent after a crash flushes
     * at its own cuts before this is reached (runEmbedded does).
     */
    private readonly batchSize = 4096,
    /** Called with each batch once the log has stored it (e.g. to project it into InfluxDB). */
    private readonly onAppended: ((batch: LogBatch) => void) | null = null,
  ) {}

  record(signal: Signal): void {
    if (this.sources !== null && !this.sources.includes(signal.meta.source)) return;
    let perRun = this.buffers.get(signal.meta.runId);
    if (!perRun) this.buffers.set(signal.meta.runId, (perRun = new Map()));
    let buffer = perRun.get(signal.meta.source);
    if (!buffer) perRun.set(signal.meta.source, (buffer = []));
    buffer.push(signal);
    this.buffered++;
    if (this.buffered >= this.batchSize) this.writeBuffered();
  }

  async flush(options: { maxInFlight?: number } = {}): Promise<void> {
    this.writeBuffered();
    const keep = options.maxInFlight ?? 0;
    // Appends of one run complete in call order, so waiting on the oldest frees the most.
    while (this.pending.length > keep) await this.pending.shift();
  }

  /**
   * Hand each run's buffered signals to the log, all sources at once (appendAll): written at
   * a cut where every signal's causes are buffered too (a flush between an embedded run's
   * pumps), a crash then leaves the log consistent across sources — never, say, a test closed
   * without the samples that closed it.
   */
  private writeBuffered(): void {
    for (const perRun of this.buffers.values()) {
      const batches: LogBatch[] = [];
      // The edge's batch first: the rest of this cut is then stored after the edge's batch
      // about any step in it, as the snapshot barrier keeps a distributed run's log, so a
      // restart can read the run from its latest snapshot on (tail.ts).
      const edgeFirst = [...perRun].sort(([a], [b]) => Number(b === 'edge-physics') - Number(a === 'edge-physics'));
      for (const [source, signals] of edgeFirst) {
        if (signals.length === 0) continue;
        batches.push({
          runId: signals[0].meta.runId,
          source,
          firstSeq: signals[0].meta.seq,
          lastSeq: signals[signals.length - 1].meta.seq,
          records: signals.map(toRecord),
        });
        this.recorded += signals.length;
      }
      if (batches.length === 0) continue;
      // Appends of one run are stored in call order, so they need not be awaited one by one.
      const appended = this.log.appendAll ? this.log.appendAll(batches) : Promise.all(batches.map((b) => this.log.append(b))).then(() => undefined);
      const onAppended = this.onAppended;
      this.pending.push(onAppended ? appended.then(() => batches.forEach((b) => onAppended(b))) : appended);
    }
    this.buffers.clear();
    this.buffered = 0;
  }
}

/** Every signal of a run from the log, merged across sources in simulated-time order. */
export async function readRunSignals(log: EventLog, runId: string): Promise<Signal[]> {
  const bySource: Signal[][] = [];
  const index = new Map<string, number>();
  for await (const batch of log.read(runId)) {
    let i = index.get(batch.source);
    if (i === undefined) index.set(batch.source, (i = bySource.push([]) - 1));
    const list = bySource[i];
    for (const r of batch.records) list.push(fromRecord(r, runId, batch.source as Source));
  }
  return mergeCausal(bySource);
}

/** At equal simulated time, what causes what: the supervisor's step before the edge's answer, samples before the test closes. */
export const CAUSAL_RANK: Readonly<Record<string, number>> = {
  RunCreated: 0,
  PortBound: 1,
  PatchMapSet: 1,
  PotentiometerSet: 1,
  StepStarted: 2,
  DacWritten: 2,
  LearningEnabled: 3,
  FreeOutputMeasured: 4,
  ClampOutputSet: 5,
  GatesEvolved: 6,
  StateSnapshot: 7,
  TestStepStarted: 8,
  TestDatapointApplied: 9,
  DemuxSelected: 9,
  NodesSettled: 10,
  AdcSampled: 11,
  TestStepFinished: 12,
  RunFinished: 13,
  RunAborted: 13,
  RunCancelled: 13,
  // Before the steps it resumes (they are re-sent at times already passed).
  RunResumed: 1,
  RunFaulted: 12,
};

/**
 * Merge per-source streams into one order that respects causality for the fold: by
 * simulated time, and at equal times by a fixed rank of what causes what (the supervisor's
 * step before the edge's answer, samples before the test closes).
 */
export function mergeCausal(streams: Signal[][]): Signal[] {
  const rank = CAUSAL_RANK;
  const all: Array<{ s: Signal; i: number }> = [];
  let n = 0;
  for (const stream of streams) for (const s of stream) all.push({ s, i: n++ });
  all.sort((a, b) => a.s.meta.t_ns - b.s.meta.t_ns || (rank[a.s.type] ?? 99) - (rank[b.s.type] ?? 99) || a.i - b.i);
  return all.map((x) => x.s);
}
