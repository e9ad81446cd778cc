/**
 * Synthetic result files for the report's tests: shaped like what the runner writes, with
 * outputs built from known error modes so a figure's series can be checked against the
 * numbers that went in. Not exported from the library; tests import it by relative path.
 */
import type { FamilyResult, LogEntry, NetworkJson, RunResult } from '@metatwin/experiments';

type Experiment = RunResult['experiment'];
type Roles = RunResult['roles'];

/** A rows×cols lattice, node = row·cols + col, edges right then down (wrapping when periodic). */
export function latticeNetwork(rows: number, cols: number, periodic: boolean): NetworkJson {
  const edges: Array<readonly [number, number]> = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const node = r * cols + c;
      if (periodic || c + 1 < cols) edges.push([node, r * cols + ((c + 1) % cols)]);
      if (periodic || r + 1 < rows) edges.push([node, ((r + 1) % rows) * cols + c]);
    }
  }
  return { nodeCount: rows * cols, edges, lattice: { rows, cols, periodic } };
}

/** Gram–Schmidt on the given raw vectors: the orthonormal mode basis of the appendix. */
function orthonormalise(raw: number[][]): number[][] {
  const basis: number[][] = [];
  for (const v of raw) {
    const u = [...v];
    for (const b of basis) {
      const dot = u.reduce((s, x, i) => s + x * b[i], 0);
      for (let i = 0; i < u.length; i++) u[i] -= dot * b[i];
    }
    const norm = Math.sqrt(u.reduce((s, x) => s + x * x, 0));
    basis.push(u.map((x) => x / norm));
  }
  return basis;
}

/** A deterministic pseudo-random stream in [0, 1) so fixtures are identical on every run. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function experiment(name: string, network: NetworkJson, roles: Roles, inputs: number[][], labels: number[], steps: number, clamp: Experiment['clamp']): Experiment {
  return {
    name,
    description: `synthetic ${name} for report tests`,
    seed: 7,
    network: network.lattice ? { kind: 'lattice', ...network.lattice } : { kind: 'edges', nodes: network.nodeCount, edges: network.edges },
    transistor: { card: 'default', vto_V: 0.7, k_AperV2: 1e-3, gamma_sqrtV: 0, phi_V: 0.6, lambda_perV: 0 },
    initialGates_V: network.edges.map(() => 5),
    roles,
    dataset: { inputs, labels },
    clamp,
    schedule: { t_h_s: 1e-4, steps, order: 'random', testEvery: steps / 20, substeps: 4 },
    learning: { v0_V: 0.33, r0_Ohm: 100, c0_F: 22e-6, gMin_V: 1.1, gMax_V: 10 },
    rig: { supervisor: 'sim', 'edge-physics': 'sim', clamping: 'sim', measurement: 'sim' },
    quantisation: { dac: true, adc: true, adcRepeats: 1 },
    imperfections: { mismatch: null, learningOffsetSigma_V2: 0, readoutNoiseSigma_V: 0, damage: [] },
  };
}

interface ModeLaw {
  readonly name: string;
  /** Signed mode at t = 0 (V). */
  readonly initial_V: number;
  /** e-folding time of the mode (s); later modes fall later, as in the paper. */
  readonly tau_s: number;
}

/**
 * Build a run whose error is Σ mode(t)·n̂, each mode decaying exponentially to 3 % of its start
 * (a floor like the real one from learning-rule offsets); the last entry's last mode is exactly 0.
 */
