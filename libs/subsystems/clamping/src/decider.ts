/**
 * The clamping circuit's logic, pure: it follows the potentiometer and the label lines (the
 * DAC channels the patch map names, one per task output), and answers every free-output
 * reading with the clamped outputs its port computes. The supervisor may run ahead of the edge physics, so labels
 * are kept per training step; a free output that arrives before its step's label (the two
 * come from different services, with no common order) waits for it.
 */
import { LATER as LATER_, NO_OUTPUT as NO_OUTPUT_, call as call_, emit as emit_, isDifferential, type Decider, type Output, type Signal } from '@metatwin/contracts';
import { fromCode as fromCode_, labelLineConverter, NODE_DAC as NODE_DAC_, type Converter } from '@metatwin/physics';
import type { ClampingCall, ClampingResult } from './port';

// Bound once: compiled re-exports are getters, and these run on every training step.
const LATER: typeof LATER_ = LATER_;
const NO_OUTPUT = NO_OUTPUT_;
const call = call_;
const emit = emit_;
const fromCode = fromCode_;
const NODE_DAC = NODE_DAC_;

/** A training step's label line values, one per output (NaN until its channel is written). */
type StepLabels = readonly [step: number, labels_V: ReadonlyArray<number>];

export interface ClampingState {
  /** The DAC channel of each output's label line (from the patch map; empty before it). */
  readonly labelChannels: ReadonlyArray<number>;
  /** How the label lines' codes map to volts: bipolar for differential labels (Fig. 9B). */
  readonly labelConverter: Converter;
  /** Training step of the supervisor signals being read (StepStarted precedes its writes). */
  readonly currentStep: number;
  /** Label line values per training step still needed, oldest first. */
  readonly labels: ReadonlyArray<StepLabels>;
  /** The step of the latest clamp output: labels of earlier steps are no longer needed (the edge applies steps in order). */
  readonly answered: number;
}

type Out = Output<ClampingCall>;

/** Step `step`'s labels once every label line of it is known. */
function labelsOf(s: ClampingState, step: number): ReadonlyArray<number> | undefined {
  for (const [k, v] of s.labels) if (k === step) return v.some(Number.isNaN) ? undefined : v;
  return undefined;
}

export const clampingDecider: Decider<ClampingState, ClampingResult, ClampingCall> = {
  source: 'clamping',
  listensTo: ['supervisor', 'edge-physics'],
  accepts: ['RunCreated', 'PatchMapSet', 'PotentiometerSet', 'StepStarted', 'DacWritten', 'FreeOutputMeasured', 'RunFinished', 'RunAborted', 'RunCancelled', 'RunResumed'],

  start(created) {
    const differential = isDifferential(created.data.experiment.roles);
    return { labelChannels: [], labelConverter: differential ? labelLineConverter(NODE_DAC) : NODE_DAC, currentStep: -1, labels: [], answered: -1 };
  },

  decide(s, input): ReadonlyArray<Out> | typeof LATER {
    switch (input.type) {
      case 'PotentiometerSet':
        return [call({ op: 'setWiper', t_ns: input.meta.t_ns, position: input.data.position, positions: input.data.positions })];
      case 'FreeOutputMeasured': {
        const labels_V = labelsOf(s, input.data.step);
        if (labels_V === undefined) return LATER;
        return [call({ op: 'clamp', t_ns: input.meta.t_ns, step: input.data.step, substep: input.data.substep, labels_V, freeOutputs_V: input.data.outputs_V })];
      }
      case 'Clamped':
        return [emit('ClampOutputSet', input.t_ns, { step: input.step, substep: input.substep, drives: input.drives, values: input.values })];
      case 'RunCreated':
      case 'RunFinished':
      case 'RunAborted':
      case 'RunCancelled':
      case 'RunResumed':
      case 'PatchMapSet':
      case 'StepStarted':
      case 'DacWritten':
      case 'LearningEnabled':
      case 'ClampOutputSet':
      case 'GatesEvolved':
      case 'TestStepStarted':
      case 'TestDatapointApplied':
      case 'NodesSettled':
      case 'DemuxSelected':
      case 'AdcSampled':
      case 'TestStepFinished':
      case 'ServiceStarted':
      case 'PortBound':
      case 'RunFaulted':
      case 'StateSnapshot':
      case 'WiperSet':
        return NO_OUTPUT;
      default: {
        const never: never = input;
        return never;
      }
    }
  },

  evolve(s, sig: Signal): ClampingState {
    switch (sig.type) {
      case 'PatchMapSet': {
        const channels: number[] = [];
        sig.data.channels.forEach((c, ch) => {
          if (c.kind === 'label') channels[c.output] = ch;
        });
        return next(s, channels, s.currentStep, s.labels, s.answered);
      }
      case 'StepStarted':
        return next(s, s.labelChannels, sig.data.step, s.labels, s.answered);
      case 'DacWritten': {
        if (s.currentStep < 0) return s;
        const { writes } = sig.data;
        const channels = s.labelChannels;
        let written: number[] | null = null;
        for (let i = 0; i < writes.length; i++) {
          const k = channels.indexOf(writes[i].channel);
          if (k < 0) continue;
          written ??= [];
          written[k] = writes[i].volts ?? fromCode(s.labelConverter, writes[i].code);
        }
        if (written === null) return s;
        const step = s.currentStep;
        // A step at or before the last answered one is sent again (the supervisor rewound after a
        // restart): it will be answered again. Keep the labels still needed; a step sent again
        // replaces what was kept from it on. Lines not in this latch keep the step's earlier values.
        const answered = Math.min(s.answered, step - 1);
        const labels: StepLabels[] = [];
        let before: ReadonlyArray<number> | undefined;
        for (const kept of s.labels) {
          if (kept[0] >= answered && kept[0] < step) labels.push(kept);
          else if (kept[0] === step) before = kept[1];
        }
        const values = channels.map((_, k) => written[k] ?? before?.[k] ?? NaN);
        labels.push([step, values]);
        return next(s, channels, s.currentStep, labels, answered);
      }
      case 'ClampOutputSet':
        return sig.data.step > s.answered ? next(s, s.labelChannels, s.currentStep, s.labels, sig.data.step) : s;
      case 'RunCreated':
      case 'RunFinished':
      case 'RunAborted':
      case 'RunCancelled':
      case 'RunResumed':
      case 'PotentiometerSet':
      case 'LearningEnabled':
      case 'FreeOutputMeasured':
      case 'GatesEvolved':
      case 'TestStepStarted':
      case 'TestDatapointApplied':
      case 'NodesSettled':
      case 'DemuxSelected':
      case 'AdcSampled':
      case 'TestStepFinished':
      case 'ServiceStarted':
      case 'PortBound':
      case 'RunFaulted':
      case 'StateSnapshot':
        return s;
      default: {
        const never: never = sig;
        return never;
      }
    }
  },
};

function next(s: ClampingState, labelChannels: ReadonlyArray<number>, currentStep: number, labels: ReadonlyArray<StepLabels>, answered: number): ClampingState {
  return { labelChannels, labelConverter: s.labelConverter, currentStep, labels, answered };
}
