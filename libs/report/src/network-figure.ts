/**
 * Figure 3, as the paper's Fig. 3A / 4C: the network drawn as its lattice, once per time
 * span of training with edge colour = mean dG/dt over the span, and once more in its final
 * state with edge width = measured conductance. Conductance is only measured at the end,
 * so span widths use the gate overdrive max(G − V_T, 0) averaged over the span's test
 * steps: for a Level-1 transistor in its linear region conductance is β·(G − V_T − V_S),
 * so overdrive tracks it up to the (small, < 0.45 V) source voltage.
 */
import { outputSpecs } from '@metatwin/contracts';
import type { RunResult } from '@metatwin/experiments';
import type { TopLevelSpec } from 'vega-lite';
import { formatTime_s } from './format';
import { networkLayout, type EdgeSegment, type NetworkLayout } from './network-layout';
import { snapshotIndices, spanBoundaries } from './snapshots';

type Panel = Extract<TopLevelSpec, { hconcat: unknown }>['hconcat'][number];
type UnitLayer = Extract<Extract<Panel, { layer: unknown }>['layer'][number], { mark: unknown }>;
/** How a panel colours and sizes its edges. */
type EdgeEncoding = Pick<NonNullable<UnitLayer['encoding']>, 'color' | 'strokeWidth'>;

export interface GateSpan {
  readonly fromIndex: number;
  readonly toIndex: number;
  readonly from_s: number;
  readonly to_s: number;
  readonly title: string;
  /** Mean dG/dt per edge over the span (V/s): gate change between the end entries over their time difference. */
  readonly rate_Vps: number[];
  /** Per edge, max(G − V_T, 0) averaged over the span's log entries (V). */
  readonly overdrive_V: number[];
}

/**
 * One span between each pair of consecutive snapshots (snapshots.ts), so the spans' boundaries
 * are figure 1's grey bars and figure 2's panels, as in the paper's Fig. 4 ("the three time
 * spans defined by the blue lines in (a) and (b)").
 */
export function gateSpans(run: RunResult): GateSpan[] {
  const marks = spanBoundaries(run);
  const numbers = snapshotIndices(run);
  // Snapshot numbers where a boundary is one; the added first/last steps (one snapshot only) have none.
  const name = (index: number): string => (numbers.includes(index) ? `${numbers.indexOf(index) + 1}` : index === 0 ? 'start' : 'end');
  const vto_V = run.experiment.transistor.vto_V;
  const spans: GateSpan[] = [];
  for (let k = 0; k + 1 < marks.length; k++) {
    const from = run.log[marks[k]];
    const to = run.log[marks[k + 1]];
    const dt_s = to.t_s - from.t_s;
    const rate_Vps = to.gates_V.map((g, e) => (dt_s > 0 ? (g - from.gates_V[e]) / dt_s : 0));
    const overdrive_V = from.gates_V.map((_, e) => {
      let sum = 0;
      for (let i = marks[k]; i <= marks[k + 1]; i++) sum += Math.max(run.log[i].gates_V[e] - vto_V, 0);
      return sum / (marks[k + 1] - marks[k] + 1);
    });
    spans.push({
      fromIndex: marks[k],
      toIndex: marks[k + 1],
      from_s: from.t_s,
      to_s: to.t_s,
      title: `${name(marks[k])} → ${name(marks[k + 1])}: ${formatTime_s(from.t_s)} → ${formatTime_s(to.t_s)}`,
      rate_Vps,
      overdrive_V,
    });
  }
  return spans;
}

export interface RoleMarker {
  readonly node: number;
  readonly x: number;
  readonly y: number;
  readonly role: string;
  /** Short text beside the marker: V1, rail voltage, O+ … */
  readonly tag: string;
}

/** Input, rail and output nodes with the legend category and tag each is drawn with. */
export function roleMarkers(run: RunResult, layout: NetworkLayout): RoleMarker[] {
  const at = (node: number): { x: number; y: number } => ({ x: layout.nodes[node]?.x ?? 0, y: layout.nodes[node]?.y ?? 0 });
  const markers: RoleMarker[] = [];
  run.roles.inputs.forEach((node, i) => markers.push({ node, ...at(node), role: 'input', tag: `V${i + 1}` }));
  for (const rail of run.roles.rails) markers.push({ node: rail.node, ...at(rail.node), role: 'rail', tag: `${Number(rail.volts.toFixed(3))} V` });
  const outs = outputSpecs(run.roles);
  // One output is O (O±); several are numbered O1, O2± … in label order.
  outs.forEach((out, k) => {
    const n = outs.length === 1 ? '' : String(k + 1);
    if ('node' in out) markers.push({ node: out.node, ...at(out.node), role: 'output', tag: `O${n}` });
    else {
      markers.push({ node: out.plus, ...at(out.plus), role: 'output +', tag: `O${n}+` });
      markers.push({ node: out.minus, ...at(out.minus), role: 'output −', tag: `O${n}−` });
    }
  });
  return markers;
}

const ROLE_STYLE: Record<string, { shape: string; colour: string }> = {
  input: { shape: 'triangle-up', colour: '#2ca02c' },
  rail: { shape: 'square', colour: '#555555' },
  output: { shape: 'diamond', colour: '#9467bd' },
  'output +': { shape: 'diamond', colour: '#9467bd' },
  'output −': { shape: 'triangle-down', colour: '#9467bd' },
};

/** Lattice units → pixels, so every panel has the lattice's aspect ratio. */
const PX_PER_UNIT = 46;
const WIDTH_RANGE_PX: [number, number] = [0.4, 7];

