/**
 * Network topology: nodes joined by edges, each edge one transistor (per network copy).
 * Stored flat (edge e joins edgeA[e] and edgeB[e]) so solver kernels index without objects.
 */
export interface Network {
  readonly nodeCount: number;
  readonly edgeCount: number;
  /** First terminal of each edge; the sign convention for edge current is a → b. */
  readonly edgeA: Int32Array;
  /** Second terminal of each edge. */
  readonly edgeB: Int32Array;
  /** Optional lattice shape, kept for drawing and for node naming. */
  readonly lattice?: { readonly rows: number; readonly cols: number; readonly periodic: boolean };
}

export class NetworkError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'NetworkError';
  }
}

/**
 * Build a network from an edge list, validating every edge.
 * @throws NetworkError naming the bad edge.
 */
export function networkFromEdges(nodeCount: number, edges: ReadonlyArray<readonly [number, number]>): Network {
  if (!Number.isInteger(nodeCount) || nodeCount < 2) {
    throw new NetworkError(`nodes must be an integer ≥ 2, got ${nodeCount}`);
  }
  if (edges.length === 0) throw new NetworkError('edges must hold at least one edge');
  const edgeA = new Int32Array(edges.length);
  const edgeB = new Int32Array(edges.length);
  for (let e = 0; e < edges.length; e++) {
    const pair = edges[e];
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new NetworkError(`edges[${e}] must be a pair [a, b], got ${JSON.stringify(pair)}`);
    }
    const [a, b] = pair;
    for (const [k, v] of [
      [0, a],
      [1, b],
    ] as const) {
      if (!Number.isInteger(v) || v < 0 || v >= nodeCount) {
        throw new NetworkError(`edges[${e}][${k}] must be a node index in 0..${nodeCount - 1}, got ${JSON.stringify(v)}`);
      }
    }
    if (a === b) throw new NetworkError(`edges[${e}] joins node ${a} to itself`);
    edgeA[e] = a;
    edgeB[e] = b;
  }
  return { nodeCount, edgeCount: edges.length, edgeA, edgeB };
}

/**
 * An L×W square lattice, node = row·cols + col, each node joined to its right and lower
 * neighbour. Periodic lattices wrap both ways (the paper's 4×4 network: 16 nodes, 32 edges).
 */
export function squareLattice(rows: number, cols: number, periodic: boolean): Network {
  for (const [name, v] of [
    ['rows', rows],
    ['cols', cols],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new NetworkError(`lattice ${name} must be an integer ≥ 1, got ${v}`);
  }
  if (periodic && (rows < 3 || cols < 3)) {
    // A 2-wide ring would join the same pair twice and a 1-wide ring a node to itself.
    throw new NetworkError(`a periodic lattice needs rows ≥ 3 and cols ≥ 3, got ${rows}×${cols}`);
  }
  if (rows * cols < 2) throw new NetworkError('a lattice needs at least 2 nodes');
  // Straight into typed arrays: a 1000×1000 lattice as pairs of JS arrays would cost ~200 MB.
  const count = periodic ? 2 * rows * cols : rows * (cols - 1) + (rows - 1) * cols;
  const edgeA = new Int32Array(count);
  const edgeB = new Int32Array(count);
  let e = 0;
  const add = (a: number, b: number): void => {
    edgeA[e] = a;
    edgeB[e++] = b;
  };
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const n = r * cols + c;
      if (c + 1 < cols) add(n, n + 1);
      else if (periodic) add(n, r * cols);
      if (r + 1 < rows) add(n, n + cols);
      else if (periodic) add(n, c);
    }
  }
  return { nodeCount: rows * cols, edgeCount: count, edgeA, edgeB, lattice: { rows, cols, periodic } };
}

/** The paper's network: a 4×4 periodic square lattice of 32 twin edges. */
export function paperLattice(): Network {
  return squareLattice(4, 4, true);
}

/** Number of transistor terminals at each node (each edge touches two nodes). */
export function nodeDegrees(network: Network): Int32Array {
  const degree = new Int32Array(network.nodeCount);
  for (let e = 0; e < network.edgeCount; e++) {
    degree[network.edgeA[e]]++;
    degree[network.edgeB[e]]++;
  }
  return degree;
}
