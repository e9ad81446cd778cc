import { SmoothedAggregation } from './amg';
import { couplingPattern, multiply, product, transpose, type CsrMatrix } from './csr';
import { DcSolver, MULTIGRID_FROM_UNKNOWNS, edgeCurrents, junctionLeak } from './dc-solver';
import { bicgstab, krylovWork } from './krylov';
import { ALD1106_FITTED, DEFAULT_LEVEL1, uniformTransistors } from './level1';
import { networkFromEdges, squareLattice, type Network } from './network';
import { Rng } from './rng';

function dense(a: CsrMatrix): number[][] {
  const out = Array.from({ length: a.rows }, () => new Array<number>(a.cols).fill(0));
  for (let i = 0; i < a.rows; i++) for (let q = a.rowStart[i]; q < a.rowStart[i + 1]; q++) out[i][a.colIndex[q]] += a.values[q];
  return out;
}

function randomCsr(rng: Rng, rows: number, cols: number, perRow: number): CsrMatrix {
  const rowStart = new Int32Array(rows + 1);
  const colIndex: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < rows; i++) {
    const k = rng.integer(perRow + 1);
    for (let j = 0; j < k; j++) {
      colIndex.push(rng.integer(cols));
      values.push(rng.uniform() - 0.5);
    }
    rowStart[i + 1] = colIndex.length;
  }
  return { rows, cols, rowStart, colIndex: Int32Array.from(colIndex), values: Float64Array.from(values) };
}

/** A random weighted graph Laplacian grounded through a leak at every node: an M-matrix like a network's Jacobian. */
function groundedLaplacian(net: Network, rng: Rng): { a: CsrMatrix; diagonal: Int32Array } {
  const unknownOf = Int32Array.from({ length: net.nodeCount }, (_, i) => i);
  const pattern = couplingPattern(net.nodeCount, unknownOf, net.edgeA, net.edgeB, net.edgeCount);
  const values = new Float64Array(pattern.colIndex.length);
  const find = (i: number, j: number): number => {
    for (let q = pattern.rowStart[i]; q < pattern.rowStart[i + 1]; q++) if (pattern.colIndex[q] === j) return q;
    throw new Error(`no entry ${i},${j}`);
  };
  for (let e = 0; e < net.edgeCount; e++) {
    const g = 1e-4 * (0.1 + rng.uniform());
    const [i, j] = [net.edgeA[e], net.edgeB[e]];
    values[pattern.diagonal[i]] += g;
    values[pattern.diagonal[j]] += g;
    values[find(i, j)] -= g;
    values[find(j, i)] -= g;
  }
  for (let i = 0; i < net.nodeCount; i++) values[pattern.diagonal[i]] += 1e-9;
  return { a: { rows: net.nodeCount, cols: net.nodeCount, rowStart: pattern.rowStart, colIndex: pattern.colIndex, values }, diagonal: pattern.diagonal };
}

describe('sparse rows', () => {
  it('builds the coupling pattern from edges: sorted rows, the diagonal, parallel edges merged, non-unknowns left out', () => {
    const net = networkFromEdges(4, [
      [0, 1],
      [1, 0],
      [1, 2],
      [2, 3],
    ]);
    const unknownOf = Int32Array.from([0, 1, 2, -1]); // node 3 is held
    const p = couplingPattern(3, unknownOf, net.edgeA, net.edgeB, net.edgeCount);
    expect(Array.from(p.rowStart)).toEqual([0, 2, 5, 7]);
    expect(Array.from(p.colIndex)).toEqual([0, 1, 0, 1, 2, 1, 2]);
    expect(Array.from(p.diagonal)).toEqual([0, 3, 6]);
  });

  it('multiplies and transposes as dense matrices do', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 20; trial++) {
      const a = randomCsr(rng, 1 + rng.integer(12), 1 + rng.integer(12), 4);
      const b = randomCsr(rng, a.cols, 1 + rng.integer(12), 4);
      const [da, db, dc] = [dense(a), dense(b), dense(product(a, b))];
      for (let i = 0; i < a.rows; i++)
        for (let j = 0; j < b.cols; j++) {
          let s = 0;
          for (let k = 0; k < a.cols; k++) s += da[i][k] * db[k][j];
          expect(dc[i][j]).toBeCloseTo(s, 12);
        }
      const t = dense(transpose(a));
      for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) expect(t[j][i]).toBe(da[i][j]);
    }
  });
});

