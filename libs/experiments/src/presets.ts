/**
 * The paper's experiments as experiment inputs (the same form as a user's file), so they
 * pass through the same validation. Node placements are on the 4×4 periodic lattice,
 * node = 4·row + col; why each was chosen is in the README ("Presets").
 */
import { XOR_L0_V, xorDataset } from './datasets';

export const PAPER_LATTICE = { lattice: { rows: 4, cols: 4, periodic: true } } as const;

export function xorPreset(): Record<string, unknown> {
  return {
    name: 'xor',
    description:
      "Fig. 3: XOR with two inputs, differential output, L0 = −0.087 V, η = 0.5, random datapoints, 10 s. Not the paper's start: gates from 3.5 V (paper 2.5 V) and V+ = 0.40 V (paper 0.33 V), because from the paper's start this model learns by 2.5 s and then drifts back (docs/fidelity.md)",
    seed: 1,
    network: PAPER_LATTICE,
    transistor: { card: 'ald1106-fitted' },
    // 3.5 V start and V+ = 0.40 V: see README "Presets" — from 2.5 V / 0.33 V the fitted
    // model reaches its best state at ≈ 2.5 s and drifts back to ≈ 7× by 10 s.
    initialGates_V: 3.5,
    roles: {
      inputs: [0, 2],
      rails: [
        { node: 3, volts: 0.11 },
        { node: 7, volts: 0.4 },
      ],
      output: { plus: 1, minus: 13 },
    },
    dataset: xorDataset(0.45, XOR_L0_V),
    clamp: { kind: 'differential', eta: 0.5 },
    schedule: { t_h_s: 100e-6, time_s: 10, order: 'random', testEvery: 1000, substeps: 1 },
  };
}

/**
 * Fig. 3 from the paper's own start (gates 2.5 V, V+ = 0.33 V), with the model the ablation
 * (docs/fidelity.md, `npm run bench -- --only fidelity`) found closest to the hardware: the
 * floor as the 1N4148 diode, acting also while learn-enable is off. It runs 20 s, long enough
 * to see whether the learned state holds.
 */
export function xorPaperPreset(): Record<string, unknown> {
  const xor = xorPreset();
  return {
    ...xor,
    name: 'xor-paper',
    description:
      "Fig. 3 from the paper's start: gates 2.5 V, rails V− = 0.11 V and V+ = 0.33 V, η = 0.5, the gate floor as the hardware's 1N4148 diode from G_min = 1.1 V, 20 s. With this model XOR's truth table comes right (and is right at 20 s in 5 of 5 seeds), but the MSE falls only ≈ 6× and E11 never halves: the hardware's fall and mode order are not reproduced (docs/fidelity.md)",
    initialGates_V: 2.5,
    roles: {
      ...(xor.roles as Record<string, unknown>),
      rails: [
        { node: 3, volts: 0.11 },
        { node: 7, volts: 0.33 },
      ],
    },
    learning: { floor: 'diode' },
    schedule: { ...(xor.schedule as Record<string, unknown>), time_s: 20, testEvery: 1000 },
  };
}

/** Fig. 4's task: the label rises from (0, a) to (b, c) and is flat after. */
export const REGRESSION_TASK = { a_V: 0.15, b_V: 0.12, c_V: 0.25 } as const;

export function regressionPreset(task: { a_V: number; b_V: number; c_V: number } = REGRESSION_TASK, name = 'regression'): Record<string, unknown> {
  return {
    name,
    description: `Fig. 4: nonlinear regression, 8 inputs on [0, 0.45] V, rails 0/0.45 V, label (0, ${task.a_V}) → (${task.b_V}, ${task.c_V}) then flat, η = 1, datapoints in order`,
    seed: 1,
    network: PAPER_LATTICE,
    transistor: { card: 'ald1106-fitted' },
    initialGates_V: 2.5,
    // One lattice row: input, V−, V+, output (the output wraps round to the input).
    roles: {
      inputs: [0],
      rails: [
        { node: 1, volts: 0 },
        { node: 2, volts: 0.45 },
      ],
      output: { node: 3 },
    },
    dataset: { piecewiseLinear: { ...task, points: 8 } },
    clamp: { kind: 'coupled', eta: 1 },
    schedule: { t_h_s: 100e-6, time_s: 10, order: 'ordered', testEvery: 1000, substeps: 1 },
  };
}

/**
 * Fig. 5's 29 tasks: a grid a ∈ {0.07, 0.11, 0.15, 0.20, 0.24} V, c ∈ {0.13, 0.19, 0.25, 0.30} V,
 * b ∈ {0.12, 0.31} V with c > a gives 30 tasks; the one with the smallest rise
 * (a 0.24, c 0.25, b 0.31: 10 mV over the whole slope) is left out, leaving 29.
 */
