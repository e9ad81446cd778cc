/**
 * A resolved experiment for specs, written out as a literal: what
 * `planFromInput({ preset: 'xor' }, { steps: 12 }, …)` in libs/experiments resolves to (the
 * subsystems' specs may not import experiments, which depends on them). Every field of
 * Experiment is filled in; `xorExperiment(patch)` replaces whole fields, and merges
 * `schedule`, `quantisation` and `imperfections` field by field.
 *
 * The xor network: a periodic 4×4 lattice (16 nodes, 32 edges), inputs on nodes 0 and 2,
 * rails on nodes 3 (0.11 V) and 7 (0.40 V), a differential output (+ node 1, − node 13), four
 * datapoints. The supervisor's patch map is then: channels 0–1 inputs, 2–3 rails, 4 the label
 * line; a test reads demux addresses 1 and 13; tests fall at steps 0, 1, 2, 5, 10 and 12.
 */
import type { Experiment, Imperfections, Quantisation, Schedule } from '../experiment';

export type ExperimentPatch = Partial<Omit<Experiment, 'schedule' | 'quantisation' | 'imperfections'>> & {
  readonly schedule?: Partial<Schedule>;
  readonly quantisation?: Partial<Quantisation>;
  readonly imperfections?: Partial<Imperfections>;
};

const XOR: Experiment = {
  name: 'xor',
  description: 'Fig. 3: XOR with two inputs, rails 0.11/0.40 V, differential output, L0 = −0.087 V, η = 0.5, random datapoints (spec fixture)',
  seed: 1,
  network: { kind: 'lattice', rows: 4, cols: 4, periodic: true },
  transistor: { card: 'ald1106-fitted', vto_V: 0.75, k_AperV2: 0.0011056984615384618, gamma_sqrtV: 1.09, phi_V: 0.95, lambda_perV: 0.2 },
  initialGates_V: Array.from({ length: 32 }, () => 3.5),
  roles: {
    inputs: [0, 2],
    rails: [
      { node: 3, volts: 0.11 },
      { node: 7, volts: 0.4 },
    ],
    output: { plus: 1, minus: 13 },
  },
  dataset: {
    inputs: [
      [0, 0],
      [0, 0.45],
      [0.45, 0],
      [0.45, 0.45],
    ],
    labels: [0, -0.087, -0.087, 0],
  },
  clamp: { kind: 'differential', eta: 0.5 },
  schedule: { t_h_s: 0.0001, steps: 12, order: 'random', testEvery: 1000, substeps: 1 },
  learning: { v0_V: 0.33, r0_Ohm: 100, c0_F: 0.000022, gMin_V: 1.1, gMax_V: 10 },
  quantisation: { dac: true, adc: true, adcRepeats: 1 },
  imperfections: { mismatch: null, learningOffsetSigma_V2: 0, readoutNoiseSigma_V: 0, damage: [] },
  rig: { supervisor: 'sim', 'edge-physics': 'sim', clamping: 'sim', measurement: 'sim' },
};

export const XOR_EXPERIMENT: Experiment = Object.freeze(XOR);

/** The xor experiment with some fields replaced (a fresh object: specs may not share mutable state). */
export function xorExperiment(patch: ExperimentPatch = {}): Experiment {
  const base = XOR_EXPERIMENT;
  return {
    ...base,
    ...patch,
    schedule: { ...base.schedule, ...patch.schedule },
    quantisation: { ...base.quantisation, ...patch.quantisation },
    imperfections: { ...base.imperfections, ...patch.imperfections },
  };
}

/** The xor fixture's outputs (+ at 1, − at 13) and two more differential pairs: a three-class task. */
export const THREE_OUTPUTS = Object.freeze([
  { plus: 1, minus: 13 },
  { plus: 5, minus: 9 },
  { plus: 6, minus: 10 },
]);

/** The xor fixture with three differential outputs and one label per output per datapoint (datapoint-major). */
export function threeOutputExperiment(labels: number[], patch: ExperimentPatch = {}): Experiment {
  const base = xorExperiment();
  return xorExperiment({
    roles: { inputs: base.roles.inputs, rails: base.roles.rails, output: THREE_OUTPUTS },
    dataset: { inputs: base.dataset.inputs.slice(0, labels.length / 3), labels },
    ...patch,
  });
}
