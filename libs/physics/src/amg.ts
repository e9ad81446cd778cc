/**
 * Smoothed-aggregation algebraic multigrid (Vaněk, Mandel & Brezina 1996), the preconditioner
 * of the large-network path. Why this one: a network's Jacobian is a weighted-Laplacian-like
 * M-matrix (each channel couples its two nodes with conductances of opposite sign, and the
 * junction leakage makes the diagonal dominant), which is the problem aggregation multigrid
 * was made for; its cost and memory grow linearly with the number of edges, where a direct
 * factorisation's fill grows as n·log n on a lattice and far faster on random graphs.
 *
 * Set-up, per level: strong connections (|a_ij| ≥ θ·√(a_ii·a_jj)); greedy aggregation in
 * three passes (a node and all its strong neighbours, then leftovers joined to a neighbouring
 * aggregate, then new aggregates of what is left); the tentative prolongator T (one per
 * aggregate) smoothed by one damped Jacobi step, P = (I − ω·D⁻¹·A)·T with ω = 4/(3·ρ) and ρ
 * Gershgorin's bound on D⁻¹·A; restriction R = Pᵀ; coarse operator R·A·P, rows sorted. A node with no
 * strong neighbour (held only by leakage or cut-off channels) joins no aggregate: the smoother
 * alone handles it. The coarsest level (≤ 200 unknowns) is solved by dense LU.
 *
 * The hierarchy is built once from one Jacobian and reused — across Newton iterations,
 * datapoints and training steps, while the gates move by microvolts — except the finest level,
 * whose smoother always uses the current Jacobian (`values` is shared with the solver). One
 * V-cycle with one forward Gauss–Seidel sweep before and one backward after is one
 * application of the preconditioner. Everything is deterministic: no random choices, natural
 * order throughout, so a run gives the same bits every time.
 */
import { product, sortRows, transpose, type CsrMatrix } from './csr';

const STRENGTH_THETA = 0.08;
const COARSEST_UNKNOWNS = 200;
const MAX_LEVELS = 25;
/** A coarse operator with more entries than this fraction of its fine one is built from plain aggregates instead. */
const MAX_COARSE_FILL = 0.6;

interface Level {
  readonly a: CsrMatrix;
  readonly diagonal: Int32Array;
  readonly p: CsrMatrix | null;
  readonly x: Float64Array;
  readonly b: Float64Array;
}

export class SmoothedAggregation {
  private readonly levels: Level[] = [];
  private readonly coarseLu: Float64Array;
  private readonly coarsePivot: Int32Array;
  private readonly coarseN: number;

  /**
   * @param fine the fine-level matrix (its arrays are kept, not copied: the fine smoother
   *   sees whatever values they hold when the preconditioner is applied)
   * @param fineDiagonal offset of each row's diagonal entry in `fine`
   */
  constructor(fine: CsrMatrix, fineDiagonal: Int32Array) {
    let a = fine;
    let diagonal = fineDiagonal;
    for (let depth = 0; ; depth++) {
      const n = a.rows;
      const coarsest = n <= COARSEST_UNKNOWNS || depth === MAX_LEVELS - 1;
      let p = coarsest ? null : aggregationProlongator(a, diagonal, depth === 0 ? STRENGTH_THETA : 0, true);
      if (p === null || p.cols === 0 || p.cols >= n) {
        this.levels.push({ a, diagonal, p: null, x: new Float64Array(n), b: new Float64Array(n) });
        break;
      }
      // The first coarse operator copies the fine values as they are now: that is the staleness.
      // Rᵀ = P is not stored: the cycle restricts by scattering through P's rows.
      let coarse = sortRows(product(transpose(p), product(a, p)));
      if (coarse.rowStart[coarse.rows] > MAX_COARSE_FILL * a.rowStart[n]) {
        // On an expander (a random graph) a smoothed P reaches so far that the coarse operator
        // is denser than the fine one. Plain aggregates keep it sparse, and on such a graph
        // they suffice: its only slow error is the near-constant one they represent exactly.
        p = aggregationProlongator(a, diagonal, depth === 0 ? STRENGTH_THETA : 0, false) as CsrMatrix;
        coarse = sortRows(product(transpose(p), product(a, p)));
      }
      this.levels.push({ a, diagonal, p, x: new Float64Array(n), b: new Float64Array(n) });
      a = coarse;
      diagonal = diagonalOffsets(a);
    }
    const last = this.levels[this.levels.length - 1];
    this.coarseN = last.a.rows <= 4 * COARSEST_UNKNOWNS ? last.a.rows : 0;
    this.coarseLu = new Float64Array(this.coarseN * this.coarseN);
    this.coarsePivot = new Int32Array(this.coarseN);
    if (this.coarseN > 0) denseFactor(last.a, this.coarseLu, this.coarsePivot);
  }

  /** Number of levels, finest first. */
  get depth(): number {
    return this.levels.length;
  }

  /** Unknowns per level, finest first. */
  get sizes(): number[] {
    return this.levels.map((l) => l.a.rows);
  }

