/**
 * Seeded network topologies for studies (issue 12): each generator turns its parameters and a
 * seed into an edge list, so an experiment resolves to `{kind: 'edges', nodes, edges}` and a
 * run records exactly the network it ran on. Every generated network is connected (a node no
 * edge reaches would carry no current and learn nothing).
 *
 * - random regular: every node has the same degree; the pairing (configuration) model,
 *   drawn again until it has no self-loop, no double edge and is connected;
 * - small world: an L×W lattice plus long-range "skip connections" (the paper's discussion)
 *   between node pairs drawn uniformly, none repeating an edge;
 * - hierarchical: modules (small periodic lattices) on a ring, each joined to the next by a
 *   few edges between random nodes of the two.
 */
import { Rng, type Network } from '@metatwin/physics';

export type Edge = readonly [number, number];

export class TopologyError extends Error {
  override readonly name = 'TopologyError';
}

const key = (a: number, b: number): number => (a < b ? a * 0x100000 + b : b * 0x100000 + a);

type EdgeSource = ReadonlyArray<Edge> | Pick<Network, 'edgeA' | 'edgeB' | 'edgeCount'>;

/** Each node's neighbours as compressed rows: O(E) typed memory, whatever the network's size. */
function neighbourRows(nodes: number, edges: EdgeSource): { start: Int32Array; neighbour: Int32Array } {
  const [edgeA, edgeB] =
    'edgeA' in edges
      ? [edges.edgeA.subarray(0, edges.edgeCount), edges.edgeB.subarray(0, edges.edgeCount)]
      : [Int32Array.from(edges, (e) => e[0]), Int32Array.from(edges, (e) => e[1])];
  const start = new Int32Array(nodes + 1);
  for (let e = 0; e < edgeA.length; e++) {
    start[edgeA[e] + 1]++;
    start[edgeB[e] + 1]++;
  }
  for (let n = 0; n < nodes; n++) start[n + 1] += start[n];
  const fill = start.slice(0, nodes);
  const neighbour = new Int32Array(2 * edgeA.length);
  for (let e = 0; e < edgeA.length; e++) {
    neighbour[fill[edgeA[e]]++] = edgeB[e];
    neighbour[fill[edgeB[e]]++] = edgeA[e];
  }
  return { start, neighbour };
}

/** Whether every node is reached from node 0. */
export function isConnected(nodes: number, edges: EdgeSource): boolean {
  const { start, neighbour } = neighbourRows(nodes, edges);
  const seen = new Uint8Array(nodes);
  const stack = new Int32Array(nodes);
  let top = 0;
  stack[top++] = 0;
  seen[0] = 1;
  let reached = 1;
  while (top > 0) {
    const n = stack[--top];
    for (let q = start[n]; q < start[n + 1]; q++) {
      const m = neighbour[q];
      if (!seen[m]) {
        seen[m] = 1;
        reached++;
        stack[top++] = m;
      }
    }
  }
  return reached === nodes;
}

const ATTEMPTS = 200;

export function randomRegular(nodes: number, degree: number, seed: number): Edge[] {
  if (!(degree >= 2 && degree < nodes)) throw new TopologyError(`degree must be in 2..${nodes - 1} for ${nodes} nodes, got ${degree}`);
  if ((nodes * degree) % 2 !== 0) throw new TopologyError(`nodes × degree must be even (each edge has two ends), got ${nodes} × ${degree}`);
  const rng = new Rng(seed);
  const stubs = new Int32Array(nodes * degree);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    for (let i = 0; i < stubs.length; i++) stubs[i] = Math.floor(i / degree);
    // Fisher–Yates, then pair neighbours; a self-loop or double edge draws the pairing again.
    for (let i = stubs.length - 1; i > 0; i--) {
      const j = rng.integer(i + 1);
      const t = stubs[i];
      stubs[i] = stubs[j];
      stubs[j] = t;
    }
    const seen = new Set<number>();
    const edges: Edge[] = [];
    let simple = true;
    for (let i = 0; i < stubs.length && simple; i += 2) {
      const a = stubs[i];
      const b = stubs[i + 1];
      if (a === b || seen.has(key(a, b))) simple = false;
      else {
        seen.add(key(a, b));
        edges.push([a, b]);
      }
    }
    if (simple && isConnected(nodes, edges)) return edges;
  }
  throw new TopologyError(`no simple connected ${degree}-regular graph on ${nodes} nodes in ${ATTEMPTS} draws (seed ${seed}); try another degree or seed`);
}

/** An L×W lattice's edges (node = row·cols + col), periodic or open. */
export function latticeEdges(rows: number, cols: number, periodic: boolean): Edge[] {
  const edges: Edge[] = [];
  const at = (r: number, c: number): number => r * cols + c;
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      if (c + 1 < cols || periodic) edges.push([at(r, c), at(r, (c + 1) % cols)]);
      if (r + 1 < rows || periodic) edges.push([at(r, c), at((r + 1) % rows, c)]);
    }
  return edges;
}

