/**
 * Scale (issue 12): per network size, the time of a warm training step (free + clamped solve
 * and the gate update), Newton and BiCGSTAB iterations per solve, the linear path the solver
 * picked, the set-up (ordering or pattern, both copies), the first three passes over the
 * datapoints (cold solves, then warm ones building the predictor's history) and the peak RSS —
 * each size in a process of its own, so its peak RSS is its own — with the growth exponent
 * fitted from 2,000 edges up. Printed as a table and drawn as a log-log SVG in runs/bench/scale.svg.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { clampCircuit } from '@metatwin/clamping';
import { outputNodes } from '@metatwin/contracts';
import { TwinNetwork } from '@metatwin/edge-physics';
import { placeRoles, randomRegular } from '@metatwin/experiments';
import { DEFAULT_LEVEL1, networkFromEdges, squareLattice, uniformTransistors } from '@metatwin/physics';

export interface ScalePoint {
  readonly label: string;
  readonly edges: number;
  readonly path: string;
  readonly setup_ms: number;
  readonly warmup_s: number;
  readonly us_per_step: number;
  readonly newton_per_solve: number;
  readonly linear_per_solve: number;
  readonly steps: number;
  readonly rss_MB: number;
}

type Topology = 'lattice' | 'random-regular';

/** Datapoints (warm-start slots) cycled through, as a regression task's training set. */
const DATAPOINTS = 8;

