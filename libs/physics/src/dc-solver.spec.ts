import { DcSolver, edgeCurrents } from './dc-solver';
import { ALD1106_FITTED, DEFAULT_LEVEL1, level1Drain, newDrainResult, DRAIN_ID, uniformTransistors, type Level1Params } from './level1';
import { networkFromEdges, paperLattice, squareLattice, type Network } from './network';
import { Rng } from './rng';

function mask(n: number, fixed: number[]): Uint8Array {
  const m = new Uint8Array(n);
  for (const i of fixed) m[i] = 1;
  return m;
}

/** Sum of |currents| meeting at each node, the scale of the relative KCL tolerance. */
function currentScale(net: Network, currents: Float64Array): Float64Array {
  const s = new Float64Array(net.nodeCount);
  for (let e = 0; e < net.edgeCount; e++) {
    s[net.edgeA[e]] += Math.abs(currents[e]);
    s[net.edgeB[e]] += Math.abs(currents[e]);
  }
  return s;
}

function expectKcl(net: Network, solver: DcSolver, gates: Float64Array, card: Level1Params, v: Float64Array): void {
  const t = uniformTransistors(net.edgeCount, card);
  const r = solver.kclResidual(gates, t, v);
  const currents = new Float64Array(net.edgeCount);
  edgeCurrents(net, gates, t, v, currents);
  const scale = currentScale(net, currents);
  for (const node of solver.freeNodes) {
    expect(Number.isFinite(v[node])).toBe(true);
    const ok = Math.abs(r[node]) <= 1e-12 || Math.abs(r[node]) <= 1e-9 * scale[node] + 1e-15;
    if (!ok) throw new Error(`KCL violated at node ${node}: residual ${r[node]} A, scale ${scale[node]} A`);
  }
}