function edgeRows(segments: EdgeSegment[], perEdge: Record<string, number[]>): Array<Record<string, number | boolean>> {
  return segments.map((s) => ({ ...s, ...Object.fromEntries(Object.entries(perEdge).map(([key, values]) => [key, values[s.edge]])) }));
}

/** Three width-legend entries (0, half, full): a horizontal legend of more would widen its panel. */
function threeTicks(max: number): number[] {
  return [0, Number((max / 2).toPrecision(2)), Number(max.toPrecision(2))];
}

function maxAbs(values: number[]): number {
  let m = 0;
  for (const v of values) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  return m > 0 ? m : 1;
}

/** One network drawing: edges from `edgeData`, then plain nodes, then role markers and their tags. */
function panel(layout: NetworkLayout, roles: RoleMarker[], title: string, edgeData: string, edgeEncoding: EdgeEncoding): Panel {
  const width = PX_PER_UNIT * (layout.xDomain[1] - layout.xDomain[0]);
  const height = PX_PER_UNIT * (layout.yDomain[1] - layout.yDomain[0]);
  const x = { field: 'x', type: 'quantitative' as const, scale: { domain: [...layout.xDomain], nice: false, zero: false }, axis: null };
  const y = { field: 'y', type: 'quantitative' as const, scale: { domain: [...layout.yDomain], nice: false, zero: false, reverse: true }, axis: null };
  const roleDomain = Object.keys(ROLE_STYLE).filter((r) => roles.some((m) => m.role === r));
  return {
    title: { text: title, fontSize: 12, fontWeight: 'normal' },
    width,
    height,
    view: { stroke: null },
    layer: [
      {
        data: { name: edgeData },
        mark: { type: 'rule', strokeCap: 'round' },
        encoding: { x, y, x2: { field: 'x2' }, y2: { field: 'y2' }, ...edgeEncoding },
      },
      { data: { name: 'nodes' }, mark: { type: 'circle', size: 22, color: '#333333', opacity: 1 }, encoding: { x, y } },
      {
        data: { name: 'roles' },
        mark: { type: 'point', filled: true, size: 150, stroke: 'white', strokeWidth: 1, opacity: 1 },
        encoding: {
          x,
          y,
          fill: { field: 'role', type: 'nominal', scale: { domain: roleDomain, range: roleDomain.map((r) => ROLE_STYLE[r].colour) }, legend: { title: 'nodes' } },
          shape: { field: 'role', type: 'nominal', scale: { domain: roleDomain, range: roleDomain.map((r) => ROLE_STYLE[r].shape) }, legend: { title: 'nodes' } },
        },
      },
      {
        data: { name: 'roles' },
        mark: { type: 'text', dx: 0, dy: -13, fontSize: 10, fontWeight: 'bold', color: '#222222' },
        encoding: { x, y, text: { field: 'tag', type: 'nominal' } },
      },
    ],
  };
}

export function networkSpec(run: RunResult): TopLevelSpec {
  const layout = networkLayout(run.network);
  const spans = gateSpans(run);
  const overdriveMax_V = spans.reduce((m, s) => s.overdrive_V.reduce((a, v) => Math.max(a, v), m), 1e-3);
  const conductance_mS = run.final.conductance_S.map((g) => g * 1e3);
  const roles = roleMarkers(run, layout);
  const datasets: Record<string, object[]> = {
    nodes: layout.nodes.map((n) => ({ ...n })),
    roles: roles.map((m) => ({ ...m })),
    final: edgeRows(layout.segments, { conductance_mS }),
  };
  const panels: Panel[] = spans.map((span, k) => {
    datasets[`span${k}`] = edgeRows(layout.segments, { rate_Vps: span.rate_Vps, overdrive_V: span.overdrive_V });
    // Early spans change gates far faster than late ones, so each span gets its own colour range.
    const extent = maxAbs(span.rate_Vps);
    return panel(layout, roles, span.title, `span${k}`, {
      color: {
        field: 'rate_Vps',
        type: 'quantitative',
        scale: { scheme: 'redblue', reverse: true, domain: [-extent, extent], domainMid: 0 },
        legend: { title: 'dG/dt (V/s)', orient: 'bottom', direction: 'horizontal', gradientLength: 150, format: '.2~g' },
      },
      strokeWidth: {
        field: 'overdrive_V',
        type: 'quantitative',
        scale: { domain: [0, overdriveMax_V], range: WIDTH_RANGE_PX },
        legend: k === 0 ? { title: 'mean G − V_T (V)', orient: 'bottom', direction: 'horizontal', format: '.1f', values: threeTicks(overdriveMax_V) } : null,
      },
    });
  });
  panels.push(
    panel(layout, roles, 'final conductance', 'final', {
      color: { value: '#4d4d4d' },
      strokeWidth: {
        field: 'conductance_mS',
        type: 'quantitative',
        scale: { domain: [0, maxAbs(conductance_mS)], range: WIDTH_RANGE_PX },
        // Plain decimals: an SI-prefixed format (~s) would print 0.5 mS as "500m".
        legend: { title: 'K = I/ΔV (mS)', orient: 'bottom', direction: 'horizontal', format: '.2~r', values: threeTicks(maxAbs(conductance_mS)) },
      },
    }),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    datasets,
    hconcat: panels,
    spacing: 24,
    resolve: { scale: { color: 'independent', strokeWidth: 'independent' }, legend: { color: 'independent', strokeWidth: 'independent' } },
  };
}
