/**
 * 8-bit conversions of the supervisor's DAC and the measurement ADC (paper Appendix E).
 * A converter with full scale FS and b bits has LSB = FS / 2^b and codes 0 … 2^b − 1;
 * a value is converted to the nearest code, saturating at the ends.
 */

export interface Converter {
  /** Full-scale voltage (V): code 2^bits would be this value. */
  readonly fullScale_V: number;
  /** Resolution in bits (the paper's hardware: 8). */
  readonly bits: number;
  /** Lowest representable voltage (V): 0 for unipolar, −fullScale_V for the bipolar label line. */
  readonly offset_V: number;
}

/** The DAC driving network nodes: 0 … 0.45 V (5 V over an ×1/11 buffer), LSB ≈ 1.76 mV. */
export const NODE_DAC: Converter = Object.freeze({ fullScale_V: 0.45, bits: 8, offset_V: 0 });
/** Node ADC path: ×11 gain into the 5 V ADC, so the same ≈ 1.76 mV LSB over 0 … 0.45 V. */
export const NODE_ADC: Converter = Object.freeze({ fullScale_V: 0.45, bits: 8, offset_V: 0 });
/** Gate ADC path: ×½ into the 5 V ADC, LSB = 10 V / 256 ≈ 39 mV over 0 … 10 V. */
export const GATE_ADC: Converter = Object.freeze({ fullScale_V: 10, bits: 8, offset_V: 0 });

/**
 * A differential label line's converter (paper Fig. 9B): the label circuit takes X + L with
 * X = V_max/2, so the same bits and LSB span −V_max/2 … +V_max/2.
 */
export function labelLineConverter(c: Converter): Converter {
  const x = c.fullScale_V / 2;
  return { fullScale_V: c.fullScale_V - x, offset_V: -x, bits: c.bits };
}

export function lsb_V(c: Converter): number {
  return (c.fullScale_V - c.offset_V) / (1 << c.bits);
}

export function validateConverter(c: Converter, where: string): void {
  if (!(c.fullScale_V > c.offset_V) || !Number.isFinite(c.fullScale_V) || !Number.isFinite(c.offset_V)) {
    throw new RangeError(`${where}: full scale must exceed the offset, got ${c.offset_V} … ${c.fullScale_V} V`);
  }
  if (!Number.isInteger(c.bits) || c.bits < 1 || c.bits > 24) {
    throw new RangeError(`${where}: bits must be an integer in 1..24, got ${c.bits}`);
  }
}

/** Nearest code for a voltage, saturating at 0 and 2^bits − 1. */
export function toCode(c: Converter, v_V: number): number {
  const max = (1 << c.bits) - 1;
  const code = Math.round((v_V - c.offset_V) / lsb_V(c));
  if (!(code > 0)) return 0; // also maps NaN to 0 rather than propagating it
  return code > max ? max : code;
}

/** Voltage of a code. */
export function fromCode(c: Converter, code: number): number {
  return c.offset_V + code * lsb_V(c);
}

/** Round a voltage to what the converter can produce or read. */
export function quantise(c: Converter, v_V: number): number {
  return fromCode(c, toCode(c, v_V));
}
