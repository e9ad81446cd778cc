/**
 * The clamping circuit's logic, pure: it follows the potentiometer and the label line (the
 * DAC channel the patch map names), and answers every free-output reading with the clamped
 * outputs its port computes. The supervisor may run ahead of the edge physics, so labels
 * are kept per training step; a free output that arrives before its step's label (the two
 * come from different services, with no common order) waits for it.
 */
import { LATER as LATER_, NO_OUTPUT as NO_OUTPUT_, call as call_, emit as emit_, type Decider, type Output, type Signal } from '@metatwin/contracts';
import { fromCode as fromCode_, labelLineConverter, NODE_DAC as NODE_DAC_, type Converter } from '@metatwin/physics';
import type { ClampingCall, ClampingResult } from './port';

// Bound once: compiled re-exports are getters, and these run on every training step.
const LATER: typeof LATER_ = LATER_;
const NO_OUTPUT = NO_OUTPUT_;
const call = call_;
const emit = emit_;
const fromCode = fromCode_;
const NODE_DAC = NODE_DAC_;

export interface ClampingState {
  /** The DAC channel of the label line (from the patch map; −1 before it). */
  readonly labelChannel: number;
  /** How the label line's codes map to volts: bipolar for a differential label (Fig. 9B). */
  readonly labelConverter: Converter;
  /** Training step of the supervisor signals being read (StepStarted precedes its writes). */
  readonly currentStep: number;
  /** Label line value per training step still needed, oldest first. */
  readonly labels: ReadonlyArray<readonly [step: number, label_V: number]>;
  /** The step of the latest clamp output: labels of earlier steps are no longer needed (the edge applies steps in order). */
  readonly answered: number;
}

type Out = Output<ClampingCall>;

function labelOf(s: ClampingState, step: number): number | undefined {
  for (const [k, v] of s.labels) if (k === step) return v;
  return undefined;
}

export const clampingDecider: Decider<ClampingState, ClampingResult, ClampingCall> = {
  source: 'clamping',
  listensTo: ['supervisor', 'edge-physics'],
  accepts: ['RunCreated', 'PatchMapSet', 'PotentiometerSet', 'StepStarted', 'DacWritten', 'FreeOutputMeasured', 'RunFinished', 'RunAborted', 'RunCancelled', 'RunResumed'],

  start(created) {
    const differential = 'plus' in created.data.experiment.roles.output;
    return { labelChannel: -1, labelConverter: differential ? labelLineConverter(NODE_DAC) : NODE_DAC, currentStep: -1, labels: [], answered: -1 };
  },

  decide(s, input): ReadonlyArray<Out> | typeof LATER {
    switch (input.type) {
      case 'PotentiometerSet':
        return [call({ op: 'setWiper', t_ns: input.meta.t_ns, position: input.data.position, positions: input.data.positions })];
      case 'FreeOutputMeasured': {
        const label_V = labelOf(s, input.data.step);
        if (label_V === undefined) return LATER;
        return [call({ op: 'clamp', t_ns: input.meta.t_ns, step: input.data.step, substep: input.data.substep, label_V, freeOutputs_V: input.data.outputs_V })];
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
      case 'PatchMapSet':
        return next(
          s,
          sig.data.channels.findIndex((c) => c.kind === 'label'),
          s.currentStep,
          s.labels,
          s.answered,
        );
      case 'StepStarted':
        return next(s, s.labelChannel, sig.data.step, s.labels, s.answered);
      case 'DacWritten': {
        if (s.currentStep < 0) return s;
        const { writes } = sig.data;
        let w = -1;
        for (let i = 0; i < writes.length; i++) if (writes[i].channel === s.labelChannel) w = i;
        if (w < 0) return s;
        const step = s.currentStep;
        const volts = writes[w].volts ?? fromCode(s.labelConverter, writes[w].code);
        // A step at or before the last answered one is sent again (the supervisor rewound after a
        // restart): it will be answered again. Keep the labels still needed; a step sent again
        // replaces what was kept from it on.
        const answered = Math.min(s.answered, step - 1);
        const labels: Array<readonly [number, number]> = [];
        for (const kept of s.labels) if (kept[0] >= answered && kept[0] < step) labels.push(kept);
        labels.push([step, volts]);
        return next(s, s.labelChannel, s.currentStep, labels, answered);
      }
      case 'ClampOutputSet':
        return sig.data.step > s.answered ? next(s, s.labelChannel, s.currentStep, s.labels, sig.data.step) : s;
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

function next(s: ClampingState, labelChannel: number, currentStep: number, labels: ReadonlyArray<readonly [number, number]>, answered: number): ClampingState {
  return { labelChannel, labelConverter: s.labelConverter, currentStep, labels, answered };
}