function synthesiseRun(name: string, network: NetworkJson, roles: Roles, inputs: number[][], labels: number[], basis: number[][], laws: ModeLaw[], seed: number): RunResult {
  const entries = 21;
  const steps = 10_000;
  const t_h_s = 1e-4;
  const random = lcg(seed);
  const gateStart = network.edges.map(() => 4 + 2 * random());
  const gateShift = network.edges.map(() => 4 * (random() - 0.5));
  const gateTau = network.edges.map(() => 0.05 + 0.5 * random());
  const log: LogEntry[] = [];
  for (let k = 0; k < entries; k++) {
    const step = (k * steps) / (entries - 1);
    const t_s = step * t_h_s;
    const modes: Record<string, number> = {};
    laws.forEach((law, m) => {
      modes[law.name] = k === entries - 1 && m === laws.length - 1 ? 0 : law.initial_V * (0.97 * Math.exp(-t_s / law.tau_s) + 0.03);
    });
    const errors = labels.map((_, i) => laws.reduce((s, law, m) => s + modes[law.name] * basis[m][i], 0));
    const outputs = labels.map((l, i) => l + errors[i]);
    const mse = errors.reduce((s, e) => s + e * e, 0) / errors.length;
    const gates_V = gateStart.map((g, e) => g + gateShift[e] * (1 - Math.exp(-t_s / gateTau[e])));
    log.push({ t_s, step, outputs, mse, modes, gates_V });
  }
  const first = log[0];
  const last = log[entries - 1];
  const edgeCount = network.edges.length;
  const powerPerEdge_W = network.edges.map(() => 3e-6 + 4e-6 * random());
  const totalPower_W = powerPerEdge_W.reduce((s, p) => s + p, 0);
  return {
    kind: 'run',
    name,
    seed,
    steps,
    wall_s: 12.5,
    experiment: experiment(name, network, roles, inputs, labels, steps, { kind: 'differential', eta: 0.5 }),
    network,
    roles,
    inputs,
    labels,
    modeNames: laws.map((l) => l.name),
    log,
    final: {
      outputs: last.outputs,
      gates_V: last.gates_V,
      power_W: inputs.map((_, i) => totalPower_W * (0.9 + 0.05 * i)),
      powerPerEdge_W,
      energyPerEdge_J: (totalPower_W / edgeCount) * 4e-6,
      conductance_S: last.gates_V.map((g) => 1e-4 * Math.max(g - 0.7, 0)),
    },
    summary: {
      mseStart: first.mse,
      mseEnd: last.mse,
      mseFall: first.mse / last.mse,
      modeHalfTimes_s: Object.fromEntries(laws.map((l) => [l.name, l.tau_s * Math.LN2])),
      modeOrder: [...laws].sort((a, b) => a.tau_s - b.tau_s).map((l) => l.name),
      modesInOrder: laws.every((l, i) => i === 0 || laws[i - 1].tau_s <= l.tau_s),
      learned: true,
    },
  };
}

const XOR_HIGH_V = 0.45;
const XOR_L0_V = -0.087;

/** XOR as in Fig. 3: two inputs, differential output, 4×4 periodic lattice of 32 edges. */
export function syntheticXorRun(): RunResult {
  const network = latticeNetwork(4, 4, true);
  const v1 = [0, 0, XOR_HIGH_V, XOR_HIGH_V];
  const v2 = [0, XOR_HIGH_V, 0, XOR_HIGH_V];
  const inputs = v1.map((a, i) => [a, v2[i]]);
  const labels = [0, XOR_L0_V, XOR_L0_V, 0];
  const basis = orthonormalise([v1.map(() => 1), v2, v1, v1.map((a, i) => a * v2[i])]);
  const laws: ModeLaw[] = [
    { name: 'E00', initial_V: 0.12, tau_s: 0.04 },
    { name: 'E01', initial_V: -0.05, tau_s: 0.15 },
    { name: 'E10', initial_V: 0.06, tau_s: 0.12 },
    { name: 'E11', initial_V: 0.08, tau_s: 0.3 },
  ];
  const roles: Roles = {
    inputs: [5, 6],
    rails: [
      { node: 0, volts: 0.11 },
      { node: 15, volts: 0.33 },
    ],
    output: { plus: 10, minus: 9 },
  };
  const run = synthesiseRun('xor', network, roles, inputs, labels, basis, laws, 11);
  return { ...run, summary: { ...run.summary, modeOrder: ['E00', 'E10', 'E01', 'E11'], modesInOrder: true, truthTableCorrect: true } };
}

/** Piece-wise linear labels of Fig. 5's inset: from (0, a) up to (b, c), flat afterwards. */
export function piecewiseLabels(inputs_V: number[], a_V: number, b_V: number, c_V: number): number[] {
  return inputs_V.map((v) => (v >= b_V ? c_V : a_V + ((c_V - a_V) * v) / b_V));
}

/** Regression as in Fig. 4: one input, eight points 0…0.45 V, single-ended output. */
export function syntheticRegressionRun(
  name = 'regression',
  a_V = 0.1,
  b_V = 0.31,
  c_V = 0.25,
  seed = 21,
  initialModes_V: [number, number, number] = [0.15, -0.08, 0.03],
): RunResult {
  const network = latticeNetwork(4, 4, true);
  const v1 = Array.from({ length: 8 }, (_, i) => (0.45 * i) / 7);
  const basis = orthonormalise([0, 1, 2, 3].map((k) => v1.map((v) => v ** k)));
  const laws: ModeLaw[] = ['E0', 'E1', 'E2', 'E3'].map((modeName, m) => ({ name: modeName, initial_V: initialModes_V[m] ?? 0.01, tau_s: 0.03 * 4 ** m }));
  const roles: Roles = {
    inputs: [5],
    rails: [
      { node: 0, volts: 0 },
      { node: 15, volts: 0.45 },
    ],
    output: { node: 10 },
  };
  return synthesiseRun(
    name,
    network,
    roles,
    v1.map((v) => [v]),
    piecewiseLabels(v1, a_V, b_V, c_V),
    basis,
    laws,
    seed,
  );
}

