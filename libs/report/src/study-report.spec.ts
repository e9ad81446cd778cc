/**
 * writeStudyReport end to end on a synthetic study (2 tasks × 2 topologies × 4 sizes × 3
 * seeds) whose metrics follow known power laws: files land where promised, every figure is
 * real SVG, the exponent table brackets the true exponents, and runs that failed or never
 * reached the target are counted in the captions, not plotted or fitted.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';
import { Rng } from '@metatwin/physics';
import type { StudyMetrics, StudyRow } from '@metatwin/studies';
import { writeStudyReport, type StudyMetricName } from './study-report';
import { expectSvg } from './testing/svg';

const TASKS = ['regression', 'xor'];
const TOPOLOGIES = ['lattice', 'random'];
const SIZES_EDGES = [12, 40, 144, 544];
const SEEDS = [1, 2, 3];
const PLOTTED: StudyMetricName[] = ['timeToTarget_s', 'mseEnd_V2', 'learningEnergy_J', 'inferenceEnergyPerEdge_J', 'wall_s'];
/** Table labels, as the page prints them. */
const LABELS: Record<string, string> = {
  timeToTarget_s: 'time to the target MSE (s)',
  mseEnd_V2: 'final MSE (V²)',
  learningEnergy_J: 'learning energy (J)',
  inferenceEnergyPerEdge_J: 'inference energy per edge (J)',
  wall_s: 'wall time (s)',
};

/** The true law of every (task, topology, metric): prefactor c and exponent p. */
function law(task: string, topology: string, metric: StudyMetricName): { c: number; p: number } {
  const t = TASKS.indexOf(task);
  const g = TOPOLOGIES.indexOf(topology);
  const base: Record<string, { c: number; p: number }> = {
    timeToTarget_s: { c: 2e-4, p: 0.5 },
    mseEnd_V2: { c: 3e-3, p: -0.4 },
    learningEnergy_J: { c: 1e-12, p: 1.1 },
    inferenceEnergyPerEdge_J: { c: 4e-15, p: 0.02 },
    wall_s: { c: 0.05, p: 0.9 },
  };
  const { c, p } = base[metric];
  return { c: c * (1 + t), p: p + 0.15 * g + 0.05 * t };
}

/**
 * Seeded log-normal scatter (σ = 0.15), centred at each size so the seeds' geometric mean
 * lies on the law: the fitted exponent is then the true one, and a check that the printed
 * interval brackets it tests the report, not the luck of 20 draws (coverage is the analysis
 * lib's test).
 */
function syntheticStudy(seed = 42): StudyRow[] {
  const rng = new Rng(seed);
  const rows: StudyRow[] = [];
  for (const task of TASKS)
    for (const topology of TOPOLOGIES)
      for (const edges of SIZES_EDGES) {
        const noise = Object.fromEntries(
          PLOTTED.map((m) => {
            const draws = SEEDS.map(() => rng.normal());
            const mean = draws.reduce((s, d) => s + d, 0) / draws.length;
            return [m, draws.map((d) => Math.exp(0.15 * (d - mean)))];
          }),
        );
        const value = (m: StudyMetricName, i: number): number => law(task, topology, m).c * edges ** law(task, topology, m).p * noise[m][i];
        SEEDS.forEach((s, i) => {
          const metrics: StudyMetrics = {
            steps: 1000,
            learning_s: 0.1,
            targetMse_V2: 1e-4,
            stepsToTarget: Math.round(value('timeToTarget_s', i) / 1e-4),
            timeToTarget_s: value('timeToTarget_s', i),
            mseStart_V2: 0.01,
            mseEnd_V2: value('mseEnd_V2', i),
            modeHalfTimes_s: {},
            learningEnergy_J: value('learningEnergy_J', i),
            opAmpEnergy_J: null,
            inferencePowerPerEdge_W: value('inferenceEnergyPerEdge_J', i) / 1e-6,
            inferenceEnergyPerEdge_J: value('inferenceEnergyPerEdge_J', i),
          };
          const job = `${task}-${topology}-${edges}-${s}`;
          rows.push({
            study: 'scaling-3f2a',
            job,
            params: { size: edges, topology, task, seed: s },
            topology,
            task,
            seed: s,
            nodes: Math.round(edges / 2),
            edges,
            status: 'done',
            metrics,
            worker: `host-a/${rows.length % 2}`,
            wall_s: value('wall_s', i),
            version: '0.1.0',
            commit: 'abc1234',
            finishedAt: new Date(Date.UTC(2024, 5, 1, 12, 0, rows.length)).toISOString(),
          });
        });
      }
  return rows;
}

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'metatwin-study-report-'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** The exponent cell of the fit table, "p [lo, hi]", parsed. */
function exponentCell(page: string, task: string, topology: string, label: string): { p: number; lo: number; hi: number; n: number } {
  const head = `<tr><td>${task}</td><td>${topology}</td><td>${label}</td>`;
  const start = page.indexOf(head);
  expect(start).toBeGreaterThanOrEqual(0);
  const cells = [...page.slice(start + head.length, page.indexOf('</tr>', start)).matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1]);
  const m = /^(\S+) \[(\S+), (\S+)\]$/.exec(cells[0]);
  if (!m) throw new Error(`no exponent in "${cells[0]}"`);
  return { p: Number(m[1]), lo: Number(m[2]), hi: Number(m[3]), n: Number(cells[3]) };
}

