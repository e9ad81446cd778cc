/**
 * The report of a scaling study: one page for many independent runs over network sizes,
 * topologies, tasks and seeds. Each metric gets one log–log figure against network size
 * (edges) with every seed's run, the median per size and a fitted power law with its 95 %
 * confidence band per (task, topology); a table lists the fitted exponents, so the headline
 * of a study ("time to target grows as edges^0.5 ± 0.1") can be read without the figures.
 */
import { resolve, join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { fitPowerLaw, powerLawBand, type PowerLawFit } from '@metatwin/analysis';
import type { StudyMetrics, StudyRow } from '@metatwin/studies';
import type { TopLevelSpec } from 'vega-lite';
import type { ReportFigure } from './figures';
import { escapeHtml, formatSig, formatTime_s } from './format';
import { figureHtml, htmlTable, labelledTable, pageHtml } from './html-page';
import { decadeTicks } from './mse-modes';
import type { SummaryRow } from './summary';
import { writeFigures } from './write-report';

/** The numeric metrics of a row (modeHalfTimes_s is a record, not one number). */
type NumericMetricName = { [K in keyof StudyMetrics]-?: NonNullable<StudyMetrics[K]> extends number ? K : never }[keyof StudyMetrics];
/** What a study figure can plot against size: a metric of the run, or the job's own wall time. */
export type StudyMetricName = NumericMetricName | 'wall_s';

interface MetricInfo {
  /** Axis title and the noun of captions and tables. */
  readonly label: string;
  readonly unit: string;
  /** Why a run has no value, as a verb phrase: "3 runs <missing> and are not plotted". */
  readonly missing: string;
}

const NO_VALUE = 'had no value';
/** Every metric's wording; a Record so a metric added to StudyMetrics fails to compile until it is described. */
const METRICS: Record<StudyMetricName, MetricInfo> = {
  steps: { label: 'training steps', unit: '', missing: NO_VALUE },
  learning_s: { label: 'learning time', unit: 's', missing: NO_VALUE },
  targetMse_V2: { label: 'target MSE', unit: 'V²', missing: 'had no target MSE (the study sets none)' },
  stepsToTarget: { label: 'steps to the target MSE', unit: '', missing: 'never reached the target MSE' },
  timeToTarget_s: { label: 'time to the target MSE', unit: 's', missing: 'never reached the target MSE' },
  mseStart_V2: { label: 'initial MSE', unit: 'V²', missing: NO_VALUE },
  mseEnd_V2: { label: 'final MSE', unit: 'V²', missing: NO_VALUE },
  learningEnergy_J: { label: 'learning energy', unit: 'J', missing: NO_VALUE },
  opAmpEnergy_J: { label: 'op-amp energy', unit: 'J', missing: 'had no op-amp energy (the study leaves it out)' },
  inferencePowerPerEdge_W: { label: 'inference power per edge', unit: 'W', missing: NO_VALUE },
  inferenceEnergyPerEdge_J: { label: 'inference energy per edge', unit: 'J', missing: NO_VALUE },
  accuracyEnd: { label: 'final accuracy', unit: '', missing: 'had no accuracy (a single-output task)' },
  wall_s: { label: 'wall time', unit: 's', missing: NO_VALUE },
};

export const DEFAULT_STUDY_METRICS: ReadonlyArray<StudyMetricName> = ['timeToTarget_s', 'mseEnd_V2', 'learningEnergy_J', 'inferenceEnergyPerEdge_J', 'wall_s'];
/** Points along each fitted line and band: smooth enough on a log axis. */
const BAND_SAMPLES = 25;
const CONFIDENCE = 0.95;

const withUnit = (info: MetricInfo): string => (info.unit ? `${info.label} (${info.unit})` : info.label);
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
const distinctSorted = <T extends string | number>(values: ReadonlyArray<T>): T[] =>
  [...new Set(values)].sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))));

