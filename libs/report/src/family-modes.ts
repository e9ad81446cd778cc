/**
 * Figure for a task family, as the paper's Fig. 5: each task's signed error modes traced
 * against each other over training, E0 vs E1 and E1 vs E2, coloured by learning time and
 * ending at hollow black circles. Grey diagonals are |x| = |y|: a trace that runs parallel
 * to an axis is shrinking one mode while the other waits, which is "learning in order".
 */
import type { FamilyResult } from '@metatwin/experiments';
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

function tracePanel(rows: ModeTracePoint[], xMode: string, yMode: string, timeScale: { type: 'symlog'; constant: number }): Panel {
  let extent = 0;
  for (const r of rows) extent = Math.max(extent, Math.abs(r[xMode as 'E0']), Math.abs(r[yMode as 'E0']));
  // Square, symmetric axes keep the |x| = |y| diagonals at 45°.
  const m = extent > 0 ? extent * 1.08 : 1e-3;
  const domain = [-m, m];
  const x = { field: xMode, type: 'quantitative' as const, title: `${xMode} (V)`, scale: { domain, nice: false } };
  const y = { field: yMode, type: 'quantitative' as const, title: `${yMode} (V)`, scale: { domain, nice: false } };
  const diagonals = [
    { x: -m, y: -m, x2: m, y2: m },
    { x: -m, y: m, x2: m, y2: -m },
  ];
  return {
    width: 300,
    height: 300,
    layer: [
      {
        data: { values: diagonals },
        mark: { type: 'rule', color: '#bdbdbd', strokeDash: [4, 3] },
        encoding: {
          x: { field: 'x', type: 'quantitative', scale: { domain, nice: false } },
          y: { field: 'y', type: 'quantitative', scale: { domain, nice: false } },
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
          color: { field: 't_s', type: 'quantitative', scale: { ...timeScale, scheme: 'viridis' }, legend: { title: 'learning time (s)', format: '.2~g' } },
        },
      },
      {
        data: { name: 'ends' },
        mark: { type: 'point', shape: 'circle', filled: false, size: 70, color: 'black', strokeWidth: 1.5 },
        encoding: { x, y },
      },
    ],
  };
}

export function familyModesSpec(family: FamilyResult): TopLevelSpec {
  const traces = familyTraceRows(family);
  const ends = family.tasks.flatMap((task) => {
    const last = traces.filter((r) => r.task === task.name);
    return last.length > 0 ? [last[last.length - 1]] : [];
  });
  const timeScale = { type: 'symlog' as const, constant: firstPositiveTime_s(traces) };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    datasets: { traces, ends },
    hconcat: FAMILY_MODE_PAIRS.map(([xMode, yMode]) => tracePanel(traces, xMode, yMode, timeScale)),
    spacing: 40,
    resolve: { scale: { x: 'independent', y: 'independent' } },
  };
}