export function regressionFamilyTasks(): Array<{ a_V: number; b_V: number; c_V: number }> {
  const tasks: Array<{ a_V: number; b_V: number; c_V: number }> = [];
  for (const b_V of [0.12, 0.31]) {
    for (const a_V of [0.07, 0.11, 0.15, 0.2, 0.24]) {
      for (const c_V of [0.13, 0.19, 0.25, 0.3]) {
        if (c_V > a_V && !(a_V === 0.24 && c_V === 0.25 && b_V === 0.31)) tasks.push({ a_V, b_V, c_V });
      }
    }
  }
  return tasks;
}

/** Gate levels (V) at which `metatwin calibrate` wants a chip-calibration run each (README, "Calibrating a chip"). */
export const CALIBRATION_GATES_V = [1.2, 1.6, 2.5, 3.5] as const;

/**
 * A chip-calibration run (`metatwin calibrate`): the paper's board read at 100 input pairs
 * spread over the DAC's range with the rails at 0 and 0.45 V, every node and gate at each, 64
 * ADC repeats (the most one scan sums) — first at step 0, where the gates are the run's known
 * level, then while it learns for 20 ms (200 steps, η = 0.5, labels 0) at steps 1, 2, 5, …, 200,
 * where the gates' drift shows the learning-rule offsets. Run it once per gate level
 * (CALIBRATION_GATES_V, `initialGates_V`): node voltages at several known uniform gates are
 * what separate each edge's k from its VTO. Inputs are on the DAC's code grid, from a fixed
 * generator, so every run of it applies the same points.
 */
export function chipCalibrationPreset(): Record<string, unknown> {
  let state = 12345;
  const code = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 16) % 256;
  };
  const inputs = Array.from({ length: 100 }, () => [code(), code()].map((c) => Number(((c * 0.45) / 255).toFixed(6))));
  return {
    name: 'chip-calibration',
    description: 'Chip calibration: 100 input pairs, rails 0/0.45 V, every node and gate read at step 0 and while learning 20 ms; run once per gate level (1.2, 1.6, 2.5, 3.5 V)',
    seed: 1,
    network: PAPER_LATTICE,
    transistor: { card: 'ald1106-fitted' },
    initialGates_V: CALIBRATION_GATES_V[0],
    roles: {
      inputs: [0, 2],
      rails: [
        { node: 3, volts: 0 },
        { node: 7, volts: 0.45 },
      ],
      output: { plus: 1, minus: 13 },
    },
    dataset: { inputs, labels: inputs.map(() => 0) },
    clamp: { kind: 'differential', eta: 0.5 },
    quantisation: { dac: true, adc: true, adcRepeats: 64 },
    schedule: { t_h_s: 100e-6, steps: 200, order: 'random', testEvery: 200, substeps: 1 },
  };
}

/**
 * Classification by differential outputs (issue 12): Iris' four measurements on four inputs,
 * one differential output per species (labels +50 mV for the flower's own species, −50 mV for
 * the others), read as the highest output. An 8 × 8 periodic lattice, the roles placed by
 * farthest-point sampling; 120 flowers trained on in order, the last 30 (10 per species)
 * held out and only tested; 40 s of learning (400,000 steps of 100 µs).
 */
export function irisPreset(): Record<string, unknown> {
  return {
    name: 'iris',
    description:
      'Iris classification: 4 inputs, rails 0/0.45 V, 3 differential outputs (one per species, +50/−50 mV labels), η = 0.5, 120 flowers trained on in order, 30 held out, 40 s',
    seed: 1,
    network: { lattice: { rows: 8, cols: 8, periodic: true } },
    transistor: { card: 'ald1106-fitted' },
    initialGates_V: 2.5,
    // Rails at the DAC's ends: with XOR's 0.11/0.40 V the run sorts 73 % of the flowers trained
    // on by 10 s against 77 % with these, and both reach ≈ 92 % by 40 s (README, "Presets").
    roles: { place: { inputs: 4, rails: [0, 0.45], output: 'differential', outputs: 3 } },
    dataset: { iris: {}, trainingPoints: 120 },
    clamp: { kind: 'differential', eta: 0.5 },
    schedule: { t_h_s: 100e-6, time_s: 40, order: 'ordered', testEvery: 1000, substeps: 1 },
  };
}

export type PresetName = 'xor' | 'xor-paper' | 'regression' | 'regression-family' | 'iris' | 'chip-calibration';
export const PRESET_NAMES: readonly PresetName[] = ['xor', 'xor-paper', 'regression', 'regression-family', 'iris', 'chip-calibration'];
