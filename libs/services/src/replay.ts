/**
 * Replay from the event log alone. State at a time is a fold: the gates are those of the
 * last GatesEvolved at or before it, and the outputs of every datapoint follow from the
 * recorded experiment at those gates and that learning time (a cold DC solve, so the answer
 * does not depend on history). Verification re-drives the recorded inputs through a fresh
 * edge physics on the run's adapter (redrive.ts) and compares every step's gates with the
 * recorded ones.
 */
import { decodeFloat64, fromRecord, SIGNAL_TYPES, type Signal, type Source } from '@metatwin/contracts';
import type { EventLog } from '@metatwin/eventlog';
import { rigAt } from '@metatwin/experiments';
import { RunAssembler } from './assemble';
import { redriveEdge } from './redrive';

const GATES_EVOLVED = SIGNAL_TYPES.indexOf('GatesEvolved');
const RUN_MARKERS = new Set((['RunCreated', 'RunFinished', 'RunAborted', 'RunCancelled', 'RunResumed'] as const).map((t) => SIGNAL_TYPES.indexOf(t)));

export interface ReplayState {
  readonly run: string;
  /** The time asked for, and the step whose gates hold then. */
  readonly t_s: number;
  readonly stepsApplied: number;
  readonly gates_V: number[];
  /** Free-network output of every datapoint at those gates (V, exact; O+ − O− when differential). */
  readonly outputs: number[];
  readonly labels: number[];
  readonly status: 'running' | 'finished' | 'aborted' | 'cancelled';
}

export interface VerifyReport {
  readonly run: string;
  readonly stepsCompared: number;
  readonly mismatchedSteps: number;
  readonly largestDifference_V: number;
  readonly first?: { readonly step: number; readonly edge: number; readonly recorded: number; readonly recomputed: number };
  /** Clamp answers taken from the log, and those a private clamp had to give because the log lacked them. */
  readonly clampAnswersFromLog: number;
  readonly clampAnswersReconstructed: number;
  /**
   * The log holds every step exactly once (0 … RunFinished's steps − 1, or through the last
   * logged step of an unfinished run) and each source's sequence numbers 1, 2, 3, … without a
   * gap or a number used twice. `problems` names what is not so (the first few of each kind).
   */
  readonly complete: boolean;
  readonly problems: ReadonlyArray<string>;
}

export class ReplayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayError';
  }
}

/** Every signal of the run, and what the log's batches say about its completeness. */
async function signalsOf(log: EventLog, runId: string): Promise<{ signals: Signal[]; problems: string[] }> {
  const signals: Signal[] = [];
  const problems: string[] = [];
  const next = new Map<string, number>();
  for await (const batch of log.read(runId)) {
    const expected = next.get(batch.source) ?? 1;
    if (batch.firstSeq > expected) problems.push(`${batch.source}: sequence numbers ${expected}..${batch.firstSeq - 1} are missing`);
    else if (batch.firstSeq < expected) problems.push(`${batch.source}: sequence numbers ${batch.firstSeq}..${Math.min(batch.lastSeq, expected - 1)} are used twice`);
    next.set(batch.source, Math.max(expected, batch.lastSeq + 1));
    for (const r of batch.records) signals.push(fromRecord(r, runId, batch.source as Source));
  }
  return { signals, problems };
}

/** Every training step's GatesEvolved exactly once, from 0 to the end of the run. */
function stepProblems(signals: ReadonlyArray<Signal>): string[] {
  const seen = new Map<number, number>();
  let finishedSteps: number | null = null;
  for (const s of signals) {
    if (s.type === 'GatesEvolved' && s.meta.source === 'edge-physics' && !s.data.failed) seen.set(s.data.step, (seen.get(s.data.step) ?? 0) + 1);
    else if (s.type === 'RunFinished') finishedSteps = s.data.steps;
  }
  const last = finishedSteps ?? (seen.size > 0 ? Math.max(...seen.keys()) + 1 : 0);
  const missing: number[] = [];
  const twice: number[] = [];
  for (let k = 0; k < last; k++) {
    const n = seen.get(k) ?? 0;
    if (n === 0) missing.push(k);
    else if (n > 1) twice.push(k);
  }
  const list = (ks: number[]): string => `${ks.slice(0, 5).join(', ')}${ks.length > 5 ? ` and ${ks.length - 5} more` : ''}`;
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`GatesEvolved of ${missing.length} step(s) missing: ${list(missing)}`);
  if (twice.length > 0) problems.push(`GatesEvolved of ${twice.length} step(s) logged more than once: ${list(twice)}`);
  return problems;
}

