/**
 * The per-edge inference power: every edge's power as result.final has it, the edges joining
 * two held nodes marked, and their share of the total stated in the caption and the summary.
 */
import type { RunResult } from '@metatwin/experiments';
import type { TopLevelSpec } from 'vega-lite';
import { runFigures } from './figures';
import { FREE_KIND, HELD_KIND, powerBreakdown, powerSpec } from './power-figure';
import { runSummaryRows } from './summary';
import { syntheticLargeRegressionRun, syntheticXorRun } from './testing/synthetic-results';

type Row = Record<string, unknown>;
const dataset = (spec: TopLevelSpec, name: string): Row[] => ((spec as { datasets?: Record<string, Row[]> }).datasets ?? {})[name] ?? [];

function withHeld(run: RunResult, heldEdges: number[] | undefined): RunResult {
  const { heldEdges: _old, ...final } = run.final;
  return { ...run, final: heldEdges === undefined ? final : { ...final, heldEdges } };
}

describe('powerBreakdown and powerSpec', () => {
  const run = withHeld(syntheticXorRun(), [3, 7]);
  const p = run.final.powerPerEdge_W;

  it('draws every edge’s power in µW, largest first, the held edges marked', () => {
    const rows = dataset(powerSpec(run), 'edges');
    expect(rows).toHaveLength(p.length);
    const powers = rows.map((r) => r.power_uW as number);
    expect(powers).toEqual([...p].sort((a, b) => b - a).map((w) => w * 1e6));
    expect(rows.filter((r) => r.kind === HELD_KIND).map((r) => r.edge)).toEqual(expect.arrayContaining([3, 7]));
    expect(rows.filter((r) => r.kind === HELD_KIND)).toHaveLength(2);
    expect(rows.find((r) => r.edge === 0)).toMatchObject({ kind: FREE_KIND, label: `0 (${run.network.edges[0][0]}–${run.network.edges[0][1]})` });
  });

  it('states the held edges’ share of the total in the caption and the summary', () => {
    const total = p.reduce((s, w) => s + w, 0);
    const share = (100 * (p[3] + p[7])) / total;
    const b = powerBreakdown(run);
    expect(b.total_W).toBeCloseTo(total, 18);
    expect(b.held_W).toBeCloseTo(p[3] + p[7], 18);
    const caption = runFigures(run).find((f) => f.name === 'power')?.caption ?? '';
    expect(caption).toContain(
      `The 2 of 32 edges that join two held nodes (inputs, rails; orange) dissipate ${Number(((p[3] + p[7]) * 1e6).toPrecision(3))} µW, ${Number(share.toPrecision(3))} % of the total`,
    );
    expect(runSummaryRows(run).find((r) => r.label === 'Inference power in edges joining two held nodes')?.value).toContain(
      `${Number(share.toPrecision(3))} % of the total, in 2 of 32 edges`,
    );
  });

  it('says when a result predates heldEdges instead of marking nothing silently', () => {
    const old = withHeld(run, undefined);
    expect(dataset(powerSpec(old), 'edges').every((r) => r.kind === FREE_KIND)).toBe(true);
    expect(runFigures(old).find((f) => f.name === 'power')?.caption).toContain('written before final.heldEdges was kept');
    expect(runSummaryRows(old).find((r) => r.label === 'Inference power in edges joining two held nodes')?.value).toMatch(/^not recorded/);
  });

  it('shows the distribution for a network too large for one bar per edge', () => {
    const large = syntheticLargeRegressionRun(12); // 288 edges
    const bins = dataset(powerSpec(large), 'bins');
    expect(bins.reduce((s, r) => s + (r.edges as number), 0)).toBe(288);
    expect(dataset(powerSpec(large), 'edges')).toEqual([]);
  });
});
