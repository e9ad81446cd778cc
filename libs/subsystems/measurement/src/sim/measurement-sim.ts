/**
 * The demux and ADC simulated: the selected node and gate read through the 8-bit ADC with
 * the experiment's repeats and read-out noise. Noise is drawn from a generator seeded by
 * (seed, step, datapoint, address), so a sample does not depend on the order in which
 * messages happened to arrive, nor on how often it is asked for.
 */
import type { Experiment } from '@metatwin/contracts';
import { GATE_ADC, NODE_ADC, Rng } from '@metatwin/physics';
import { PAPER_ADC, readGate, readNode, type AdcConfig } from '../adc';
import type { AdcCodes, AnalogInput, MeasurementPort, SampleAt } from '../port';

export function adcConfig(exp: Experiment): AdcConfig {
  return {
    ...PAPER_ADC,
    quantise: exp.quantisation.adc,
    node: NODE_ADC,
    gate: GATE_ADC,
    repeats: exp.quantisation.adcRepeats,
    noiseSigma_V: exp.imperfections.readoutNoiseSigma_V,
  };
}

export class MeasurementSim implements MeasurementPort {
  private readonly adc: AdcConfig;
  private readonly seed: number;

  constructor(exp: Experiment) {
    this.adc = adcConfig(exp);
    this.seed = exp.seed;
  }

  select(): void {}

  sample(_t_ns: number, at: SampleAt, analog: AnalogInput): AdcCodes {
    const rng = this.adc.noiseSigma_V > 0 ? new Rng((this.seed * 2654435761 + at.step * 40503 + at.datapoint * 977 + at.address) >>> 0) : null;
    const n = readNode(this.adc, analog.node_V, rng);
    const g = readGate(this.adc, analog.gate_V, rng);
    return { nodeCode: n.code, gateCode: g.code, repeats: n.repeats };
  }
}
