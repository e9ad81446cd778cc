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
 * The clamped copy's transistors and the learning-rule offsets are not in these readings; the
 * chip leaves them to the card and the experiment's draws.
 */
import { nodeCount, type ChipSpec, type Experiment, type Signal } from '@metatwin/contracts';
import { twinOf, type TwinNetwork } from '@metatwin/edge-physics';
import { CHIP_FORMAT } from '@metatwin/experiments';
import { adcConfig } from '@metatwin/measurement';
import { lsb_V } from '@metatwin/physics';
import { applied_V, dacConfig, patchMap } from '@metatwin/supervisor';
import { isBridge } from './factory';
import { levenbergMarquardt } from './least-squares';

export class CalibrationError extends Error {
  override readonly name = 'CalibrationError';
}

/** What one calibration run gives: its gate level and, per input pair, the held voltages and the measured free nodes. */
export interface CalibrationRun {
  readonly run: string;
  readonly experiment: Experiment;
  readonly gate_V: number;
  readonly points: ReadonlyArray<{ readonly held_V: ReadonlyArray<number>; readonly free_V: ReadonlyArray<number> }>;
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
      return { held_V, free_V: s.data.free_V };
    });
  return { run, experiment: exp, gate_V, points };
}

export interface ChipFit {
  /** The chip file's content. */
  readonly chip: ChipSpec & { readonly format: string; readonly edges: number; readonly note: string };
  /** Edges whose k and VTO the readings determine, and those they cannot (between two held nodes). */
  readonly observable: ReadonlyArray<number>;
  readonly unobservable: ReadonlyArray<number>;
  /** RMS of measured − fitted node voltages (ADC codes), against the noise floor of a reading. */
  readonly residualRms_codes: number;
  readonly noiseFloor_codes: number;
  readonly iterations: number;
  readonly readings: number;
  /** The transistor card the fit starts from (and unobservable edges keep). */
  readonly card: { readonly vto_V: number; readonly k_AperV2: number };
}

const SCALE_V = 1e-4;
const GAUGE_WEIGHT = 1e3;

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
  const network = twins[0].network;
  const held = new Uint8Array(network.nodeCount);
  twins[0].heldNodes.forEach((n) => (held[n] = 1));
  const freeNodes = Array.from({ length: nodeCount(exp.network) }, (_, n) => n).filter((n) => held[n] === 0);
  const edges = network.edgeCount;
  const observable: number[] = [];
  const unobservable: number[] = [];
  for (let e = 0; e < edges; e++) (held[network.edgeA[e]] && held[network.edgeB[e]] ? unobservable : observable).push(e);

  const card = twins[0].freeTransistors;
  const vtoCard = card.vto_V[0];
  const lnkCard = Math.log(card.beta_AperV2[0]);
  const P = 2 * observable.length;
  const readings = runs.reduce((n, r) => n + r.points.length * freeNodes.length, 0);
  const M = readings + 1;
  const measured = new Float64Array(readings);
  let i = 0;
  for (const r of runs) for (const p of r.points) for (const n of freeNodes) measured[i++] = p.free_V[n];

  const apply = (theta: Float64Array): void => {
    for (const t of twins)
      observable.forEach((e, j) => {
        t.freeTransistors.vto_V[e] = theta[j];
        t.freeTransistors.beta_AperV2[e] = Math.exp(theta[observable.length + j]);
      });
  };
  const model = (theta: Float64Array, out: Float64Array): boolean => {
    apply(theta);
    let k = 0;
    for (let t = 0; t < twins.length; t++) {
      const twin = twins[t];
      for (let d = 0; d < runs[t].points.length; d++) {
        twin.selectSlot(d);
        twin.applyHeld(runs[t].points[d].held_V);
        if (twin.solveFree().status !== 'converged') return false;
        const v = twin.freeVoltages_V;
        for (const n of freeNodes) out[k++] = v[n];
      }
    }
    return true;
  };
  const predicted = new Float64Array(readings);
  const shifted = new Float64Array(readings);
  const residual = (theta: Float64Array, out: Float64Array): boolean => {
    if (!model(theta, predicted)) return false;
    for (let m = 0; m < readings; m++) out[m] = (predicted[m] - measured[m]) / SCALE_V;
    let lnk = 0;
    for (let j = 0; j < observable.length; j++) lnk += theta[observable.length + j];
    out[readings] = GAUGE_WEIGHT * (lnk - observable.length * lnkCard);
    return true;
  };
  const H = 1e-5;
  const jacobian = (theta: Float64Array, _r: Float64Array, J: Float64Array): void => {
    model(theta, predicted);
    for (let j = 0; j < P; j++) {
      const moved = Float64Array.from(theta);
      moved[j] += H;
      model(moved, shifted);
      for (let m = 0; m < readings; m++) J[m * P + j] = (shifted[m] - predicted[m]) / H / SCALE_V;
      J[readings * P + j] = j >= observable.length ? GAUGE_WEIGHT : 0;
    }
    model(theta, predicted); // the twins' warm starts back at θ
  };
  const theta0 = new Float64Array(P);
  theta0.fill(vtoCard, 0, observable.length);
  theta0.fill(lnkCard, observable.length);
  const fit = levenbergMarquardt({ parameters: P, residuals: M, residual, jacobian }, theta0, 40, 0);

  const vto_V = Array.from(card.vto_V);
  const k_AperV2 = Array.from(card.beta_AperV2);
  observable.forEach((e, j) => {
    vto_V[e] = fit.theta[j];
    k_AperV2[e] = Math.exp(fit.theta[observable.length + j]);
  });
  const adc = adcConfig(exp);
  const lsb = lsb_V(adc.node);
  const repeats = Math.max(1, exp.quantisation.adcRepeats);
  residual(fit.theta, new Float64Array(M)); // `predicted` at the fit
  let ss = 0;
  for (let m = 0; m < readings; m++) ss += (predicted[m] - measured[m]) ** 2;
  return {
    chip: {
      format: CHIP_FORMAT,
      edges,
      note: `fitted by metatwin calibrate from runs ${runs.map((r) => r.run).join(', ')} at gate levels ${[...levels].join(', ')} V; free copy only; edges ${unobservable.join(', ') || 'none'} join two held nodes and keep the card's values`,
      free: { vto_V, k_AperV2 },
      clamped: null,
      learningOffsets_V2: null,
    },
    observable,
    unobservable,
    residualRms_codes: Math.sqrt(ss / readings) / lsb,
    noiseFloor_codes: Math.sqrt(1 / 12 + (exp.imperfections.readoutNoiseSigma_V / lsb) ** 2 / repeats),
    iterations: fit.iterations,
    readings,
    card: { vto_V: vtoCard, k_AperV2: Math.exp(lnkCard) },
  };
}