/** The same regression on a side×side periodic lattice (a large network: issue 12's report). */
export function syntheticLargeRegressionRun(side: number): RunResult {
  const small = syntheticRegressionRun();
  const network = latticeNetwork(side, side, true);
  const v1 = small.inputs.map((x) => x[0]);
  const basis = orthonormalise([0, 1, 2, 3].map((k) => v1.map((v) => v ** k)));
  const laws: ModeLaw[] = ['E0', 'E1', 'E2', 'E3'].map((modeName, m) => ({ name: modeName, initial_V: 0.1 / (m + 1), tau_s: 0.03 * 4 ** m }));
  const roles: Roles = {
    inputs: [1],
    rails: [
      { node: 0, volts: 0 },
      { node: side * side - 1, volts: 0.45 },
    ],
    output: { node: Math.floor(side / 2) * (side + 1) },
  };
  return synthesiseRun(`regression-${side}x${side}`, network, roles, small.inputs, small.labels, basis, laws, 5);
}

/** A family of three regression tasks, the second one learning its modes out of order. */
export function syntheticFamily(): FamilyResult {
  const tasks = [
    syntheticRegressionRun('task-a', 0.1, 0.31, 0.25, 31, [0.15, -0.08, 0.03]),
    syntheticRegressionRun('task-b', 0.2, 0.12, 0.3, 32, [-0.1, 0.05, -0.02]),
    syntheticRegressionRun('task-c', 0.07, 0.31, 0.13, 33, [0.05, 0.12, 0.04]),
  ];
  const outOfOrder = { ...tasks[1], summary: { ...tasks[1].summary, modeOrder: ['E1', 'E0', 'E2'], modesInOrder: false } };
  return { kind: 'family', name: 'regression-family', seed: 5, wall_s: 40.2, tasks: [tasks[0], outOfOrder, tasks[2]], inOrder: 2 };
}

/**
 * A 2-output classification of the XOR inputs (class 0 for equal inputs, class 1 otherwise), as
 * a classification run's result.json has it: labels and outputs datapoint-major, no modes,
 * accuracy per test, and the last datapoint held out. Outputs move from 0 V to the labels.
 */
export function syntheticClassificationRun(): RunResult {
  const xor = syntheticXorRun();
  const classOf = [0, 1, 1, 0];
  const labels = classOf.flatMap((c) => [c === 0 ? 0.05 : -0.05, c === 1 ? 0.05 : -0.05]);
  const roles: Roles = {
    ...xor.roles,
    output: [
      { plus: 1, minus: 13 },
      { plus: 5, minus: 9 },
    ],
  };
  const log = xor.log.map((e, k) => {
    const f = k / (xor.log.length - 1);
    // Datapoint 1 stays read as class 0 (wrong) until the last entry; the others are right from halfway.
    const outputs = labels.map((l, i) => (f >= 0.5 || i >= 6 ? l * f : -l * 0.1) + (i === 2 && f < 1 ? 0.1 : 0));
    const right = (from: number, to: number): number =>
      classOf.slice(from, to).filter((c, j) => (outputs[2 * (from + j)] > outputs[2 * (from + j) + 1] ? 0 : 1) === c).length / (to - from);
    const sq = outputs.map((o, i) => (o - labels[i]) ** 2);
    return { ...e, outputs, modes: {}, mse: sq.slice(0, 6).reduce((a, b) => a + b) / 6, heldOutMse: (sq[6] + sq[7]) / 2, accuracy: right(0, 3), heldOutAccuracy: right(3, 4) };
  });
  const first = log[0];
  const last = log[log.length - 1];
  return {
    ...xor,
    name: 'classification',
    experiment: { ...xor.experiment, name: 'classification', roles, dataset: { inputs: xor.inputs, labels, trainingPoints: 3, classNames: ['same', 'differ'] } },
    roles,
    labels,
    modeNames: [],
    log,
    final: { ...xor.final, outputs: last.outputs },
    summary: {
      mseStart: first.mse,
      mseEnd: last.mse,
      mseFall: first.mse / last.mse,
      modeHalfTimes_s: {},
      modeOrder: [],
      modesInOrder: false,
      classification: {
        classes: 2,
        accuracyStart: first.accuracy,
        accuracyEnd: last.accuracy,
        heldOutAccuracyStart: first.heldOutAccuracy,
        heldOutAccuracyEnd: last.heldOutAccuracy,
        heldOutMseEnd: last.heldOutMse,
      },
      learned: true,
    },
  };
}
