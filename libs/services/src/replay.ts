/**
 * Replay from the event log alone. State at a time is a fold: the steps applied by then are
 * the GatesEvolved acknowledged at or before it; their gates are those of the StateSnapshot
 * of that step, or re-driven from the nearest snapshot before it (redrive.ts); the outputs of
 * every datapoint follow from the recorded experiment at those gates and that learning time
 * (a cold DC solve, so the answer does not depend on history). Verification re-drives the
 * whole run from step 0 through a fresh edge physics on the run's adapter and compares every
 * logged snapshot with the re-driven state, bit for bit.
 */
import { decodeFloat64, fromRecord, SIGNAL_TYPES, type Signal, type Source } from '@metatwin/contracts';
import type { EventLog } from '@metatwin/eventlog';
import { rigAt } from '@metatwin/experiments';
import { RunAssembler } from './assemble';
import { readRunSignals } from './recorder';
import { isBridge } from './factory';
import { gatesAfter, redriveEdge } from './redrive';

const EDGE_STATE = new Set((['GatesEvolved', 'StateSnapshot'] as const).map((t) => SIGNAL_TYPES.indexOf(t)));
const RUN_MARKERS = new Set((['RunCreated', 'RunFinished', 'RunAborted', 'RunCancelled', 'RunResumed'] as const).map((t) => SIGNAL_TYPES.indexOf(t)));

export interface ReplayState {
  readonly run: string;
  /** The time asked for, and the step whose gates hold then. */
  readonly t_s: number;
  readonly stepsApplied: number;
  readonly gates_V: number[];
  /** Free-network output of every datapoint at those gates (V, exact; O+ − O− when differential; per output, datapoint-major). */
  readonly outputs: number[];
  readonly labels: number[];
  readonly status: 'running' | 'finished' | 'aborted' | 'cancelled';
  /** The snapshot step the gates were re-driven from (−1: from the start), or null when a snapshot held them. */
  readonly redrivenFrom: number | null;
}

export interface VerifyReport {
  readonly run: string;
  /** Training steps re-driven from step 0. */
  readonly stepsRedriven: number;
  /** Logged states (StateSnapshot, or the gates of a contract 2–3 GatesEvolved) compared with the re-driven ones. */
  readonly snapshotsCompared: number;
  readonly mismatchedSnapshots: number;
  readonly largestDifference_V: number;
  readonly first?: { readonly step: number; readonly index: number; readonly what: 'gate' | 'warm start'; readonly recorded: number; readonly recomputed: number };
  /** Clamp answers taken from the log, and those a private clamp had to give because the log lacked them. */
  readonly clampAnswersFromLog: number;
  readonly clampAnswersReconstructed: number;
  /**
   * The log holds every step exactly once (0 … RunFinished's steps − 1, or through the last
   * logged step of an unfinished run), a snapshot every snapshotEvery steps and after the
   * last, and each source's sequence numbers 1, 2, 3, … without a gap or a number used twice.
   * `problems` names what is not so (the first few of each kind).
   */
  readonly complete: boolean;
  readonly problems: ReadonlyArray<string>;
  /**
   * The network ran on hardware: its logged snapshots are the board's ADC readings, which the
   * twin's re-drive need not equal — they are not compared (`metatwin compare` sets them against
   * the twin); the log's completeness still is checked.
   */
  readonly networkOnHardware?: boolean;
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

const list = (ks: number[]): string => `${ks.slice(0, 5).join(', ')}${ks.length > 5 ? ` and ${ks.length - 5} more` : ''}`;

/** Every training step's GatesEvolved exactly once from 0 to the end of the run, and the snapshots due. */
function stepProblems(signals: ReadonlyArray<Signal>): string[] {
  const seen = new Map<number, number>();
  const snapshots = new Set<number>();
  let finishedSteps: number | null = null;
  let snapshotEvery: number | undefined;
  for (const s of signals) {
    if (s.type === 'GatesEvolved' && s.meta.source === 'edge-physics' && !s.data.failed) seen.set(s.data.step, (seen.get(s.data.step) ?? 0) + 1);
    else if (s.type === 'StateSnapshot' && s.meta.source === 'edge-physics') snapshots.add(s.data.step);
    else if (s.type === 'RunFinished') finishedSteps = s.data.steps;
    else if (s.type === 'RunCreated') snapshotEvery = s.data.experiment.schedule.snapshotEvery;
  }
  // A loop, not Math.max(...keys): a long run has more steps than a call has room for arguments.
  let lastSeen = -1;
  for (const k of seen.keys()) if (k > lastSeen) lastSeen = k;
  const last = finishedSteps ?? lastSeen + 1;
  const missing: number[] = [];
  const twice: number[] = [];
  const unsnapped: number[] = [];
  for (let k = 0; k < last; k++) {
    const n = seen.get(k) ?? 0;
    if (n === 0) missing.push(k);
    else if (n > 1) twice.push(k);
    // Runs before contract 4 have no snapshotEvery: their GatesEvolved carried every step's gates.
    if (snapshotEvery !== undefined && ((k + 1) % snapshotEvery === 0 || (finishedSteps !== null && k === last - 1)) && !snapshots.has(k)) unsnapped.push(k);
  }
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`GatesEvolved of ${missing.length} step(s) missing: ${list(missing)}`);
  if (twice.length > 0) problems.push(`GatesEvolved of ${twice.length} step(s) logged more than once: ${list(twice)}`);
  if (unsnapped.length > 0) problems.push(`StateSnapshot after ${unsnapped.length} step(s) missing: ${list(unsnapped)}`);
  return problems;
}

