import { Rng } from './rng';
import { analysePattern, entryOffset, luFactor, luSolve } from './sparse-lu';

/** A random sparse, structurally symmetric, column-diagonally-dominant matrix. */
function randomSystem(n: number, degree: number, rng: Rng): { adjacency: number[][]; dense: Float64Array } {
  const adjacency: number[][] = Array.from({ length: n }, () => []);
  const dense = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < degree; d++) {
      const j = rng.integer(n);
      if (j === i) continue;
      adjacency[i].push(j);
      adjacency[j].push(i);
      dense[i * n + j] -= rng.uniform();
      dense[j * n + i] -= rng.uniform();
    }
  }
  for (let j = 0; j < n; j++) {
    let col = 0;
    for (let i = 0; i < n; i++) if (i !== j) col += Math.abs(dense[i * n + j]);
    dense[j * n + j] = col + 0.01 + rng.uniform();
  }
  return { adjacency, dense };
}

describe('sparse LU without pivoting', () => {
  it('satisfies P·A·Pᵀ = L·U on random diagonally dominant matrices', () => {
    const rng = new Rng(7);
    for (const n of [1, 5, 30, 120]) {
      const { adjacency, dense } = randomSystem(n, 3, rng);
      const { order, pattern } = analysePattern(n, adjacency);
      const values = new Float64Array(pattern.colIndex.length);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const a = dense[order[i] * n + order[j]];
          if (a === 0) continue;
          const off = entryOffset(pattern, i, j);
          expect(off).toBeGreaterThanOrEqual(0); // every nonzero of A has a place in the pattern
          values[off] = a;
        }
      }
      expect(luFactor(pattern, values, new Float64Array(n))).toBe(0);
      // Rebuild L·U densely and compare with the permuted A.
      const L = new Float64Array(n * n);
      const U = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        L[i * n + i] = 1;
        for (let p = pattern.rowStart[i]; p < pattern.rowStart[i + 1]; p++) {
          const j = pattern.colIndex[p];
          if (j < i) L[i * n + j] = values[p];
          else U[i * n + j] = values[p];
        }
      }
      let worst = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let k = 0; k < n; k++) s += L[i * n + k] * U[k * n + j];
          worst = Math.max(worst, Math.abs(s - dense[order[i] * n + order[j]]));
        }
      }
      expect(worst).toBeLessThan(1e-12);
      // And the solve returns x with A·x = b.
      const x0 = Array.from({ length: n }, () => rng.uniform() - 0.5);
      const b = new Float64Array(n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[i] += dense[order[i] * n + order[j]] * x0[j];
      luSolve(pattern, values, b);
      for (let i = 0; i < n; i++) expect(b[i]).toBeCloseTo(x0[i], 10);
    }
  });

  it('reports a zero pivot as a status, like LAPACK info', () => {
    const { pattern } = analysePattern(2, [[1], [0]]);
    const values = new Float64Array(pattern.colIndex.length); // all zero
    expect(luFactor(pattern, values, new Float64Array(2))).toBe(1);
  });

  it('keeps fill small on a 2-D grid (minimum degree)', () => {
    const side = 30;
    const n = side * side;
    const adjacency: number[][] = Array.from({ length: n }, () => []);
    for (let r = 0; r < side; r++) {
      for (let c = 0; c < side; c++) {
        const i = r * side + c;
        if (c + 1 < side) (adjacency[i].push(i + 1), adjacency[i + 1].push(i));
        if (r + 1 < side) (adjacency[i].push(i + side), adjacency[i + side].push(i));
      }
    }
    const { pattern } = analysePattern(n, adjacency);
    // Banded elimination would store ≈ n·(2·side + 1) = 54,900 entries.
    expect(pattern.colIndex.length).toBeLessThan(30000);
  });
});
