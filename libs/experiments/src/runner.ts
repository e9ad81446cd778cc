/**
 * The embedded run: one process, the four subsystems called directly. Each training step
 * the supervisor applies a datapoint's inputs and label, turns learn-enable on for t_h,
 * and off again; at test steps, learning frozen, every datapoint is applied and its output
 * read through the demux and ADC. Wall time comes from an injected clock so the physics
 * and the result numbers stay deterministic.
 */
import { errorModes, fallOrder, fellFirstAndLast, fellInSequence, meanSquaredError, modeBasis, modeHalfTimes, presentModes } from '@metatwin/analysis';
import { readNode } from '@metatwin/measurement';
import { DEFAULT_EQUILIBRATION_TIME_S, DRAIN_GDS, level1Drain, newDrainResult } from '@metatwin/physics';
import type { Experiment } from './experiment';
import { buildRig, type Rig } from './build';
import type { LogEntry, RunResult, RunSummary } from './result';
import { datapointAt, testSteps } from './schedule';

export interface Progress {
  readonly step: number;
  readonly steps: number;
  readonly t_s: number;
  readonly mse: number;
  readonly wall_s: number;
}

export interface RunOptions {
  /** Seconds since an arbitrary origin; used only for wall_s and progress. */
  readonly clock?: () => number;
  readonly onProgress?: (p: Progress) => void;
  /** Progress is reported every this many steps (and at every test step). */
  readonly progressEvery?: number;
}

export class RunAbortedError extends Error {
  constructor(message: string, readonly step: number, readonly partial: LogEntry[]) {
    super(message);
    this.name = 'RunAbortedError';
  }
}

/** Measured output of every datapoint with learning frozen. */
export function measureOutputs(rig: Rig, step: number): number[] {
  const { twin } = rig;
  twin.learnEnabled = false;
  const out = new Float64Array(rig.outputNodes.length);
  return rig.held_V.map((held, d) => {
    twin.selectSlot(d);
    const r = twin.measure(held, out);
    if (r.status !== 'converged') throw new RunAbortedError(`test at step ${step}: datapoint ${d}: free solve ${r.status} (residual ${r.residual_A.toExponential(2)} A)`, step, []);
    const plus = readNode(rig.adc, out[0], rig.measurementRng).volts;
    return rig.differential ? plus - readNode(rig.adc, out[1], rig.measurementRng).volts : plus;
  });
}

export function runExperiment(exp: Experiment, options: RunOptions = {}): RunResult {
  const clock = options.clock ?? (() => 0);
  const started = clock();
  const rig = buildRig(exp);
  const { twin, clamp, held_V, labels_V } = rig;
  const { steps, t_h_s, substeps } = exp.schedule;
  const datapoints = held_V.length;
  const basis = modeBasis(rig.inputs_V);
  const label = new Float64Array(1);
  const log: LogEntry[] = [];
  const tests = testSteps(exp.schedule);
  const progressEvery = options.progressEvery ?? Math.max(1, Math.round(steps / 200));

  const test = (step: number): void => {
    let outputs: number[];
    try {
      outputs = measureOutputs(rig, step);
    } catch (err) {
      if (err instanceof RunAbortedError) throw new RunAbortedError(err.message, step, log);
      throw err;
    }
    const mse = meanSquaredError(outputs, labels_V);
    // Simulated time in integer nanoseconds, as the signals carry it, so it does not drift.
    log.push({ t_s: (step * Math.round(t_h_s * 1e9)) / 1e9, step, outputs, mse, modes: errorModes(basis, outputs, labels_V), gates_V: Array.from(twin.gates_V) });
    options.onProgress?.({ step, steps, t_s: twin.time_s, mse, wall_s: clock() - started });
  };

  let nextTest = 0;
  for (let step = 0; step < steps; step++) {
    if (step === tests[nextTest]) {
      test(step);
      nextTest++;
    }
    const d = datapointAt(exp.schedule, step, datapoints, rig.scheduleRng);
    twin.selectSlot(d);
    label[0] = labels_V[d];
    twin.learnEnabled = true;
    const r = twin.trainStep(held_V[d], label, clamp, t_h_s, substeps);
    twin.learnEnabled = false;
    if (!r.ok) {
      const f = r.failed;
      throw new RunAbortedError(`training step ${step}: datapoint ${d}: ${f?.copy} solve ${f?.result.status} (residual ${f?.result.residual_A.toExponential(2)} A)`, step, log);
    }
    if (options.onProgress && step % progressEvery === 0 && step !== tests[nextTest - 1]) {
      options.onProgress({ step, steps, t_s: twin.time_s, mse: log[log.length - 1].mse, wall_s: clock() - started });
    }
  }
  test(steps);

  const final = finalState(rig);
  return {
    kind: 'run',
    name: exp.name,
    seed: exp.seed,
    steps,
    wall_s: clock() - started,
    experiment: exp,
    network: { nodeCount: rig.network.nodeCount, edges: Array.from({ length: rig.network.edgeCount }, (_, e) => [rig.network.edgeA[e], rig.network.edgeB[e]] as const), lattice: rig.network.lattice },
    roles: { inputs: [...exp.roles.inputs], rails: exp.roles.rails.map((r) => ({ ...r })), output: { ...exp.roles.output } },
    inputs: rig.inputs_V,
    labels: labels_V,
    modeNames: basis.names,
    log,
    final: { ...final, outputs: log[log.length - 1].outputs },
    summary: summarise(log, basis.names, rig.inputs_V, labels_V),
  };
}

