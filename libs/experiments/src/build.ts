/**
 * From an Experiment to the simulated hardware: network, per-copy transistors (with any
 * mismatch), learning offsets, the twin, the clamping circuit, and the voltages the DAC
 * actually applies for every datapoint. Random draws come from forks of the seed, one per
 * purpose, so turning one imperfection on never reshuffles another.
 */
import { clampCircuit, type ClampCircuit } from '@metatwin/clamping';
import { TwinNetwork, learningOffsets, mismatchedTransistors } from '@metatwin/edge-physics';
import { PAPER_ADC, type AdcConfig } from '@metatwin/measurement';
import { NODE_ADC, GATE_ADC, Rng, networkFromEdges, squareLattice, type Level1Params, type Network } from '@metatwin/physics';
import { PAPER_DAC, applied_V, type DacConfig } from '@metatwin/supervisor';
import type { Experiment } from './experiment';

/** Streams forked from the seed, by purpose. */
export const RNG_STREAM = { schedule: 1, mismatchFree: 2, mismatchClamped: 3, offsets: 4, measurement: 5 } as const;

export interface Rig {
  readonly network: Network;
  readonly twin: TwinNetwork;
  readonly clamp: ClampCircuit;
  /** Held voltages per datapoint, in twin.heldNodes order (inputs then rails), as applied. */
  readonly held_V: Float64Array[];
  /** Label per datapoint as applied through the label line. */
  readonly labels_V: number[];
  /** Variable-input voltages per datapoint as applied. */
  readonly inputs_V: number[][];
  /** Output nodes in the twin: [node] or [plus, minus]. */
  readonly outputNodes: number[];
  readonly differential: boolean;
  readonly adc: AdcConfig;
  readonly scheduleRng: Rng;
  readonly measurementRng: Rng;
}

export function buildNetwork(spec: Experiment['network']): Network {
  return spec.kind === 'lattice' ? squareLattice(spec.rows, spec.cols, spec.periodic) : networkFromEdges(spec.nodes, spec.edges.map(([a, b]) => [a, b] as [number, number]));
}

export function buildRig(exp: Experiment): Rig {
  const network = buildNetwork(exp.network);
  const root = new Rng(exp.seed);
  const streams = Object.fromEntries(Object.entries(RNG_STREAM).map(([k, s]) => [k, root.fork(s)])) as Record<keyof typeof RNG_STREAM, Rng>;
  const card: Level1Params = {
    vto_V: exp.transistor.vto_V,
    beta_AperV2: exp.transistor.k_AperV2,
    gamma_sqrtV: exp.transistor.gamma_sqrtV,
    phi_V: exp.transistor.phi_V,
    lambda_perV: exp.transistor.lambda_perV,
  };
  const m = network.edgeCount;
  const { mismatch, learningOffsetSigma_V2, damage } = exp.imperfections;
  const freeTransistors = mismatchedTransistors(m, card, mismatch, streams.mismatchFree);
  const clampedTransistors = mismatchedTransistors(m, card, mismatch, streams.mismatchClamped);
  const offsets = learningOffsetSigma_V2 > 0 ? learningOffsets(m, learningOffsetSigma_V2, streams.offsets) : null;
  const output = exp.roles.output;
  const differential = 'plus' in output;
  const outputNodes = differential ? [output.plus, output.minus] : [output.node];
  const clamp = clampCircuit(exp.clamp);
  const twin = new TwinNetwork(
    {
      network,
      freeTransistors,
      clampedTransistors,
      heldNodes: [...exp.roles.inputs, ...exp.roles.rails.map((r) => r.node)],
      outputNodes,
      clampDrives: clamp.drives,
      learning: exp.learning,
      learningOffset_V2: offsets,
      damage,
      warmStartSlots: exp.dataset.inputs.length,
    },
    exp.initialGates_V,
  );
  const dac: DacConfig = { ...PAPER_DAC, quantise: exp.quantisation.dac };
  const inputs_V = exp.dataset.inputs.map((row) => row.map((v, i) => applied_V(dac, { kind: 'node', node: exp.roles.inputs[i] }, v)));
  const rails_V = exp.roles.rails.map((r) => applied_V(dac, { kind: 'node', node: r.node }, r.volts));
  const held_V = inputs_V.map((row) => Float64Array.from([...row, ...rails_V]));
  const labels_V = exp.dataset.labels.map((l) => applied_V(dac, { kind: 'label', output: 0 }, l));
  const adc: AdcConfig = { ...PAPER_ADC, quantise: exp.quantisation.adc, node: NODE_ADC, gate: GATE_ADC, repeats: exp.quantisation.adcRepeats, noiseSigma_V: exp.imperfections.readoutNoiseSigma_V };
  return { network, twin, clamp, held_V, labels_V, inputs_V, outputNodes, differential, adc, scheduleRng: streams.schedule, measurementRng: streams.measurement };
}
