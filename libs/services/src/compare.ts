/**
 * The twin beside the hardware: a recorded run's measurements against its twin, re-driven on
 * the same recorded inputs — the supervisor's logged signals and the clamp's logged answers
 * (redrive.ts), with every subsystem that ran on a bridge simulated instead. The residual of a
 * measured signal is measured − twin, in ADC codes (node LSB ≈ 1.76 mV, gate LSB ≈ 39 mV):
 * - ADC samples (AdcSampled: the measurement's codes of a node and a gate per demux address);
 * - when the network ran on hardware, its test readings (NodesSettled: every free node and
 *   every gate, as the board's ADC read them).
 * The noise floor is what a perfect twin would leave: the quantisation of one reading
 * (1/√12 code) and the read-out noise averaged over the repeats, √(1/12 + (σ/LSB)²/n).
 * A twin built with a calibrated chip (`twin`) should bring the residuals down to it.
 */
import { decodeDemux, decodeFloat64, nodeCount, stepTime_ns, type Experiment, type Signal } from '@metatwin/contracts';
import { networkOf } from '@metatwin/edge-physics';
import { adcConfig } from '@metatwin/measurement';
import { lsb_V } from '@metatwin/physics';
import { isBridge } from './factory';
import { redriveEdge } from './redrive';

export interface ResidualStats {
  readonly count: number;
  /** Mean residual (codes): a bias the twin does not have. */
  readonly bias_codes: number;
  readonly rms_codes: number;
  readonly maxAbs_codes: number;
}

export type MeasuredSignal = 'adcNode' | 'adcGate' | 'networkNodes' | 'networkGates';
export const MEASURED_SIGNALS: ReadonlyArray<MeasuredSignal> = ['adcNode', 'adcGate', 'networkNodes', 'networkGates'];

export interface CompareReport {
  readonly run: string;
  /** Which subsystems ran on hardware (their PortBound adapters). */
  readonly onHardware: ReadonlyArray<string>;
  /** Per measured signal: its residuals over the whole run (null: the run has none of it). */
  readonly signals: { readonly [K in MeasuredSignal]: ResidualStats | null };
  /** The residual a perfect twin leaves (codes), for node and gate readings. */
  readonly noiseFloor_codes: { readonly node: number; readonly gate: number };
  /** Per test step, the RMS residual of each measured signal (codes). */
  readonly overTime: ReadonlyArray<{ readonly step: number; readonly t_s: number } & { readonly [K in MeasuredSignal]: number | null }>;
  /** ADC samples of the clamped copy, which the twin's test readings do not hold. */
  readonly skippedClampedSamples: number;
}

export interface CompareOptions {
  /** The twin's experiment from the recorded one (a calibrated chip); default: as recorded. */
  readonly twin?: (recorded: Experiment) => Experiment;
}

class Accumulator {
  n = 0;
  sum = 0;
  sumSq = 0;
  maxAbs = 0;
  add(r: number): void {
    this.n++;
    this.sum += r;
    this.sumSq += r * r;
    if (Math.abs(r) > this.maxAbs) this.maxAbs = Math.abs(r);
  }
  rms(): number | null {
    return this.n === 0 ? null : Math.sqrt(this.sumSq / this.n);
  }
  stats(): ResidualStats | null {
    return this.n === 0 ? null : { count: this.n, bias_codes: this.sum / this.n, rms_codes: Math.sqrt(this.sumSq / this.n), maxAbs_codes: this.maxAbs };
  }
}

const key = (step: number, datapoint: number): string => `${step}:${datapoint}`;

