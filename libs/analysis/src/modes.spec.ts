import { errorModes, meanSquaredError, modeBasis } from './modes';
import { fallOrder, fellFirstAndLast, fellInSequence, modeHalfTimes, presentModes } from './trajectory';

const XOR_INPUTS = [
  [0, 0],
  [0, 0.45],
  [0.45, 0],
  [0.45, 0.45],
];

describe('error modes (Appendix C)', () => {
  it('builds E00, E01, E10, E11 for two binary inputs: a complete orthonormal basis', () => {
    const b = modeBasis(XOR_INPUTS);
    expect(b.names).toEqual(['E00', 'E01', 'E10', 'E11']);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(b.vectors[i].reduce((s, x, k) => s + x * b.vectors[j][k], 0)).toBeCloseTo(i === j ? 1 : 0, 12);
    // n̂00 is flat, n̂11 the checkerboard (Fig. 8 right)
    expect(Array.from(b.vectors[0])).toEqual([0.5, 0.5, 0.5, 0.5]);
    const c = Array.from(b.vectors[3]).map((x) => Math.sign(x));
    expect(c).toEqual([1, -1, -1, 1]);
  });

  it('builds flat, linear and parabolic modes for eight inputs on [0, 0.45] (Fig. 8 left)', () => {
    const inputs = Array.from({ length: 8 }, (_, i) => [(0.45 * i) / 7]);
    const b = modeBasis(inputs);
    expect(b.names).toEqual(['E0', 'E1', 'E2', 'E3']);
    expect(new Set(Array.from(b.vectors[0]).map((x) => x.toFixed(12))).size).toBe(1);
    const lin = Array.from(b.vectors[1]);
    for (let i = 1; i < 8; i++) expect(lin[i] - lin[i - 1]).toBeCloseTo(lin[1] - lin[0], 12);
    const par = Array.from(b.vectors[2]);
    expect(par[0]).toBeGreaterThan(0);
    expect(par[3]).toBeLessThan(0);
    expect(par[7]).toBeGreaterThan(0);
  });

  it('decomposes the error completely: Σ 𝓔² = |E|² = N·MSE', () => {
    const b = modeBasis(XOR_INPUTS);
    const outputs = [0.01, -0.02, -0.05, 0.03];
    const labels = [0, -0.087, -0.087, 0];
    const modes = errorModes(b, outputs, labels);
    const sum = Object.values(modes).reduce((s, m) => s + m * m, 0);
    expect(sum).toBeCloseTo(4 * meanSquaredError(outputs, labels), 14);
    // A pure offset error lives only in E00.
    const offset = errorModes(
      b,
      labels.map((l) => l + 0.1),
      labels,
    );
    expect(offset.E00).toBeCloseTo(0.2, 12);
    expect(Math.abs(offset.E11)).toBeLessThan(1e-12);
  });

  it('drops dependent powers (V1² is V1 for binary inputs)', () => {
    expect(modeBasis([[0], [1]]).names).toEqual(['E0', 'E1']);
  });
});

describe('mode trajectories', () => {
  const pts = [
    { t_s: 0, modes: { E0: 0.2, E1: -0.1, E2: 0.05 } },
    { t_s: 0.01, modes: { E0: 0.08, E1: -0.09, E2: 0.05 } },
    { t_s: 0.1, modes: { E0: 0.01, E1: -0.03, E2: 0.04 } },
    { t_s: 1, modes: { E0: 0.0, E1: -0.01, E2: 0.02 } },
  ];
  it('finds when each mode first fell below half its start and the order', () => {
    const h = modeHalfTimes(pts, ['E0', 'E1', 'E2']);
    expect(h).toEqual({ E0: 0.01, E1: 0.1, E2: 1 });
    expect(fallOrder(h, ['E0', 'E1', 'E2'])).toEqual(['E0', 'E1', 'E2']);
    expect(fellInSequence(h, ['E0', 'E1', 'E2'], presentModes(pts, ['E0', 'E1', 'E2']))).toBe(true);
    expect(fellInSequence({ E0: 0.1, E1: 0.01, E2: 1 }, ['E0', 'E1', 'E2'], ['E0', 'E1', 'E2'])).toBe(false);
    expect(fellInSequence({ E0: 0.1, E1: 0.2, E2: null }, ['E0', 'E1', 'E2'], ['E0', 'E1', 'E2'])).toBe(false);
  });
  it('judges XOR by E00 first and E11 last', () => {
    const present = ['E00', 'E01', 'E10', 'E11'];
    expect(fellFirstAndLast({ E00: 0.1, E01: 0.3, E10: 0.2, E11: 2 }, 'E00', 'E11', present)).toBe(true);
    expect(fellFirstAndLast({ E00: 0.4, E01: 0.3, E10: 0.2, E11: 2 }, 'E00', 'E11', present)).toBe(false);
    expect(fellFirstAndLast({ E00: 0.1, E01: 0.3, E10: 3, E11: 2 }, 'E00', 'E11', present)).toBe(false);
    expect(fellFirstAndLast({ E00: 0.1, E01: 0.3, E10: 0.2, E11: null }, 'E00', 'E11', present)).toBe(false);
  });
  it('counts tiny initial modes as absent', () => {
    expect(presentModes([{ t_s: 0, modes: { E0: 0.2, E1: 0.001 } }], ['E0', 'E1'])).toEqual(['E0']);
  });
});