function metricValue(row: StudyRow, metric: StudyMetricName): number | null {
  if (metric === 'wall_s') return row.wall_s;
  return row.metrics?.[metric] ?? null;
}

/** One fitted (task, topology), or why it could not be fitted. */
export interface StudyFit {
  readonly task: string;
  readonly topology: string;
  readonly metric: StudyMetricName;
  readonly fit: PowerLawFit | null;
  /** Distinct sizes with a value: a fit needs three. */
  readonly sizes: number;
}

interface MetricData {
  readonly points: Array<{ task: string; topology: string; edges: number; seed: number; value: number }>;
  readonly failed: number;
  /** Runs without a value, by the reason the caption gives. */
  readonly missing: ReadonlyMap<string, number>;
  readonly notPositive: number;
}

/** A target metric is also null when the study set no target: that is not "never reached". */
function missingReason(row: StudyRow, metric: StudyMetricName): string {
  const noTarget = (metric === 'timeToTarget_s' || metric === 'stepsToTarget') && row.metrics?.targetMse_V2 === null;
  return noTarget ? METRICS.targetMse_V2.missing : METRICS[metric].missing;
}

function metricData(rows: ReadonlyArray<StudyRow>, metric: StudyMetricName): MetricData {
  const points: MetricData['points'] = [];
  let failed = 0;
  const missing = new Map<string, number>();
  let notPositive = 0;
  for (const row of rows) {
    if (row.status === 'failed') failed++;
    else {
      const value = metricValue(row, metric);
      if (value === null) {
        const why = missingReason(row, metric);
        missing.set(why, (missing.get(why) ?? 0) + 1);
      } else if (!(Number.isFinite(value) && value > 0)) notPositive++;
      else points.push({ task: row.task, topology: row.topology, edges: row.edges, seed: row.seed, value });
    }
  }
  return { points, failed, missing, notPositive };
}

/** Power law per (task, topology) fitted to every seed's value, not to the medians, so n counts runs. */
export function studyFits(rows: ReadonlyArray<StudyRow>, metric: StudyMetricName): StudyFit[] {
  const { points } = metricData(rows, metric);
  const fits: StudyFit[] = [];
  for (const task of distinctSorted(points.map((p) => p.task)))
    for (const topology of distinctSorted(points.map((p) => p.topology))) {
      const group = points.filter((p) => p.task === task && p.topology === topology);
      if (group.length === 0) continue;
      const sizes = new Set(group.map((p) => p.edges)).size;
      const xy = group.map((p) => ({ x: p.edges, y: p.value }));
      fits.push({ task, topology, metric, fit: sizes >= 3 ? fitPowerLaw(xy, CONFIDENCE) : null, sizes });
    }
  return fits;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
}

/** One row per drawn mark; `kind` picks the layer (Vega-Lite facets need one data source). */
interface PlotRow {
  readonly kind: 'seed' | 'median' | 'fit';
  readonly task: string;
  readonly topology: string;
  readonly edges: number;
  readonly value: number;
  readonly lo?: number;
  readonly hi?: number;
}

function plotRows(data: MetricData, fits: ReadonlyArray<StudyFit>): PlotRow[] {
  const rows: PlotRow[] = data.points.map((p) => ({ kind: 'seed', task: p.task, topology: p.topology, edges: p.edges, value: p.value }));
  const groups = new Map<string, number[]>();
  for (const p of data.points) {
    const key = JSON.stringify([p.task, p.topology, p.edges]);
    const values = groups.get(key);
    if (values) values.push(p.value);
    else groups.set(key, [p.value]);
  }
  for (const [key, values] of groups) {
    const [task, topology, edges] = JSON.parse(key) as [string, string, number];
    rows.push({ kind: 'median', task, topology, edges, value: median(values) });
  }
  for (const { task, topology, fit } of fits) {
    if (!fit) continue;
    const sizes = data.points.filter((p) => p.task === task && p.topology === topology).map((p) => p.edges);
    const [lnLo, lnHi] = [Math.log(Math.min(...sizes)), Math.log(Math.max(...sizes))];
    const xs = Array.from({ length: BAND_SAMPLES }, (_, i) => Math.exp(lnLo + ((lnHi - lnLo) * i) / (BAND_SAMPLES - 1)));
    for (const b of powerLawBand(fit, xs)) rows.push({ kind: 'fit', task, topology, edges: b.x, value: b.y, lo: b.lo, hi: b.hi });
  }
  return rows;
}