describe('multigrid-preconditioned BiCGSTAB', () => {
  it('coarsens a lattice by about an order of magnitude per level and solves to every row’s own tolerance', () => {
    const net = squareLattice(60, 60, false);
    const { a, diagonal } = groundedLaplacian(net, new Rng(3));
    const amg = new SmoothedAggregation(a, diagonal);
    expect(amg.depth).toBeGreaterThanOrEqual(3);
    expect(amg.complexity).toBeLessThan(1.6);
    const rng = new Rng(4);
    const truth = Float64Array.from({ length: a.rows }, () => rng.uniform());
    const b = new Float64Array(a.rows);
    multiply(a, truth, b);
    const work = krylovWork(a.rows);
    work.weight.fill(1 / 1e-16 ** 2); // every row's tolerance 1e-16
    const x = new Float64Array(a.rows);
    const its = bicgstab(a, (y, z) => amg.apply(y, z), b, x, 100, work);
    expect(its).toBeGreaterThan(0);
    expect(its).toBeLessThan(30);
    const r = new Float64Array(a.rows);
    multiply(a, x, r);
    for (let i = 0; i < a.rows; i++) expect(Math.abs(r[i] - b[i])).toBeLessThanOrEqual(1e-16);
  });

  it('keeps a random graph’s coarse operators sparse (plain aggregates where smoothing would fill them)', () => {
    const rng = new Rng(5);
    const n = 3000;
    const edges: Array<[number, number]> = [];
    for (let i = 1; i < n; i++) edges.push([i, rng.integer(i)]);
    for (let k = 0; k < n; k++) {
      const [x, y] = [rng.integer(n), rng.integer(n)];
      if (x !== y) edges.push([x, y]);
    }
    const { a, diagonal } = groundedLaplacian(networkFromEdges(n, edges), rng);
    const amg = new SmoothedAggregation(a, diagonal);
    expect(amg.complexity).toBeLessThan(2);
    const b = Float64Array.from({ length: n }, () => rng.uniform() * 1e-6);
    const x = new Float64Array(n);
    const work = krylovWork(n);
    work.weight.fill(1 / 1e-15 ** 2);
    const its = bicgstab(a, (y, z) => amg.apply(y, z), b, x, 200, work);
    expect(its).toBeGreaterThan(0);
  });

  it('says when it stopped short, with the iterate it reached', () => {
    const { a, diagonal } = groundedLaplacian(squareLattice(30, 30, true), new Rng(8));
    const amg = new SmoothedAggregation(a, diagonal);
    const b = new Float64Array(a.rows).fill(1e-6);
    const x = new Float64Array(a.rows);
    const work = krylovWork(a.rows);
    work.weight.fill(1 / 1e-30 ** 2);
    expect(bicgstab(a, (y, z) => amg.apply(y, z), b, x, 2, work)).toBe(-2);
    expect(x.some((v) => v !== 0)).toBe(true);
  });
});

