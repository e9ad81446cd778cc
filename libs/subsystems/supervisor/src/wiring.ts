/**
 * How the supervisor is wired for an experiment: one DAC channel per input node, one per
 * rail, then one label line per task output (the patch map), and whether the DAC quantises.
 */
import { encodeDemux, isDifferential, nodeCount, outputCount, outputNodes, type Experiment } from '@metatwin/contracts';
import { PAPER_DAC, type DacConfig, type PatchTarget } from './dac';

/** DAC channels in order: one per input node, one per rail, then the label lines (output 0, 1, …). */
export function patchMap(exp: Experiment): PatchTarget[] {
  const differential = isDifferential(exp.roles);
  return [
    ...exp.roles.inputs.map((node) => ({ kind: 'node', node }) as const),
    ...exp.roles.rails.map((r) => ({ kind: 'node', node: r.node }) as const),
    ...Array.from({ length: outputCount(exp) }, (_, output) => ({ kind: 'label', output, differential }) as const),
  ];
}

export function dacConfig(exp: Experiment): DacConfig {
  return { ...PAPER_DAC, quantise: exp.quantisation.dac };
}

/** Demux addresses of the free copy's output nodes: what a test step reads through the ADC. */
export function outputAddresses(exp: Experiment): number[] {
  const nodes = nodeCount(exp.network);
  return outputNodes(exp).map((n) => encodeDemux('free', n, nodes));
}