  /** Stored entries of all operators over those of the finest (the operator complexity). */
  get complexity(): number {
    const nnz = this.levels.map((l) => l.a.rowStart[l.a.rows]);
    return nnz.reduce((s, v) => s + v, 0) / nnz[0];
  }

  /** x = M⁻¹·b: one V(1,1) cycle from x = 0. */
  apply(b: Float64Array, x: Float64Array): void {
    const top = this.levels[0];
    top.b.set(b);
    this.cycle(0);
    x.set(top.x);
  }

  private cycle(k: number): void {
    const level = this.levels[k];
    const { a, diagonal, p, x, b } = level;
    if (p === null) {
      x.fill(0);
      if (this.coarseN > 0) {
        x.set(b);
        denseSolve(this.coarseN, this.coarseLu, this.coarsePivot, x);
      } else {
        for (let sweep = 0; sweep < 20; sweep++) gaussSeidel(a, diagonal, b, x, sweep % 2 === 1);
      }
      return;
    }
    const coarse = this.levels[k + 1];
    const cb = coarse.b;
    cb.fill(0);
    const { rows, rowStart, colIndex, values } = a;
    // Forward Gauss–Seidel from x = 0 sees only the lower triangle (rows are sorted, so it
    // ends at the diagonal); the residual it leaves is then minus the upper triangle times x.
    // Both passes over the row are one, and the residual goes straight into R = Pᵀ.
    for (let i = 0; i < rows; i++) {
      const d = diagonal[i];
      let s = b[i];
      for (let q = rowStart[i]; q < d; q++) s -= values[q] * x[colIndex[q]];
      x[i] = values[d] !== 0 ? s / values[d] : 0;
    }
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let q = diagonal[i] + 1; q < rowStart[i + 1]; q++) s -= values[q] * x[colIndex[q]];
      for (let q = p.rowStart[i]; q < p.rowStart[i + 1]; q++) cb[p.colIndex[q]] += p.values[q] * s;
    }
    this.cycle(k + 1);
    const cx = coarse.x;
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let q = p.rowStart[i]; q < p.rowStart[i + 1]; q++) s += p.values[q] * cx[p.colIndex[q]];
      x[i] += s;
    }
    gaussSeidel(a, diagonal, b, x, true);
  }
}

/** One Gauss–Seidel sweep on A·x = b, forward or backward. */
function gaussSeidel(a: CsrMatrix, diagonal: Int32Array, b: Float64Array, x: Float64Array, backward: boolean): void {
  const { rows, rowStart, colIndex, values } = a;
  const step = backward ? -1 : 1;
  for (let t = 0, i = backward ? rows - 1 : 0; t < rows; t++, i += step) {
    // The whole row, then the diagonal's term put back: no branch in the inner loop.
    let s = b[i];
    const end = rowStart[i + 1];
    for (let q = rowStart[i]; q < end; q++) s -= values[q] * x[colIndex[q]];
    const aii = values[diagonal[i]];
    if (aii !== 0) x[i] += s / aii;
  }
}

function diagonalOffsets(a: CsrMatrix): Int32Array {
  const out = new Int32Array(a.rows).fill(-1);
  for (let i = 0; i < a.rows; i++) {
    for (let q = a.rowStart[i]; q < a.rowStart[i + 1]; q++) if (a.colIndex[q] === i) out[i] = q;
  }
  // A Galerkin product always has its diagonal (each aggregate couples to itself); a row
  // without one would be a set-up bug, not a property of the network.
  if (out.includes(-1)) throw new Error('multigrid: a coarse row has no diagonal entry');
  return out;
}

