/**
 * Fitting a chip: each edge's k and VTO (the free copy's transistors) from chip-calibration
 * runs whose network ran on hardware — the board's free-copy node voltages, read through the
 * ADC at test step 0 (learning not yet on, so the gates are the run's known uniform level),
 * at many input pairs, once per gate level.
 *
 * Why several gate levels: an edge's channel conductance goes as k·(G − VTO − V̄). At one
 * level the node voltages pin only that product, and k against VTO only through the small
 * spread of V̄; levels far apart separate them. What the node voltages cannot tell:
 * - the common scale of every k (a network of conductances divides voltages by their ratios):
 *   fixed by holding the mean ln k at the card's;
 * - an edge between two held nodes (inputs, rails): no free node sees its current. Such edges
 *   keep the card's values and are listed as unobservable.
 * The clamped copy is fitted the same way from its own node readings (addresses 16–31), with
 * its outputs held where the board's clamp held them (their readings).
 *
 * The learning-rule offsets show only while learning: the runs learn for a while after step
 * 0, and each later test reads every gate (ADC, averaged over the test's datapoints). An
 * offset adds offset/(V0·R0·C0) to its gate's rate, so, with both copies fitted, the gap
 * between the read gates and the twin's re-driven ones (redrive.ts: the run's own inputs and
 * clamp answers) grows as offset × t/(V0·R0·C0); a few re-drives with the offsets found so far
 * settle it. Gates at the diode floor are left out (the floor hides their drift).
 */
import { decodeFloat64, type ChipSpec, type Experiment, type Signal } from '@metatwin/contracts';
import { learningTimeScale_Vs, networkOf, twinOf, type TwinNetwork } from '@metatwin/edge-physics';
import { CHIP_FORMAT } from '@metatwin/experiments';
import { adcConfig } from '@metatwin/measurement';
import { lsb_V } from '@metatwin/physics';
import { applied_V, dacConfig, patchMap } from '@metatwin/supervisor';
import { isBridge } from './factory';
import { levenbergMarquardt } from './least-squares';
import { redriveEdge } from './redrive';

export class CalibrationError extends Error {
  override readonly name = 'CalibrationError';
}

export interface CalibrationPoint {
  readonly held_V: ReadonlyArray<number>;
  readonly free_V: ReadonlyArray<number>;
  /** The clamped copy's nodes, where the board's ADC read them. */
  readonly clamped_V?: ReadonlyArray<number>;
}

/** What one calibration run gives: its gate level and, per input pair, the held voltages and the measured free nodes. */
export interface CalibrationRun {
  readonly run: string;
  /** The run's signals, for re-driving its learning (the offsets); null when it has no test after learning. */
  readonly logged: ReadonlyArray<Signal> | null;
  readonly experiment: Experiment;
  readonly gate_V: number;
  readonly points: ReadonlyArray<CalibrationPoint>;
}

/** A run's calibration readings; a run that cannot calibrate (simulated network, no step-0 readings, uneven gates) is named with the reason. */
export function calibrationRun(logged: ReadonlyArray<Signal>): CalibrationRun {
  const created = logged.find((s): s is Signal<'RunCreated'> => s.type === 'RunCreated');
  if (!created) throw new CalibrationError('the log holds no RunCreated');
  const run = created.meta.runId;
  const exp = created.data.experiment;
  const bound = logged.find((s): s is Signal<'PortBound'> => s.type === 'PortBound' && s.data.service === 'edge-physics');
  if (!isBridge(bound?.data.adapter ?? exp.rig['edge-physics']))
    throw new CalibrationError(
      `run ${run}: its network was simulated (edge physics on "${bound?.data.adapter ?? exp.rig['edge-physics']}"); calibration needs a run whose network ran on hardware`,
    );
  const gate_V = exp.initialGates_V[0];
  if (exp.initialGates_V.some((g) => g !== gate_V)) throw new CalibrationError(`run ${run}: its initial gates are not one uniform level`);
  const dac = dacConfig(exp);
  const targets = patchMap(exp);
  const readings = new Map<number, Signal<'NodesSettled'>>();
  for (const s of logged) if (s.type === 'NodesSettled' && s.meta.source === 'edge-physics' && s.data.step === 0 && !s.data.failed) readings.set(s.data.datapoint, s);
  if (readings.size === 0) throw new CalibrationError(`run ${run}: no test readings at step 0 (before learning); run the chip-calibration preset`);
  const points = [...readings.entries()]
    .sort(([a], [b]) => a - b)
    .map(([d, s]) => {
      const requested = [...exp.dataset.inputs[d], ...exp.roles.rails.map((r) => r.volts)];
      // What the DAC put on the held nodes (inputs, then rails), as the supervisor wrote it.
      const held_V = requested.map((v, channel) => applied_V(dac, targets[channel], v));
      return { held_V, free_V: s.data.free_V, ...(s.data.clamped_V ? { clamped_V: s.data.clamped_V } : {}) };
    });
  const learned = logged.some((s) => s.type === 'NodesSettled' && s.meta.source === 'edge-physics' && s.data.step > 0 && !s.data.failed);
  return { run, experiment: exp, gate_V, points, logged: learned ? logged : null };
}

