/**
 * Figure 2: what the network computes at a few moments of training. Two-input runs get a
 * truth-table heatmap per snapshot (Fig. 3B); one-input runs get output-vs-input curves
 * with the labels as black points (Fig. 4A). Snapshots come from `snapshotIndices`, the
 * same ones figure 1 marks with numbered grey bars and figure 3's spans run between.
 */
import type { RunResult } from '@metatwin/experiments';
import type { TopLevelSpec } from 'vega-lite';
import { formatInput_V, formatTime_s } from './format';
import { snapshotIndices } from './snapshots';

export interface TruthTableCell {
  /** Snapshot position, 0 = first log entry; orders the facets. */
  readonly snapshot: number;
  readonly t_s: number;
  /** Facet header, e.g. "t = 12 ms". */
  readonly time: string;
  readonly V1: string;
  readonly V2: string;
  readonly output_V: number;
  readonly label_V: number;
  /** The output in mV, for the colour scale. */
  readonly output_mV: number;
  /** Cell text: the output in mV, one decimal. */
  readonly text: string;
}

export interface OutputCurvePoint {
  readonly snapshot: number;
  readonly t_s: number;
  /** Legend entry, e.g. "t = 12 ms". */
  readonly time: string;
  readonly V1_V: number;
  readonly output_V: number;
}

/** "2: t = 12 ms": the snapshot's number (as figure 1's bars show it) and its learning time. */
export function timeLabel(t_s: number, snapshot?: number): string {
  return `${snapshot === undefined ? '' : `${snapshot + 1}: `}t = ${formatTime_s(t_s)}`;
}

/** One row per datapoint per snapshot, inputs as category strings. */
export function truthTableCells(run: RunResult): TruthTableCell[] {
  return snapshotIndices(run).flatMap((logIndex, snapshot) => {
    const entry = run.log[logIndex];
    return run.inputs.map((point, i) => ({
      snapshot,
      t_s: entry.t_s,
      time: timeLabel(entry.t_s, snapshot),
      V1: formatInput_V(point[0]),
      V2: formatInput_V(point[1]),
      output_V: entry.outputs[i],
      label_V: run.labels[i],
      output_mV: entry.outputs[i] * 1e3,
      text: (entry.outputs[i] * 1e3).toFixed(1),
    }));
  });
}

function symmetricExtent(values: Iterable<number>): number {
  let extent = 0;
  for (const v of values) if (Number.isFinite(v)) extent = Math.max(extent, Math.abs(v));
  return extent > 0 ? extent : 1e-3;
}

function sortedUnique(values: string[]): string[] {
  return [...new Set(values)].sort((a, b) => Number(a) - Number(b));
}

export function truthTableSpec(run: RunResult): TopLevelSpec {
  const cells = truthTableCells(run);
  // Labels set the colour range too, so a run that never reaches them still shows where they are.
  const extent_mV = 1e3 * symmetricExtent([...cells.map((c) => c.output_V), ...run.labels]);
  const times = [...new Set(cells.map((c) => c.time))];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    datasets: { cells },
    data: { name: 'cells' },
    facet: { column: { field: 'time', type: 'ordinal', sort: times, title: null, header: { labelFontSize: 12 } } },
    spec: {
      width: 130,
      height: 130,
      encoding: {
        x: { field: 'V1', type: 'ordinal', sort: sortedUnique(cells.map((c) => c.V1)), title: 'V1 (V)', axis: { labelAngle: 0 } },
        y: { field: 'V2', type: 'ordinal', sort: sortedUnique(cells.map((c) => c.V2)).reverse(), title: 'V2 (V)' },
      },
      layer: [
        {
          mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
          encoding: {
            color: {
              field: 'output_mV',
              type: 'quantitative',
              scale: { scheme: 'redblue', reverse: true, domain: [-extent_mV, extent_mV], domainMid: 0 },
              legend: { title: 'output O (mV)', format: '.0f', gradientLength: 130 },
            },
          },
        },
        {
          mark: { type: 'text', fontSize: 11 },
          encoding: {
            text: { field: 'text', type: 'nominal' },
            // White text on the saturated ends of the scale, black in the pale middle.
            color: { condition: { test: `abs(datum.output_mV) > ${0.6 * extent_mV}`, value: 'white' }, value: 'black' },
          },
        },
      ],
    },
  };
}

/** One row per datapoint per snapshot, for the curve family. */
export function outputCurves(run: RunResult): OutputCurvePoint[] {
  return snapshotIndices(run).flatMap((logIndex, snapshot) => {
    const entry = run.log[logIndex];
    return run.inputs.map((point, i) => ({ snapshot, t_s: entry.t_s, time: timeLabel(entry.t_s, snapshot), V1_V: point[0], output_V: entry.outputs[i] }));
  });
}

/** Initial curve black as in Fig. 4A, later ones from light to dark blue. */
function curveColours(count: number): string[] {
  const blues = ['#9ecae1', '#6baed6', '#4292c6', '#2171b5', '#08519c', '#08306b'];
  const later = Array.from({ length: Math.max(count - 1, 0) }, (_, k) => blues[count <= 2 ? blues.length - 1 : Math.round((k * (blues.length - 1)) / (count - 2))]);
  return ['#000000', ...later];
}

/** Data extent plus 5 % each side, so markers at the ends (V1 = 0, the lowest label) sit clear of the axes. */
function paddedDomain(values: number[]): number[] {
  const finite = values.filter(Number.isFinite);
  const low = finite.length > 0 ? Math.min(...finite) : 0;
  const high = finite.length > 0 ? Math.max(...finite) : 1;
  const pad = high > low ? 0.05 * (high - low) : 0.01;
  return [low - pad, high + pad];
}

export function outputsSpec(run: RunResult): TopLevelSpec {
  const curves = outputCurves(run);
  const labels = run.inputs.map((point, i) => ({ V1_V: point[0], label_V: run.labels[i] }));
  const times = [...new Set(curves.map((c) => c.time))];
  const x = { field: 'V1_V', type: 'quantitative' as const, title: 'input V1 (V)', scale: { domain: paddedDomain(labels.map((l) => l.V1_V)), nice: false } };
  const yDomain = paddedDomain([...curves.map((c) => c.output_V), ...run.labels]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 420,
    height: 300,
    datasets: { curves, labels },
    layer: [
      {
        data: { name: 'curves' },
        mark: { type: 'line', point: { size: 18 }, strokeWidth: 1.8 },
        encoding: {
          x,
          y: { field: 'output_V', type: 'quantitative', title: 'output O (V)', scale: { domain: yDomain, nice: false } },
          color: { field: 'time', type: 'ordinal', scale: { domain: times, range: curveColours(times.length) }, legend: { title: 'learning time' } },
          order: { field: 'V1_V', type: 'quantitative' },
        },
      },
      {
        data: { name: 'labels' },
        mark: { type: 'point', shape: 'circle', filled: false, size: 90, strokeWidth: 1.8, color: 'black' },
        encoding: { x, y: { field: 'label_V', type: 'quantitative', scale: { domain: yDomain, nice: false } } },
      },
    ],
  };
}
