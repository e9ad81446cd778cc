/**
 * The supervisor's hardware simulated: 8-bit DAC codes (or exact volts when the experiment
 * turns quantisation off), the AD5220 wiper's 128 positions, and lines that switch at once.
 */
import type { Experiment } from '@metatwin/contracts';
import { dacConverter, type DacConfig } from '../dac';
import { toCode, type Converter } from '@metatwin/physics';
import type { DacRequest, DacWrite, SupervisorPort, WiperSetting } from '../port';
import { dacConfig, patchMap } from '../wiring';

/** The AD5220 digital potentiometer of the clamp (paper Appendix E.1). */
export const WIPER_POSITIONS = 128;

export class SupervisorSim implements SupervisorPort {
  private readonly dac: DacConfig;
  /** Each channel's converter (the label line's is bipolar when differential). */
  private readonly converters: ReadonlyArray<Converter>;

  constructor(exp: Experiment) {
    this.dac = dacConfig(exp);
    this.converters = patchMap(exp).map((t) => dacConverter(this.dac, t));
  }

  /** The codes of a write list seen before: a run writes the same few lists again and again. */
  private readonly latched = new WeakMap<ReadonlyArray<DacRequest>, ReadonlyArray<DacWrite>>();

  writeDac(_t_ns: number, writes: ReadonlyArray<DacRequest>): ReadonlyArray<DacWrite> {
    const seen = this.latched.get(writes);
    if (seen !== undefined) return seen;
    const out: DacWrite[] = [];
    for (const { channel, volts } of writes) {
      const converter = this.converters[channel];
      if (converter === undefined) throw new RangeError(`DAC channel ${channel} is not wired (the patch map has ${this.converters.length} channels)`);
      const code = toCode(converter, volts);
      out.push(this.dac.quantise ? { channel, code } : { channel, code, volts });
    }
    this.latched.set(writes, out);
    return out;
  }

  pulseLearnEnable(): void {}

  setPotentiometer(_t_ns: number, eta: number): WiperSetting {
    return { position: wiperPosition(eta, WIPER_POSITIONS), positions: WIPER_POSITIONS };
  }

  selectDemux(): void {}
}

/** Wiper position (0 … positions−1) that realises η most closely. */
export function wiperPosition(eta: number, positions: number): number {
  if (!(eta >= 0 && eta <= 1)) throw new RangeError(`eta must be in [0, 1], got ${eta}`);
  return Math.round(eta * (positions - 1));
}
