/**
 * The figure builders plot what the result says: each spec's inline datasets are checked
 * against the numbers the synthetic results were built from.
 */
import type { TopLevelSpec } from 'vega-lite';
import { REGRESSION_TASK } from '@metatwin/experiments';
import { FAMILY_MODE_PAIRS, FIG4_GREEN, familyModesSpec, familyTraceRows, fig4Task } from './family-modes';
import { familyFigures, runFigures } from './figures';
import { NETWORK_DRAWING_MAX_EDGES, binned, gateDistributionSpec } from './gate-distributions';
import { MSE_SERIES, decadeTicks, modeSeriesName, mseModesFloor, mseModesSpec } from './mse-modes';
import { gateSpans, networkSpec } from './network-figure';
import { outputsSpec, truthTableSpec } from './outputs';
import { snapshotIndices } from './snapshots';
import { accuracyRows, classificationSpec, confusionCells } from './classification';
import { syntheticClassificationRun, syntheticFamily, syntheticLargeRegressionRun, syntheticRegressionRun, syntheticXorRun } from './testing/synthetic-results';

type Row = Record<string, unknown>;
const dataset = (spec: TopLevelSpec, name: string): Row[] => ((spec as { datasets?: Record<string, Row[]> }).datasets ?? {})[name] ?? [];

describe('mseModesSpec', () => {
  const run = syntheticXorRun();
  const rows = dataset(mseModesSpec(run), 'series');

  it('has one row per log entry per series, MSE first', () => {
    expect(rows).toHaveLength(run.log.length * (1 + run.modeNames.length));
    expect(new Set(rows.map((r) => r.series))).toEqual(new Set([MSE_SERIES, '|E00|', '|E01|', '|E10|', '|E11|']));
    expect(rows[0]).toMatchObject({ series: MSE_SERIES, t_s: 0, raw: run.log[0].mse });
  });

  it('plots |mode| and the MSE at the logged times', () => {
    for (const mode of run.modeNames) {
      const series = rows.filter((r) => r.series === modeSeriesName(mode));
      expect(series.map((r) => r.t_s)).toEqual(run.log.map((e) => e.t_s));
      series.forEach((r, i) => {
        if (run.log[i].modes[mode] !== 0) expect(r.value).toBeCloseTo(Math.abs(run.log[i].modes[mode]), 15);
      });
    }
    const mse = rows.filter((r) => r.series === MSE_SERIES).map((r) => r.value);
    expect(mse).toEqual(run.log.map((e) => e.mse));
  });

  it('draws an exact zero at a positive floor below every measured value', () => {
    const zero = rows.find((r) => r.raw === 0);
    expect(zero).toBeDefined();
    const positive = rows.filter((r) => r.raw !== 0).map((r) => r.value as number);
    expect(zero?.value).toBeGreaterThan(0);
    expect(zero?.value).toBeLessThan(Math.min(...positive));
  });

  it('marks the figure-2 snapshots with grey bars', () => {
    expect(dataset(mseModesSpec(run), 'snapshots').map((r) => r.t_s)).toEqual(snapshotIndices(run).map((i) => run.log[i].t_s));
  });

  it('puts log-axis ticks on whole decades that cover the data', () => {
    expect(decadeTicks([3e-6, 0.2])).toEqual([1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1]);
  });
});

describe('truthTableSpec', () => {
  it('shows every datapoint at every snapshot with the logged outputs', () => {
    const run = syntheticXorRun();
    const cells = dataset(truthTableSpec(run), 'cells');
    const n = snapshotIndices(run).length;
    expect(cells).toHaveLength(n * run.inputs.length);
    const last = cells.filter((c) => c.snapshot === n - 1);
    expect(last.map((c) => c.output_V)).toEqual(run.log[run.log.length - 1].outputs);
    expect(last.map((c) => [c.V1, c.V2])).toEqual([
      ['0.00', '0.00'],
      ['0.00', '0.45'],
      ['0.45', '0.00'],
      ['0.45', '0.45'],
    ]);
  });
});

describe('outputsSpec', () => {
  it('draws five curves of output against V1 (first step, E0, E1, E2 half-times, last step) and the labels as points', () => {
    const run = syntheticRegressionRun();
    const spec = outputsSpec(run);
    const curves = dataset(spec, 'curves');
    expect(new Set(curves.map((c) => c.snapshot)).size).toBe(5);
    expect(curves.filter((c) => c.snapshot === 0).map((c) => c.output_V)).toEqual(run.log[0].outputs);
    expect(dataset(spec, 'labels').map((l) => l.label_V)).toEqual(run.labels);
  });
});

