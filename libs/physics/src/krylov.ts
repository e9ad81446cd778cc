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
  readonly pHat: Float64Array;
  readonly sHat: Float64Array;
  readonly t: Float64Array;
  /** 1/tolerance² per row: the inner product's weights. */
  readonly weight: Float64Array;
}

export function krylovWork(n: number): KrylovWork {
  const f = (): Float64Array => new Float64Array(n);
  return { r: f(), rHat: f(), p: f(), v: f(), pHat: f(), sHat: f(), t: f(), weight: f() };
}

/**
 * Σ x_i·y_i·w_i with w_i = 1/tolerance_i²: each row counted by how far it is from its own
 * stopping test, so the method minimises what the test measures (BiCGSTAB in this inner
 * product is BiCGSTAB on the row-scaled system).
 */
function dot(x: Float64Array, y: Float64Array, weight: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i] * weight[i];
  return s;
}

function within(r: Float64Array, tolerance: Float64Array): boolean {
  for (let i = 0; i < r.length; i++) if (!(Math.abs(r[i]) <= tolerance[i])) return false;
  return true;
}

/**
 * Solve A·x = b from x = 0 until |r_i| ≤ tolerance_i at every row.
 * @param precondition z = M⁻¹·y
 * @returns iterations used, negated when the limit or a breakdown stopped it first
 *   (x then holds the last iterate, still a useful inexact Newton step)
 */
export function bicgstab(
  a: CsrMatrix,
  precondition: (y: Float64Array, z: Float64Array) => void,
  b: Float64Array,
  x: Float64Array,
  tolerance: Float64Array,
  maxIterations: number,
  w: KrylovWork,
): number {
  const { r, rHat, p, v, pHat, sHat, t, weight } = w;
  const n = b.length;
  x.fill(0);
  r.set(b);
  if (within(r, tolerance)) return 0;
  for (let i = 0; i < n; i++) weight[i] = 1 / (tolerance[i] * tolerance[i]);
  rHat.set(r);
  p.fill(0);
  v.fill(0);
  let rho = 1;
  let alpha = 1;
  let omega = 1;
  for (let k = 1; k <= maxIterations; k++) {
    const rhoNext = dot(rHat, r, weight);
    if (rhoNext === 0 || !Number.isFinite(rhoNext)) return -k;
    const beta = (rhoNext / rho) * (alpha / omega);
    rho = rhoNext;
    for (let i = 0; i < n; i++) p[i] = r[i] + beta * (p[i] - omega * v[i]);
    precondition(p, pHat);
    multiply(a, pHat, v);
    const rv = dot(rHat, v, weight);
    if (rv === 0 || !Number.isFinite(rv)) return -k;
    alpha = rho / rv;
    for (let i = 0; i < n; i++) {
      x[i] += alpha * pHat[i];
      r[i] -= alpha * v[i]; // r is now s
    }
    if (within(r, tolerance)) return k;
    precondition(r, sHat);
    multiply(a, sHat, t);
    const tt = dot(t, t, weight);
    if (tt === 0 || !Number.isFinite(tt)) return -k;
    omega = dot(t, r, weight) / tt;
    for (let i = 0; i < n; i++) {
      x[i] += omega * sHat[i];
      r[i] -= omega * t[i];
    }
    if (within(r, tolerance)) return k;
    if (omega === 0) return -k;
  }
  return -maxIterations;
}