type Layer = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];
type Encoding = NonNullable<Extract<Layer, { mark: unknown }>['encoding']>;

function scalingSpec(metric: StudyMetricName, rows: ReadonlyArray<PlotRow>): TopLevelSpec {
  const tasks = distinctSorted(rows.map((r) => r.task));
  const sizes = distinctSorted(rows.filter((r) => r.kind === 'seed').map((r) => r.edges));
  // The y domain covers the runs and the fitted lines, not the bands: with few sizes a band
  // spans decades at its ends, and would squash the data into a strip; it is clipped instead.
  const yTicks = decadeTicks(rows.map((r) => r.value));
  const x: Encoding['x'] = {
    field: 'edges',
    type: 'quantitative',
    title: 'network size (edges)',
    scale: { type: 'log', domain: [sizes[0] / 1.25, sizes[sizes.length - 1] * 1.25], nice: false },
    axis: sizes.length <= 12 ? { values: sizes, format: '~g', grid: false } : { format: '~g', grid: false },
  };
  const yDomain = [yTicks[0], yTicks[yTicks.length - 1]];
  const y: Encoding['y'] = {
    field: 'value',
    type: 'quantitative',
    title: withUnit(METRICS[metric]),
    scale: { type: 'log', domain: yDomain },
    axis: { values: yTicks, format: '~g' },
  };
  const color: Encoding['color'] = {
    field: 'topology',
    type: 'nominal',
    scale: { domain: distinctSorted(rows.map((r) => r.topology)), scheme: 'tableau10' },
    // The legend would otherwise take the faint band's opacity from the first layer.
    legend: { title: 'topology', symbolOpacity: 1, symbolType: 'circle' },
  };
  const only = (kind: PlotRow['kind']) => [{ filter: `datum.kind === '${kind}'` }];
  const layer: Layer[] = [
    {
      transform: only('fit'),
      mark: { type: 'area', opacity: 0.16, clip: true },
      encoding: { x, y: { field: 'lo', type: 'quantitative', scale: { type: 'log', domain: yDomain } }, y2: { field: 'hi' }, color },
    },
    { transform: only('fit'), mark: { type: 'line', strokeWidth: 2, clip: true }, encoding: { x, y, color, order: { field: 'edges', type: 'quantitative' } } },
    { transform: only('seed'), mark: { type: 'point', filled: true, size: 26, opacity: 0.55 }, encoding: { x, y, color } },
    { transform: only('median'), mark: { type: 'point', shape: 'diamond', filled: true, size: 110, stroke: '#222', strokeWidth: 0.8 }, encoding: { x, y, color } },
  ];
  const $schema = 'https://vega.github.io/schema/vega-lite/v5.json';
  const data = { values: [...rows] };
  if (tasks.length <= 1) return { $schema, data, width: 520, height: 320, layer };
  return {
    $schema,
    data,
    facet: { column: { field: 'task', type: 'nominal', sort: tasks, title: null, header: { labelFontSize: 13, labelFontWeight: 'bold' } } },
    spec: { width: 340, height: 280, layer },
  };
}

function exponentText(fit: PowerLawFit): string {
  return `${formatSig(fit.exponent)} [${formatSig(fit.exponentCI[0])}, ${formatSig(fit.exponentCI[1])}]`;
}

