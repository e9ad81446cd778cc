/**
 * Re-driving the edge physics from a run's log: its inputs — the supervisor's logged signals
 * in the supervisor's own order, and the clamp's logged answers — through a fresh edge host
 * with the adapter the run used. The physics is deterministic, so this rebuilds the gates,
 * the learning time, the damage and every datapoint's Newton warm start bit for bit: a
 * restarted edge physics recovers this way, and `replay --verify` checks a log with it.
 *
 * Where the log lacks a clamp answer (a clamp killed before it recorded it), a private
 * clamping host on the run's clamp adapter answers instead, from the same logged supervisor
 * signals; the report counts how many answers came from where.
 *
 * From a snapshot: the edge's port takes up the latest StateSnapshot at or before the step
 * wanted, its decider's state is folded from the supervisor's signals before it (no physics),
 * and only the steps after it are re-driven.
 */
import { CONTRACT_VERSION, decodeFloat64, unreadableRun, type AdapterChoice, type Experiment, type Signal } from '@metatwin/contracts';
import { edgePhysicsDecider, type EdgePhysicsState } from '@metatwin/edge-physics';
import { RunAssembler } from './assemble';
import { ADAPTER_ENV, replayAdapter, createClampingHost, createEdgePhysicsHost, type EdgePhysicsHost } from './factory';

export interface RedriveOptions {
  /** Stop at the first step or test marker beyond this step (the last step a dead process applied). */
  readonly lastStep?: number;
  /** Start from the latest logged StateSnapshot at or before lastStep, not from step 0. */
  readonly fromSnapshot?: boolean;
  /** Each re-driven step's acknowledgement, as the edge emits it. */
  readonly onGates?: (signal: Signal<'GatesEvolved'>) => void;
  /** Each re-driven snapshot, as the edge emits it. */
  readonly onSnapshot?: (signal: Signal<'StateSnapshot'>) => void;
  /** Each re-driven test reading (every free node and gate at a test datapoint). */
  readonly onNodes?: (signal: Signal<'NodesSettled'>) => void;
  /** The re-driven twin's experiment from the recorded one (a calibrated chip); default: as recorded. */
  readonly twin?: (recorded: Experiment) => Experiment;
}

export interface Redriven {
  /** The edge host holding the re-driven run. */
  readonly host: EdgePhysicsHost;
  readonly runId: string;
  /** The snapshot's step the re-drive started from (−1: from the start of the run). */
  readonly fromStep: number;
  readonly clampAnswersFromLog: number;
  readonly clampAnswersReconstructed: number;
}

/** The adapter a source ran on, as its PortBound says (or the run's rig for logs without one). */
function loggedAdapter(logged: ReadonlyArray<Signal>, source: Signal['meta']['source']): AdapterChoice | undefined {
  for (const s of logged) if (s.type === 'PortBound' && s.meta.source === source) return s.data.adapter;
  const created = logged.find((s): s is Signal<'RunCreated'> => s.type === 'RunCreated');
  return created?.data.experiment.rig[source];
}

export function redriveEdge(logged: ReadonlyArray<Signal>, options: RedriveOptions = {}): Redriven {
  const created = logged.find((s): s is Signal<'RunCreated'> => s.type === 'RunCreated');
  if (!created) throw new Error('the log holds no RunCreated');
  const unreadable = unreadableRun(created);
  if (unreadable) throw new Error(unreadable);
  const runId = created.meta.runId;
  const answers = new Map<string, Signal<'ClampOutputSet'>>();
  for (const s of logged) if (s.type === 'ClampOutputSet' && s.meta.source === 'clamping') answers.set(`${s.data.step}:${s.data.substep}`, s);
  // A subsystem that ran on its hardware bridge is re-driven in its twin: a replay never drives the board.
  const pin = (source: 'edge-physics' | 'clamping'): Record<string, string> => {
    const adapter = loggedAdapter(logged, source);
    return adapter === undefined ? {} : { [ADAPTER_ENV[source]]: replayAdapter(adapter) };
  };
  let fromLog = 0;
  let reconstructed = 0;
  const clamp = createClampingHost({
    env: pin('clamping'),
    publish: (s) => {
      if (s.type !== 'ClampOutputSet') return;
      reconstructed++;
      edge.handle(s);
    },
  });
  const edge: EdgePhysicsHost = createEdgePhysicsHost({
    env: pin('edge-physics'),
    publish: (s) => {
      if (s.type === 'FreeOutputMeasured') {
        const answer = answers.get(`${s.data.step}:${s.data.substep}`);
        if (answer) {
          fromLog++;
          clamp.handle(answer); // lets the private clamp forget labels it will not need
          edge.handle(answer);
        } else clamp.handle(s);
      } else if (s.type === 'GatesEvolved') options.onGates?.(s);
      else if (s.type === 'StateSnapshot') options.onSnapshot?.(s);
      else if (s.type === 'NodesSettled') options.onNodes?.(s);
    },
  });
  // The supervisor's own order (its sequence numbers), not the log's merge by time.
  const twin = options.twin;
  const supervisor = logged
    .filter((s) => s.meta.source === 'supervisor')
    .sort((a, b) => a.meta.seq - b.meta.seq)
    .map((s): Signal => (twin && s.type === 'RunCreated' ? { ...s, data: { ...s.data, experiment: twin(s.data.experiment) } } : s));
  const last = options.lastStep ?? Infinity;
  const snapshot = options.fromSnapshot ? latestSnapshot(logged, last) : undefined;
  let folding = snapshot !== undefined;
  for (const s of supervisor) {
    if (folding) {
      if ((s.type !== 'StepStarted' && s.type !== 'TestStepStarted') || s.data.step <= (snapshot as Signal<'StateSnapshot'>).data.step) {
        foldBeforeSnapshot(edge, clamp, s);
        continue;
      }
      takeUp(edge, runId, snapshot as Signal<'StateSnapshot'>);
      folding = false;
    }
    if ((s.type === 'StepStarted' || s.type === 'TestStepStarted') && s.data.step > last) break;
    if (s.type === 'RunFinished' || s.type === 'RunAborted') break;
    // A cancel and a resume change what the supervisor sends, not what the network did (but
    // the edge snapshots its state at a cancel, as it did live).
    if (s.type === 'RunResumed') continue;
    edge.handle(s);
    if (s.type !== 'RunCancelled') clamp.handle(s);
  }
  if (folding) takeUp(edge, runId, snapshot as Signal<'StateSnapshot'>);
  return { host: edge, runId, fromStep: snapshot?.data.step ?? -1, clampAnswersFromLog: fromLog, clampAnswersReconstructed: reconstructed };
}