describe('networkSpec', () => {
  const run = syntheticXorRun();

  it('colours edges by the mean gate rate over each span between snapshots', () => {
    const spans = gateSpans(run);
    expect(spans).toHaveLength(snapshotIndices(run).length - 1);
    expect(spans[0].fromIndex).toBe(0);
    expect(spans[spans.length - 1].toIndex).toBe(run.log.length - 1);
    const { fromIndex, toIndex } = spans[1];
    const expected = (run.log[toIndex].gates_V[5] - run.log[fromIndex].gates_V[5]) / (run.log[toIndex].t_s - run.log[fromIndex].t_s);
    expect(spans[1].rate_Vps[5]).toBeCloseTo(expected, 12);
    const edges = dataset(networkSpec(run), 'span1');
    expect(edges.filter((e) => e.edge === 5).every((e) => Math.abs((e.rate_Vps as number) - expected) < 1e-12)).toBe(true);
  });

  it('sizes the final panel by measured conductance and marks every role', () => {
    const spec = networkSpec(run);
    const final = dataset(spec, 'final');
    expect(final.find((e) => e.edge === 0)?.conductance_mS).toBeCloseTo(run.final.conductance_S[0] * 1e3, 12);
    expect(dataset(spec, 'roles').map((r) => `${r.role}@${r.node}`)).toEqual(['input@5', 'input@6', 'rail@0', 'rail@15', 'output +@10', 'output −@9']);
  });
});

describe('familyModesSpec', () => {
  it('traces every task through its signed modes and ends each with a marker', () => {
    const family = syntheticFamily();
    const spec = familyModesSpec(family);
    const traces = dataset(spec, 'traces');
    expect(traces).toHaveLength(family.tasks.reduce((n, t) => n + t.log.length, 0));
    const taskB = traces.filter((r) => r.task === 'task-b');
    expect(taskB.map((r) => r.E1)).toEqual(family.tasks[1].log.map((e) => e.modes.E1));
    expect(dataset(spec, 'ends').map((r) => r.task)).toEqual(['task-a', 'task-b', 'task-c']);
  });
});

describe('the network figure of a large network', () => {
  it('bins every finite value into the bin that holds it, the top edge into the last bin', () => {
    const rows = binned('p', [0, 0.25, 0.5, 0.999, 1, Number.NaN], 0, 1);
    expect(rows).toHaveLength(40);
    expect(rows.reduce((s, r) => s + r.edges, 0)).toBe(5);
    expect(rows[0].edges).toBe(1);
    expect(rows[10].edges).toBe(1);
    expect(rows[20].edges).toBe(1);
    expect(rows[39].edges).toBe(2);
  });

  it('shows distributions over the edges above NETWORK_DRAWING_MAX_EDGES, with a page size that does not grow with the network', () => {
    const run = syntheticLargeRegressionRun(40); // 3,200 edges
    expect(run.network.edges.length).toBeGreaterThan(NETWORK_DRAWING_MAX_EDGES);
    const figure = runFigures(run).find((f) => f.name === 'network');
    expect(figure?.title).toMatch(/distributions over the edges/);
    expect(figure?.caption).toMatch(/3,200 edges, too many to draw edge by edge/);
    const spec = figure?.spec as TopLevelSpec;
    const final = dataset(spec, 'final');
    expect(final.reduce((s, r) => s + (r.edges as number), 0)).toBe(3200);
    expect(JSON.stringify(spec).length).toBeLessThan(50_000);
    // Below the threshold the network is drawn edge by edge, as before.
    expect(runFigures(syntheticRegressionRun()).find((f) => f.name === 'network')?.title).toBe('Network during training');
  });
});

describe('classificationSpec (a multi-output task)', () => {
  const run = syntheticClassificationRun();

  it('plots the accuracy of the trained-on and held-out datapoints at every test', () => {
    const rows = dataset(classificationSpec(run), 'accuracy');
    expect(rows).toHaveLength(2 * run.log.length);
    expect(rows.filter((r) => r.set === 'trained on').map((r) => r.accuracy)).toEqual(run.log.map((e) => e.accuracy));
    expect(rows.filter((r) => r.set === 'held out').map((r) => r.accuracy)).toEqual(run.log.map((e) => e.heldOutAccuracy));
    expect(accuracyRows(run)[0]).toEqual({ t_s: 0, set: 'trained on', accuracy: run.log[0].accuracy });
  });

  it('counts the final confusion matrix of each set by class name (rows true, columns read)', () => {
    const cells = confusionCells(run);
    const count = (set: string, truth: string, read: string): unknown => cells.find((c) => c.set === set && c.truth === truth && c.read === read)?.count;
    // Last test: every datapoint read as its class.
    expect(count('trained on', 'same', 'same')).toBe(1);
    expect(count('trained on', 'differ', 'differ')).toBe(2);
    expect(count('trained on', 'differ', 'same')).toBe(0);
    expect(count('held out', 'same', 'same')).toBe(1);
    expect(cells).toHaveLength(8);
  });

  it('replaces the output figure, draws the MSE without modes and its held-out twin', () => {
    const figures = runFigures(run);
    expect(figures.map((f) => f.name)).toEqual(['mse-modes', 'classification', 'network', 'power']);
    expect(figures[0].title).toBe('Error');
    expect(figures[0].caption).toMatch(/Error modes are not drawn.*2 outputs/);
    const series = new Set(dataset(mseModesSpec(run), 'series').map((r) => r.series));
    expect([...series]).toEqual([MSE_SERIES, 'MSE, held out']);
    expect(figures[1].caption).toContain('same, differ');
  });
});

