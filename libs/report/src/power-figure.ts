/**
 * Where the inference power goes: each edge's K·ΔV² averaged over the datapoints
 * (result.final.powerPerEdge_W), largest first, with the edges that join two held nodes
 * (inputs, rails: result.final.heldEdges) marked. Their drop is set by the sources alone, so
 * their share is an overhead of how the task is applied rather than of what was learned —
 * the number to subtract before comparing a network's power with the paper's ~5 µW per edge.
 */
import type { RunResult } from '@metatwin/experiments';
import type { TopLevelSpec } from 'vega-lite';
import { binned } from './gate-distributions';

/** Above this many edges one bar per edge is unreadable: the figure shows the distribution instead. */
export const POWER_BARS_MAX_EDGES = 200;

export const HELD_KIND = 'joins two held nodes';
export const FREE_KIND = 'other edges';

export interface EdgePowerRow {
  readonly edge: number;
  /** Axis label: "12 (4–5)", the edge index and its two nodes. */
  readonly label: string;
  /** Mean inference power over the datapoints (µW). */
  readonly power_uW: number;
  readonly kind: typeof HELD_KIND | typeof FREE_KIND;
}

export interface PowerBreakdown {
  /** One row per edge, largest power first. */
  readonly rows: EdgePowerRow[];
  /** Sum over edges of the mean power per edge = the mean whole-network inference power (W). */
  readonly total_W: number;
  /** The same over the edges joining two held nodes (W); 0 when none or unknown. */
  readonly held_W: number;
  readonly heldCount: number;
  /** False for results written before final.heldEdges was kept: nothing can be marked. */
  readonly heldKnown: boolean;
}

export function powerBreakdown(run: RunResult): PowerBreakdown {
  const held = new Set(run.final.heldEdges ?? []);
  let total_W = 0;
  let held_W = 0;
  const rows = run.final.powerPerEdge_W.map((p_W, edge): EdgePowerRow => {
    total_W += p_W;
    if (held.has(edge)) held_W += p_W;
    const [a, b] = run.network.edges[edge] ?? [Number.NaN, Number.NaN];
    return { edge, label: `${edge} (${a}–${b})`, power_uW: p_W * 1e6, kind: held.has(edge) ? HELD_KIND : FREE_KIND };
  });
  rows.sort((x, y) => y.power_uW - x.power_uW || x.edge - y.edge);
  return { rows, total_W, held_W, heldCount: held.size, heldKnown: run.final.heldEdges !== undefined };
}

const KIND_COLOURS = { domain: [HELD_KIND, FREE_KIND], range: ['#e6550d', '#6b8fb5'] };

export function powerSpec(run: RunResult): TopLevelSpec {
  const breakdown = powerBreakdown(run);
  const $schema = 'https://vega.github.io/schema/vega-lite/v5.json';
  if (breakdown.rows.length > POWER_BARS_MAX_EDGES) {
    const power_uW = breakdown.rows.map((r) => r.power_uW);
    const top = Math.max(...power_uW, 1e-12);
    return {
      $schema,
      width: 520,
      height: 200,
      datasets: { bins: binned('power', power_uW, 0, top) },
      data: { name: 'bins' },
      mark: { type: 'rect', color: KIND_COLOURS.range[1] },
      encoding: {
        x: { field: 'from', type: 'quantitative', title: 'mean inference power of the edge (µW)', axis: { format: '.2~g' } },
        x2: { field: 'to' },
        y: { field: 'edges', type: 'quantitative', title: 'edges' },
      },
    };
  }
  return {
    $schema,
    width: Math.max(320, 14 * breakdown.rows.length),
    height: 220,
    datasets: { edges: breakdown.rows },
    data: { name: 'edges' },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'label', type: 'ordinal', sort: breakdown.rows.map((r) => r.label), title: 'edge (its nodes), largest power first', axis: { labelAngle: -90, labelFontSize: 9 } },
      y: { field: 'power_uW', type: 'quantitative', title: 'mean inference power (µW)' },
      color: { field: 'kind', type: 'nominal', scale: KIND_COLOURS, legend: { title: null, orient: 'top-right', labelLimit: 0 } },
    },
  };
}
