import { Rng } from '@metatwin/physics';
import { PAPER_ADC, readGate, readNode } from './adc';
import { decodeDemux, encodeDemux } from '@metatwin/contracts';

describe('ADC and demux', () => {
  it('reads nodes with a 0.45/256 V LSB and gates with 10/256 V', () => {
    const n = readNode(PAPER_ADC, 0.2, null);
    expect(n.code).toBe(Math.round(0.2 / (0.45 / 256)));
    expect(Math.abs(n.volts - 0.2)).toBeLessThanOrEqual(0.45 / 512);
    const g = readGate(PAPER_ADC, 3.3, null);
    expect(g.code).toBe(Math.round(3.3 / (10 / 256)));
    expect(readNode(PAPER_ADC, 0.6, null).code).toBe(255); // saturates
    expect(readNode(PAPER_ADC, -0.1, null).code).toBe(0);
  });

  it('averaging noisy repeats resolves below one LSB', () => {
    const lsb = 0.45 / 256;
    const v = (114 + 0.4) * lsb;
    const cfg = { ...PAPER_ADC, repeats: 400, noiseSigma_V: lsb };
    const rng = new Rng(9);
    const averaged = readNode(cfg, v, rng);
    expect(Math.abs(averaged.volts - v)).toBeLessThan(0.15 * lsb);
    const single = readNode(PAPER_ADC, v, null);
    expect(Math.abs(single.volts - v)).toBeGreaterThan(0.25 * lsb);
  });

  it('addresses 16 free + 16 clamped nodes and 32 gates with 5 bits', () => {
    expect(decodeDemux(0, 16, 32)).toEqual({ copy: 'free', node: 0, edge: 0 });
    expect(decodeDemux(31, 16, 32)).toEqual({ copy: 'clamped', node: 15, edge: 31 });
    expect(encodeDemux('clamped', 3, 16)).toBe(19);
    expect(() => decodeDemux(32, 16, 32)).toThrow(/demux address/);
  });
});
