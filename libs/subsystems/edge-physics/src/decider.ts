/**
 * The twin network's logic, pure. It holds the voltages the DAC drives on the held nodes,
 * and on learn-enable runs one training step through its port: settle the free copy, tell
 * the clamp the outputs, wait for the clamped outputs, let the gates charge — `substeps`
 * times — then report the gates. Supervisor signals that arrive while a step waits for the
 * clamp are held back (LATER) and applied in order afterwards, so the DAC never changes
 * under a step in flight. Steps are applied in order, each once: a step that is not the next
 * one (sent again after a restart, or sent ahead of a step that was lost) is skipped.
 * Every snapshotEvery steps, after the run's last step and when the run is cancelled, the
 * whole state goes to the log (StateSnapshot), so nobody need re-drive from step 0.
 */
import {
  DEFAULT_SNAPSHOT_EVERY,
  LATER as LATER_,
  NO_OUTPUT as NO_OUTPUT_,
  call as call_,
  emit as emit_,
  encodeFloat64 as encodeFloat64_,
  stepTime_ns,
  type Decider,
  type Output,
  type Signal,
} from '@metatwin/contracts';
import { NODE_DAC as NODE_DAC_, fromCode as fromCode_ } from '@metatwin/physics';
import type { EdgePhysicsCall, EdgePhysicsResult } from './port';

// Bound once: compiled re-exports are getters, and these run on every training step.
const LATER: typeof LATER_ = LATER_;
const NO_OUTPUT = NO_OUTPUT_;
const call = call_;
const emit = emit_;
const encodeFloat64 = encodeFloat64_;
const NODE_DAC = NODE_DAC_;
const fromCode = fromCode_;

export interface InFlight {
  readonly step: number;
  /** The substep whose clamp output is awaited (or whose learning is under way). */
  readonly substep: number;
  readonly duration_ns: number;
  readonly t_ns: number;
}

export interface EdgePhysicsState {
  readonly heldNodes: ReadonlyArray<number>;
  readonly substeps: number;
  /** DAC channel → index into held_V, or −1 for channels that drive no held node (the label line). */
  readonly heldIndexOfChannel: ReadonlyArray<number>;
  /** Voltages on the held nodes (inputs then rails), as the DAC last set them. */
  readonly held_V: ReadonlyArray<number>;
  /** Last training step applied (−1 before the first). */
  readonly lastApplied: number;
  /** Ignoring a step's or test's signals (not the next one), until the next step or test marker. */
  readonly skipping: boolean;
  /** The datapoint of the step being set up. */
  readonly datapoint: number;
  readonly inFlight: InFlight | null;
  /** Steps between snapshots, and the run's last step (always snapshotted). */
  readonly snapshotEvery: number;
  readonly finalStep: number;
  /** The learning time step by step: after k steps it is stepTime_ns(k, t_h_s). */
  readonly t_h_s: number;
  /** The step of the last StateSnapshot logged (−1 before the first). */
  readonly lastSnapshot: number;
}

type Out = Output<EdgePhysicsCall>;