/** One copy's fit: its per-edge parameters, which edges the readings see, how well it fits. */
export interface CopyFit {
  readonly vto_V: number[];
  readonly k_AperV2: number[];
  readonly observable: ReadonlyArray<number>;
  /** Edges between two nodes the copy holds (inputs, rails; the clamped copy's outputs too): no reading sees them. */
  readonly unobservable: ReadonlyArray<number>;
  /** RMS of measured − fitted node voltages (ADC codes). */
  readonly residualRms_codes: number;
  readonly readings: number;
  readonly iterations: number;
}

export interface ChipFit {
  /** The chip file's content. */
  readonly chip: ChipSpec & { readonly format: string; readonly edges: number; readonly note: string };
  readonly free: CopyFit;
  /** Null when the runs hold no readings of the clamped copy. */
  readonly clamped: CopyFit | null;
  /** Null when no run learned (the chip then leaves the offsets to the experiment's draws). */
  readonly offsets: OffsetFit | null;
  /** A reading's noise floor (ADC codes). */
  readonly noiseFloor_codes: number;
  /** The transistor card the fit starts from (and unobservable edges keep). */
  readonly card: { readonly vto_V: number; readonly k_AperV2: number };
}

const SCALE_V = 1e-4;
const GAUGE_WEIGHT = 1e3;
const STEP = 1e-5;

/** How one copy is read: its fixed nodes, and its node voltages at a point for the twin's present transistors. */
interface CopyModel {
  readonly name: 'free' | 'clamped';
  readonly fixed: (twin: TwinNetwork) => ReadonlySet<number>;
  readonly measured: (p: CalibrationPoint) => ReadonlyArray<number>;
  readonly transistors: (twin: TwinNetwork) => TwinNetwork['freeTransistors'];
  /** Solve the copy at point p; its node voltages, or null when Newton failed. */
  readonly solve: (twin: TwinNetwork, p: CalibrationPoint) => Float64Array | null;
}

const FREE: CopyModel = {
  name: 'free',
  fixed: (twin) => new Set(twin.heldNodes),
  measured: (p) => p.free_V,
  transistors: (twin) => twin.freeTransistors,
  solve: (twin, p) => {
    twin.applyHeld(p.held_V);
    return twin.solveFree().status === 'converged' ? twin.freeVoltages_V : null;
  },
};

const CLAMPED: CopyModel = {
  name: 'clamped',
  fixed: (twin) => new Set([...twin.heldNodes, ...twin.outputNodes]),
  measured: (p) => p.clamped_V ?? [],
  transistors: (twin) => twin.clampedTransistors,
  solve: (twin, p) => {
    const clamped = p.clamped_V ?? [];
    twin.applyHeld(p.held_V);
    twin.applyClamp(Array.from(twin.outputNodes, (n) => clamped[n]));
    return twin.solveClamped().status === 'converged' ? twin.clampedVoltages_V : null;
  },
};