export async function replayAt(log: EventLog, runId: string, at_s?: number): Promise<ReplayState> {
  const limit_ns = at_s === undefined ? Infinity : Math.round(at_s * 1e9);
  if (!(limit_ns >= 0)) throw new ReplayError(`--at must be a time ≥ 0 s, got ${at_s}`);
  // The run's fold (the one result.json comes from), over what matters to the state then:
  // only a few signal types, so the records of the others are never made into signals.
  const view = new RunAssembler();
  for await (const batch of log.read(runId)) {
    const source = batch.source as Source;
    if (source !== 'edge-physics' && source !== 'supervisor') continue;
    for (const r of batch.records) {
      const type = (r as [number])[0];
      if (source === 'edge-physics' ? !EDGE_STATE.has(type) : !RUN_MARKERS.has(type)) continue;
      const s = fromRecord(r, runId, source);
      if ((s.type !== 'GatesEvolved' && s.type !== 'StateSnapshot') || s.meta.t_ns <= limit_ns) view.fold(s);
    }
  }
  const exp = view.experiment;
  if (exp === null) throw new ReplayError(`run ${runId}: no RunCreated in the log (unknown run?)`);
  const applied = view.lastStep + 1;
  let gates = view.gates;
  let redrivenFrom: number | null = null;
  if (!view.gatesCurrent) {
    const found = gatesAfter(await readRunSignals(log, runId), view.lastStep);
    gates = found.gates_V;
    redrivenFrom = found.fromStep;
  }
  const rig = rigAt(exp, gates, applied);
  const out = new Float64Array(rig.outputNodes.length);
  // Per datapoint and output, datapoint-major, as result.json has them.
  const outputs = rig.held_V.flatMap((held, d) => {
    rig.twin.selectSlot(d);
    const r = rig.twin.infer(held, out);
    if (r.status !== 'converged') throw new ReplayError(`run ${runId}: datapoint ${d} does not solve at the replayed gates (${r.status})`);
    return Array.from({ length: rig.outputs }, (_, k) => (rig.differential ? out[2 * k] - out[2 * k + 1] : out[k]));
  });
  return {
    run: runId,
    t_s: at_s ?? (applied * Math.round(exp.schedule.t_h_s * 1e9)) / 1e9,
    stepsApplied: applied,
    gates_V: Array.from(rig.twin.gates_V),
    outputs,
    labels: rig.labels_V,
    status: view.status,
    redrivenFrom,
  };
}