/** Inference power, energy and conductance per edge at the final gates, averaged over datapoints. */
export function finalState(rig: Pick<Rig, 'twin' | 'network' | 'held_V'>): Omit<RunResult['final'], 'outputs'> {
  const { twin, network } = rig;
  const m = network.edgeCount;
  const perEdge = new Float64Array(m);
  const powerPerEdge = new Float64Array(m);
  const conductance = new Float64Array(m);
  const power_W: number[] = [];
  const drain = newDrainResult();
  const perEdgeK = new Float64Array(m);
  // Cold starts: the final figures must not depend on the run's warm-start history, so a
  // replay or another process computes them bit for bit the same.
  twin.resetWarmStart();
  rig.held_V.forEach((held, d) => {
    twin.selectSlot(d);
    twin.infer(held);
    power_W.push(twin.freePower(perEdge));
    freeConductances(twin, network, perEdgeK, drain);
    for (let e = 0; e < m; e++) {
      powerPerEdge[e] += perEdge[e] / rig.held_V.length;
      conductance[e] += perEdgeK[e] / rig.held_V.length;
    }
  });
  const meanPower = power_W.reduce((s, p) => s + p, 0) / power_W.length;
  return {
    gates_V: Array.from(twin.gates_V),
    power_W,
    powerPerEdge_W: Array.from(powerPerEdge),
    energyPerEdge_J: (meanPower * DEFAULT_EQUILIBRATION_TIME_S) / m,
    conductance_S: Array.from(conductance),
  };
}

/**
 * Chord conductance I/ΔV of each edge of the free copy at its current slot voltages (S);
 * an edge with no drop gets its zero-bias slope ∂I/∂ΔV.
 */
export function freeConductances(twin: Rig['twin'], network: Rig['network'], out: Float64Array = new Float64Array(network.edgeCount), drain = newDrainResult()): Float64Array {
  const t = twin.freeTransistors;
  const currents = twin.currents('free');
  const v = twin.freeVoltages_V;
  for (let e = 0; e < network.edgeCount; e++) {
    const dv = v[network.edgeA[e]] - v[network.edgeB[e]];
    if (Math.abs(dv) > 1e-9) out[e] = currents[e] / dv;
    else {
      const vs = v[network.edgeA[e]];
      level1Drain(vs, vs, twin.gates_V[e], t.vto_V[e], t.beta_AperV2[e], t.gamma_sqrtV, t.phi_V, t.lambda_perV, drain);
      out[e] = drain[DRAIN_GDS];
    }
  }
  return out;
}

export function summarise(log: LogEntry[], names: string[], inputs: number[][], labels: number[]): RunSummary {
  const mseStart = log[0].mse;
  const mseEnd = log[log.length - 1].mse;
  const halfTimes = modeHalfTimes(log, names);
  const present = presentModes(log, names);
  const twoInputs = inputs[0].length === 2;
  const modesInOrder = twoInputs ? fellFirstAndLast(halfTimes, 'E00', 'E11', present) : fellInSequence(halfTimes, names.slice(0, 3), present);
  const fall = mseEnd > 0 ? mseStart / mseEnd : Infinity;
  let truthTableCorrect: boolean | undefined;
  const classes = [...new Set(labels)];
  if (twoInputs && classes.length === 2) {
    // Each output must sit on its own label's side of the midpoint between the two labels.
    const mid = (classes[0] + classes[1]) / 2;
    const outputs = log[log.length - 1].outputs;
    truthTableCorrect = outputs.every((o, d) => Math.sign(o - mid) === Math.sign(labels[d] - mid));
  }
  const learned = fall >= 10 && modesInOrder && truthTableCorrect !== false;
  return { mseStart, mseEnd, mseFall: fall, modeHalfTimes_s: halfTimes, modeOrder: fallOrder(halfTimes, names), modesInOrder, ...(truthTableCorrect === undefined ? {} : { truthTableCorrect }), learned };
}
