/**
 * Where each node and edge of a network sits on the page. Lattices are drawn as their grid
 * (row 0 at the top, node = row·cols + col); a periodic lattice's wrap-around edges become
 * two half-length stubs leaving the grid on opposite sides, as the paper draws its torus,
 * so no line crosses the picture. Any other network is laid out on a circle.
 * Coordinates are in lattice units with y pointing down (the figure reverses its y scale).
 */
import type { NetworkJson } from '@metatwin/experiments';

export interface NodePosition {
  readonly node: number;
  readonly x: number;
  readonly y: number;
}

/** One drawn line of an edge; a wrap-around edge has two. */
export interface EdgeSegment {
  readonly edge: number;
  readonly x: number;
  readonly y: number;
  readonly x2: number;
  readonly y2: number;
  /** True for the stubs of a periodic wrap-around edge. */
  readonly stub: boolean;
}

export interface NetworkLayout {
  readonly kind: 'lattice' | 'circle';
  readonly nodes: NodePosition[];
  readonly segments: EdgeSegment[];
  readonly xDomain: readonly [number, number];
  readonly yDomain: readonly [number, number];
}

/** Room around the outermost nodes: the stubs reach half a lattice spacing out. */
const MARGIN = 0.6;

export function networkLayout(network: NetworkJson): NetworkLayout {
  const lattice = network.lattice;
  if (lattice && lattice.rows * lattice.cols === network.nodeCount) return latticeLayout(network, lattice.rows, lattice.cols, lattice.periodic);
  return circleLayout(network);
}

function latticeLayout(network: NetworkJson, rows: number, cols: number, periodic: boolean): NetworkLayout {
  const nodes: NodePosition[] = [];
  for (let node = 0; node < network.nodeCount; node++) nodes.push({ node, x: node % cols, y: Math.floor(node / cols) });
  const segments: EdgeSegment[] = [];
  network.edges.forEach(([a, b], edge) => {
    const pa = nodes[a];
    const pb = nodes[b];
    const dx = periodic ? shortestOffset(pb.x - pa.x, cols) : pb.x - pa.x;
    const dy = periodic ? shortestOffset(pb.y - pa.y, rows) : pb.y - pa.y;
    const wraps = dx !== pb.x - pa.x || dy !== pb.y - pa.y;
    if (!wraps) {
      segments.push({ edge, x: pa.x, y: pa.y, x2: pb.x, y2: pb.y, stub: false });
      return;
    }
    // Each end gets half of the edge, pointing the way the torus continues.
    segments.push({ edge, x: pa.x, y: pa.y, x2: pa.x + dx / 2, y2: pa.y + dy / 2, stub: true });
    segments.push({ edge, x: pb.x, y: pb.y, x2: pb.x - dx / 2, y2: pb.y - dy / 2, stub: true });
  });
  return {
    kind: 'lattice',
    nodes,
    segments,
    xDomain: [-MARGIN, cols - 1 + MARGIN],
    yDomain: [-MARGIN, rows - 1 + MARGIN],
  };
}

/** The offset on a ring of `period` sites with the smallest magnitude (ties keep the direct way). */
function shortestOffset(offset: number, period: number): number {
  if (offset > period / 2) return offset - period;
  if (offset < -period / 2) return offset + period;
  return offset;
}

function circleLayout(network: NetworkJson): NetworkLayout {
  const n = network.nodeCount;
  // Radius grows with node count so neighbouring nodes stay about one unit apart, like the lattice.
  const radius = Math.max(1, n / (2 * Math.PI));
  const nodes: NodePosition[] = [];
  for (let node = 0; node < n; node++) {
    const angle = -Math.PI / 2 + (2 * Math.PI * node) / n; // node 0 at the top, then clockwise
    nodes.push({ node, x: radius * Math.cos(angle), y: radius * Math.sin(angle) });
  }
  const segments = network.edges.map(([a, b], edge) => ({ edge, x: nodes[a].x, y: nodes[a].y, x2: nodes[b].x, y2: nodes[b].y, stub: false }));
  const extent = radius + MARGIN;
  return { kind: 'circle', nodes, segments, xDomain: [-extent, extent], yDomain: [-extent, extent] };
}
