import { networkFromEdges, nodeDegrees, paperLattice, squareLattice } from './network';

describe('networks', () => {
  it('builds the paper lattice: 16 nodes, 32 edges, every node of degree 4', () => {
    const n = paperLattice();
    expect([n.nodeCount, n.edgeCount]).toEqual([16, 32]);
    expect(Array.from(nodeDegrees(n))).toEqual(new Array(16).fill(4));
    // node 3 wraps to node 0 on the right and node 15 wraps to node 3 downward
    const pairs = Array.from({ length: 32 }, (_, e) => `${n.edgeA[e]}-${n.edgeB[e]}`);
    expect(pairs).toContain('3-0');
    expect(pairs).toContain('15-3');
  });

  it('builds open L×W lattices with (L−1)·W + L·(W−1) edges', () => {
    const n = squareLattice(3, 5, false);
    expect([n.nodeCount, n.edgeCount]).toEqual([15, 2 * 5 + 3 * 4]);
    expect(n.lattice).toEqual({ rows: 3, cols: 5, periodic: false });
  });

  it('fills a lattice straight into typed arrays, edge for edge as its edge list reads (right, then down, wrapping when periodic)', () => {
    for (const [rows, cols, periodic] of [
      [1, 7, false],
      [6, 1, false],
      [4, 9, false],
      [3, 3, true],
      [5, 8, true],
    ] as const) {
      const listed: Array<[number, number]> = [];
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++) {
          const k = r * cols + c;
          if (c + 1 < cols) listed.push([k, k + 1]);
          else if (periodic) listed.push([k, r * cols]);
          if (r + 1 < rows) listed.push([k, k + cols]);
          else if (periodic) listed.push([k, c]);
        }
      const lattice = squareLattice(rows, cols, periodic);
      const expected = networkFromEdges(rows * cols, listed);
      expect([lattice.nodeCount, lattice.edgeCount]).toEqual([expected.nodeCount, expected.edgeCount]);
      expect(Array.from(lattice.edgeA)).toEqual(Array.from(expected.edgeA));
      expect(Array.from(lattice.edgeB)).toEqual(Array.from(expected.edgeB));
    }
  });

  it('rejects bad lattices and edge lists with the problem named', () => {
    expect(() => squareLattice(2, 4, true)).toThrow(/rows ≥ 3/);
    expect(() => squareLattice(0, 4, false)).toThrow(/rows must be an integer ≥ 1/);
    expect(() => networkFromEdges(3, [[0, 0]])).toThrow(/edges\[0\] joins node 0 to itself/);
    expect(() => networkFromEdges(3, [[0, 3]])).toThrow(/edges\[0\]\[1\] must be a node index in 0\.\.2, got 3/);
    expect(() => networkFromEdges(3, [])).toThrow(/at least one edge/);
  });
});
