/**
 * Agreement with SPICE: the same circuits solved by ngspice's `.op` with Level-1 MOSFETs
 * (drain = a, source = b, bulk at ground). ngspice is installed by scripts/ensure-tools.sh,
 * which `npm test` runs first; if it is missing this test fails, it does not skip.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCircuit, solveCircuit } from './circuit-file';
import { junctionLeak } from './dc-solver';
import { Rng } from './rng';

interface CircuitJson {
  nodes: number;
  edges: Array<[number, number]>;
  gates: number[];
  fixed: Record<string, number>;
  transistor: { k: number; vth: number; gamma?: number; phi?: number; lambda?: number };
}

function netlist(c: CircuitJson): string {
  const t = c.transistor;
  const lines = [
    '* metatwin agreement check',
    // Tight tolerances so the reference is exact to far below what is compared.
    '.options reltol=1e-10 vntol=1e-13 abstol=1e-18',
    `.model nch nmos (level=1 vto=${t.vth} kp=${t.k} gamma=${t.gamma ?? 0} phi=${t.phi ?? 0.6} lambda=${t.lambda ?? 0})`,
  ];
  c.edges.forEach(([a, b], e) => {
    lines.push(`M${e} n${a} g${e} n${b} 0 nch W=1u L=1u`);
    lines.push(`VG${e} g${e} 0 DC ${c.gates[e]}`);
  });
  for (const [node, v] of Object.entries(c.fixed)) lines.push(`VF${node} n${node} 0 DC ${v}`);
  lines.push('.control', 'set numdgt=15', 'op');
  // One vector per print: ngspice prints several as a table when they are many.
  for (let i = 0; i < c.nodes; i++) lines.push(`print v(n${i})`);
  c.edges.forEach((_, e) => lines.push(`print @m${e}[id]`));
  lines.push('.endc', '.end');
  return lines.join('\n') + '\n';
}

function runNgspice(c: CircuitJson): { voltages: number[]; currents: number[] } {
  const dir = mkdtempSync(join(tmpdir(), 'metatwin-spice-'));
  try {
    const file = join(dir, 'circuit.cir');
    writeFileSync(file, netlist(c));
    // ngspice -b exits 1 after a successful .op in a .control block ("no simulations run"
    // note), so the printed values, not the exit code, say whether it worked.
    const run = spawnSync('ngspice', ['-b', file], { encoding: 'utf8' });
    if (run.error) throw new Error(`cannot run ngspice (install it with scripts/ensure-tools.sh): ${run.error.message}`);
    const out = run.stdout;
    const value = (name: string): number => {
      const m = new RegExp(`^${name.replace(/[[\]()@]/g, '\\$&')} = (\\S+)$`, 'm').exec(out);
      if (!m) throw new Error(`ngspice printed no ${name}:\n${out}`);
      return Number(m[1]);
    };
    return {
      voltages: Array.from({ length: c.nodes }, (_, i) => value(`v(n${i})`)),
      currents: c.edges.map((_, e) => value(`@m${e}[id]`)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function randomCircuit(rng: Rng, card: CircuitJson['transistor']): CircuitJson {
  const nodes = 4 + rng.integer(10);
  const edges: Array<[number, number]> = [];
  for (let i = 1; i < nodes; i++) edges.push([i, rng.integer(i)]);
  for (let k = rng.integer(nodes); k > 0; k--) {
    const a = rng.integer(nodes);
    const b = rng.integer(nodes);
    if (a !== b) edges.push([a, b]);
  }
  const fixed: Record<string, number> = {};
  fixed[String(rng.integer(nodes))] = 0.45;
  fixed[String(rng.integer(nodes))] = 0;
  fixed[String(rng.integer(nodes))] = Number((0.45 * rng.uniform()).toFixed(4));
  return { nodes, edges, gates: edges.map(() => Number((0.9 + 4 * rng.uniform()).toFixed(4))), fixed, transistor: card };
}

describe('agreement with ngspice .op (Level-1 MOSFETs, bulk at ground)', () => {
  const cards: Array<CircuitJson['transistor']> = [
    { k: 4.5e-4, vth: 0.7 },
    { k: 1.1057e-3, vth: 0.75, gamma: 1.09, phi: 0.95, lambda: 0.2 },
    { k: 2.25e-4, vth: 0.7, gamma: 0.85, phi: 0.9, lambda: 0.029 },
  ];
  const rng = new Rng(39);
  const circuits: CircuitJson[] = [];
  for (let i = 0; i < 12; i++) circuits.push(randomCircuit(rng, cards[i % cards.length]));
  // The paper's lattice at the XOR placement, gates near the floor so some channels cut off.
  const lattice: Array<[number, number]> = [];
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) lattice.push([4 * r + c, 4 * r + ((c + 1) % 4)], [4 * r + c, 4 * ((r + 1) % 4) + c]);
  circuits.push({
    nodes: 16,
    edges: lattice,
    gates: lattice.map((_, e) => (e % 5 === 0 ? 1.1 : 1.1 + 0.13 * e)),
    fixed: { '0': 0, '2': 0.45, '3': 0.11, '7': 0.33 },
    transistor: cards[1],
  });

  // A 2,000-edge random network (issue 12): a random spanning tree on 1,000 nodes plus random
  // edges, three held nodes, gates across the whole range.
  const big = new Rng(2000);
  const bigEdges: Array<[number, number]> = [];
  const seen = new Set<string>();
  for (let i = 1; i < 1000; i++) {
    const j = big.integer(i);
    bigEdges.push([i, j]);
    seen.add(`${j}-${i}`);
  }
  while (bigEdges.length < 2000) {
    const a = big.integer(1000);
    const b = big.integer(1000);
    const key = `${Math.min(a, b)}-${Math.max(a, b)}`;
    if (a === b || seen.has(key)) continue;
    seen.add(key);
    bigEdges.push([a, b]);
  }
  circuits.push({
    nodes: 1000,
    edges: bigEdges,
    gates: bigEdges.map(() => Number((0.9 + 4 * big.uniform()).toFixed(4))),
    fixed: { '0': 0.45, '500': 0, '999': 0.2 },
    transistor: cards[1],
  });

  it.each(circuits.map((c, i) => [i, c] as const))('circuit %i: node voltages and edge currents match', (_i, circuit) => {
    const ours = solveCircuit(parseCircuit(circuit));
    expect(ours.status).toBe('converged');
    const spice = runNgspice(circuit);
    for (let n = 0; n < circuit.nodes; n++) expect(Math.abs(ours.voltages[n] - spice.voltages[n])).toBeLessThan(1e-9);
    // SPICE's @m[id] is the drain-terminal current: the channel current plus the drain
    // junction's leakage to the bulk (IS + GMIN·V ≈ 1e-14 … 5e-13 A), which we add back.
    const vt = 8.617333262e-5 * 300.15;
    circuit.edges.forEach(([a], e) => {
      const drainTerminal = ours.currents[e] + junctionLeak(ours.voltages[a], 1e-12, 1e-14, vt);
      expect(Math.abs(drainTerminal - spice.currents[e])).toBeLessThan(1e-9 * Math.abs(spice.currents[e]) + 1e-17);
    });
  });
});