/** One size, in this process: `size` is the lattice side, or the random regular graph's node count (degree 4). */
export function scalePoint(topology: Topology, size: number, quick: boolean): ScalePoint {
  const nodes = topology === 'lattice' ? size * size : size;
  const network = topology === 'lattice' ? squareLattice(size, size, true) : networkFromEdges(nodes, randomRegular(size, 4, 1) as Array<[number, number]>);
  const roles = placeRoles(nodes, network, { inputs: 1, rails: [0, 0.45], output: 'single' });
  const t0 = process.hrtime.bigint();
  const twin = new TwinNetwork(
    {
      network,
      freeTransistors: uniformTransistors(network.edgeCount, DEFAULT_LEVEL1),
      clampedTransistors: uniformTransistors(network.edgeCount, DEFAULT_LEVEL1),
      heldNodes: [...roles.inputs, ...roles.rails.map((r) => r.node)],
      outputNodes: outputNodes({ roles }),
      clampDrives: 'voltage',
      warmStartSlots: DATAPOINTS,
    },
    new Float64Array(network.edgeCount).fill(2.5),
  );
  const setup_ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const clamp = clampCircuit({ kind: 'coupled', eta: 1 });
  twin.learnEnabled = true;
  let newton = 0;
  let linear = 0;
  const step = (s: number): void => {
    const d = s % DATAPOINTS;
    twin.selectSlot(d);
    const v = (0.45 * d) / (DATAPOINTS - 1);
    const r = twin.trainStep([v, 0, 0.45], [0.1 + 0.3 * v], clamp, 100e-6);
    if (!r.ok) throw new Error(`${topology} ${size}: step ${s} did not settle`);
    newton += r.newtonIterations;
    linear += r.linearIterations;
  };
  // Three passes before timing: cold solves, then warm ones, then the first with a change to extrapolate.
  const warmup = 3 * DATAPOINTS;
  const t1 = process.hrtime.bigint();
  for (let s = 0; s < warmup; s++) step(s);
  const warmup_s = Number(process.hrtime.bigint() - t1) / 1e9;
  // Whole passes, about (quick ? 0.2 : 1) × 10⁶ edge-steps, at least two passes and at most 5,000 steps.
  const passes = Math.max(2, Math.min(5000 / DATAPOINTS, Math.round((quick ? 2e5 : 1e6) / (network.edgeCount * DATAPOINTS))));
  const steps = passes * DATAPOINTS;
  [newton, linear] = [0, 0];
  const t2 = process.hrtime.bigint();
  for (let s = warmup; s < warmup + steps; s++) step(s);
  const wall_s = Number(process.hrtime.bigint() - t2) / 1e9;
  return {
    label: topology === 'lattice' ? `${size}×${size} lattice` : `random 4-regular, ${size} nodes`,
    edges: network.edgeCount,
    path: twin.linearPath,
    setup_ms,
    warmup_s,
    us_per_step: (wall_s / steps) * 1e6,
    newton_per_solve: newton / (2 * steps),
    linear_per_solve: linear / (2 * steps),
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
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="${w}" height="${h}" fill="white"/><line x1="${m}" y1="${h - m}" x2="${w - m}" y2="${h - m}" stroke="black"/><line x1="${m}" y1="${m}" x2="${m}" y2="${h - m}" stroke="black"/>${ticks}${yticks}${marks}<text x="${w / 2}" y="${h - 10}" font-size="12" text-anchor="middle">edges</text><text x="14" y="${h / 2}" font-size="12" transform="rotate(-90 14 ${h / 2})" text-anchor="middle">µs per training step</text><text x="${m + 10}" y="${m}" font-size="12">lattices (dots), random 4-regular (squares); fitted exponent ${exponent.toFixed(2)} from 2,048 edges</text></svg>\n`;
}

export async function benchScale(out: (s: string) => void, quick: boolean): Promise<void> {
  const sizes: Array<[Topology, number]> = [
    ['lattice', 4], // the paper's 32 edges
    ['lattice', 10],
    ['lattice', 32], // 2,048 edges: where the fit starts
    ['lattice', 71],
    ['lattice', 100], // 20,000 edges: goal ≤ 10 ms per step
    ['lattice', 224],
    ['lattice', 316],
    ['lattice', 707],
    ['lattice', 1000], // 2,000,000 edges: goal ≤ 1.5 s per step and ≤ 1 GB
    ['random-regular', 1000],
    ['random-regular', 10000],
    ['random-regular', 100000],
  ];
  const points: Array<ScalePoint & { topology: Topology }> = [];
  out(
    `${'network'.padEnd(30)} ${'edges'.padStart(9)} ${'path'.padStart(9)} ${'µs/step'.padStart(11)} ${'Newton/solve'.padStart(12)} ${'BiCGSTAB/solve'.padStart(14)} ${'set-up ms'.padStart(9)} ${'3 passes s'.padStart(10)} ${'peak RSS MB'.padStart(11)}`,
  );
  for (const [topology, size] of sizes) {
    const p = await inChild(topology, size, quick);
    points.push({ ...p, topology });
    out(
      `${p.label.padEnd(30)} ${String(p.edges).padStart(9)} ${p.path.padStart(9)} ${p.us_per_step.toFixed(0).padStart(11)} ${p.newton_per_solve.toFixed(2).padStart(12)} ${p.linear_per_solve.toFixed(2).padStart(14)} ${p.setup_ms.toFixed(0).padStart(9)} ${p.warmup_s.toFixed(1).padStart(10)} ${p.rss_MB.toFixed(0).padStart(11)}`,
    );
  }
  const fit = points.filter((p) => p.topology === 'lattice' && p.edges >= 2000);
  const exponent = fittedExponent(fit.map((p) => ({ x: p.edges, y: p.us_per_step })));
  const at = (edges: number): ScalePoint | undefined => points.find((p) => p.topology === 'lattice' && p.edges === edges);
  out(`per-step time grows as E^${exponent.toFixed(2)} on the lattices from 2,048 to ${fit[fit.length - 1].edges.toLocaleString('en-US')} edges (goal ≤ E^1.1)`);
  out(`20,000 edges: ${((at(20000)?.us_per_step ?? NaN) / 1000).toFixed(1)} ms per step (goal ≤ 10 ms)`);
  const big = at(2000000);
  out(`2,000,000 edges: ${((big?.us_per_step ?? NaN) / 1e6).toFixed(2)} s per step (goal ≤ 1.5 s), peak RSS ${(big?.rss_MB ?? NaN).toFixed(0)} MB (goal ≤ 1,024 MB)`);
  const dir = resolve('runs', 'bench');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'scale.svg'), svg(points, exponent));
  writeFileSync(join(dir, 'scale.json'), JSON.stringify({ points, exponent }, null, 2) + '\n');
  out(`figure: ${join(dir, 'scale.svg')} (data: scale.json)`);
}
