/**
 * Damped Gauss–Newton (Levenberg–Marquardt) for a few dozen parameters: the normal equations
 * (JᵀJ + λ·diag) δ = Jᵀr solved by Cholesky on a dense P×P matrix. Small and dense by design
 * (a chip's 64 parameters); the residual function and its Jacobian are the caller's.
 */

/** Solve (JᵀJ + λ·mean(diag)·I) δ = Jᵀ r; J is row-major M×P. */
export function dampedStep(J: Float64Array, r: Float64Array, M: number, P: number, lambda: number): Float64Array {
  const A = new Float64Array(P * P);
  const b = new Float64Array(P);
  for (let i = 0; i < M; i++) {
    const row = i * P;
    const ri = r[i];
    for (let a = 0; a < P; a++) {
      const ja = J[row + a];
      if (ja === 0) continue;
      b[a] += ja * ri;
      for (let c = 0; c <= a; c++) A[a * P + c] += ja * J[row + c];
    }
  }
  let trace = 0;
  for (let a = 0; a < P; a++) trace += A[a * P + a];
  const damping = (lambda * trace) / P;
  for (let a = 0; a < P; a++) A[a * P + a] += damping;
  // Cholesky A = L Lᵀ in the lower triangle, then two triangular solves.
  for (let i = 0; i < P; i++)
    for (let j = 0; j <= i; j++) {
      let s = A[i * P + j];
      for (let k = 0; k < j; k++) s -= A[i * P + k] * A[j * P + k];
      A[i * P + j] = i === j ? Math.sqrt(Math.max(s, 1e-300)) : s / A[j * P + j];
    }
  const x = new Float64Array(P);
  for (let i = 0; i < P; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= A[i * P + k] * x[k];
    x[i] = s / A[i * P + i];
  }
  for (let i = P - 1; i >= 0; i--) {
    let s = x[i];
    for (let k = i + 1; k < P; k++) s -= A[k * P + i] * x[k];
    x[i] = s / A[i * P + i];
  }
  return x;
}

export interface LeastSquaresProblem {
  readonly parameters: number;
  readonly residuals: number;
  /** Residuals at θ into `out`; false when θ cannot be evaluated (a solve failed). */
  residual(theta: Float64Array, out: Float64Array): boolean;
  /** The Jacobian ∂r/∂θ at θ (row-major), given r(θ). */
  jacobian(theta: Float64Array, r: Float64Array, out: Float64Array): void;
}

export interface LeastSquaresResult {
  readonly theta: Float64Array;
  readonly cost: number;
  readonly iterations: number;
}

const sumSq = (r: Float64Array): number => r.reduce((s, x) => s + x * x, 0);

/** Minimise ½|r(θ)|² from θ0: Levenberg–Marquardt, λ ×10 on a failed step, ÷10 on a taken one. */
export function levenbergMarquardt(p: LeastSquaresProblem, theta0: Float64Array, maxIterations = 30, tolerance = 1e-9): LeastSquaresResult {
  const theta = Float64Array.from(theta0);
  const r = new Float64Array(p.residuals);
  const trial = new Float64Array(p.residuals);
  const J = new Float64Array(p.residuals * p.parameters);
  if (!p.residual(theta, r)) throw new Error('the starting parameters cannot be evaluated');
  let cost = sumSq(r);
  let lambda = 1e-3;
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    p.jacobian(theta, r, J);
    let improved = false;
    for (let tries = 0; tries < 12 && !improved; tries++) {
      // r = measured − model, so the step is −J⁺r for J = ∂(model)/∂θ: the caller's J is ∂r/∂θ, hence the minus.
      const step = dampedStep(J, r, p.residuals, p.parameters, lambda);
      const next = theta.map((t, i) => t - step[i]);
      if (p.residual(next, trial) && sumSq(trial) < cost) {
        const gain = cost - sumSq(trial);
        theta.set(next);
        r.set(trial);
        cost = sumSq(trial);
        lambda = Math.max(lambda / 10, 1e-12);
        improved = true;
        if (gain <= tolerance * cost) return { theta, cost, iterations: iterations + 1 };
      } else lambda *= 10;
    }
    if (!improved) break;
  }
  return { theta, cost, iterations };
}
