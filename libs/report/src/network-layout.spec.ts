import { networkLayout } from './network-layout';
import { latticeNetwork } from './testing/synthetic-results';

describe('networkLayout', () => {
  it('puts node row·cols + col at (col, row)', () => {
    const layout = networkLayout(latticeNetwork(3, 5, false));
    expect(layout.kind).toBe('lattice');
    expect(layout.nodes[7]).toEqual({ node: 7, x: 2, y: 1 });
    expect(layout.segments.every((s) => !s.stub)).toBe(true);
  });

  it('draws the wrap-around edges of a periodic 4×4 lattice as half-length stubs leaving the border', () => {
    const network = latticeNetwork(4, 4, true);
    expect(network.edges).toHaveLength(32);
    const layout = networkLayout(network);
    const stubs = layout.segments.filter((s) => s.stub);
    // 4 wrapping row edges + 4 wrapping column edges, two stubs each; the other 24 edges are whole.
    expect(stubs).toHaveLength(16);
    expect(layout.segments.filter((s) => !s.stub)).toHaveLength(24);
    for (const s of stubs) {
      expect(Math.hypot(s.x2 - s.x, s.y2 - s.y)).toBeCloseTo(0.5, 12);
      const outside = s.x2 < 0 || s.x2 > 3 || s.y2 < 0 || s.y2 > 3;
      expect(outside).toBe(true);
      expect(s.x2).toBeGreaterThanOrEqual(layout.xDomain[0]);
      expect(s.x2).toBeLessThanOrEqual(layout.xDomain[1]);
    }
    // Edge 6 joins node 3 (col 3) to node 0 (col 0): stubs go right from 3 and left from 0.
    const wrap = stubs.filter((s) => s.edge === 6);
    expect(wrap.map((s) => [s.x, s.x2])).toEqual([
      [3, 3.5],
      [0, -0.5],
    ]);
  });

  it('lays a network without a lattice on a circle, node 0 at the top', () => {
    const layout = networkLayout({
      nodeCount: 6,
      edges: [
        [0, 3],
        [1, 4],
        [2, 5],
      ],
    });
    expect(layout.kind).toBe('circle');
    expect(layout.segments).toHaveLength(3);
    const radius = Math.hypot(layout.nodes[0].x, layout.nodes[0].y);
    for (const n of layout.nodes) expect(Math.hypot(n.x, n.y)).toBeCloseTo(radius, 12);
    expect(layout.nodes[0].x).toBeCloseTo(0, 12);
    expect(layout.nodes[0].y).toBeLessThan(0); // y points down on the page
  });
});
