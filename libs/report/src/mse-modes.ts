/**
 * Figure 1, as the paper's Fig. 3C / 4B: mean squared error (black) and the magnitude of
 * every error mode (one colour each) against learning time, log-scale in value. Numbered grey
 * bars mark the snapshots figure 2 shows, which are also the boundaries of figure 3's time
 * spans, so the three figures can be read together.
 */
import type { RunResult } from '@metatwin/experiments';
import type { TopLevelSpec } from 'vega-lite';
import { learningTimeScale, logAxisFloor } from './sampling';
import { snapshotIndices } from './snapshots';

export const MSE_SERIES = 'MSE';
/** The MSE over held-out datapoints, when a dataset holds some out. */
export const HELD_OUT_MSE_SERIES = 'MSE, held out';
/** Mode lines; black is kept for the MSE. */
const MODE_COLOURS = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d', '#1f78b4', '#b2df8a', '#fb9a99'];

export interface MseModesRow {
  readonly t_s: number;
  readonly step: number;
  /** 'MSE' or '|<mode name>|'. */
  readonly series: string;
  /** V² for the MSE, V for a mode magnitude: the value as logged (signed for modes). */
  readonly raw: number;
  /** |raw| floored at a tiny positive value so the log axis can draw it. */
  readonly value: number;
}

export function modeSeriesName(mode: string): string {
  return `|${mode}|`;
}

const hasHeldOut = (run: RunResult): boolean => run.log[0]?.heldOutMse !== undefined;

/**
 * The value axis' floor (V² or V): the larger of a tenth of the smallest non-zero value plotted
 * (logAxisFloor) and a thousandth of the lowest non-zero MSE. A mode passing through zero
 * would otherwise drag the axis down many empty decades, and an exact 0 cannot be drawn on
 * a log axis at all; values below the floor are drawn at it.
 */
export function mseModesFloor(run: RunResult): number {
  return Math.max(logAxisFloor(run.log.flatMap((e) => [e.mse, ...run.modeNames.map((m) => e.modes[m] ?? 0)])), logAxisFloor(run.log.map((e) => e.mse)) / 100);
}

/** One row per log entry per series (MSE first, the held-out MSE if any, then modes in run.modeNames order). */
export function mseModesRows(run: RunResult): MseModesRow[] {
  const floor = mseModesFloor(run);
  const rows: MseModesRow[] = [];
  const push = (t_s: number, step: number, series: string, raw: number): void => {
    rows.push({ t_s, step, series, raw, value: Math.max(Math.abs(raw), floor) });
  };
  for (const entry of run.log) push(entry.t_s, entry.step, MSE_SERIES, entry.mse);
  if (hasHeldOut(run)) for (const entry of run.log) push(entry.t_s, entry.step, HELD_OUT_MSE_SERIES, entry.heldOutMse ?? 0);
  for (const mode of run.modeNames) {
    for (const entry of run.log) push(entry.t_s, entry.step, modeSeriesName(mode), entry.modes[mode] ?? 0);
  }
  return rows;
}

/** Whole decades covering the plotted values, so the log axis labels and grid lines sit on powers of ten. */
export function decadeTicks(values: ReadonlyArray<number>): number[] {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  if (positive.length === 0) return [1e-3, 1];
  const low = Math.floor(Math.log10(Math.min(...positive)));
  const high = Math.max(Math.ceil(Math.log10(Math.max(...positive))), low + 1);
  // Past eight decades every other one is labelled, or the labels crowd into each other.
  const stride = high - low > 8 ? 2 : 1;
  const ticks: number[] = [];
  // Parsing "1e-5" gives the exact decimal; 10 ** -5 is 9.999…e-6 and labels as such.
  let d = low;
  for (; d < high; d += stride) ticks.push(Number(`1e${d}`));
  ticks.push(Number(`1e${d}`)); // the first tick at or above the largest value closes the domain
  return ticks;
}

export function mseModesSpec(run: RunResult): TopLevelSpec {
  const rows = mseModesRows(run);
  const ticks = decadeTicks(rows.map((r) => r.value));
  const heldOut = hasHeldOut(run);
  const seriesNames = [MSE_SERIES, ...(heldOut ? [HELD_OUT_MSE_SERIES] : []), ...run.modeNames.map(modeSeriesName)];
  const colours = ['#000000', ...(heldOut ? ['#8c8c8c'] : []), ...run.modeNames.map((_, i) => MODE_COLOURS[i % MODE_COLOURS.length])];
  const snapshots = snapshotIndices(run).map((i, k) => ({ t_s: run.log[i].t_s, snapshot: String(k + 1) }));
  const timeAxis = {
    field: 't_s',
    type: 'quantitative',
    // The log's own time range, explicitly: figure 3's spans partition it between the bars.
    scale: { ...learningTimeScale(run.log), domain: learningTimeDomain_s(run.log), nice: false },
    title: 'learning time (s)',
    // '~r', not '~g': Vega's '~g' labels 10 s as "1e+1".
    axis: { values: timeTicks(run.log), grid: false, format: '~r' },
  } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 520,
    height: 300,
    datasets: { series: rows, snapshots },
    layer: [
      {
        data: { name: 'snapshots' },
        mark: { type: 'rule', color: '#9e9e9e', strokeWidth: 5, opacity: 0.35 },
        encoding: { x: timeAxis },
      },
      {
        // The snapshot's number, as figure 2's panels and figure 3's spans name it.
        data: { name: 'snapshots' },
        mark: { type: 'text', baseline: 'bottom', dy: -3, fontSize: 11, fontWeight: 'bold', color: '#616161' },
        encoding: { x: timeAxis, y: { value: 0 }, text: { field: 'snapshot', type: 'nominal' } },
      },
      {
        data: { name: 'series' },
        mark: { type: 'line', strokeWidth: 1.8, clip: true },
        encoding: {
          x: timeAxis,
          y: {
            field: 'value',
            type: 'quantitative',
            scale: { type: 'log', domain: [ticks[0], ticks[ticks.length - 1]] },
            title: run.modeNames.length > 0 ? 'MSE (V²), |mode| (V)' : 'MSE (V²)',
            axis: { values: ticks, format: '.0e' },
          },
          color: { field: 'series', type: 'nominal', scale: { domain: seriesNames, range: colours }, legend: { title: null, orient: 'right' } },
          strokeWidth: { condition: { test: `datum.series === '${MSE_SERIES}' || datum.series === '${HELD_OUT_MSE_SERIES}'`, value: 2.6 }, value: 1.6 },
          order: { field: 't_s', type: 'quantitative' },
        },
      },
    ],
  };
}

/** [first, last] test time (s): figure 1's x-domain, which figure 3's spans partition. */
export function learningTimeDomain_s(log: ReadonlyArray<{ readonly t_s: number }>): [number, number] {
  return log.length === 0 ? [0, 1] : [log[0].t_s, log[log.length - 1].t_s];
}

/** 0 and whole decades of learning time up to the last test, labelled on the symlog axis. */
export function timeTicks(log: ReadonlyArray<{ readonly t_s: number }>): number[] {
  const positive = log.map((e) => e.t_s).filter((t) => t > 0);
  if (positive.length === 0) return [0];
  const low = Math.floor(Math.log10(Math.min(...positive)));
  const last = Math.max(...positive);
  const ticks = [0];
  for (let d = low; Number(`1e${d}`) <= last * 1.0001; d++) ticks.push(Number(`1e${d}`));
  return ticks;
}
