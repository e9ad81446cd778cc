/**
 * Figure for a task family, as the paper's Fig. 5: each task's signed error modes traced
 * against each other over training, E0 vs E1 and E1 vs E2, coloured by learning time and
 * ending at hollow black circles. Grey diagonals are |x| = |y|: a trace that runs parallel
 * to an axis is shrinking one mode while the other waits, which is "learning in order".
 * The task of Fig. 4 (the regression preset's) is drawn green, as the paper does.
 */
import { REGRESSION_TASK, piecewiseLinearDataset, type FamilyResult } from '@metatwin/experiments';
import type { TopLevelSpec } from 'vega-lite';

type Panel = Extract<TopLevelSpec, { hconcat: unknown }>['hconcat'][number];

export interface ModeTracePoint {
  readonly task: string;
  readonly step: number;
  readonly t_s: number;
  /** Signed modes (V). */
  readonly E0: number;
  readonly E1: number;
  readonly E2: number;
}

/** Mode pairs of the two panels: [x, y]. */
export const FAMILY_MODE_PAIRS: ReadonlyArray<readonly ['E0' | 'E1', 'E1' | 'E2']> = [
  ['E0', 'E1'],
  ['E1', 'E2'],
];

/** One row per task per log entry; a mode a task did not log counts as 0. */
export function familyTraceRows(family: FamilyResult): ModeTracePoint[] {
  return family.tasks.flatMap((task) =>
    task.log.map((entry) => ({ task: task.name, step: entry.step, t_s: entry.t_s, E0: entry.modes.E0 ?? 0, E1: entry.modes.E1 ?? 0, E2: entry.modes.E2 ?? 0 })),
  );
}

/** The smallest positive learning time of any task: the knee of the symlog colour scale. */
function firstPositiveTime_s(rows: ModeTracePoint[]): number {
  let knee = Infinity;
  for (const r of rows) if (r.t_s > 0 && r.t_s < knee) knee = r.t_s;
  return Number.isFinite(knee) ? knee : 1;
}

export interface Fig4Task {
  /** Index into family.tasks. */
  readonly index: number;
  /** True when its inputs and labels equal the regression preset's (to 1 nV). */
  readonly exact: boolean;
  /** RMS difference of its labels from the preset's (V). */
  readonly labelRms_V: number;
}

/**
 * The family member closest to the regression preset's task (REGRESSION_TASK, Fig. 4),
 * compared on the datasets the experiments resolved to, not on task names; null when no task
 * has one input (nothing to compare with a piecewise-linear label).
 */
export function fig4Task(family: FamilyResult): Fig4Task | null {
  let best: Fig4Task | null = null;
  let bestDistance = Infinity;
  family.tasks.forEach((task, index) => {
    const { inputs, labels } = task.experiment.dataset;
    if (inputs.length < 2 || inputs.some((p) => p.length !== 1) || labels.length !== inputs.length) return;
    const vMax_V = Math.max(...inputs.map((p) => p[0]));
    const reference = piecewiseLinearDataset(REGRESSION_TASK.a_V, REGRESSION_TASK.b_V, REGRESSION_TASK.c_V, inputs.length, vMax_V);
    const rms = (f: (i: number) => number): number => Math.sqrt(inputs.reduce((s, _, i) => s + f(i) ** 2, 0) / inputs.length);
    const labelRms_V = rms((i) => labels[i] - reference.labels[i]);
    const inputRms_V = rms((i) => inputs[i][0] - reference.inputs[i][0]);
    const distance = labelRms_V + inputRms_V;
    if (distance < bestDistance) {
      bestDistance = distance;
      best = { index, exact: distance < 1e-9, labelRms_V };
    }
  });
  return best;
}

/** Data extent of `field` with 0 (the goal every trace heads for) and 6 % padding each side. */
function fittedDomain(rows: ModeTracePoint[], field: 'E0' | 'E1' | 'E2'): [number, number] {
  let lo = 0;
  let hi = 0;
  for (const r of rows) {
    lo = Math.min(lo, r[field]);
    hi = Math.max(hi, r[field]);
  }
  const pad = hi > lo ? 0.06 * (hi - lo) : 1e-3;
  return [lo - pad, hi + pad];
}

