/**
 * BiCGSTAB (van der Vorst 1992) with right preconditioning, for the large-network path's
 * Newton steps. Why BiCGSTAB rather than GMRES: the Jacobian is nonsymmetric (a channel's
 * conductance depends on its mean voltage), and BiCGSTAB keeps the residual vector itself at
 * every half-step in a fixed amount of memory (seven vectors), so the stopping test can be
 * the solver's own per-node KCL test, not a norm: each node's residual is held below its
 * own tolerance, which spans twelve decades between driven nodes and nodes held only by leakage.
 */
import { multiply, type CsrMatrix } from './csr';

export interface KrylovWork {
  readonly r: Float64Array;
  readonly rHat: Float64Array;
  readonly p: Float64Array;
  readonly v: Float64Array;
  /** M⁻¹·p, then (once x has taken it) M⁻¹·s: the one is dead when the other is formed. */
  readonly zHat: Float64Array;
  readonly t: Float64Array;
  /**
   * 1/tolerance² per row, written by the caller: the stopping test (r_i²·w_i ≤ 1) and the
   * inner product's weights, in one array.
   */
  readonly weight: Float64Array;
}

/**
 * Scratch for systems of n unknowns. Given `shared` (scratch of solvers that never run at the
 * same time, such as a twin's two copies), its vectors are views of that one's memory.
 */
export function krylovWork(n: number, shared?: KrylovWork): KrylovWork {
  const f = (key: keyof KrylovWork): Float64Array => (shared !== undefined && shared[key].length >= n ? shared[key].subarray(0, n) : new Float64Array(n));
  return { r: f('r'), rHat: f('rHat'), p: f('p'), v: f('v'), zHat: f('zHat'), t: f('t'), weight: f('weight') };
}

/**
 * The inner product is Σ x_i·y_i·w_i with w_i = 1/tolerance_i²: each row counted by how far it
 * is from its own stopping test, so the method minimises what the test measures (BiCGSTAB in
 * this inner product is BiCGSTAB on the row-scaled system). Every vector pass below also does
 * the dot products and the stopping test that need its result: at 10⁶ unknowns the method is
 * bound by memory traffic, and this halves it.
 */

/** y = A·x; returns Σ y_i·z_i·w_i. */
function multiplyDot(a: CsrMatrix, x: Float64Array, y: Float64Array, z: Float64Array, weight: Float64Array): number {
  const { rows, rowStart, colIndex, values } = a;
  let d = 0;
  for (let i = 0; i < rows; i++) {
    let s = 0;
    const end = rowStart[i + 1];
    for (let q = rowStart[i]; q < end; q++) s += values[q] * x[colIndex[q]];
    y[i] = s;
    d += s * z[i] * weight[i];
  }
  return d;
}

function within(r: Float64Array, weight: Float64Array): boolean {
  for (let i = 0; i < r.length; i++) if (!(r[i] * r[i] * weight[i] <= 1)) return false;
  return true;
}

/**
 * Solve A·x = b from x = 0 until |r_i| ≤ tolerance_i at every row, the tolerances given as
 * w.weight = 1/tolerance².
 * @param precondition z = M⁻¹·y
 * @returns iterations used, negated when the limit or a breakdown stopped it first
 *   (x then holds the last iterate, still a useful inexact Newton step)
 */
export function bicgstab(a: CsrMatrix, precondition: (y: Float64Array, z: Float64Array) => void, b: Float64Array, x: Float64Array, maxIterations: number, w: KrylovWork): number {
  const { r, rHat, p, v, zHat, t, weight } = w;
  const n = b.length;
  x.fill(0);
  r.set(b);
  if (within(r, weight)) return 0;
  let rho = 0;
  for (let i = 0; i < n; i++) rho += r[i] * r[i] * weight[i];
  rHat.set(r);
  p.set(r);
  let alpha = 0;
  let omega = 0;
  for (let k = 1; k <= maxIterations; k++) {
    precondition(p, zHat);
    const rv = multiplyDot(a, zHat, v, rHat, weight);
    if (rv === 0 || !Number.isFinite(rv)) return -k;
    alpha = rho / rv;
    let done = true;
    for (let i = 0; i < n; i++) {
      x[i] += alpha * zHat[i];
      const s = r[i] - alpha * v[i]; // r is now s
      r[i] = s;
      if (!(s * s * weight[i] <= 1)) done = false;
    }
    if (done) return k;
    precondition(r, zHat);
    multiply(a, zHat, t);
    let tt = 0;
    let tr = 0;
    for (let i = 0; i < n; i++) {
      tt += t[i] * t[i] * weight[i];
      tr += t[i] * r[i] * weight[i];
    }
    if (tt === 0 || !Number.isFinite(tt)) return -k;
    omega = tr / tt;
    let rhoNext = 0;
    done = true;
    for (let i = 0; i < n; i++) {
      x[i] += omega * zHat[i];
      const ri = r[i] - omega * t[i];
      r[i] = ri;
      if (!(ri * ri * weight[i] <= 1)) done = false;
      rhoNext += rHat[i] * ri * weight[i];
    }
    if (done) return k;
    if (omega === 0 || rhoNext === 0 || !Number.isFinite(rhoNext)) return -k;
    const beta = (rhoNext / rho) * (alpha / omega);
    rho = rhoNext;
    for (let i = 0; i < n; i++) p[i] = r[i] + beta * (p[i] - omega * v[i]);
  }
  return -maxIterations;
}
