/**
 * A run's tail: what a restarting service needs of a long unfinished run, read without
 * reading the run. The supervisor holds back the step after each snapshotted one until the
 * edge has applied that one (the snapshot barrier), so the signals about later steps are all
 * stored after the edge's batch that reached the snapshotted step N. What a service's state
 * holds from before — the run's set-up and the ports its peers bound — is in the first
 * batches of each source. So the tail is: those first batches, then everything stored from
 * the edge's first batch about step N on, found by a binary search over the edge's batches
 * (its steps only grow along the log).
 *
 * Anything that does not fit — a log written before the barrier, a snapshot that never got
 * stored, a run too short to have one — gives null, and the caller reads the whole run.
 */
import { fromRecord, type Signal, type Source } from '@metatwin/contracts';
import type { LogBatch, PositionedBatch, PositionedLog } from '@metatwin/eventlog';
import { mergeCausal } from './recorder';

export interface RunTail {
  /** The set-up, then every signal from the tail's start on, merged as readRunSignals merges. */
  readonly signals: Signal[];
  /** The snapshotted step the tail starts after (the state after it is in the tail's StateSnapshot). */
  readonly afterStep: number;
  /** Where in the log the tail starts (JetStream: a stream sequence). */
  readonly fromPosition: number;
  /** Batches read, the set-up's and the search's included. */
  readonly batchesRead: number;
}

/** The supervisor's set-up is a handful of signals: more batches before a step means this is not a run to tail. */
const HEAD_BATCHES_MAX = 16;
/** Batches without a step in a row (restart announcements) that the search steps over. */
const STEPLESS_MAX = 16;

const signalsOf = (b: LogBatch): Signal[] => b.records.map((r) => fromRecord(r, b.runId, b.source as Source));

/** The latest step a batch's signals are about (−1 when none is about a step). */
function maxStep(b: LogBatch): number {
  let max = -1;
  for (const s of signalsOf(b)) {
    const step = (s.data as { step?: unknown }).step;
    if (typeof step === 'number' && step > max) max = step;
  }
  return max;
}

export async function readRunTail(log: PositionedLog, runId: string): Promise<RunTail | null> {
  let reads = 0;
  const at = async (source: Source, position: number): Promise<PositionedBatch | null> => {
    reads++;
    return log.batchAtOrAfter(runId, source, position);
  };

  // The supervisor's set-up: everything before its first step or test.
  const setUp: Signal[] = [];
  for (let position = 1, stepped = false; !stepped;) {
    if (reads >= HEAD_BATCHES_MAX) return null;
    const b = await at('supervisor', position);
    if (b === null) return null;
    for (const s of signalsOf(b.batch)) {
      if (s.type === 'StepStarted' || s.type === 'TestStepStarted') {
        stepped = true;
        break;
      }
      setUp.push(s);
    }
    position = b.position + 1;
  }
  const created = setUp.find((s): s is Signal<'RunCreated'> => s.type === 'RunCreated');
  const every = created?.data.experiment.schedule.snapshotEvery;
  if (every === undefined) return null;

  const firstEdge = await at('edge-physics', 1);
  const lastEdge = await log.lastBatch(runId, 'edge-physics');
  reads++;
  if (firstEdge === null || lastEdge === null) return null;

  /** The edge's first batch about a step at or after `position`, stepping over batches about none. */
  const edgeStepAt = async (position: number): Promise<{ step: number; position: number }> => {
    for (let p = position, k = 0; k < STEPLESS_MAX; k++) {
      const b = await at('edge-physics', p);
      if (b === null) break;
      const step = maxStep(b.batch);
      if (step >= 0) return { step, position: b.position };
      p = b.position + 1;
    }
    return { step: Infinity, position: lastEdge.position };
  };

  // A step the edge reached: its last batch's, or — when that is about no step (a restarted
  // edge announces itself last) — that of a batch a little earlier, looking further back each time.
  let newest = maxStep(lastEdge.batch);
  for (let back = 1; newest < 0; back *= 16) {
    const from = Math.max(firstEdge.position, lastEdge.position - back);
    const found = await edgeStepAt(from);
    if (Number.isFinite(found.step)) newest = found.step;
    else if (from === firstEdge.position) return null;
  }

  // The newest snapshot step, or the one before it when the newest was not stored whole.
  for (let snapped = Math.floor((newest + 1) / every) * every - 1, tries = 0; snapped >= 0 && tries < 2; snapped -= every, tries++) {
    // The first edge batch about a step ≥ snapped: the predicate only turns true along the log;
    // `from` is the batch the last true probe found (the last batch when none was true).
    let lo = firstEdge.position;
    let hi = lastEdge.position;
    let from = lastEdge.position;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const at = await edgeStepAt(mid);
      if (at.step >= snapped) {
        hi = mid;
        from = at.position;
      } else lo = mid + 1;
    }
    const tail: Signal[] = [];
    for await (const b of log.readFrom(runId, from)) {
      reads++;
      for (const s of signalsOf(b)) tail.push(s); // not push(...): a recorded cut is thousands of signals
    }
    if (!complete(tail, snapped)) continue;
    // The ports the other services bound (the first thing each logs for a run).
    const bound: Signal[] = [];
    for (const source of ['edge-physics', 'clamping', 'measurement'] as const) {
      const b = source === 'edge-physics' ? firstEdge : await at(source, 1);
      if (b !== null) bound.push(...signalsOf(b.batch).filter((s) => s.type === 'PortBound'));
    }
    return { signals: mergeBySource([setUp, bound, tail]), afterStep: snapped, fromPosition: from, batchesRead: reads };
  }
  return null;
}

/**
 * Whether a tail read from the edge's first batch about step `snapped` holds all a service
 * needs: the edge's snapshot of that step (with its warm starts), and the supervisor's every
 * step after it — its first step in the tail is the one right after, or, if it sent none
 * yet, the edge applied none.
 */
function complete(tail: ReadonlyArray<Signal>, snapped: number): boolean {
  let snapshot = false;
  let firstSent = Infinity;
  let lastApplied = -1;
  for (const s of tail) {
    if (s.meta.source === 'edge-physics') {
      if (s.type === 'StateSnapshot' && s.data.step === snapped && s.data.warm !== '') snapshot = true;
      else if (s.type === 'GatesEvolved' && !s.data.failed && s.data.step > lastApplied) lastApplied = s.data.step;
    } else if (s.meta.source === 'supervisor' && s.type === 'StepStarted' && s.data.step > snapped && s.data.step < firstSent) firstSent = s.data.step;
  }
  return snapshot && (firstSent === snapped + 1 || (firstSent === Infinity && lastApplied <= snapped));
}

/** Signals from several reads of one run: each source's once each (by sequence number), in order, merged. */
function mergeBySource(parts: ReadonlyArray<ReadonlyArray<Signal>>): Signal[] {
  const bySource = new Map<string, Map<number, Signal>>();
  for (const part of parts)
    for (const s of part) {
      let seen = bySource.get(s.meta.source);
      if (!seen) bySource.set(s.meta.source, (seen = new Map()));
      seen.set(s.meta.seq, s);
    }
  return mergeCausal([...bySource.values()].map((m) => [...m.values()].sort((a, b) => a.meta.seq - b.meta.seq)));
}
