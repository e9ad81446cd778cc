/**
 * An experiment, fully resolved: every default filled in, files (network, CSV dataset)
 * loaded, so the object in result.json is exactly what ran. `parseExperiment` turns a
 * user's JSON/YAML object into one, naming the field, value and what is allowed on error.
 */
import type { ClampLaw } from '@metatwin/clamping';
import type { DamageEvent, LearningCircuit, Mismatch } from '@metatwin/edge-physics';

export type NetworkSpec =
  | { readonly kind: 'lattice'; readonly rows: number; readonly cols: number; readonly periodic: boolean }
  | { readonly kind: 'edges'; readonly nodes: number; readonly edges: ReadonlyArray<readonly [number, number]> };

export interface TransistorSpec {
  /** The card the values below started from ('default' or 'ald1106-fitted'). */
  readonly card: 'default' | 'ald1106-fitted';
  readonly vto_V: number;
  /** beta = KP·W/L (A/V²). */
  readonly k_AperV2: number;
  readonly gamma_sqrtV: number;
  readonly phi_V: number;
  readonly lambda_perV: number;
}

export type OutputSpec = { readonly node: number } | { readonly plus: number; readonly minus: number };

export interface Roles {
  /** Variable input nodes, in dataset column order. */
  readonly inputs: number[];
  /** Constant rails. */
  readonly rails: ReadonlyArray<{ readonly node: number; readonly volts: number }>;
  readonly output: OutputSpec;
}

export interface Dataset {
  /** Per datapoint, one voltage per input node (V). */
  readonly inputs: number[][];
  /** Per datapoint, the label (V). */
  readonly labels: number[];
}

export interface Schedule {
  /** Learning time per step (s); the paper's t_h = 100 µs. */
  readonly t_h_s: number;
  readonly steps: number;
  /** 'random': a seeded random datapoint each step (XOR); 'ordered': cycle in order (regression). */
  readonly order: 'random' | 'ordered';
  /** A test step (learning frozen, every datapoint measured) every this many steps; also at 0 and at the end. */
  readonly testEvery: number;
  /** Euler substeps per t_h in which voltages and the clamp follow the gates. */
  readonly substeps: number;
}

export interface Quantisation {
  /** Apply inputs, rails and labels through the 8-bit DAC. */
  readonly dac: boolean;
  /** Measure through the 8-bit ADC. */
  readonly adc: boolean;
  /** ADC repeats averaged per reading. */
  readonly adcRepeats: number;
}

export interface Imperfections {
  readonly mismatch: Mismatch | null;
  /** σ of the per-edge learning-rule offset (V², added to V_F² − V_C²). */
  readonly learningOffsetSigma_V2: number;
  /** σ of ADC read-out noise per repeat (V). */
  readonly readoutNoiseSigma_V: number;
  readonly damage: ReadonlyArray<DamageEvent>;
}

export interface Experiment {
  readonly name: string;
  readonly description: string;
  readonly seed: number;
  readonly network: NetworkSpec;
  readonly transistor: TransistorSpec;
  /** Initial gate per edge (V). */
  readonly initialGates_V: number[];
  readonly roles: Roles;
  readonly dataset: Dataset;
  readonly clamp: ClampLaw;
  readonly schedule: Schedule;
  readonly learning: LearningCircuit;
  readonly quantisation: Quantisation;
  readonly imperfections: Imperfections;
}
