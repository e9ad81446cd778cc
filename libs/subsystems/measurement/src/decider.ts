/**
 * The measurement's logic, pure: a sample is taken when the supervisor has selected an
 * address during a test step and the edge physics has reported what the buffers see for
 * that datapoint — in either order, since they come from different services.
 */
import {
  NO_OUTPUT as NO_OUTPUT_,
  call as call_,
  decodeDemux,
  decodeFloat64 as decodeFloat64_,
  emit as emit_,
  nodeCount,
  type Decider,
  type Output,
  type Signal,
} from '@metatwin/contracts';
import type { MeasurementCall, MeasurementResult } from './port';

// Bound once: compiled re-exports are getters, and these run on every training step.
const NO_OUTPUT = NO_OUTPUT_;
const call = call_;
const decodeFloat64 = decodeFloat64_;
const emit = emit_;

/** Ask for the samples an open test still lacks (after a restart). */
export type MeasurementCommand = { readonly type: 'Resume' };
export type MeasurementInput = MeasurementResult | MeasurementCommand;

interface Settled {
  readonly free_V: ReadonlyArray<number>;
  readonly gates: string;
  /** The test's simulated time: a sample taken later (after a restart) still carries it. */
  readonly t_ns: number;
}

export interface MeasurementState {
  readonly nodes: number;
  readonly edges: number;
  /** step:datapoint → addresses selected. */
  readonly selected: ReadonlyMap<string, ReadonlyArray<number>>;
  /** step:datapoint → what the buffers saw. */
  readonly settled: ReadonlyMap<string, Settled>;
  /** step:datapoint:address already sampled. */
  readonly sampled: ReadonlySet<string>;
}

type Out = Output<MeasurementCall>;

const keyOf = (step: number, datapoint: number): string => `${step}:${datapoint}`;

function sampleCall(s: MeasurementState, t_ns: number, step: number, datapoint: number, address: number, settled: Settled): Out {
  const sel = decodeDemux(address, s.nodes, s.edges);
  // NodesSettled carries the free copy; the supervisor selects free-copy nodes only.
  const gates = decodeFloat64(settled.gates);
  return call({ op: 'sample', t_ns, at: { step, datapoint, address }, analog: { node_V: settled.free_V[sel.node], gate_V: gates[sel.edge] } });
}

function withoutStep<V>(m: ReadonlyMap<string, V>, step: number): Map<string, V> {
  const prefix = `${step}:`;
  return new Map([...m].filter(([k]) => !k.startsWith(prefix)));
}

export const measurementDecider: Decider<MeasurementState, MeasurementInput, MeasurementCall> = {
  source: 'measurement',
  listensTo: ['supervisor', 'edge-physics'],
  accepts: ['RunCreated', 'DemuxSelected', 'NodesSettled', 'TestStepFinished', 'RunFinished', 'RunAborted', 'RunCancelled', 'RunResumed'],

  start(created) {
    const exp = created.data.experiment;
    return { nodes: nodeCount(exp.network), edges: exp.initialGates_V.length, selected: new Map(), settled: new Map(), sampled: new Set() };
  },

  decide(s, input) {
    switch (input.type) {
      case 'DemuxSelected': {
        const settled = s.settled.get(keyOf(input.data.step, input.data.datapoint));
        return settled ? [sampleCall(s, input.meta.t_ns, input.data.step, input.data.datapoint, input.data.address, settled)] : NO_OUTPUT;
      }
      case 'NodesSettled': {
        if (input.data.failed) return NO_OUTPUT;
        const addresses = s.selected.get(keyOf(input.data.step, input.data.datapoint)) ?? [];
        const settled = { free_V: input.data.free_V, gates: input.data.gates, t_ns: input.meta.t_ns };
        return addresses.map((a) => sampleCall(s, input.meta.t_ns, input.data.step, input.data.datapoint, a, settled));
      }
      case 'Sampled':
        return [emit('AdcSampled', input.t_ns, { ...input.at, ...input.codes })];
      case 'Resume': {
        const out: Out[] = [];
        for (const [key, addresses] of s.selected) {
          const settled = s.settled.get(key);
          if (!settled) continue;
          const [step, datapoint] = key.split(':').map(Number);
          for (const a of addresses) if (!s.sampled.has(`${key}:${a}`)) out.push(sampleCall(s, settled.t_ns, step, datapoint, a, settled));
        }
        return out;
      }
      case 'RunCreated':
      case 'RunFinished':
      case 'RunAborted':
      case 'RunCancelled':
      case 'RunResumed':
      case 'PotentiometerSet':
      case 'PatchMapSet':
      case 'StepStarted':
      case 'DacWritten':
      case 'LearningEnabled':
      case 'FreeOutputMeasured':
      case 'ClampOutputSet':
      case 'GatesEvolved':
      case 'TestStepStarted':
      case 'TestDatapointApplied':
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

  evolve(s, sig: Signal): MeasurementState {
    switch (sig.type) {
      case 'DemuxSelected': {
        const key = keyOf(sig.data.step, sig.data.datapoint);
        return { ...s, selected: new Map(s.selected).set(key, [...(s.selected.get(key) ?? []), sig.data.address]) };
      }
      case 'NodesSettled':
        return sig.data.failed
          ? s
          : { ...s, settled: new Map(s.settled).set(keyOf(sig.data.step, sig.data.datapoint), { free_V: sig.data.free_V, gates: sig.data.gates, t_ns: sig.meta.t_ns }) };
      case 'AdcSampled':
        return { ...s, sampled: new Set(s.sampled).add(`${keyOf(sig.data.step, sig.data.datapoint)}:${sig.data.address}`) };
      case 'TestStepFinished': {
        const prefix = `${sig.data.step}:`;
        return {
          ...s,
          selected: withoutStep(s.selected, sig.data.step),
          settled: withoutStep(s.settled, sig.data.step),
          sampled: new Set([...s.sampled].filter((k) => !k.startsWith(prefix))),
        };
      }
      case 'RunCreated':
      case 'RunFinished':
      case 'RunAborted':
      case 'RunCancelled':
      case 'RunResumed':
      case 'PotentiometerSet':
      case 'PatchMapSet':
      case 'StepStarted':
      case 'DacWritten':
      case 'LearningEnabled':
      case 'FreeOutputMeasured':
      case 'ClampOutputSet':
      case 'GatesEvolved':
      case 'TestStepStarted':
      case 'TestDatapointApplied':
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