export function compareRun(logged: ReadonlyArray<Signal>, options: CompareOptions = {}): CompareReport {
  const created = logged.find((s): s is Signal<'RunCreated'> => s.type === 'RunCreated');
  if (!created) throw new Error('the log holds no RunCreated');
  const exp = created.data.experiment;
  const onHardware = logged.filter((s): s is Signal<'PortBound'> => s.type === 'PortBound' && isBridge(s.data.adapter)).map((s) => s.data.service);
  const networkOnHardware = onHardware.includes('edge-physics');

  // The twin's test readings: every free node and gate at each test datapoint.
  const twin = new Map<string, { free_V: ReadonlyArray<number>; gates_V: Float64Array }>();
  redriveEdge(logged, {
    twin: options.twin,
    onNodes: (s) => {
      if (!s.data.failed) twin.set(key(s.data.step, s.data.datapoint), { free_V: s.data.free_V, gates_V: decodeFloat64(s.data.gates) });
    },
  });

  const adc = adcConfig(exp);
  const nodeLsb = lsb_V(adc.node);
  const gateLsb = lsb_V(adc.gate);
  const toNodeCodes = (v: number): number => (v - adc.node.offset_V) / nodeLsb;
  const toGateCodes = (v: number): number => (v - adc.gate.offset_V) / gateLsb;
  const nodes = nodeCount(exp.network);
  const edges = networkOf(exp.network).edgeCount;

  const whole = { adcNode: new Accumulator(), adcGate: new Accumulator(), networkNodes: new Accumulator(), networkGates: new Accumulator() };
  const perStep = new Map<number, typeof whole>();
  const at = (step: number): typeof whole => {
    let a = perStep.get(step);
    if (!a) perStep.set(step, (a = { adcNode: new Accumulator(), adcGate: new Accumulator(), networkNodes: new Accumulator(), networkGates: new Accumulator() }));
    return a;
  };
  const add = (step: number, signal: MeasuredSignal, r: number): void => {
    whole[signal].add(r);
    at(step)[signal].add(r);
  };

  let skippedClamped = 0;
  // The last logged reading of each sample counts (a restarted service may have logged one twice).
  const samples = new Map<string, Signal<'AdcSampled'>>();
  const readings = new Map<string, Signal<'NodesSettled'>>();
  for (const s of logged) {
    if (s.type === 'AdcSampled') samples.set(`${key(s.data.step, s.data.datapoint)}:${s.data.address}`, s);
    else if (s.type === 'NodesSettled' && s.meta.source === 'edge-physics' && !s.data.failed) readings.set(key(s.data.step, s.data.datapoint), s);
  }
  for (const s of samples.values()) {
    const t = twin.get(key(s.data.step, s.data.datapoint));
    if (!t) continue;
    const sel = decodeDemux(s.data.address, nodes, edges);
    if (sel.copy === 'clamped') skippedClamped++;
    else add(s.data.step, 'adcNode', s.data.nodeCode - toNodeCodes(t.free_V[sel.node]));
    add(s.data.step, 'adcGate', s.data.gateCode - toGateCodes(t.gates_V[sel.edge]));
  }
  if (networkOnHardware)
    for (const s of readings.values()) {
      const t = twin.get(key(s.data.step, s.data.datapoint));
      if (!t) continue;
      s.data.free_V.forEach((v, n) => add(s.data.step, 'networkNodes', (v - t.free_V[n]) / nodeLsb));
      decodeFloat64(s.data.gates).forEach((g, e) => add(s.data.step, 'networkGates', (g - t.gates_V[e]) / gateLsb));
    }

  const n = Math.max(1, exp.quantisation.adcRepeats);
  const sigma = exp.imperfections.readoutNoiseSigma_V;
  const gateSigma = sigma * (adc.gate.fullScale_V / adc.node.fullScale_V);
  const floor = (s: number, lsb: number): number => Math.sqrt(1 / 12 + (s / lsb) ** 2 / n);
  const t_h_s = exp.schedule.t_h_s;
  return {
    run: created.meta.runId,
    onHardware,
    signals: { adcNode: whole.adcNode.stats(), adcGate: whole.adcGate.stats(), networkNodes: whole.networkNodes.stats(), networkGates: whole.networkGates.stats() },
    noiseFloor_codes: { node: floor(sigma, nodeLsb), gate: floor(gateSigma, gateLsb) },
    overTime: [...perStep.entries()]
      .sort(([a], [b]) => a - b)
      .map(([step, a]) => ({
        step,
        t_s: stepTime_ns(step, t_h_s) / 1e9,
        adcNode: a.adcNode.rms(),
        adcGate: a.adcGate.rms(),
        networkNodes: a.networkNodes.rms(),
        networkGates: a.networkGates.rms(),
      })),
    skippedClampedSamples: skippedClamped,
  };
}
