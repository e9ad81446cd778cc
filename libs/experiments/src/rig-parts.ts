/**
 * The pieces of a rig each subsystem builds for itself from the experiment in RunCreated,
 * so every service derives exactly what the embedded runner does from the same seed.
 */
import { NODE_ADC, GATE_ADC } from '@metatwin/physics';
import { PAPER_ADC, type AdcConfig } from '@metatwin/measurement';
import { PAPER_DAC, dacCode, type DacConfig, type PatchTarget } from '@metatwin/supervisor';
import type { Experiment } from './experiment';

/** DAC channels in order: one per input node, one per rail, then the label line. */
export function patchMap(exp: Experiment): PatchTarget[] {
  const differential = 'plus' in exp.roles.output;
  return [...exp.roles.inputs.map((node) => ({ kind: 'node', node }) as const), ...exp.roles.rails.map((r) => ({ kind: 'node', node: r.node }) as const), { kind: 'label', output: 0, differential }];
}

export function dacConfig(exp: Experiment): DacConfig {
  return { ...PAPER_DAC, quantise: exp.quantisation.dac };
}

export function adcConfig(exp: Experiment): AdcConfig {
  return { ...PAPER_ADC, quantise: exp.quantisation.adc, node: NODE_ADC, gate: GATE_ADC, repeats: exp.quantisation.adcRepeats, noiseSigma_V: exp.imperfections.readoutNoiseSigma_V };
}

/** Output nodes in the twin: [node] or [plus, minus]. */
export function outputNodes(exp: Experiment): number[] {
  const o = exp.roles.output;
  return 'plus' in o ? [o.plus, o.minus] : [o.node];
}

/** What the supervisor writes for a wanted voltage on a channel. */
export function channelWrite(dac: DacConfig, target: PatchTarget, v: number): { code: number; volts?: number } {
  return dac.quantise ? { code: dacCode(dac, target, v) } : { code: dacCode(dac, target, v), volts: v };
}