export async function replayAt(log: EventLog, runId: string, at_s?: number): Promise<ReplayState> {
  const limit_ns = at_s === undefined ? Infinity : Math.round(at_s * 1e9);
  if (!(limit_ns >= 0)) throw new ReplayError(`--at must be a time ≥ 0 s, got ${at_s}`);
  // The run's fold (the one result.json comes from), over what matters to the state then:
  // only a few signal types, so the records of the others are not even decoded.
  const view = new RunAssembler();
  for await (const batch of log.read(runId)) {
    const source = batch.source as Source;
    if (source !== 'edge-physics' && source !== 'supervisor') continue;
    for (const r of batch.records) {
      const type = (r as [number])[0];
      if (source === 'edge-physics' ? type !== GATES_EVOLVED : !RUN_MARKERS.has(type)) continue;
      const s = fromRecord(r, runId, source);
      if (s.type !== 'GatesEvolved' || s.meta.t_ns <= limit_ns) view.fold(s);
    }
  }
  const exp = view.experiment;
  if (exp === null) throw new ReplayError(`run ${runId}: no RunCreated in the log (unknown run?)`);
  const applied = view.lastStep + 1;
  const rig = rigAt(exp, view.gates, applied);
  const out = new Float64Array(rig.outputNodes.length);
  const outputs = rig.held_V.map((held, d) => {
    rig.twin.selectSlot(d);
    const r = rig.twin.infer(held, out);
    if (r.status !== 'converged') throw new ReplayError(`run ${runId}: datapoint ${d} does not solve at the replayed gates (${r.status})`);
    return rig.differential ? out[0] - out[1] : out[0];
  });
  return {
    run: runId,
    t_s: at_s ?? (applied * Math.round(exp.schedule.t_h_s * 1e9)) / 1e9,
    stepsApplied: applied,
    gates_V: Array.from(rig.twin.gates_V),
    outputs,
    labels: rig.labels_V,
    status: view.status,
  };
}

export async function verifyRun(log: EventLog, runId: string): Promise<VerifyReport> {
  const { signals: logged, problems } = await signalsOf(log, runId);
  problems.push(...stepProblems(logged));
  if (!logged.some((s) => s.type === 'RunCreated')) throw new ReplayError(`run ${runId}: no RunCreated in the log (unknown run?)`);
  const recorded = new Map<number, Float64Array>();
  for (const s of logged) if (s.type === 'GatesEvolved' && s.meta.source === 'edge-physics' && !s.data.failed) recorded.set(s.data.step, decodeFloat64(s.data.gates));
  let compared = 0;
  let mismatched = 0;
  let largest = 0;
  let first: VerifyReport['first'];
  const redriven = redriveEdge(logged, {
    onGates: (s) => {
      const want = recorded.get(s.data.step);
      if (!want || s.data.failed) return;
      const got = decodeFloat64(s.data.gates);
      compared++;
      let bad = false;
      for (let e = 0; e < got.length; e++) {
        if (got[e] !== want[e]) {
          bad = true;
          largest = Math.max(largest, Math.abs(got[e] - want[e]));
          first ??= { step: s.data.step, edge: e, recorded: want[e], recomputed: got[e] };
        }
      }
      if (bad) mismatched++;
    },
  });
  if (compared === 0 && recorded.size > 0) throw new ReplayError(`run ${runId}: re-driving the recorded signals produced no steps to compare`);
  return {
    run: runId,
    stepsCompared: compared,
    mismatchedSteps: mismatched,
    largestDifference_V: largest,
    ...(first ? { first } : {}),
    clampAnswersFromLog: redriven.clampAnswersFromLog,
    clampAnswersReconstructed: redriven.clampAnswersReconstructed,
    complete: problems.length === 0,
    problems,
  };
}