/** A run's fold over its logged signals, the final gates re-driven when no snapshot of the last step is logged (a run cut short). */
export function foldRunSignals(signals: ReadonlyArray<Signal>): RunAssembler {
  const assembler = new RunAssembler();
  for (const s of signals) assembler.fold(s);
  if (!assembler.gatesCurrent && assembler.experiment !== null) assembler.setGates(assembler.lastStep, gatesAfter(signals, assembler.lastStep).gates_V);
  return assembler;
}

/**
 * The gates after training step `step`, exactly: the snapshot of that step when the log
 * holds one, else re-driven from the nearest snapshot before it (`fromStep`, −1 for none).
 */
export function gatesAfter(logged: ReadonlyArray<Signal>, step: number): { gates_V: Float64Array; fromStep: number } {
  for (const s of logged)
    if (s.type === 'StateSnapshot' && s.meta.source === 'edge-physics' && s.data.step === step) return { gates_V: decodeFloat64(s.data.gates), fromStep: step };
  const redriven = redriveEdge(logged, { lastStep: step, fromSnapshot: true });
  const port = redriven.host.portOf(redriven.runId);
  const state = redriven.host.stateOf(redriven.runId);
  if (!port?.snapshot || state === undefined) throw new Error(`run ${redriven.runId}: the edge physics adapter cannot report its gates`);
  if (state.lastApplied !== step) throw new Error(`run ${redriven.runId}: the log re-drives to step ${state.lastApplied}, not to step ${step}`);
  const snapshot = port.snapshot();
  if (snapshot instanceof Promise)
    throw new Error(`run ${redriven.runId}: the edge physics adapter ${redriven.host.adapterOf(redriven.runId) ?? ''} answers later and cannot be re-driven`);
  return { gates_V: snapshot.gates_V, fromStep: redriven.fromStep };
}

/** The latest edge snapshot at or before `step` that holds its warm starts (a bridge's hold only gates). */
export function latestSnapshot(logged: ReadonlyArray<Signal>, step: number): Signal<'StateSnapshot'> | undefined {
  let best: Signal<'StateSnapshot'> | undefined;
  for (const s of logged)
    if (s.type === 'StateSnapshot' && s.meta.source === 'edge-physics' && s.data.warm !== '' && s.data.step <= step && (best === undefined || s.data.step > best.data.step))
      best = s;
  return best;
}

const PASSIVE = new Set(['RunCreated', 'PatchMapSet', 'PotentiometerSet']);

/**
 * A supervisor signal before the snapshot: the edge's state follows it as if the step it
 * belongs to had been applied (the snapshot holds what the physics did); the clamp needs only
 * what outlives a step (wiring and wiper: labels of steps before the snapshot are answered).
 */
function foldBeforeSnapshot(edge: EdgePhysicsHost, clamp: ReturnType<typeof createClampingHost>, s: Signal): void {
  if (PASSIVE.has(s.type)) clamp.handle(s);
  if (s.type === 'RunCreated') {
    edge.handle(s);
    return;
  }
  edge.adjust(s.meta.runId, (state) => {
    const next = edgePhysicsDecider.evolve(state, s);
    if (s.type !== 'LearningEnabled' || next.inFlight === null || state.inFlight !== null) return next;
    const applied: Signal<'GatesEvolved'> = {
      type: 'GatesEvolved',
      meta: { v: CONTRACT_VERSION, runId: s.meta.runId, source: 'edge-physics', seq: 0, t_ns: s.meta.t_ns },
      data: { step: s.data.step },
    };
    return edgePhysicsDecider.evolve(next, applied);
  });
}

/** The port takes up the snapshot's state, and the decider goes on from its step. */
function takeUp(edge: EdgePhysicsHost, runId: string, snapshot: Signal<'StateSnapshot'>): void {
  const port = edge.portOf(runId);
  if (port === undefined) throw new Error(`run ${runId}: no RunCreated before the snapshot of step ${snapshot.data.step}`);
  if (!port.restore) throw new Error(`run ${runId}: the edge physics adapter ${edge.adapterOf(runId) ?? ''} cannot take up a snapshot`);
  port.restore({ gates_V: decodeFloat64(snapshot.data.gates), warm: decodeFloat64(snapshot.data.warm), learningEnergy_J: snapshot.data.learningEnergy_J }, snapshot.meta.t_ns);
  edge.adjust(runId, (state): EdgePhysicsState => ({ ...state, lastApplied: snapshot.data.step, lastSnapshot: snapshot.data.step, skipping: false, inFlight: null }));
}