function tracePanel(rows: ModeTracePoint[], xMode: 'E0' | 'E1', yMode: 'E1' | 'E2', timeScale: { type: 'symlog'; constant: number }, fig4: string | null): Panel {
  // Axes fitted to the data, each its own: a symmetric square would leave most of the panel
  // empty when every trace starts on one side of zero, as Fig. 5's E0 > 0 tasks do.
  const xDomain = fittedDomain(rows, xMode);
  const yDomain = fittedDomain(rows, yMode);
  const x = { field: xMode, type: 'quantitative' as const, title: `${xMode} (V)`, scale: { domain: xDomain, nice: false } };
  const y = { field: yMode, type: 'quantitative' as const, title: `${yMode} (V)`, scale: { domain: yDomain, nice: false } };
  // Diagonals long enough to cross the whole panel, clipped to it.
  const m = Math.max(...xDomain.map(Math.abs), ...yDomain.map(Math.abs));
  const diagonals = [
    { x: -m, y: -m, x2: m, y2: m },
    { x: -m, y: m, x2: m, y2: -m },
  ];
  const highlight =
    fig4 === null
      ? []
      : [
          {
            data: { name: 'traces' },
            transform: [{ filter: { field: 'task', equal: fig4 } }],
            mark: { type: 'line' as const, color: FIG4_GREEN, strokeWidth: 3 },
            encoding: { x, y, order: { field: 'step', type: 'quantitative' as const } },
          },
          {
            data: { name: 'ends' },
            transform: [{ filter: { field: 'task', equal: fig4 } }],
            mark: { type: 'text' as const, text: 'Fig. 4', color: FIG4_GREEN, fontWeight: 'bold' as const, align: 'left' as const, dx: 8, dy: -8 },
            encoding: { x, y },
          },
        ];
  return {
    width: 380,
    height: 380,
    layer: [
      {
        data: { values: diagonals },
        mark: { type: 'rule', color: '#bdbdbd', strokeDash: [4, 3], clip: true },
        encoding: {
          x: { field: 'x', type: 'quantitative', scale: { domain: xDomain, nice: false } },
          y: { field: 'y', type: 'quantitative', scale: { domain: yDomain, nice: false } },
          x2: { field: 'x2' },
          y2: { field: 'y2' },
        },
      },
      {
        data: { name: 'traces' },
        mark: { type: 'line', color: '#c7c7c7', strokeWidth: 1 },
        encoding: { x, y, detail: { field: 'task', type: 'nominal' }, order: { field: 'step', type: 'quantitative' } },
      },
      {
        data: { name: 'traces' },
        mark: { type: 'circle', size: 22, opacity: 0.9 },
        encoding: {
          x,
          y,
          // Plasma, not viridis: it has no green, which is kept for the Fig. 4 task as in the paper.
          color: { field: 't_s', type: 'quantitative', scale: { ...timeScale, scheme: 'plasma' }, legend: { title: 'learning time (s)', format: '.2~g' } },
        },
      },
      ...highlight,
      {
        data: { name: 'ends' },
        mark: { type: 'point', shape: 'circle', filled: false, size: 70, color: 'black', strokeWidth: 1.5 },
        encoding: { x, y },
      },
    ],
  };
}

/** The paper's colour for Fig. 4's task in Fig. 5. */
export const FIG4_GREEN = '#2ca02c';

export function familyModesSpec(family: FamilyResult): TopLevelSpec {
  const traces = familyTraceRows(family);
  const ends = family.tasks.flatMap((task) => {
    const last = traces.filter((r) => r.task === task.name);
    return last.length > 0 ? [last[last.length - 1]] : [];
  });
  const timeScale = { type: 'symlog' as const, constant: firstPositiveTime_s(traces) };
  const fig4 = fig4Task(family);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    datasets: { traces, ends },
    hconcat: FAMILY_MODE_PAIRS.map(([xMode, yMode]) => tracePanel(traces, xMode, yMode, timeScale, fig4 === null ? null : family.tasks[fig4.index].name)),
    spacing: 40,
    resolve: { scale: { x: 'independent', y: 'independent' } },
  };
}
