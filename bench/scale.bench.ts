/**
 * Scale (issue 12): per network size, the time of a training step (free + clamped solve and
 * the gate update), Newton iterations per solve, the solver's analysis (ordering and symbolic
 * LU of both copies) and the peak RSS — each size in a process of its own, so its peak RSS is
 * its own — with the growth exponent fitted from 2,000 edges up. Printed as a table and drawn
 * as a log-log SVG in runs/bench/scale.svg. The solver is the direct sparse LU (no linear
 * iterations); sizes whose analysis alone takes minutes are not run and are named.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { clampCircuit } from '@metatwin/clamping';
import { TwinNetwork } from '@metatwin/edge-physics';
import { placeRoles, randomRegular, latticeEdges, type Edge } from '@metatwin/experiments';
import { DEFAULT_LEVEL1, networkFromEdges, uniformTransistors } from '@metatwin/physics';

export interface ScalePoint {
  readonly label: string;
  readonly edges: number;
  readonly analysis_ms: number;
  readonly us_per_step: number;
  readonly newton_per_solve: number;
  readonly steps: number;
  readonly rss_MB: number;
}

type Topology = 'lattice' | 'random-regular';

/** One size, in this process: `size` is the lattice side, or the random regular graph's node count (degree 4). */
export function scalePoint(topology: Topology, size: number, quick: boolean): ScalePoint {
  const nodes = topology === 'lattice' ? size * size : size;
  const edges: Edge[] = topology === 'lattice' ? latticeEdges(size, size, true) : randomRegular(size, 4, 1);
  const network = networkFromEdges(
    nodes,
    edges.map(([a, b]) => [a, b] as [number, number]),
  );
  const roles = placeRoles(nodes, edges, { inputs: 1, rails: [0, 0.45], output: 'single' });
  const t0 = process.hrtime.bigint();
  const twin = new TwinNetwork(
    {
      network,
      freeTransistors: uniformTransistors(network.edgeCount, DEFAULT_LEVEL1),
      clampedTransistors: uniformTransistors(network.edgeCount, DEFAULT_LEVEL1),
      heldNodes: [...roles.inputs, ...roles.rails.map((r) => r.node)],
      outputNodes: ['node' in roles.output ? roles.output.node : roles.output.plus],
      clampDrives: 'voltage',
      warmStartSlots: 8,
    },
    new Array(network.edgeCount).fill(2.5),
  );
  const analysis_ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const clamp = clampCircuit({ kind: 'coupled', eta: 1 });
  twin.learnEnabled = true;
  // At least three passes over the 8 datapoints, so most solves are warm as in training.
  const steps = Math.max(24, Math.min(5000, Math.round((quick ? 2e5 : 1e6) / (network.edgeCount * Math.log2(network.edgeCount + 1)))));
  let newton = 0;
  const t1 = process.hrtime.bigint();
  for (let s = 0; s < steps; s++) {
    const d = s % 8;
    twin.selectSlot(d);
    const v = (0.45 * d) / 7;
    const r = twin.trainStep([v, 0, 0.45], [0.1 + 0.3 * v], clamp, 100e-6);
    if (!r.ok) throw new Error(`${topology} ${size}: step ${s} did not settle`);
    newton += r.newtonIterations;
  }
  const wall_s = Number(process.hrtime.bigint() - t1) / 1e9;
  return {
    label: topology === 'lattice' ? `${size}×${size} lattice` : `random 4-regular, ${size} nodes`,
    edges: network.edgeCount,
    analysis_ms,
    us_per_step: (wall_s / steps) * 1e6,
    newton_per_solve: newton / (2 * steps),
    steps,
    rss_MB: process.resourceUsage().maxRSS / 1024,
  };
}

/** Run one size in a child process (`bench --scale-point`), so its peak RSS is its own. */
function inChild(topology: Topology, size: number, quick: boolean): Promise<ScalePoint> {
  return new Promise((resolveP, reject) => {
    const child = spawn(process.execPath, [resolve('bin', 'bench.js'), '--scale-point', topology, String(size), ...(quick ? ['--quick'] : [])], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolveP(JSON.parse(out) as ScalePoint) : reject(new Error(`scale point ${topology} ${size} exited ${code}`))));
  });
}

/** Least-squares slope of ln(y) on ln(x): the growth exponent. */
export function fittedExponent(points: ReadonlyArray<{ x: number; y: number }>): number {
  const xs = points.map((p) => Math.log(p.x));
  const ys = points.map((p) => Math.log(p.y));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * (ys[i] - my);
    sxx += (x - mx) ** 2;
  });
  return sxy / sxx;
}