describe('DC solve', () => {
  it('satisfies KCL at every free node of random networks', () => {
    const rng = new Rng(2024);
    for (let trial = 0; trial < 60; trial++) {
      const n = 4 + rng.integer(30);
      const edges: Array<[number, number]> = [];
      for (let i = 1; i < n; i++) edges.push([i, rng.integer(i)]); // a spanning tree …
      for (let k = rng.integer(2 * n); k > 0; k--) {
        const a = rng.integer(n);
        const b = rng.integer(n);
        if (a !== b) edges.push([a, b]); // … plus loops and parallel edges
      }
      const net = networkFromEdges(n, edges);
      const fixedCount = 2 + rng.integer(3);
      const fixed = Array.from(new Set(Array.from({ length: fixedCount }, () => rng.integer(n))));
      const card = trial % 2 === 0 ? DEFAULT_LEVEL1 : ALD1106_FITTED;
      const gates = Float64Array.from({ length: net.edgeCount }, () => 1.1 + 4.6 * rng.uniform());
      const v = new Float64Array(n).fill(0.2);
      for (const f of fixed) v[f] = 0.45 * rng.uniform();
      const solver = new DcSolver(net, mask(n, fixed));
      const result = solver.solve(gates, uniformTransistors(net.edgeCount, card), v);
      expect(result.status).toBe('converged');
      expectKcl(net, solver, gates, card, v);
    }
  });

  it('solves large lattices', () => {
    const net = squareLattice(30, 30, true);
    const rng = new Rng(3);
    const gates = Float64Array.from({ length: net.edgeCount }, () => 1.1 + 3 * rng.uniform());
    const v = new Float64Array(net.nodeCount).fill(0.2);
    v[0] = 0;
    v[465] = 0.45;
    const solver = new DcSolver(net, mask(net.nodeCount, [0, 465]));
    expect(solver.solve(gates, uniformTransistors(net.edgeCount, ALD1106_FITTED), v).status).toBe('converged');
    expectKcl(net, solver, gates, ALD1106_FITTED, v);
  });

  it('solves a network with a node no edge touches: that node is reported as unconnected (0 V), the rest as without it', () => {
    const edges: Array<[number, number]> = [
      [0, 1],
      [1, 2],
      [1, 3],
      [3, 2],
    ];
    const gates = Float64Array.of(2.5, 1.6, 2.0, 3.0);
    const t = uniformTransistors(4, ALD1106_FITTED);
    const without = Float64Array.of(0.45, 0.2, 0, 0.1);
    expect(new DcSolver(networkFromEdges(4, edges), mask(4, [0, 2])).solve(gates, t, without).status).toBe('converged');
    // Node 4 is isolated: before, a zero row made the whole solve "singular", every node left at its guess.
    const net = networkFromEdges(5, edges);
    const solver = new DcSolver(net, mask(5, [0, 2]));
    expect(Array.from(solver.unconnectedNodes)).toEqual([4]);
    const v = Float64Array.of(0.45, 0.2, 0, 0.1, 0.3);
    expect(solver.solve(gates, t, v).status).toBe('converged');
    expect(v[4]).toBe(0);
    expect(Array.from(v.subarray(0, 4))).toEqual(Array.from(without));
    expectKcl(net, solver, gates, ALD1106_FITTED, v);
  });

  it('reduces two edges in series to one equal-current midpoint', () => {
    const net = networkFromEdges(3, [
      [0, 1],
      [1, 2],
    ]);
    const gates = Float64Array.of(2.5, 1.6);
    const card = ALD1106_FITTED;
    const v = Float64Array.of(0.45, 0.2, 0);
    const solver = new DcSolver(net, mask(3, [0, 2]));
    expect(solver.solve(gates, uniformTransistors(2, card), v).status).toBe('converged');
    // Independent answer: bisection on I(0.45 → V) = I(V → 0), which is monotone in V.
    const out = newDrainResult();
    const i = (vd: number, vs: number, g: number): number => {
      level1Drain(vd, vs, g, card.vto_V, card.beta_AperV2, card.gamma_sqrtV, card.phi_V, card.lambda_perV, out);
      return out[DRAIN_ID];
    };
    let lo = 0;
    let hi = 0.45;
    for (let k = 0; k < 200; k++) {
      const mid = 0.5 * (lo + hi);
      if (i(0.45, mid, 2.5) > i(mid, 0, 1.6)) lo = mid;
      else hi = mid;
    }
    expect(v[1]).toBeCloseTo(lo, 9); // leakage (~1e-14 A) shifts it by < 1e-10 V
  });

  it('treats two identical edges in parallel as one edge of twice the β', () => {
    const card = DEFAULT_LEVEL1;
    const twin = networkFromEdges(3, [
      [0, 1],
      [0, 1],
      [1, 2],
    ]);
    const single = networkFromEdges(3, [
      [0, 1],
      [1, 2],
    ]);
    const vTwin = Float64Array.of(0.45, 0.2, 0);
    const vSingle = Float64Array.of(0.45, 0.2, 0);
    const sTwin = new DcSolver(twin, mask(3, [0, 2]), { junctionIs_A: 0, gmin_S: 0 });
    const sSingle = new DcSolver(single, mask(3, [0, 2]), { junctionIs_A: 0, gmin_S: 0 });
    sTwin.solve(Float64Array.of(2, 2, 3), uniformTransistors(3, card), vTwin);
    sSingle.solve(Float64Array.of(2, 3), uniformTransistors(2, { ...card, beta_AperV2: 0 + card.beta_AperV2 }), vSingle);
    const doubled = uniformTransistors(2, card);
    doubled.beta_AperV2[0] *= 2;
    sSingle.solve(Float64Array.of(2, 3), doubled, vSingle);
    expect(vTwin[1]).toBeCloseTo(vSingle[1], 12);
  });

  it('flips the sign of an edge current when its ends are swapped, voltages unchanged', () => {
    const net = paperLattice();
    const swappedEdges = Array.from({ length: net.edgeCount }, (_, e) => (e % 3 === 0 ? [net.edgeB[e], net.edgeA[e]] : [net.edgeA[e], net.edgeB[e]]) as [number, number]);
    const swapped = networkFromEdges(16, swappedEdges);
    const rng = new Rng(11);
    const gates = Float64Array.from({ length: 32 }, () => 1.1 + 3 * rng.uniform());
    const fixed = [0, 2, 3, 7];
    const solve = (n: Network): { v: Float64Array; i: Float64Array } => {
      const v = new Float64Array(16).fill(0.2);
      v[0] = 0;
      v[2] = 0.45;
      v[3] = 0.11;
      v[7] = 0.33;
      const t = uniformTransistors(32, ALD1106_FITTED);
      new DcSolver(n, mask(16, fixed)).solve(gates, t, v);
      const i = new Float64Array(32);
      edgeCurrents(n, gates, t, v, i);
      return { v, i };
    };
    const a = solve(net);
    const b = solve(swapped);
    for (let k = 0; k < 16; k++) expect(b.v[k]).toBeCloseTo(a.v[k], 12);
    for (let e = 0; e < 32; e++) expect(b.i[e]).toBeCloseTo(e % 3 === 0 ? -a.i[e] : a.i[e], 15);
  });

  it('warm-starts: the same answer in fewer Newton steps after a small gate change', () => {
    const net = paperLattice();
    const t = uniformTransistors(32, ALD1106_FITTED);
    const solver = new DcSolver(net, mask(16, [0, 2, 3, 7]));
    const gates = new Float64Array(32).fill(2.5);
    const start = (): Float64Array => {
      const v = new Float64Array(16).fill(0.2);
      v[0] = 0.45;
      v[2] = 0;
      v[3] = 0.11;
      v[7] = 0.33;
      return v;
    };
    const warm = start();
    const first = solver.solve(gates, t, warm);
    gates[5] += 2e-3;
    gates[17] -= 2e-3;
    const second = solver.solve(gates, t, warm);
    const cold = start();
    const fromScratch = solver.solve(gates, t, cold);
    expect(second.status).toBe('converged');
    expect(second.iterations).toBeLessThan(fromScratch.iterations);
    expect(second.iterations).toBeLessThanOrEqual(2);
    expect(first.iterations).toBeGreaterThan(second.iterations);
    for (let k = 0; k < 16; k++) expect(warm[k]).toBeCloseTo(cold[k], 11);
  });

  it('gives finite, defined voltages to nodes behind cut-off channels', () => {
    const net = networkFromEdges(4, [
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
    const t = uniformTransistors(3, DEFAULT_LEVEL1);
    const solver = new DcSolver(net, mask(4, [0, 3]));
    // Node 1 and 2 hang behind channels whose gate (0.5 V) is below VTO: nothing conducts,
    // so the junction leakage alone sets them, and it pulls them to ground.
    const v = Float64Array.of(0.45, 0.3, 0.3, 0.45);
    const r = solver.solve(Float64Array.of(0.5, 0.5, 0.5), t, v);
    expect(r.status).toBe('converged');
    expect(Math.abs(v[1])).toBeLessThan(1e-9);
    expect(Math.abs(v[2])).toBeLessThan(1e-9);
    // With gates of 1.0 V the channels turn on once their source falls below G − VTO = 0.3 V:
    // the leak pulls the island down until the channel carries exactly the leakage, just below 0.3 V.
    const w = Float64Array.of(0.45, 0.1, 0.1, 0.45);
    const r2 = solver.solve(Float64Array.of(1.0, 1.0, 1.0), t, w);
    expect(r2.status).toBe('converged');
    for (const node of [1, 2]) {
      expect(Number.isFinite(w[node])).toBe(true);
      expect(w[node]).toBeLessThan(0.3);
      expect(w[node]).toBeGreaterThan(0.299);
    }
  });

  it('reports non-convergence as a status with the residual', () => {
    const net = paperLattice();
    const solver = new DcSolver(net, mask(16, [0, 5]), { maxIterations: 1 });
    const v = new Float64Array(16).fill(0);
    v[0] = 0.45;
    const r = solver.solve(new Float64Array(32).fill(3), uniformTransistors(32, DEFAULT_LEVEL1), v);
    expect(r.status).toBe('max-iterations');
    expect(r.residual_A).toBeGreaterThan(1e-12);
  });
});