/** "xor, lattice: grows as edges^0.52 (95 % CI 0.47 to 0.58, r² 0.98, 12 runs)". */
function fitInWords(f: StudyFit, withTask: boolean): string {
  const scope = withTask ? `${f.task}, ${f.topology}` : f.topology;
  if (!f.fit) return `${scope}: not fitted (${plural(f.sizes, 'size')}; a power law with a confidence interval needs 3)`;
  const [lo, hi] = f.fit.exponentCI;
  const trend = lo > 0 ? 'grows as' : hi < 0 ? 'falls as' : 'shows no trend beyond the noise,';
  return `${scope}: ${trend} edges^${formatSig(f.fit.exponent)} (95 % CI ${formatSig(lo)} to ${formatSig(hi)}, r² ${formatSig(f.fit.r2)}, ${plural(f.fit.n, 'run')})`;
}

function leftOutText(data: MetricData): string {
  const notPlotted = (n: number, why: string): string => `${plural(n, 'run')} ${why} and ${n === 1 ? 'is' : 'are'} not plotted.`;
  return [
    data.failed ? notPlotted(data.failed, 'failed') : '',
    ...[...data.missing].map(([why, n]) => notPlotted(n, why)),
    data.notPositive ? notPlotted(data.notPositive, 'had a value that is not positive and finite, which a log axis cannot show,') : '',
  ]
    .filter(Boolean)
    .join(' ');
}

function scalingFigure(rows: ReadonlyArray<StudyRow>, metric: StudyMetricName): { figure: ReportFigure | null; fits: StudyFit[] } {
  const info = METRICS[metric];
  const data = metricData(rows, metric);
  const fits = studyFits(rows, metric);
  if (data.points.length === 0) return { figure: null, fits };
  const multiTask = new Set(data.points.map((p) => p.task)).size > 1;
  const caption =
    `${info.label[0].toUpperCase()}${info.label.slice(1)}${info.unit ? ` (${info.unit})` : ''} against network size (edges), both axes logarithmic, ` +
    `one colour per topology${multiTask ? ', one panel per task' : ''}. Small dots are single runs (one per seed), diamonds the median over seeds at each size; ` +
    `lines are the power law c·edges^p fitted by least squares on log–log to every run of a ${multiTask ? '(task, topology)' : 'topology'}, shaded by its 95 % confidence band (the line is the geometric mean over seeds, so a slow seed pulls it less than a mean would). ` +
    `Fitted exponents p: ${fits.map((f) => fitInWords(f, multiTask)).join('; ')}. ${leftOutText(data)}`;
  return {
    figure: {
      name: `scaling-${metric}`,
      title: `${info.label[0].toUpperCase()}${info.label.slice(1)} against network size`,
      caption: caption.trim(),
      spec: scalingSpec(metric, plotRows(data, fits)),
    },
    fits,
  };
}

function listOf(values: ReadonlyArray<string | number>): string {
  return values.length === 0 ? '—' : values.join(', ');
}

function studySummaryRows(rows: ReadonlyArray<StudyRow>): SummaryRow[] {
  const done = rows.filter((r) => r.status === 'done').length;
  const finished = rows.map((r) => r.finishedAt).sort();
  return [
    { label: 'Study', value: listOf(distinctSorted(rows.map((r) => r.study))) },
    { label: 'Jobs', value: `${rows.length} (${done} done, ${rows.length - done} failed)` },
    { label: 'Tasks', value: listOf(distinctSorted(rows.map((r) => r.task))) },
    { label: 'Topologies', value: listOf(distinctSorted(rows.map((r) => r.topology))) },
    { label: 'Sizes (edges)', value: listOf(distinctSorted(rows.map((r) => r.edges))) },
    { label: 'Seeds', value: String(new Set(rows.map((r) => r.seed)).size) },
    { label: 'Total wall time', value: `${formatTime_s(rows.reduce((s, r) => s + r.wall_s, 0))} on ${plural(new Set(rows.map((r) => r.worker)).size, 'worker')}` },
    { label: 'Finished', value: finished.length ? `${finished[0]} to ${finished[finished.length - 1]}` : '—' },
    { label: 'Version (commit)', value: listOf(distinctSorted(rows.map((r) => `${r.version} (${r.commit})`))) },
  ];
}

