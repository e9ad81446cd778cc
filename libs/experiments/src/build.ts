/**
 * From an Experiment to the simulated hardware: network, per-copy transistors (with any
 * mismatch), learning offsets, the twin, the clamping circuit, and the voltages the DAC
 * actually applies for every datapoint. Random draws come from forks of the seed, one per
 * purpose, so turning one imperfection on never reshuffles another.
 */
import { clampCircuit, type ClampCircuit } from '@metatwin/clamping';
import { TwinNetwork, learningOffsets, mismatchedTransistors } from '@metatwin/edge-physics';
import type { AdcConfig } from '@metatwin/measurement';
import { Rng, networkFromEdges, squareLattice, type Level1Params, type Network } from '@metatwin/physics';
import { applied_V } from '@metatwin/supervisor';
import { adcConfig, dacConfig, outputNodes } from './rig-parts';
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

/** The seeded random streams of a run, one per purpose, derived the same way everywhere. */
export function rngStreams(seed: number): Record<keyof typeof RNG_STREAM, Rng> {
  const root = new Rng(seed);
  return Object.fromEntries(Object.entries(RNG_STREAM).map(([k, s]) => [k, root.fork(s)])) as Record<keyof typeof RNG_STREAM, Rng>;
}

/** The twin network of an experiment (edge physics), with its mismatch, offsets and damage. */
export function buildTwin(exp: Experiment): { network: Network; twin: TwinNetwork; clamp: ClampCircuit } {
  const network = buildNetwork(exp.network);
  const streams = rngStreams(exp.seed);
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
  const clamp = clampCircuit(exp.clamp);
  const twin = new TwinNetwork(
    {
      network,
      freeTransistors,
      clampedTransistors,
      heldNodes: [...exp.roles.inputs, ...exp.roles.rails.map((r) => r.node)],
      outputNodes: outputNodes(exp),
      clampDrives: clamp.drives,
      learning: exp.learning,
      learningOffset_V2: offsets,
      damage,
      warmStartSlots: exp.dataset.inputs.length,
    },
    exp.initialGates_V,
  );
  return { network, twin, clamp };
}

export function buildRig(exp: Experiment): Rig {
  const { network, twin, clamp } = buildTwin(exp);
  const streams = rngStreams(exp.seed);
  const differential = 'plus' in exp.roles.output;
  const dac = dacConfig(exp);
  const inputs_V = exp.dataset.inputs.map((row) => row.map((v, i) => applied_V(dac, { kind: 'node', node: exp.roles.inputs[i] }, v)));
  const rails_V = exp.roles.rails.map((r) => applied_V(dac, { kind: 'node', node: r.node }, r.volts));
  const held_V = inputs_V.map((row) => Float64Array.from([...row, ...rails_V]));
  const labels_V = exp.dataset.labels.map((l) => applied_V(dac, { kind: 'label', output: 0, differential }, l));
  return { network, twin, clamp, held_V, labels_V, inputs_V, outputNodes: outputNodes(exp), differential, adc: adcConfig(exp), scheduleRng: streams.schedule, measurementRng: streams.measurement };
}