export function smallWorld(rows: number, cols: number, periodic: boolean, shortcuts: number, seed: number): Edge[] {
  const nodes = rows * cols;
  const edges = latticeEdges(rows, cols, periodic);
  const seen = new Set(edges.map(([a, b]) => key(a, b)));
  const room = (nodes * (nodes - 1)) / 2 - edges.length;
  if (shortcuts > room) throw new TopologyError(`at most ${room} shortcuts fit a ${rows}×${cols} lattice, got ${shortcuts}`);
  const rng = new Rng(seed);
  const target = edges.length + shortcuts;
  while (edges.length < target) {
    const a = rng.integer(nodes);
    const b = rng.integer(nodes);
    if (a === b || seen.has(key(a, b))) continue;
    seen.add(key(a, b));
    edges.push([a, b]);
  }
  return edges;
}

export function hierarchical(modules: number, side: number, links: number, seed: number): Edge[] {
  if (modules < 2) throw new TopologyError(`at least 2 modules, got ${modules}`);
  const perModule = side * side;
  if (links > perModule * perModule) throw new TopologyError(`at most ${perModule * perModule} links between two ${side}×${side} modules, got ${links}`);
  const module = latticeEdges(side, side, side >= 3);
  const edges: Edge[] = [];
  for (let m = 0; m < modules; m++) for (const [a, b] of module) edges.push([m * perModule + a, m * perModule + b]);
  const seen = new Set(edges.map(([a, b]) => key(a, b)));
  const rng = new Rng(seed);
  // On a ring of two modules the one pair is joined once.
  for (let m = 0; m < (modules === 2 ? 1 : modules); m++) {
    const next = (m + 1) % modules;
    for (let added = 0; added < links;) {
      const a = m * perModule + rng.integer(perModule);
      const b = next * perModule + rng.integer(perModule);
      if (seen.has(key(a, b))) continue;
      seen.add(key(a, b));
      edges.push([a, b]);
      added++;
    }
  }
  return edges;
}

/** What `roles.place` asks for: how many inputs, the rails' voltages, single or differential outputs and how many. */
export interface Placement {
  readonly inputs: number;
  readonly rails: ReadonlyArray<number>;
  readonly output: 'single' | 'differential';
  /** How many outputs (1 unless a multi-output task, e.g. one per class). */
  readonly outputs?: number;
}

type PlacedOutput = { node: number } | { plus: number; minus: number };

/**
 * Roles placed on a network by farthest-point sampling over hop distance: inputs first (from
 * node 0), then rails, then the output node(s), each the node farthest from every node placed
 * before it (ties to the lowest index). Held nodes spread over the network and the outputs sit
 * as far from them as it allows — on a large network, where a person cannot pick nodes by hand,
 * a placement that neither shorts an input to an output nor crowds the rails.
 */
export function placeRoles(
  nodes: number,
  edges: EdgeSource,
  p: Placement,
): { inputs: number[]; rails: Array<{ node: number; volts: number }>; output: PlacedOutput | PlacedOutput[] } {
  const outputs = p.outputs ?? 1;
  const perOutput = p.output === 'differential' ? 2 : 1;
  const wanted = p.inputs + p.rails.length + perOutput * outputs;
  if (wanted > nodes) throw new TopologyError(`${wanted} roles do not fit ${nodes} nodes`);
  const { start, neighbour } = neighbourRows(nodes, edges);
  // Hop distance from the nearest placed node, updated by a BFS from each new one.
  const distance = new Float64Array(nodes).fill(Infinity);
  const placed: number[] = [];
  const queue = new Int32Array(nodes);
  const place = (node: number): void => {
    placed.push(node);
    let tail = 0;
    queue[tail++] = node;
    distance[node] = 0;
    for (let head = 0; head < tail; head++) {
      const n = queue[head];
      for (let q = start[n]; q < start[n + 1]; q++) {
        const m = neighbour[q];
        if (distance[n] + 1 < distance[m]) {
          distance[m] = distance[n] + 1;
          queue[tail++] = m;
        }
      }
    }
  };
  place(0);
  while (placed.length < wanted) {
    let best = -1;
    for (let n = 0; n < nodes; n++) if (distance[n] > 0 && (best < 0 || distance[n] > distance[best])) best = n;
    if (best < 0) throw new TopologyError('no node left to place a role on');
    place(best);
  }
  const inputs = placed.slice(0, p.inputs);
  const rails = p.rails.map((volts, i) => ({ node: placed[p.inputs + i], volts }));
  const outs = placed.slice(p.inputs + p.rails.length);
  const output = Array.from({ length: outputs }, (_, k): PlacedOutput => (perOutput === 2 ? { plus: outs[2 * k], minus: outs[2 * k + 1] } : { node: outs[k] }));
  return { inputs, rails, output: p.outputs === undefined ? output[0] : output };
}