/** The caption of figure `name`. */
function caption(page: string, name: string): string {
  const at = page.indexOf(`<figure id="${name}">`);
  expect(at).toBeGreaterThanOrEqual(0);
  return page.slice(page.indexOf('<figcaption>', at), page.indexOf('</figcaption>', at));
}

describe('writeStudyReport', () => {
  it('writes one log–log figure per metric and an exponent table bracketing the true exponents', async () => {
    const rows = syntheticStudy();
    const out = await writeStudyReport(rows, join(root, 'study'));
    expect(out.warnings).toEqual([]);
    expect(isAbsolute(out.html)).toBe(true);
    expect(existsSync(out.html)).toBe(true);
    expect(out.figures.map((f) => basename(f))).toEqual(PLOTTED.map((m) => `scaling-${m}.svg`));
    const page = readFileSync(out.html, 'utf8');
    for (const figure of out.figures) expect(page).toContain(expectSvg(figure));

    for (const task of TASKS)
      for (const topology of TOPOLOGIES)
        for (const metric of PLOTTED) {
          const { p } = law(task, topology, metric);
          const cell = exponentCell(page, task, topology, LABELS[metric]);
          expect(cell.lo).toBeLessThanOrEqual(p);
          expect(cell.hi).toBeGreaterThanOrEqual(p);
          expect(cell.p).toBeCloseTo(p, 2);
          expect(cell.n).toBe(SIZES_EDGES.length * SEEDS.length);
        }

    expect(page).toContain('<h1>Scaling study scaling-3f2a</h1>');
    expect(page).toContain('<tr><th>Jobs</th><td>48 (48 done, 0 failed)</td></tr>');
    expect(page).toContain('<tr><th>Sizes (edges)</th><td>12, 40, 144, 544</td></tr>');
    expect(page).toContain('<tr><th>Version (commit)</th><td>0.1.0 (abc1234)</td></tr>');
    const wall_s = rows.reduce((s, r) => s + r.wall_s, 0);
    expect(wall_s).toBeGreaterThan(1);
    expect(page).toContain(`<tr><th>Total wall time</th><td>${Number(wall_s.toPrecision(3))} s on 2 workers</td></tr>`);
    const time = caption(page, 'scaling-timeToTarget_s');
    expect(time).toContain('one colour per topology, one panel per task');
    expect(time).toContain('xor, lattice: grows as edges^0.55 (95 % CI');
    expect(time).toContain('regression, random: grows as edges^0.65');
    expect(caption(page, 'scaling-mseEnd_V2')).toContain('regression, lattice: falls as edges^-0.4');
    expect(caption(page, 'scaling-inferenceEnergyPerEdge_J')).toMatch(/regression, lattice: shows no trend beyond the noise, edges\^0\.0\d+/);
    expect(time).not.toContain('not plotted');
    expect(page).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    const ids = [...page.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('counts failed runs, and runs that never reached the target or had none, in the caption, and neither plots nor fits them', async () => {
    const rows = syntheticStudy().map((row, i): StudyRow => {
      if (i === 0 || i === 30) return { ...row, status: 'failed', metrics: null, error: 'solve failed at step 12' };
      if (i === 3 || i === 4 || i === 5) return { ...row, metrics: row.metrics && { ...row.metrics, timeToTarget_s: null, stepsToTarget: null } };
      if (i === 6) return { ...row, metrics: row.metrics && { ...row.metrics, targetMse_V2: null, timeToTarget_s: null, stepsToTarget: null } };
      return row;
    });
    const out = await writeStudyReport(rows, join(root, 'failed'), { title: 'Sizes with failures' });
    expect(out.warnings).toEqual([]);
    const page = readFileSync(out.html, 'utf8');
    expect(page).toContain('<h1>Sizes with failures</h1>');
    expect(page).toContain('<tr><th>Jobs</th><td>48 (46 done, 2 failed)</td></tr>');
    expect(caption(page, 'scaling-timeToTarget_s')).toContain(
      '2 runs failed and are not plotted. 3 runs never reached the target MSE and are not plotted. 1 run had no target MSE (the study sets none) and is not plotted.',
    );
    expect(caption(page, 'scaling-mseEnd_V2')).toMatch(/2 runs failed and are not plotted\.$/);
    // Rows 0 and 3–6 are regression/lattice (12 runs), row 30 is xor/lattice.
    expect(exponentCell(page, 'regression', 'lattice', LABELS.timeToTarget_s).n).toBe(7);
    expect(exponentCell(page, 'regression', 'lattice', LABELS.mseEnd_V2).n).toBe(11);
    expect(exponentCell(page, 'xor', 'lattice', LABELS.wall_s).n).toBe(11);
    expect(exponentCell(page, 'xor', 'random', LABELS.wall_s).n).toBe(12);
    // Each seed dot is one symbol of the seed layer: 48 rows less 2 failed and 4 without a time to target.
    expect(seedMarks(readFileSync(out.figures[0], 'utf8'))).toBe(42);
    expect(seedMarks(readFileSync(out.figures[1], 'utf8'))).toBe(46);
    expect(page).toContain('<h2>Failed jobs</h2>');
    expect(page).toContain('<td>solve failed at step 12</td>');
  });

  it('draws one panel without a facet for one task, and leaves a group with two sizes unfitted', async () => {
    const rows = syntheticStudy().filter((r) => r.task === 'xor' && (r.topology === 'lattice' || r.edges <= 40));
    const out = await writeStudyReport(rows, join(root, 'one-task'), { metrics: ['learningEnergy_J'] });
    expect(out.warnings).toEqual([]);
    expect(out.figures.map((f) => basename(f))).toEqual(['scaling-learningEnergy_J.svg']);
    expectSvg(out.figures[0]);
    const page = readFileSync(out.html, 'utf8');
    const text = caption(page, 'scaling-learningEnergy_J');
    expect(text).not.toContain('panel per task');
    expect(text).toContain('lattice: grows as edges^1.15');
    expect(text).toContain('random: not fitted (2 sizes; a power law with a confidence interval needs 3)');
    expect(page).toContain('<tr><td>xor</td><td>random</td><td>learning energy (J)</td><td>not fitted (2 sizes)</td>');
  });

  it('warns about a metric no run has, and names bad input', async () => {
    const rows = syntheticStudy();
    const out = await writeStudyReport(rows, join(root, 'no-op-amp'), { metrics: ['opAmpEnergy_J', 'wall_s'] });
    expect(out.warnings).toEqual(['scaling-opAmpEnergy_J: no run has a plottable op-amp energy; figure left out']);
    expect(out.figures.map((f) => basename(f))).toEqual(['scaling-wall_s.svg']);
    await expect(writeStudyReport([], join(root, 'empty'))).rejects.toThrow(new RangeError('study report: no rows, nothing to plot'));
    await expect(writeStudyReport(rows, join(root, 'bad'), { metrics: ['energy' as StudyMetricName] })).rejects.toThrow(/unknown metric "energy"; known: steps, /);
    const broken = rows.map((r, i) => (i === 7 ? { ...r, edges: 0 } : r));
    await expect(writeStudyReport(broken, join(root, 'bad'))).rejects.toThrow(`study report: job ${rows[7].job} has edges = 0; a size must be a positive number`);
  });
});

/** Symbols drawn by the seed layer (Vega names each mark group after its layer: layer_2 is the seeds). */
function seedMarks(svg: string): number {
  let count = 0;
  for (const group of svg.matchAll(/<g class="mark-symbol role-mark [^"]*layer_2_marks"[^>]*>([\s\S]*?)<\/g>/g)) count += (group[1].match(/<path/g) ?? []).length;
  return count;
}