export function fitChip(runs: ReadonlyArray<CalibrationRun>): ChipFit {
  if (runs.length === 0) throw new CalibrationError('no calibration runs');
  const exp = runs[0].experiment;
  const levels = new Set(runs.map((r) => r.gate_V));
  if (levels.size < 2)
    throw new CalibrationError(
      `the runs are all at gate level ${[...levels][0]} V: k and VTO need runs at two or more levels (the chip-calibration preset's 1.2, 1.6, 2.5, 3.5 V)`,
    );
  for (const r of runs)
    if (JSON.stringify(r.experiment.network) !== JSON.stringify(exp.network) || JSON.stringify(r.experiment.roles) !== JSON.stringify(exp.roles))
      throw new CalibrationError(`run ${r.run}: its network or node roles differ from run ${runs[0].run}'s; calibrate runs of one board`);
  // One twin per run (its gate level), at the card: no mismatch, no chip.
  const nominal: Experiment = { ...exp, imperfections: { ...exp.imperfections, mismatch: null, learningOffsetSigma_V2: 0, chip: undefined } };
  const twins: TwinNetwork[] = runs.map((r) =>
    twinOf({ ...nominal, dataset: { inputs: r.points.map(() => [0]), labels: r.points.map(() => 0) }, initialGates_V: nominal.initialGates_V.map(() => r.gate_V) }),
  );
  const card = { vto_V: twins[0].freeTransistors.vto_V[0], k_AperV2: twins[0].freeTransistors.beta_AperV2[0] };
  const free = fitCopy(FREE, runs, twins, card);
  const withClamped = runs.every((r) => r.points.every((p) => p.clamped_V !== undefined));
  const clamped = withClamped ? fitCopy(CLAMPED, runs, twins, card) : null;
  const learning = runs.filter((r) => r.logged !== null);
  const transistors = { free: { vto_V: free.vto_V, k_AperV2: free.k_AperV2 }, clamped: clamped && { vto_V: clamped.vto_V, k_AperV2: clamped.k_AperV2 } };
  const offsets = learning.length > 0 ? fitOffsets(learning, transistors) : null;
  const lsb = lsb_V(adcConfig(exp).node);
  const repeats = Math.max(1, exp.quantisation.adcRepeats);
  const unseen = (c: CopyFit | null, name: string): string =>
    c === null ? `the ${name} copy was not read (the card's)` : `${name} copy: edges ${c.unobservable.join(', ') || 'none'} unobservable (the card's)`;
  return {
    chip: {
      format: CHIP_FORMAT,
      edges: twins[0].network.edgeCount,
      note: `fitted by metatwin calibrate from runs ${runs.map((r) => r.run).join(', ')} at gate levels ${[...levels].join(', ')} V; ${unseen(free, 'free')}; ${unseen(clamped, 'clamped')}; ${offsets ? 'learning-rule offsets from the gates read while learning' : 'learning-rule offsets not fitted (no run learned)'}`,
      ...transistors,
      learningOffsets_V2: offsets && offsets.offsets_V2,
    },
    free,
    clamped,
    offsets,
    noiseFloor_codes: Math.sqrt(1 / 12 + (exp.imperfections.readoutNoiseSigma_V / lsb) ** 2 / repeats),
    card,
  };
}

/** Levenberg–Marquardt over one copy's observable edges: (VTO, ln k) each, the mean ln k held at the card's. */
function fitCopy(copy: CopyModel, runs: ReadonlyArray<CalibrationRun>, twins: ReadonlyArray<TwinNetwork>, card: { vto_V: number; k_AperV2: number }): CopyFit {
  const network = twins[0].network;
  const fixed = copy.fixed(twins[0]);
  const nodes = Array.from({ length: network.nodeCount }, (_, n) => n).filter((n) => !fixed.has(n));
  const observable: number[] = [];
  const unobservable: number[] = [];
  for (let e = 0; e < network.edgeCount; e++) (fixed.has(network.edgeA[e]) && fixed.has(network.edgeB[e]) ? unobservable : observable).push(e);
  const E = observable.length;
  const P = 2 * E;
  const readings = runs.reduce((n, r) => n + r.points.length * nodes.length, 0);
  const measured = new Float64Array(readings);
  let i = 0;
  for (const r of runs) for (const p of r.points) for (const n of nodes) measured[i++] = copy.measured(p)[n];
  const lnkCard = Math.log(card.k_AperV2);

  const model = (theta: Float64Array, out: Float64Array): boolean => {
    for (const t of twins) {
      const tr = copy.transistors(t);
      observable.forEach((e, j) => {
        tr.vto_V[e] = theta[j];
        tr.beta_AperV2[e] = Math.exp(theta[E + j]);
      });
    }
    let k = 0;
    for (let t = 0; t < twins.length; t++)
      for (let d = 0; d < runs[t].points.length; d++) {
        twins[t].selectSlot(d);
        const v = copy.solve(twins[t], runs[t].points[d]);
        if (v === null) return false;
        for (const n of nodes) out[k++] = v[n];
      }
    return true;
  };
  const predicted = new Float64Array(readings);
  const shifted = new Float64Array(readings);
  const residual = (theta: Float64Array, out: Float64Array): boolean => {
    if (!model(theta, predicted)) return false;
    for (let m = 0; m < readings; m++) out[m] = (predicted[m] - measured[m]) / SCALE_V;
    let lnk = 0;
    for (let j = 0; j < E; j++) lnk += theta[E + j];
    out[readings] = GAUGE_WEIGHT * (lnk - E * lnkCard);
    return true;
  };
  const jacobian = (theta: Float64Array, _r: Float64Array, J: Float64Array): void => {
    model(theta, predicted);
    for (let j = 0; j < P; j++) {
      const moved = Float64Array.from(theta);
      moved[j] += STEP;
      model(moved, shifted);
      for (let m = 0; m < readings; m++) J[m * P + j] = (shifted[m] - predicted[m]) / STEP / SCALE_V;
      J[readings * P + j] = j >= E ? GAUGE_WEIGHT : 0;
    }
    model(theta, predicted); // the twins' warm starts back at θ
  };
  const theta0 = new Float64Array(P);
  theta0.fill(card.vto_V, 0, E);
  theta0.fill(lnkCard, E);
  const fit = levenbergMarquardt({ parameters: P, residuals: readings + 1, residual, jacobian }, theta0, 40, 0);
  residual(fit.theta, new Float64Array(readings + 1)); // `predicted` at the fit
  let ss = 0;
  for (let m = 0; m < readings; m++) ss += (predicted[m] - measured[m]) ** 2;
  const vto_V = new Array<number>(network.edgeCount).fill(card.vto_V);
  const k_AperV2 = new Array<number>(network.edgeCount).fill(card.k_AperV2);
  observable.forEach((e, j) => {
    vto_V[e] = fit.theta[j];
    k_AperV2[e] = Math.exp(fit.theta[E + j]);
  });
  const lsb = lsb_V(adcConfig(runs[0].experiment).node);
  return { vto_V, k_AperV2, observable, unobservable, residualRms_codes: Math.sqrt(ss / readings) / lsb, readings, iterations: fit.iterations };
}

