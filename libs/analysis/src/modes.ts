/**
 * Error modes (paper Appendix C): the error vector E = O − L over datapoints projected on
 * an orthonormal basis built by Gram–Schmidt from powers of the inputs.
 *  - one variable input: v_m = V1^m, m = 0, 1, 2, … → E0 (mean), E1 (slope), E2 (curvature), …
 *  - several inputs: multilinear monomials in order of degree then position, for two inputs
 *    v00 = 1, v01 = V2, v10 = V1, v11 = V1·V2 → E00, E01, E10, E11 (Eq. C3).
 * Vectors that depend on earlier ones (e.g. V1² when V1 takes only two values) are dropped,
 * so the basis has at most one vector per datapoint.
 */

export interface ModeBasis {
  readonly names: string[];
  /** Orthonormal vectors, one per name, each of length = datapoints. */
  readonly vectors: Float64Array[];
}

/** Maximum polynomial degree used for one-input tasks (E0 … E3). */
export const ONE_INPUT_MAX_DEGREE = 3;

/**
 * @param inputs per datapoint, the variable input voltages (V)
 */
export function modeBasis(inputs: ReadonlyArray<ReadonlyArray<number>>): ModeBasis {
  const n = inputs.length;
  const d = inputs[0]?.length ?? 0;
  if (n === 0 || d === 0) throw new RangeError('mode basis needs at least one datapoint with at least one input');
  const candidates: Array<{ name: string; v: Float64Array }> = [];
  if (d === 1) {
    for (let m = 0; m <= Math.min(ONE_INPUT_MAX_DEGREE, n - 1); m++) {
      candidates.push({ name: `E${m}`, v: Float64Array.from(inputs, (row) => row[0] ** m) });
    }
  } else {
    const exps: number[][] = [];
    for (let mask = 0; mask < 1 << d; mask++) exps.push(Array.from({ length: d }, (_, i) => (mask >> (d - 1 - i)) & 1));
    exps.sort((x, y) => x.reduce((s, e) => s + e, 0) - y.reduce((s, e) => s + e, 0) || x.join('').localeCompare(y.join('')));
    for (const e of exps) candidates.push({ name: `E${e.join('')}`, v: Float64Array.from(inputs, (row) => row.reduce((p, x, i) => p * (e[i] ? x : 1), 1)) });
  }
  const names: string[] = [];
  const vectors: Float64Array[] = [];
  for (const { name, v } of candidates) {
    const scale = Math.sqrt(dot(v, v)) || 1;
    const u = Float64Array.from(v);
    // Modified Gram–Schmidt, twice, for orthogonality to rounding.
    for (let pass = 0; pass < 2; pass++) {
      for (const q of vectors) {
        const c = dot(u, q);
        for (let i = 0; i < n; i++) u[i] -= c * q[i];
      }
    }
    const norm = Math.sqrt(dot(u, u));
    if (norm <= 1e-9 * scale) continue;
    for (let i = 0; i < n; i++) u[i] /= norm;
    names.push(name);
    vectors.push(u);
    if (vectors.length === n) break;
  }
  return { names, vectors };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Signed modes 𝓔_m = n̂_m · (O − L) (V). */
export function errorModes(basis: ModeBasis, outputs: ArrayLike<number>, labels: ArrayLike<number>): Record<string, number> {
  const modes: Record<string, number> = {};
  basis.names.forEach((name, m) => {
    const q = basis.vectors[m];
    let s = 0;
    for (let i = 0; i < q.length; i++) s += q[i] * (outputs[i] - labels[i]);
    modes[name] = s;
  });
  return modes;
}

/** Mean squared error over datapoints (V²). */
export function meanSquaredError(outputs: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (outputs.length !== labels.length || outputs.length === 0)
    throw new RangeError(`outputs (${outputs.length}) and labels (${labels.length}) must be equally long and non-empty`);
  let s = 0;
  for (let i = 0; i < outputs.length; i++) {
    const e = outputs[i] - labels[i];
    s += e * e;
  }
  return s / outputs.length;
}