/** Aggregate the strong-connection graph and (when `smooth`) smooth the tentative prolongator; null when nothing aggregates. */
function aggregationProlongator(a: CsrMatrix, diagonal: Int32Array, theta: number, smooth: boolean): CsrMatrix | null {
  const n = a.rows;
  const { rowStart, colIndex, values } = a;
  const strong = new Uint8Array(rowStart[n]);
  let rho = 0; // Gershgorin bound on the spectral radius of D⁻¹·A
  for (let i = 0; i < n; i++) {
    const aii = Math.abs(values[diagonal[i]]);
    let rowSum = 0;
    for (let q = rowStart[i]; q < rowStart[i + 1]; q++) {
      const j = colIndex[q];
      rowSum += Math.abs(values[q]);
      if (j !== i && Math.abs(values[q]) >= theta * Math.sqrt(aii * Math.abs(values[diagonal[j]]))) strong[q] = 1;
    }
    if (aii > 0) rho = Math.max(rho, rowSum / aii);
  }
  const UNSEEN = -1;
  const aggregate = new Int32Array(n).fill(UNSEEN);
  let count = 0;
  // Pass 1: a node whose strong neighbours are all free starts an aggregate with them.
  for (let i = 0; i < n; i++) {
    if (aggregate[i] !== UNSEEN) continue;
    let any = false;
    let free = true;
    for (let q = rowStart[i]; q < rowStart[i + 1]; q++) {
      if (!strong[q]) continue;
      any = true;
      if (aggregate[colIndex[q]] !== UNSEEN) free = false;
    }
    if (!any || !free) continue;
    aggregate[i] = count;
    for (let q = rowStart[i]; q < rowStart[i + 1]; q++) if (strong[q]) aggregate[colIndex[q]] = count;
    count++;
  }
  // Pass 2: a leftover joins the aggregate of its strongest aggregated neighbour (from pass 1 only).
  const joined = aggregate.slice();
  for (let i = 0; i < n; i++) {
    if (aggregate[i] !== UNSEEN) continue;
    let best = -1;
    let bestStrength = 0;
    for (let q = rowStart[i]; q < rowStart[i + 1]; q++) {
      if (strong[q] && aggregate[colIndex[q]] >= 0 && Math.abs(values[q]) > bestStrength) {
        best = aggregate[colIndex[q]];
        bestStrength = Math.abs(values[q]);
      }
    }
    if (best >= 0) joined[i] = best;
  }
  // Pass 3: what is still left and has strong neighbours forms aggregates of its own.
  for (let i = 0; i < n; i++) {
    if (joined[i] !== UNSEEN) continue;
    let any = false;
    for (let q = rowStart[i]; q < rowStart[i + 1]; q++) if (strong[q]) any = true;
    if (!any) continue; // isolated: left to the smoother
    joined[i] = count;
    for (let q = rowStart[i]; q < rowStart[i + 1]; q++) if (strong[q] && joined[colIndex[q]] === UNSEEN) joined[colIndex[q]] = count;
    count++;
  }
  if (count === 0) return null;

  // P = (I − ω·D⁻¹·A)·T, row by row: T contributes 1 at the node's own aggregate.
  const omega = rho > 0 ? 4 / (3 * rho) : 0;
  const marker = new Int32Array(count).fill(-1);
  const pStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    let c = 0;
    const own = joined[i];
    if (own >= 0) {
      marker[own] = i;
      c++;
    }
    const end = smooth ? rowStart[i + 1] : rowStart[i]; // unsmoothed: T alone
    for (let q = rowStart[i]; q < end; q++) {
      const g = joined[colIndex[q]];
      if (g >= 0 && marker[g] !== i) {
        marker[g] = i;
        c++;
      }
    }
    pStart[i + 1] = pStart[i] + c;
  }
  const pCol = new Int32Array(pStart[n]);
  const pVal = new Float64Array(pStart[n]);
  marker.fill(-1);
  for (let i = 0; i < n; i++) {
    const begin = pStart[i];
    let next = begin;
    const own = joined[i];
    if (own >= 0) {
      marker[own] = next;
      pCol[next] = own;
      pVal[next++] = 1;
    }
    const aii = values[diagonal[i]];
    const w = aii !== 0 ? omega / aii : 0;
    const end = smooth ? rowStart[i + 1] : rowStart[i];
    for (let q = rowStart[i]; q < end; q++) {
      const g = joined[colIndex[q]];
      if (g < 0) continue;
      const at = marker[g];
      if (at >= begin) pVal[at] -= w * values[q];
      else {
        marker[g] = next;
        pCol[next] = g;
        pVal[next++] = -w * values[q];
      }
    }
  }
  return { rows: n, cols: count, rowStart: pStart, colIndex: pCol, values: pVal };
}

/** Dense LU with partial pivoting of a small CSR matrix, into `lu` (row-major) and `pivot`. */
function denseFactor(a: CsrMatrix, lu: Float64Array, pivot: Int32Array): void {
  const n = a.rows;
  for (let i = 0; i < n; i++) for (let q = a.rowStart[i]; q < a.rowStart[i + 1]; q++) lu[i * n + a.colIndex[q]] += a.values[q];
  for (let k = 0; k < n; k++) {
    let best = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(lu[i * n + k]) > Math.abs(lu[best * n + k])) best = i;
    pivot[k] = best;
    if (best !== k) {
      for (let j = 0; j < n; j++) {
        const t = lu[k * n + j];
        lu[k * n + j] = lu[best * n + j];
        lu[best * n + j] = t;
      }
    }
    // A zero pivot makes this level inexact, not the solve wrong: the Krylov method corrects.
    if (lu[k * n + k] === 0) lu[k * n + k] = 1;
    const inv = 1 / lu[k * n + k];
    for (let i = k + 1; i < n; i++) {
      const f = (lu[i * n + k] *= inv);
      if (f !== 0) for (let j = k + 1; j < n; j++) lu[i * n + j] -= f * lu[k * n + j];
    }
  }
}

function denseSolve(n: number, lu: Float64Array, pivot: Int32Array, x: Float64Array): void {
  for (let k = 0; k < n; k++) {
    const p = pivot[k];
    if (p !== k) {
      const t = x[k];
      x[k] = x[p];
      x[p] = t;
    }
  }
  for (let i = 0; i < n; i++) {
    let s = x[i];
    for (let j = 0; j < i; j++) s -= lu[i * n + j] * x[j];
    x[i] = s;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i];
    for (let j = i + 1; j < n; j++) s -= lu[i * n + j] * x[j];
    x[i] = s / lu[i * n + i];
  }
}