describe('DC solve on the multigrid path', () => {
  const mask = (n: number, fixed: number[]): Uint8Array => {
    const m = new Uint8Array(n);
    for (const i of fixed) m[i] = 1;
    return m;
  };

  it('is what auto picks from MULTIGRID_FROM_UNKNOWNS free nodes up, and the direct path below', () => {
    const small = squareLattice(10, 10, true);
    const large = squareLattice(20, 20, true);
    expect(MULTIGRID_FROM_UNKNOWNS).toBeGreaterThan(98);
    expect(MULTIGRID_FROM_UNKNOWNS).toBeLessThanOrEqual(398);
    expect(new DcSolver(small, mask(100, [0, 55])).linearPath).toBe('direct');
    expect(new DcSolver(large, mask(400, [0, 210])).linearPath).toBe('multigrid');
    expect(new DcSolver(small, mask(100, [0, 55]), { linear: 'multigrid' }).linearPath).toBe('multigrid');
    expect(() => new DcSolver(small, mask(100, [0]), { linear: 'fast' as 'auto' })).toThrow(/linear must be auto, direct or multigrid, got fast/);
    expect(() => new DcSolver(small, mask(100, [0]), { maxLinearIterations: 0 })).toThrow(/maxLinearIterations must be an integer ≥ 1, got 0/);
  });

  it('agrees with the direct path to 1e-9 V on random networks with random gates, both cards', () => {
    const rng = new Rng(99);
    for (let trial = 0; trial < 6; trial++) {
      const n = 300 + rng.integer(300);
      const edges: Array<[number, number]> = [];
      for (let i = 1; i < n; i++) edges.push([i, rng.integer(i)]);
      for (let k = rng.integer(2 * n); k > 0; k--) {
        const [a, b] = [rng.integer(n), rng.integer(n)];
        if (a !== b) edges.push([a, b]);
      }
      const net = networkFromEdges(n, edges);
      const fixed = [0, 1 + rng.integer(n - 1)];
      const card = trial % 2 === 0 ? DEFAULT_LEVEL1 : ALD1106_FITTED;
      const gates = Float64Array.from({ length: net.edgeCount }, () => 1.1 + 4.6 * rng.uniform());
      const start = new Float64Array(n).fill(0.2);
      start[fixed[0]] = 0;
      start[fixed[1]] = 0.45;
      const [vd, vm] = [Float64Array.from(start), Float64Array.from(start)];
      const t = uniformTransistors(net.edgeCount, card);
      expect(new DcSolver(net, mask(n, fixed), { linear: 'direct' }).solve(gates, t, vd).status).toBe('converged');
      const r = new DcSolver(net, mask(n, fixed), { linear: 'multigrid' }).solve(gates, t, vm);
      expect(r.status).toBe('converged');
      expect(r.linearIterations).toBeGreaterThan(0);
      for (let i = 0; i < n; i++) expect(Math.abs(vm[i] - vd[i])).toBeLessThanOrEqual(1e-9);
    }
  });

  it('meets the KCL test at every free node of a 10⁵-edge lattice', () => {
    const net = squareLattice(224, 224, true); // 100,352 edges
    const n = net.nodeCount;
    const held = [0, 112 * 224 + 112, 224 * 56 + 168];
    const v = new Float64Array(n).fill(0.2);
    [v[held[0]], v[held[1]], v[held[2]]] = [0.3, 0, 0.45];
    const rng = new Rng(12);
    const gates = Float64Array.from({ length: net.edgeCount }, () => 2 + rng.uniform());
    const t = uniformTransistors(net.edgeCount, DEFAULT_LEVEL1);
    const solver = new DcSolver(net, mask(n, held));
    expect(solver.linearPath).toBe('multigrid');
    const r = solver.solve(gates, t, v);
    expect(r.status).toBe('converged');
    // The solver's own test, recomputed from scratch: |KCL residual| ≤ 1e-9 × the currents meeting there.
    const residual = solver.kclResidual(gates, t, v);
    const currents = new Float64Array(net.edgeCount);
    edgeCurrents(net, gates, t, v, currents);
    const scale = new Float64Array(n);
    for (let e = 0; e < net.edgeCount; e++) {
      scale[net.edgeA[e]] += Math.abs(currents[e]);
      scale[net.edgeB[e]] += Math.abs(currents[e]);
    }
    const vt = 8.617333262e-5 * 300.15;
    let worst = 0;
    for (const node of solver.freeNodes) {
      const leak = 4 * Math.abs(junctionLeak(v[node], 1e-12, 1e-14, vt));
      worst = Math.max(worst, Math.abs(residual[node]) / (scale[node] + leak));
    }
    expect(worst).toBeLessThanOrEqual(1e-9);
  });
});
