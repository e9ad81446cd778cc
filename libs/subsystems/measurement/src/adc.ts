/**
 * The measurement path (paper Appendix E.4): unity-gain buffers on every node and gate,
 * a demultiplexer chosen by a 5-bit address, and an 8-bit ADC reading the selected node
 * (×11 gain, LSB ≈ 1.76 mV) and gate (×½, LSB ≈ 39 mV). Each reading is repeated and
 * averaged; optional Gaussian read-out noise is added before quantisation, where it
 * dithers the average below one LSB as on the bench.
 */
import { GATE_ADC, NODE_ADC, Rng, toCode, lsb_V, validateConverter, type Converter } from '@metatwin/physics';

export interface AdcConfig {
  /** Quantise readings (false gives the exact voltage plus noise). */
  readonly quantise: boolean;
  readonly node: Converter;
  readonly gate: Converter;
  /** Repeats averaged per reading (≥ 1). */
  readonly repeats: number;
  /** σ of read-out noise per repeat (V), referred to the node; gates scale it by their full scale. */
  readonly noiseSigma_V: number;
}

export const PAPER_ADC: AdcConfig = Object.freeze({ quantise: true, node: NODE_ADC, gate: GATE_ADC, repeats: 1, noiseSigma_V: 0 });

export interface AdcReading {
  /** Mean code over the repeats (fractional when averaged). */
  readonly code: number;
  /** The reading in volts. */
  readonly volts: number;
  readonly repeats: number;
}

export function validateAdc(c: AdcConfig): void {
  validateConverter(c.node, 'adc.node');
  validateConverter(c.gate, 'adc.gate');
  if (!Number.isInteger(c.repeats) || c.repeats < 1) throw new RangeError(`adc.repeats must be an integer ≥ 1, got ${c.repeats}`);
  if (!(c.noiseSigma_V >= 0) || !Number.isFinite(c.noiseSigma_V)) throw new RangeError(`adc.noiseSigma_V must be ≥ 0 V, got ${c.noiseSigma_V}`);
}

/** Read one voltage through a converter path: noise, quantise, average. */
export function readVoltage(config: AdcConfig, converter: Converter, v_V: number, rng: Rng | null): AdcReading {
  const lsb = lsb_V(converter);
  const sigma = converter === config.node ? config.noiseSigma_V : config.noiseSigma_V * (converter.fullScale_V / config.node.fullScale_V);
  // Unrounded readings still saturate at the converter's ends, as the ADC does.
  const top = 2 ** converter.bits - 1;
  let sum = 0;
  for (let r = 0; r < config.repeats; r++) {
    const noisy = sigma > 0 && rng !== null ? v_V + sigma * rng.normal() : v_V;
    const raw = (noisy - converter.offset_V) / lsb;
    sum += config.quantise ? toCode(converter, noisy) : raw < 0 ? 0 : raw > top ? top : raw;
  }
  const code = sum / config.repeats;
  return { code, volts: converter.offset_V + code * lsb, repeats: config.repeats };
}

/** Read a node voltage (V). */
export function readNode(config: AdcConfig, v_V: number, rng: Rng | null): AdcReading {
  return readVoltage(config, config.node, v_V, rng);
}

/** Read a gate voltage (V). */
export function readGate(config: AdcConfig, g_V: number, rng: Rng | null): AdcReading {
  return readVoltage(config, config.gate, g_V, rng);
}