export const edgePhysicsDecider: Decider<EdgePhysicsState, EdgePhysicsResult, EdgePhysicsCall> = {
  source: 'edge-physics',
  listensTo: ['supervisor', 'clamping'],
  accepts: [
    'RunCreated',
    'PatchMapSet',
    'DacWritten',
    'StepStarted',
    'LearningEnabled',
    'TestStepStarted',
    'TestDatapointApplied',
    'ClampOutputSet',
    'ServiceStarted',
    'RunFinished',
    'RunAborted',
    'RunCancelled',
    'RunResumed',
    'StateSnapshot',
  ],

  start(created) {
    const exp = created.data.experiment;
    const heldNodes = [...exp.roles.inputs, ...exp.roles.rails.map((r) => r.node)];
    return {
      heldNodes,
      substeps: exp.schedule.substeps,
      heldIndexOfChannel: [],
      held_V: heldNodes.map(() => 0),
      lastApplied: -1,
      skipping: false,
      datapoint: 0,
      inFlight: null,
      snapshotEvery: exp.schedule.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY,
      finalStep: exp.schedule.steps - 1,
      t_h_s: exp.schedule.t_h_s,
      lastSnapshot: -1,
    };
  },

  decide(s, input): ReadonlyArray<Out> | typeof LATER {
    if (s.inFlight !== null && (input as Partial<Signal>).meta?.source === 'supervisor') return LATER;
    switch (input.type) {
      case 'LearningEnabled':
        if (s.skipping || input.data.step !== s.lastApplied + 1 || !isThisRunsPulse(s, input.data.duration_ns)) return NO_OUTPUT;
        return [call({ op: 'beginStep', t_ns: input.meta.t_ns, step: input.data.step, datapoint: s.datapoint, held_V: s.held_V })];
      case 'FreeSettled':
        if (!input.settle.ok) return [emit('GatesEvolved', input.t_ns, { step: input.step, failed: `training step ${input.step}: ${input.settle.reason}` })];
        return [emit('FreeOutputMeasured', input.t_ns, { step: input.step, substep: input.substep, outputs_V: input.settle.outputs_V })];
      case 'ClampOutputSet': {
        const f = s.inFlight;
        if (f === null || input.data.step !== f.step || input.data.substep !== f.substep) return NO_OUTPUT; // stale or duplicate
        const last = f.substep + 1 === s.substeps;
        return [
          call({ op: 'learn', t_ns: f.t_ns, step: f.step, substep: f.substep, clamp: input.data.values, dt_s: f.duration_ns / 1e9 / s.substeps, last, duration_ns: f.duration_ns }),
        ];
      }
      case 'StepLearned': {
        const done = emit('GatesEvolved', input.t_ns, { step: input.step, datapoint: s.datapoint });
        const due = (input.step + 1) % s.snapshotEvery === 0 || input.step === s.finalStep;
        return due ? [done, call({ op: 'snapshot', t_ns: input.t_ns, step: input.step })] : [done];
      }
      case 'Snapshotted': {
        const snap = input.snapshot;
        if (snap === null) return NO_OUTPUT;
        const energy = snap.learningEnergy_J === undefined ? {} : { learningEnergy_J: snap.learningEnergy_J };
        return [emit('StateSnapshot', input.t_ns, { step: input.step, gates: encodeFloat64(snap.gates_V), warm: snap.warm === null ? '' : encodeFloat64(snap.warm), ...energy })];
      }
      case 'RunCancelled':
        // Resuming, and the result of what was done, start from here: the state after the
        // last step this edge applied (which may be beyond what the supervisor had heard of),
        // stamped with the learning time after it.
        if (s.lastApplied <= s.lastSnapshot) return NO_OUTPUT;
        return [call({ op: 'snapshot', t_ns: stepTime_ns(s.lastApplied + 1, s.t_h_s), step: s.lastApplied })];
      case 'StepFailed':
        return [emit('GatesEvolved', input.t_ns, { step: input.step, failed: input.reason })];
      case 'TestDatapointApplied':
        if (s.skipping) return NO_OUTPUT;
        return [call({ op: 'measure', t_ns: input.meta.t_ns, step: input.data.step, datapoint: input.data.datapoint, held_V: s.held_V })];
      case 'NodesRead': {
        const r = input.reading;
        if (!r.ok)
          return [
            emit('NodesSettled', input.t_ns, {
              step: input.step,
              datapoint: input.datapoint,
              free_V: [],
              gates: '',
              failed: `test at step ${input.step}: datapoint ${input.datapoint}: ${r.reason}`,
            }),
          ];
        const settled = { step: input.step, datapoint: input.datapoint, free_V: r.nodes_V, gates: encodeFloat64(r.gates_V) };
        return [emit('NodesSettled', input.t_ns, r.clamped_V === undefined ? settled : { ...settled, clamped_V: r.clamped_V })];
      }
      case 'RunCreated':
      case 'RunFinished':
      case 'RunAborted':
      case 'RunResumed':
      case 'PotentiometerSet':
      case 'PatchMapSet':
      case 'StepStarted':
      case 'DacWritten':
      case 'FreeOutputMeasured':
      case 'GatesEvolved':
      case 'TestStepStarted':
      case 'NodesSettled':
      case 'DemuxSelected':
      case 'AdcSampled':
      case 'TestStepFinished':
      case 'ServiceStarted':
      case 'PortBound':
      case 'RunFaulted':
      case 'StateSnapshot':
        return NO_OUTPUT;
      default: {
        const never: never = input;
        return never;
      }
    }
  },

  evolve(s, sig: Signal): EdgePhysicsState {
    switch (sig.type) {
      case 'PatchMapSet':
        return next(
          s,
          sig.data.channels.map((c) => (c.kind === 'node' ? s.heldNodes.indexOf(c.node) : -1)),
          s.held_V,
          s.lastApplied,
          s.skipping,
          s.datapoint,
          s.inFlight,
        );
      case 'DacWritten': {
        if (s.skipping) return s;
        let held_V: number[] | null = null;
        for (const w of sig.data.writes) {
          const i = s.heldIndexOfChannel[w.channel] ?? -1;
          if (i < 0) continue;
          held_V ??= s.held_V.slice();
          held_V[i] = w.volts ?? fromCode(NODE_DAC, w.code);
        }
        return held_V === null ? s : next(s, s.heldIndexOfChannel, held_V, s.lastApplied, s.skipping, s.datapoint, s.inFlight);
      }
      case 'StepStarted':
        return next(s, s.heldIndexOfChannel, s.held_V, s.lastApplied, sig.data.step !== s.lastApplied + 1, sig.data.datapoint, s.inFlight);
      case 'TestStepStarted':
        // A test at step k sees the network after k steps; one sent again later is stale.
        return next(s, s.heldIndexOfChannel, s.held_V, s.lastApplied, sig.data.step !== s.lastApplied + 1, s.datapoint, s.inFlight);
      case 'LearningEnabled':
        if (s.skipping || sig.data.step !== s.lastApplied + 1 || s.inFlight !== null || !isThisRunsPulse(s, sig.data.duration_ns)) return s;
        return next(s, s.heldIndexOfChannel, s.held_V, s.lastApplied, s.skipping, s.datapoint, {
          step: sig.data.step,
          substep: 0,
          duration_ns: sig.data.duration_ns,
          t_ns: sig.meta.t_ns,
        });
      case 'ClampOutputSet': {
        const f = s.inFlight;
        if (f === null || sig.data.step !== f.step || sig.data.substep !== f.substep) return s;
        return next(s, s.heldIndexOfChannel, s.held_V, s.lastApplied, s.skipping, s.datapoint, { step: f.step, substep: f.substep + 1, duration_ns: f.duration_ns, t_ns: f.t_ns });
      }
      case 'GatesEvolved':
        if (sig.meta.source !== 'edge-physics') return s;
        return next(s, s.heldIndexOfChannel, s.held_V, sig.data.failed ? s.lastApplied : sig.data.step, s.skipping, s.datapoint, null);
      case 'StateSnapshot':
        return sig.meta.source === 'edge-physics' ? { ...s, lastSnapshot: sig.data.step } : s;
      case 'ServiceStarted':
        // A restarted clamp lost the step in flight; the supervisor sends it again, and it is done again.
        return sig.data.service === 'clamping' && s.inFlight !== null ? next(s, s.heldIndexOfChannel, s.held_V, s.lastApplied, s.skipping, s.datapoint, null) : s;
      case 'RunCreated':
      case 'RunFinished':
      case 'RunAborted':
      case 'RunCancelled':
      case 'RunResumed':
      case 'PotentiometerSet':
      case 'FreeOutputMeasured':
      case 'TestDatapointApplied':
      case 'NodesSettled':
      case 'DemuxSelected':
      case 'AdcSampled':
      case 'TestStepFinished':
      case 'PortBound':
      case 'RunFaulted':
        return s;
      default: {
        const never: never = sig;
        return never;
      }
    }
  },
};

/**
 * Every learn-enable pulse of a run lasts its t_h (the supervisor times each step so); one of
 * another length is no step of this run — a forged or foreign signal — and is not applied:
 * the contract bounds a pulse (LEARN_PULSE_MAX_NS), only this decider knows the run's t_h.
 */
function isThisRunsPulse(s: EdgePhysicsState, duration_ns: number): boolean {
  return duration_ns === stepTime_ns(1, s.t_h_s);
}

/** A new state with every field written out (an object literal of one shape: the hot path of every step). */
function next(
  s: EdgePhysicsState,
  heldIndexOfChannel: ReadonlyArray<number>,
  held_V: ReadonlyArray<number>,
  lastApplied: number,
  skipping: boolean,
  datapoint: number,
  inFlight: InFlight | null,
): EdgePhysicsState {
  return {
    heldNodes: s.heldNodes,
    substeps: s.substeps,
    heldIndexOfChannel,
    held_V,
    lastApplied,
    skipping,
    datapoint,
    inFlight,
    snapshotEvery: s.snapshotEvery,
    finalStep: s.finalStep,
    t_h_s: s.t_h_s,
    lastSnapshot: s.lastSnapshot,
  };
}
