/**
 * Sparse LU without pivoting for the structurally symmetric Jacobians of transistor
 * networks. Why no pivoting: every edge adds a column-diagonally-dominant block
 * (∂I/∂V_drain ≥ 0 on the diagonal, the same magnitude off it, and ∂I/∂V_source carried
 * the same way), and the terminal leakage makes the dominance strict, so Gaussian
 * elimination without pivoting is stable under any symmetric reordering. That lets the
 * ordering (minimum degree) and the fill pattern be computed once per topology and
 * fixed-node set, and every Newton iteration does only the numeric work, in place.
 *
 * Storage: one row-compressed array holding, for row i, the L part (columns < i, sorted),
 * the diagonal, and the U part (columns > i, sorted). L has a unit diagonal (not stored).
 */
export interface LuPattern {
  /** Matrix order. */
  readonly n: number;
  /** Row start offsets into colIndex/values, length n + 1. */
  readonly rowStart: Int32Array;
  /** Column of each stored entry (reordered indices). */
  readonly colIndex: Int32Array;
  /** Offset of the diagonal entry of each row. */
  readonly diagonal: Int32Array;
}

/**
 * Minimum-degree ordering and symbolic factorisation of a symmetric sparsity graph.
 * @param n number of unknowns
 * @param adjacency for each unknown, the unknowns it is coupled to (duplicates allowed)
 * @returns order[k] = original index of the k-th pivot, and the filled pattern in pivot order
 */
export function analysePattern(n: number, adjacency: ReadonlyArray<ReadonlyArray<number>>): { order: Int32Array; pattern: LuPattern } {
  const adj: Array<Set<number>> = new Array(n);
  for (let i = 0; i < n; i++) adj[i] = new Set(adjacency[i].filter((j) => j !== i));
  const eliminated = new Uint8Array(n);
  const order = new Int32Array(n);
  const position = new Int32Array(n);
  const upperOf: number[][] = new Array(n);

  // Lazy min-heap of (degree, node); stale entries are skipped when popped.
  const heapDeg: number[] = [];
  const heapNode: number[] = [];
  const push = (d: number, v: number): void => {
    let i = heapDeg.length;
    heapDeg.push(d);
    heapNode.push(v);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heapDeg[p] < d || (heapDeg[p] === d && heapNode[p] <= v)) break;
      heapDeg[i] = heapDeg[p];
      heapNode[i] = heapNode[p];
      i = p;
    }
    heapDeg[i] = d;
    heapNode[i] = v;
  };
  const pop = (): number => {
    const top = heapNode[0];
    const d = heapDeg.pop() as number;
    const v = heapNode.pop() as number;
    const size = heapDeg.length;
    if (size > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= size) break;
        const r = l + 1;
        const c = r < size && (heapDeg[r] < heapDeg[l] || (heapDeg[r] === heapDeg[l] && heapNode[r] < heapNode[l])) ? r : l;
        if (heapDeg[c] > d || (heapDeg[c] === d && heapNode[c] >= v)) break;
        heapDeg[i] = heapDeg[c];
        heapNode[i] = heapNode[c];
        i = c;
      }
      heapDeg[i] = d;
      heapNode[i] = v;
    }
    return top;
  };
  for (let i = 0; i < n; i++) push(adj[i].size, i);

  for (let k = 0; k < n; k++) {
    let v: number;
    for (;;) {
      const d = heapDeg[0];
      v = pop();
      if (!eliminated[v] && d === adj[v].size) break;
    }
    eliminated[v] = 1;
    order[k] = v;
    position[v] = k;
    const neighbours = Array.from(adj[v]);
    upperOf[v] = neighbours;
    // Eliminating v joins all its remaining neighbours into a clique (the fill).
    for (const u of neighbours) {
      const au = adj[u];
      au.delete(v);
      for (const w of neighbours) if (w !== u) au.add(w);
      push(au.size, u);
    }
    adj[v].clear();
  }

  // Rows in pivot order: L part from the transposed upper pattern (structural symmetry).
  const lowerOf: number[][] = Array.from({ length: n }, () => []);
  const upperSorted: number[][] = new Array(n);
  for (let k = 0; k < n; k++) {
    const cols = upperOf[order[k]].map((u) => position[u]).sort((x, y) => x - y);
    upperSorted[k] = cols;
    for (const j of cols) lowerOf[j].push(k);
  }
  const rowStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) rowStart[i + 1] = rowStart[i] + lowerOf[i].length + 1 + upperSorted[i].length;
  const colIndex = new Int32Array(rowStart[n]);
  const diagonal = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let p = rowStart[i];
    for (const k of lowerOf[i]) colIndex[p++] = k; // pushed in increasing k already
    diagonal[i] = p;
    colIndex[p++] = i;
    for (const j of upperSorted[i]) colIndex[p++] = j;
  }
  return { order, pattern: { n, rowStart, colIndex, diagonal } };
}

/** Offset of entry (row, col) in the pattern, or −1 when it is structurally zero. */
export function entryOffset(pattern: LuPattern, row: number, col: number): number {
  let lo = pattern.rowStart[row];
  let hi = pattern.rowStart[row + 1] - 1;
  const cols = pattern.colIndex;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = cols[mid];
    if (c === col) return mid;
    if (c < col) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * Factor in place: `values` holds A on entry and L\U on return (row-by-row IKJ elimination
 * with a dense accumulator `work` of length n, which is left zeroed only where read).
 * @returns 0 on success, or k + 1 where pivot k is zero or not finite (like LAPACK's info).
 */
export function luFactor(pattern: LuPattern, values: Float64Array, work: Float64Array): number {
  const { n, rowStart, colIndex, diagonal } = pattern;
  for (let i = 0; i < n; i++) {
    const start = rowStart[i];
    const end = rowStart[i + 1];
    const diag = diagonal[i];
    for (let p = start; p < end; p++) work[colIndex[p]] = values[p];
    for (let p = start; p < diag; p++) {
      const k = colIndex[p];
      const lik = work[k] / values[diagonal[k]];
      work[k] = lik;
      const kEnd = rowStart[k + 1];
      for (let q = diagonal[k] + 1; q < kEnd; q++) work[colIndex[q]] -= lik * values[q];
    }
    for (let p = start; p < end; p++) values[p] = work[colIndex[p]];
    const pivot = values[diag];
    if (pivot === 0 || !Number.isFinite(pivot)) return i + 1;
  }
  return 0;
}

/** Solve (L·U) x = b in place (b overwritten by x), pivot order. */
export function luSolve(pattern: LuPattern, values: Float64Array, b: Float64Array): void {
  const { n, rowStart, colIndex, diagonal } = pattern;
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let p = rowStart[i]; p < diagonal[i]; p++) s -= values[p] * b[colIndex[p]];
    b[i] = s;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    const end = rowStart[i + 1];
    for (let p = diagonal[i] + 1; p < end; p++) s -= values[p] * b[colIndex[p]];
    b[i] = s / values[diagonal[i]];
  }
}