/** A log-log plot of µs per step against edges: the lattices as dots, the random graphs as squares. */
function svg(points: ReadonlyArray<ScalePoint & { topology: Topology }>, exponent: number): string {
  const [w, h, m] = [640, 420, 50];
  const lx = (e: number): number => m + ((Math.log10(e) - 1) / 6) * (w - 2 * m); // 10 … 10⁷ edges
  const ly = (t: number): number => h - m - ((Math.log10(t) - 0) / 7) * (h - 2 * m); // 1 µs … 10 s
  const marks = points
    .map((p) =>
      p.topology === 'lattice'
        ? `<circle cx="${lx(p.edges).toFixed(1)}" cy="${ly(p.us_per_step).toFixed(1)}" r="4" fill="#1f77b4"/>`
        : `<rect x="${(lx(p.edges) - 4).toFixed(1)}" y="${(ly(p.us_per_step) - 4).toFixed(1)}" width="8" height="8" fill="#d62728"/>`,
    )
    .join('');
  const ticks = [1, 2, 3, 4, 5, 6, 7].map((k) => `<text x="${lx(10 ** k)}" y="${h - m + 18}" font-size="11" text-anchor="middle">10^${k}</text>`).join('');
  const yticks = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => `<text x="${m - 6}" y="${ly(10 ** k) + 4}" font-size="11" text-anchor="end">10^${k}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="${w}" height="${h}" fill="white"/><line x1="${m}" y1="${h - m}" x2="${w - m}" y2="${h - m}" stroke="black"/><line x1="${m}" y1="${m}" x2="${m}" y2="${h - m}" stroke="black"/>${ticks}${yticks}${marks}<text x="${w / 2}" y="${h - 10}" font-size="12" text-anchor="middle">edges</text><text x="14" y="${h / 2}" font-size="12" transform="rotate(-90 14 ${h / 2})" text-anchor="middle">µs per training step</text><text x="${m + 10}" y="${m}" font-size="12">lattices (dots), random 4-regular (squares); fitted exponent ${exponent.toFixed(2)} from 2,000 edges</text></svg>\n`;
}

export async function benchScale(out: (s: string) => void, quick: boolean): Promise<void> {
  const sizes: Array<[Topology, number]> = [
    ['lattice', 4],
    ['lattice', 10],
    ['lattice', 32],
    ['lattice', 50],
    ['lattice', 71],
    ['lattice', 100],
    // A random graph has no good elimination order: at 5,000 nodes (10,000 edges) the direct
    // solver took 106 s to analyse and 17.8 s per step on this machine, so only 1,000 nodes run.
    ['random-regular', 1000],
  ];
  const points: Array<ScalePoint & { topology: Topology }> = [];
  out(`${'network'.padEnd(30)} ${'edges'.padStart(8)} ${'µs/step'.padStart(10)} ${'Newton/solve'.padStart(13)} ${'analysis ms'.padStart(12)} ${'peak RSS MB'.padStart(12)}`);
  for (const [topology, size] of sizes) {
    const p = await inChild(topology, size, quick);
    points.push({ ...p, topology });
    out(
      `${p.label.padEnd(30)} ${String(p.edges).padStart(8)} ${p.us_per_step.toFixed(0).padStart(10)} ${p.newton_per_solve.toFixed(2).padStart(13)} ${p.analysis_ms.toFixed(0).padStart(12)} ${p.rss_MB.toFixed(0).padStart(12)}`,
    );
  }
  const fit = points.filter((p) => p.topology === 'lattice' && p.edges >= 2000);
  const exponent = fittedExponent(fit.map((p) => ({ x: p.edges, y: p.us_per_step })));
  out(
    `per-step time grows as E^${exponent.toFixed(2)} on the lattices from 2,000 to ${fit[fit.length - 1].edges.toLocaleString('en-US')} edges (goal ≤ E^1.1 to 2,000,000 edges); goal at 20,000 edges ≤ 10,000 µs per step`,
  );
  out('not run: larger networks, whose ordering (explicit minimum degree) alone takes minutes with the direct solver — issue 12 builds the solver for them');
  const dir = resolve('runs', 'bench');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'scale.svg'), svg(points, exponent));
  writeFileSync(join(dir, 'scale.json'), JSON.stringify({ points, exponent }, null, 2) + '\n');
  out(`figure: ${join(dir, 'scale.svg')} (data: scale.json)`);
}