export interface OffsetFit {
  readonly offsets_V2: number[];
  /** Gate readings used (edge × test step × run), and the RMS of read − re-driven gates at the fit (ADC codes). */
  readonly samples: number;
  readonly residualRms_codes: number;
  readonly iterations: number;
}

const OFFSET_ITERATIONS = 4;
/** Gates this close to the diode floor (V) are left out: the floor hides their drift. */
const FLOOR_MARGIN_V = 0.1;

function fitOffsets(runs: ReadonlyArray<CalibrationRun>, transistors: Pick<ChipSpec, 'free' | 'clamped'>): OffsetFit {
  const exp = runs[0].experiment;
  const edges = networkOf(exp.network).edgeCount;
  const offsets = new Array<number>(edges).fill(0);
  // The gates the board's ADC read at each test after step 0, averaged over the test's datapoints.
  const read = runs.map((r) => meanGatesByStep(r.logged ?? [], (s) => s.meta.source === 'edge-physics'));
  let residualRms = 0;
  let samples = 0;
  for (let it = 0; it < OFFSET_ITERATIONS; it++) {
    const sumXR = new Float64Array(edges);
    const sumXX = new Float64Array(edges);
    let ss = 0;
    samples = 0;
    runs.forEach((r, i) => {
      const chip: ChipSpec = { ...transistors, learningOffsets_V2: offsets.slice() };
      const twin = new Map<number, Float64Array>();
      redriveEdge(r.logged ?? [], {
        twin: (e) => ({ ...e, imperfections: { ...e.imperfections, chip } }),
        onNodes: (s) => {
          if (!s.data.failed && !twin.has(s.data.step)) twin.set(s.data.step, decodeFloat64(s.data.gates));
        },
      });
      const scale = learningTimeScale_Vs(r.experiment.learning);
      const floor = r.experiment.learning.gMin_V + FLOOR_MARGIN_V;
      for (const [step, measured] of read[i]) {
        const predicted = twin.get(step);
        if (!predicted || step === 0) continue;
        const x = (step * r.experiment.schedule.t_h_s) / scale; // ∂G/∂offset (V per V²)
        for (let e = 0; e < edges; e++) {
          if (predicted[e] < floor || measured[e] < floor) continue;
          const residual = measured[e] - predicted[e];
          sumXR[e] += x * residual;
          sumXX[e] += x * x;
          ss += residual * residual;
          samples++;
        }
      }
    });
    residualRms = samples > 0 ? Math.sqrt(ss / samples) : 0;
    for (let e = 0; e < edges; e++) if (sumXX[e] > 0) offsets[e] += sumXR[e] / sumXX[e];
  }
  const gateLsb = lsb_V(adcConfig(exp).gate);
  return { offsets_V2: offsets, samples, residualRms_codes: residualRms / gateLsb, iterations: OFFSET_ITERATIONS };
}

/** Mean gate readings per test step (over the step's datapoints) from NodesSettled signals. */
function meanGatesByStep(logged: ReadonlyArray<Signal>, accept: (s: Signal<'NodesSettled'>) => boolean): Map<number, Float64Array> {
  const sums = new Map<number, { sum: Float64Array; n: number }>();
  for (const s of logged) {
    if (s.type !== 'NodesSettled' || s.data.failed || !accept(s)) continue;
    const g = decodeFloat64(s.data.gates);
    let acc = sums.get(s.data.step);
    if (!acc) sums.set(s.data.step, (acc = { sum: new Float64Array(g.length), n: 0 }));
    for (let e = 0; e < g.length; e++) acc.sum[e] += g[e];
    acc.n++;
  }
  return new Map([...sums].map(([step, { sum, n }]) => [step, sum.map((x) => x / n)]));
}