function validateRows(rows: ReadonlyArray<StudyRow>, metrics: ReadonlyArray<string>): void {
  if (rows.length === 0) throw new RangeError('study report: no rows, nothing to plot');
  for (const metric of metrics) if (!Object.hasOwn(METRICS, metric)) throw new RangeError(`study report: unknown metric "${metric}"; known: ${Object.keys(METRICS).join(', ')}`);
  for (const row of rows) {
    if (!(Number.isFinite(row.edges) && row.edges > 0)) throw new RangeError(`study report: job ${row.job} has edges = ${row.edges}; a size must be a positive number`);
    if (row.status === 'done' && row.metrics === null) throw new RangeError(`study report: job ${row.job} is done but has no metrics`);
  }
}

/**
 * Write outDir/report.html and outDir/figures/scaling-<metric>.svg for a study's rows. A
 * metric no run has a value of gets no figure and a warning; Vega warnings come back
 * prefixed with the figure name, as from writeReport.
 */
export async function writeStudyReport(
  rows: ReadonlyArray<StudyRow>,
  outDir: string,
  options: { title?: string; metrics?: StudyMetricName[] } = {},
): Promise<{ html: string; figures: string[]; warnings: string[] }> {
  const metrics = options.metrics ?? DEFAULT_STUDY_METRICS;
  validateRows(rows, metrics);
  const dir = resolve(outDir);
  const figures: ReportFigure[] = [];
  const fits: StudyFit[] = [];
  const warnings: string[] = [];
  for (const metric of metrics) {
    const made = scalingFigure(rows, metric);
    if (made.figure) figures.push(made.figure);
    else warnings.push(`scaling-${metric}: no run has a plottable ${METRICS[metric].label}; figure left out`);
    fits.push(...made.fits);
  }
  const rendered = await writeFigures(figures, dir);
  const title = options.title ?? `Scaling study ${listOf(distinctSorted(rows.map((r) => r.study)))}`;
  const fitRows = fits.map((f) => {
    const info = METRICS[f.metric];
    if (!f.fit) return [f.task, f.topology, withUnit(info), `not fitted (${plural(f.sizes, 'size')})`, '—', '—', '—'];
    return [f.task, f.topology, withUnit(info), exponentText(f.fit), `${formatSig(f.fit.prefactor)}${info.unit ? ` ${info.unit}` : ''}`, formatSig(f.fit.r2), String(f.fit.n)];
  });
  const failed = rows.filter((r) => r.status === 'failed');
  const body = [
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="meta">${escapeHtml(`${plural(rows.length, 'job')} · ${plural(new Set(rows.map((r) => r.task)).size, 'task')} · ${plural(new Set(rows.map((r) => r.topology)).size, 'topology', 'topologies')}`)}</p>`,
    labelledTable(studySummaryRows(rows)),
    '<h2>Fitted exponents</h2>',
    `<p>Power law metric = prefactor · edges^exponent per (task, topology), least squares on log–log over every run; exponent with its 95 % confidence interval (Student t, n − 2 degrees of freedom).</p>`,
    htmlTable(['task', 'topology', 'metric', 'exponent [95 % CI]', 'prefactor', 'r²', 'n'], fitRows),
    ...rendered.rendered.map(figureHtml),
    ...(failed.length
      ? [
          '<h2>Failed jobs</h2>',
          htmlTable(
            ['job', 'task', 'topology', 'edges', 'seed', 'error'],
            failed.map((r) => [r.job, r.task, r.topology, String(r.edges), String(r.seed), r.error ?? '—']),
          ),
        ]
      : []),
  ];
  const html = join(dir, 'report.html');
  await writeFile(html, pageHtml(title, body), 'utf8');
  return { html, figures: rendered.paths, warnings: [...warnings, ...rendered.warnings] };
}