/** The states the log holds, by step: snapshots, and the per-step gates of contract 2–3 runs. */
function loggedStates(signals: ReadonlyArray<Signal>): Map<number, { gates: string; warm: string; snapshot: boolean }> {
  const states = new Map<number, { gates: string; warm: string; snapshot: boolean }>();
  for (const s of signals) {
    if (s.meta.source !== 'edge-physics') continue;
    if (s.type === 'StateSnapshot') states.set(s.data.step, { gates: s.data.gates, warm: s.data.warm, snapshot: true });
    else if (s.type === 'GatesEvolved' && !s.data.failed && s.data.gates) states.set(s.data.step, { gates: s.data.gates, warm: '', snapshot: false });
  }
  return states;
}

export async function verifyRun(log: EventLog, runId: string): Promise<VerifyReport> {
  const { signals: logged, problems } = await signalsOf(log, runId);
  problems.push(...stepProblems(logged));
  if (!logged.some((s) => s.type === 'RunCreated')) throw new ReplayError(`run ${runId}: no RunCreated in the log (unknown run?)`);
  const onHardware = logged.some((s) => s.type === 'PortBound' && s.data.service === 'edge-physics' && isBridge(s.data.adapter));
  const recorded = onHardware ? new Map<number, { gates: string; warm: string; snapshot: boolean }>() : loggedStates(logged);
  const compared = new Set<number>();
  let mismatched = 0;
  let largest = 0;
  let stepsRedriven = 0;
  let first: VerifyReport['first'];
  const differs = (step: number, what: 'gate' | 'warm start', want: Float64Array, got: Float64Array): boolean => {
    let bad = want.length !== got.length;
    for (let i = 0; i < Math.min(want.length, got.length); i++) {
      // Two NaNs (a warm-start slot never solved) agree.
      if (got[i] !== want[i] && !(Number.isNaN(got[i]) && Number.isNaN(want[i]))) {
        bad = true;
        largest = Math.max(largest, Math.abs(got[i] - want[i]));
        first ??= { step, index: i, what, recorded: want[i], recomputed: got[i] };
      }
    }
    return bad;
  };
  const redriven = redriveEdge(logged, {
    onGates: (s) => {
      if (!s.data.failed) stepsRedriven++;
    },
    onSnapshot: (s) => {
      const want = recorded.get(s.data.step);
      if (!want || compared.has(s.data.step)) return;
      compared.add(s.data.step);
      const gatesDiffer = differs(s.data.step, 'gate', decodeFloat64(want.gates), decodeFloat64(s.data.gates));
      const warmDiffers = want.warm !== '' && differs(s.data.step, 'warm start', decodeFloat64(want.warm), decodeFloat64(s.data.warm));
      if (gatesDiffer || warmDiffers) mismatched++;
    },
  });
  if (stepsRedriven === 0 && recorded.size > 0) throw new ReplayError(`run ${runId}: re-driving the recorded signals produced no steps`);
  // Contract 2–3 runs log every step's gates; only their steps a snapshot falls on are compared.
  const unchecked = [...recorded].filter(([k, state]) => state.snapshot && !compared.has(k)).map(([k]) => k);
  if (unchecked.length > 0) problems.push(`StateSnapshot after ${unchecked.length} step(s) not re-driven (the log lacks the signals before it): ${list(unchecked)}`);
  return {
    run: runId,
    stepsRedriven,
    snapshotsCompared: compared.size,
    mismatchedSnapshots: mismatched,
    largestDifference_V: largest,
    ...(first ? { first } : {}),
    clampAnswersFromLog: redriven.clampAnswersFromLog,
    clampAnswersReconstructed: redriven.clampAnswersReconstructed,
    complete: problems.length === 0,
    problems,
    ...(onHardware ? { networkOnHardware: true } : {}),
  };
}
