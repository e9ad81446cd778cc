/**
 * Compressed sparse rows on typed arrays: the storage of the large-network path (the
 * Jacobian without fill, and the multigrid hierarchy built from it). Only what that path
 * needs: building the coupling pattern straight from the edge arrays (no per-node objects,
 * so a million-node network costs a few tens of megabytes), matrix–vector products, the
 * transpose and the sparse product of two matrices (Gustavson's row-by-row algorithm).
 */
export interface CsrMatrix {
  readonly rows: number;
  readonly cols: number;
  /** Row start offsets into colIndex/values, length rows + 1. */
  readonly rowStart: Int32Array;
  readonly colIndex: Int32Array;
  readonly values: Float64Array;
}

/**
 * The pattern of a network's Jacobian over its unknowns: row k holds the diagonal and every
 * unknown joined to k by an edge, columns sorted and parallel edges merged.
 * @param unknownOf node → unknown, or −1 for a node that is not an unknown
 * @returns the pattern (n, rowStart, colIndex, diagonal), the shape `entryOffset` searches
 */
export function couplingPattern(
  n: number,
  unknownOf: Int32Array,
  edgeA: Int32Array,
  edgeB: Int32Array,
  edgeCount: number,
): { n: number; rowStart: Int32Array; colIndex: Int32Array; diagonal: Int32Array } {
  const count = new Int32Array(n + 1);
  for (let e = 0; e < edgeCount; e++) {
    const a = unknownOf[edgeA[e]];
    const b = unknownOf[edgeB[e]];
    if (a >= 0 && b >= 0) {
      count[a + 1]++;
      count[b + 1]++;
    }
  }
  for (let i = 0; i < n; i++) count[i + 1] += count[i] + 1; // + 1: the diagonal
  const raw = new Int32Array(count[n]);
  const fill = count.slice(0, n);
  for (let i = 0; i < n; i++) raw[fill[i]++] = i;
  for (let e = 0; e < edgeCount; e++) {
    const a = unknownOf[edgeA[e]];
    const b = unknownOf[edgeB[e]];
    if (a >= 0 && b >= 0) {
      raw[fill[a]++] = b;
      raw[fill[b]++] = a;
    }
  }
  // Sort each (short) row and drop the duplicates parallel edges leave, compacting in place.
  const rowStart = new Int32Array(n + 1);
  const diagonal = new Int32Array(n);
  let out = 0;
  for (let i = 0; i < n; i++) {
    const start = count[i];
    const end = count[i + 1];
    for (let p = start + 1; p < end; p++) {
      const v = raw[p];
      let q = p - 1;
      while (q >= start && raw[q] > v) {
        raw[q + 1] = raw[q];
        q--;
      }
      raw[q + 1] = v;
    }
    rowStart[i] = out;
    for (let p = start; p < end; p++) {
      if (p > start && raw[p] === raw[p - 1]) continue;
      if (raw[p] === i) diagonal[i] = out;
      raw[out++] = raw[p];
    }
  }
  rowStart[n] = out;
  return { n, rowStart, colIndex: raw.slice(0, out), diagonal };
}

/** y = A·x */
export function multiply(a: CsrMatrix, x: Float64Array, y: Float64Array): void {
  const { rows, rowStart, colIndex, values } = a;
  for (let i = 0; i < rows; i++) {
    let s = 0;
    const end = rowStart[i + 1];
    for (let p = rowStart[i]; p < end; p++) s += values[p] * x[colIndex[p]];
    y[i] = s;
  }
}

/** Aᵀ, with each row's columns in increasing order. */
export function transpose(a: CsrMatrix): CsrMatrix {
  const { rows, cols, rowStart, colIndex, values } = a;
  const start = new Int32Array(cols + 1);
  const nnz = rowStart[rows];
  for (let p = 0; p < nnz; p++) start[colIndex[p] + 1]++;
  for (let j = 0; j < cols; j++) start[j + 1] += start[j];
  const fill = start.slice(0, cols);
  const tCol = new Int32Array(nnz);
  const tVal = new Float64Array(nnz);
  for (let i = 0; i < rows; i++) {
    for (let p = rowStart[i]; p < rowStart[i + 1]; p++) {
      const q = fill[colIndex[p]]++;
      tCol[q] = i;
      tVal[q] = values[p];
    }
  }
  return { rows: cols, cols: rows, rowStart: start, colIndex: tCol, values: tVal };
}

/**
 * C = A·B by rows (Gustavson): a symbolic pass counts each row's entries with a marker
 * array, a numeric pass fills them, so C is allocated once at its exact size.
 */
export function product(a: CsrMatrix, b: CsrMatrix): CsrMatrix {
  if (a.cols !== b.rows) throw new RangeError(`product: ${a.rows}×${a.cols} times ${b.rows}×${b.cols}`);
  const rows = a.rows;
  const cols = b.cols;
  const marker = new Int32Array(cols).fill(-1);
  const rowStart = new Int32Array(rows + 1);
  for (let i = 0; i < rows; i++) {
    let count = 0;
    for (let p = a.rowStart[i]; p < a.rowStart[i + 1]; p++) {
      const k = a.colIndex[p];
      for (let q = b.rowStart[k]; q < b.rowStart[k + 1]; q++) {
        const j = b.colIndex[q];
        if (marker[j] !== i) {
          marker[j] = i;
          count++;
        }
      }
    }
    rowStart[i + 1] = rowStart[i] + count;
  }
  const colIndex = new Int32Array(rowStart[rows]);
  const values = new Float64Array(rowStart[rows]);
  marker.fill(-1); // now: position of column j in the current row
  for (let i = 0; i < rows; i++) {
    const rowBegin = rowStart[i];
    let next = rowBegin;
    for (let p = a.rowStart[i]; p < a.rowStart[i + 1]; p++) {
      const k = a.colIndex[p];
      const aik = a.values[p];
      for (let q = b.rowStart[k]; q < b.rowStart[k + 1]; q++) {
        const j = b.colIndex[q];
        const at = marker[j];
        if (at >= rowBegin) values[at] += aik * b.values[q];
        else {
          marker[j] = next;
          colIndex[next] = j;
          values[next++] = aik * b.values[q];
        }
      }
    }
  }
  return { rows, cols, rowStart, colIndex, values };
}

/** Sort each row's columns in place (insertion sort: rows are short); returns the matrix. */
export function sortRows(a: CsrMatrix): CsrMatrix {
  const { rows, rowStart, colIndex, values } = a;
  for (let i = 0; i < rows; i++) {
    const start = rowStart[i];
    for (let p = start + 1; p < rowStart[i + 1]; p++) {
      const c = colIndex[p];
      const v = values[p];
      let q = p - 1;
      while (q >= start && colIndex[q] > c) {
        colIndex[q + 1] = colIndex[q];
        values[q + 1] = values[q];
        q--;
      }
      colIndex[q + 1] = c;
      values[q + 1] = v;
    }
  }
  return a;
}
