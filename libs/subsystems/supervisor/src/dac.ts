/**
 * The supervisor's DAC (paper Appendix E.3): 8 channels of 8-bit codes per board (boards
 * chain, up to DAC_CHANNEL_COUNT channels), 0 … V_max with
 * V_max ≈ 5 V/11 ≈ 0.45 V (LSB ≈ 1.76 mV), wired by hand to network nodes or label lines
 * (the patch map). A single-ended label line is a node voltage (0 … V_max). A
 * differential label may be negative: the label circuit of Fig. 9B takes X + L with
 * X = V_max/2, so that channel's code c means L = c·LSB − V_max/2 (−0.225 … +0.223 V),
 * still 8 bits with the same LSB.
 */
import { DAC_CHANNEL_COUNT } from '@metatwin/contracts';
import { NODE_DAC, fromCode, labelLineConverter, toCode, type Converter } from '@metatwin/physics';

export type PatchTarget = { readonly kind: 'node'; readonly node: number } | { readonly kind: 'label'; readonly output: number; readonly differential?: boolean };

/** Which DAC channel drives which network node or label line. */
export type PatchMap = ReadonlyArray<PatchTarget>;

export interface DacConfig {
  /** Quantise applied voltages to DAC codes (false applies them exactly). */
  readonly quantise: boolean;
  readonly converter: Converter;
}

export const PAPER_DAC: DacConfig = Object.freeze({ quantise: true, converter: NODE_DAC });

/** The converter a channel wired to `target` uses. */
export function dacConverter(config: DacConfig, target: PatchTarget): Converter {
  return target.kind === 'label' && target.differential ? labelLineConverter(config.converter) : config.converter;
}

export function validatePatchMap(map: PatchMap, nodeCount: number, outputs: number): void {
  if (map.length > DAC_CHANNEL_COUNT) throw new RangeError(`patch map uses ${map.length} channels; a chain of DACs has at most ${DAC_CHANNEL_COUNT}`);
  const seen = new Set<string>();
  map.forEach((t, ch) => {
    if (t.kind === 'node') {
      if (!Number.isInteger(t.node) || t.node < 0 || t.node >= nodeCount) throw new RangeError(`patch[${ch}].node must be in 0..${nodeCount - 1}, got ${t.node}`);
    } else if (t.kind === 'label') {
      if (!Number.isInteger(t.output) || t.output < 0 || t.output >= outputs) throw new RangeError(`patch[${ch}].output must be in 0..${outputs - 1}, got ${t.output}`);
    } else {
      throw new RangeError(`patch[${ch}].kind must be "node" or "label"`);
    }
    const key = t.kind === 'node' ? `n${t.node}` : `l${t.output}`;
    if (seen.has(key)) throw new RangeError(`patch[${ch}] drives a target another channel already drives`);
    seen.add(key);
  });
}

/** Code written to a channel for a wanted voltage. */
export function dacCode(config: DacConfig, target: PatchTarget, v_V: number): number {
  return toCode(dacConverter(config, target), v_V);
}

/** Voltage a channel produces for a code. */
export function dacVoltage(config: DacConfig, target: PatchTarget, code: number): number {
  const c = dacConverter(config, target);
  const max = 2 ** c.bits - 1;
  if (!Number.isInteger(code) || code < 0 || code > max) throw new RangeError(`DAC code must be an integer in 0..${max}, got ${code}`);
  return fromCode(c, code);
}

/** What the network actually sees for a wanted voltage (identity when quantisation is off). */
export function applied_V(config: DacConfig, target: PatchTarget, v_V: number): number {
  return config.quantise ? dacVoltage(config, target, dacCode(config, target, v_V)) : v_V;
}
