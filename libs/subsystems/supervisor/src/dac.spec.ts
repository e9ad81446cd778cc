import { PAPER_DAC, applied_V, dacCode, dacVoltage, validatePatchMap } from './dac';

describe('DAC and patch map', () => {
  const node = { kind: 'node', node: 5 } as const;
  const label = { kind: 'label', output: 0, differential: true } as const;

  it('writes 8-bit codes with an LSB of 0.45/256 V', () => {
    expect(dacCode(PAPER_DAC, node, 0)).toBe(0);
    expect(dacCode(PAPER_DAC, node, 0.11)).toBe(63);
    expect(dacVoltage(PAPER_DAC, node, 63)).toBeCloseTo((63 * 0.45) / 256, 15);
    expect(dacCode(PAPER_DAC, node, 0.45)).toBe(255); // top code is one LSB below full scale
    expect(applied_V({ ...PAPER_DAC, quantise: false }, node, 0.1234)).toBe(0.1234);
  });

  it('drives a differential label line as X + L with X = V_max/2 (8 bits, same LSB), so L0 = −0.087 V is representable', () => {
    const v = applied_V(PAPER_DAC, label, -0.087);
    expect(Math.abs(v + 0.087)).toBeLessThanOrEqual(0.45 / 512);
    expect(dacCode(PAPER_DAC, label, -0.087)).toBe(79);
    expect(dacVoltage(PAPER_DAC, label, 255)).toBeCloseTo(0.45 / 2 - 0.45 / 256, 15);
    expect(dacCode(PAPER_DAC, { kind: 'label', output: 0 }, 0.3)).toBe(Math.round(0.3 / (0.45 / 256)));
  });

  it('rejects codes and patch maps the hardware cannot have', () => {
    expect(() => dacVoltage(PAPER_DAC, node, 300)).toThrow(/DAC code must be an integer in 0\.\.255, got 300/);
    // Boards chain: 9 channels are two boards; 257 are more than the 32 a chain may hold.
    expect(() => validatePatchMap([...Array.from({ length: 8 }, (_, i) => ({ kind: 'node', node: i }) as const), { kind: 'label', output: 0 }], 16, 1)).not.toThrow();
    expect(() =>
      validatePatchMap(
        Array.from({ length: 257 }, (_, i) => ({ kind: 'node', node: i })),
        300,
        1,
      ),
    ).toThrow('patch map uses 257 channels; a chain of DACs has at most 256');
    expect(() =>
      validatePatchMap(
        [
          { kind: 'node', node: 3 },
          { kind: 'node', node: 3 },
        ],
        16,
        1,
      ),
    ).toThrow(/patch\[1\]/);
    expect(() => validatePatchMap([{ kind: 'node', node: 16 }], 16, 1)).toThrow(/patch\[0\]\.node/);
  });
});