describe('log-axis floor, explained in the caption', () => {
  it('states the floor figure 1 draws values at, how many sit on it, and why', () => {
    const run = syntheticXorRun();
    const floor = mseModesFloor(run);
    const rows = dataset(mseModesSpec(run), 'series');
    const below = rows.filter((r) => Math.abs(r.raw as number) < floor);
    expect(below.length).toBeGreaterThan(0);
    for (const r of below) expect(r.value).toBe(floor);
    const caption = runFigures(run)[0].caption;
    expect(caption).toContain(
      `Log-axis floor ${floor.toExponential(1)} (in the axis' units): the larger of a tenth of the smallest non-zero value plotted and a thousandth of the lowest MSE.`,
    );
    expect(caption).toContain(`${below.length} plotted value${below.length === 1 ? ' is' : 's are'} below it (1 exactly 0: an ADC reading that hit the label) and drawn at it.`);
    expect(caption).toContain('A log axis cannot show 0');
  });
});

describe('conductance in mS', () => {
  it('labels the conductance legend and histogram axis in mS, never S or µS', () => {
    const drawn = JSON.stringify(networkSpec(syntheticXorRun()));
    expect(drawn).toContain('K = I/ΔV (mS)');
    const binnedSpec = runFigures(syntheticLargeRegressionRun(40)).find((f) => f.name === 'network')?.spec;
    expect(JSON.stringify(binnedSpec)).toContain('K = I/ΔV (mS)');
    for (const text of [drawn, JSON.stringify(binnedSpec)]) expect(text).not.toMatch(/µS|\(S\)/);
    const finalRows = dataset(gateDistributionSpec(syntheticLargeRegressionRun(40)), 'final');
    const large = syntheticLargeRegressionRun(40);
    expect(finalRows[finalRows.length - 1].to).toBeCloseTo(Math.max(...large.final.conductance_S) * 1e3, 12);
  });
});

describe('the family figure', () => {
  const layers = (spec: TopLevelSpec, panel: number): Row[] => (spec as unknown as { hconcat: Array<{ layer: Row[] }> }).hconcat[panel].layer;

  it('highlights the task equal to the regression preset’s (Fig. 4) in green and says so', () => {
    const base = syntheticFamily();
    const fig4 = syntheticRegressionRun('regression-family/09 a=0.15 b=0.12 c=0.25', REGRESSION_TASK.a_V, REGRESSION_TASK.b_V, REGRESSION_TASK.c_V, 34);
    const family = { ...base, tasks: [...base.tasks, fig4] };
    expect(fig4Task(family)).toEqual({ index: 3, exact: true, labelRms_V: expect.closeTo(0, 12) });
    const spec = familyModesSpec(family);
    const green = layers(spec, 0).filter((l) => JSON.stringify(l).includes(FIG4_GREEN));
    expect(green.length).toBeGreaterThan(0);
    expect(JSON.stringify(green[0])).toContain(fig4.name);
    expect(familyFigures(family)[0].caption).toContain(`The green trace (labelled Fig. 4) is task ${fig4.name}, the regression preset's task shown in Fig. 4`);
  });

  it('highlights the nearest task when none equals it, and says that too', () => {
    const family = syntheticFamily();
    // task-a (0.1, 0.31, 0.25) is the nearest of the three to (0.15, 0.12, 0.25).
    const nearest = fig4Task(family);
    expect(nearest?.index).toBe(0);
    expect(nearest?.exact).toBe(false);
    expect(familyFigures(family)[0].caption).toMatch(
      /No task equals the regression preset's task of Fig\. 4; the green trace \(labelled Fig\. 4\) is the nearest, task-a, whose labels differ from it by [\d.]+ mV RMS/,
    );
  });

  it('fits each axis to the data and 0, not a symmetric square', () => {
    const family = syntheticFamily();
    const rows = familyTraceRows(family);
    const spec = familyModesSpec(family);
    FAMILY_MODE_PAIRS.forEach(([xMode, yMode], panel) => {
      const traces = layers(spec, panel).find((l) => (l.data as { name?: string } | undefined)?.name === 'traces') as { encoding: Record<string, { scale: { domain: number[] } }> };
      for (const [axis, mode] of [
        ['x', xMode],
        ['y', yMode],
      ] as const) {
        const values = rows.map((r) => r[mode]);
        const lo = Math.min(0, ...values);
        const hi = Math.max(0, ...values);
        expect(traces.encoding[axis].scale.domain[0]).toBeCloseTo(lo - 0.06 * (hi - lo), 12);
        expect(traces.encoding[axis].scale.domain[1]).toBeCloseTo(hi + 0.06 * (hi - lo), 12);
      }
    });
  });
});
