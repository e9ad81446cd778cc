/**
 * Snapshots follow the run (its half-times) or the experiment (report.snapshots_s), and the
 * three time figures share them: figure 1's bars are figure 2's panels and figure 3's span
 * boundaries.
 */
import type { RunResult } from '@metatwin/experiments';
import type { TopLevelSpec } from 'vega-lite';
import { runFigures } from './figures';
import { learningTimeDomain_s, mseModesSpec } from './mse-modes';
import { gateSpans } from './network-figure';
import { chooseSnapshots, firstLogIndexFrom, nearestLogIndex, snapshotIndices, spanBoundaries } from './snapshots';
import { syntheticRegressionRun, syntheticXorRun } from './testing/synthetic-results';

type Row = Record<string, unknown>;
const dataset = (spec: TopLevelSpec, name: string): Row[] => ((spec as { datasets?: Record<string, Row[]> }).datasets ?? {})[name] ?? [];

function withHalfTimes(run: RunResult, halfTimes_s: Record<string, number | null>): RunResult {
  return { ...run, summary: { ...run.summary, modeHalfTimes_s: { ...run.summary.modeHalfTimes_s, ...halfTimes_s } } };
}

function withSnapshots(run: RunResult, snapshots_s: number[]): RunResult {
  return { ...run, experiment: { ...run.experiment, report: { snapshots_s } } };
}

describe('chooseSnapshots', () => {
  // Synthetic logs have a test every 50 ms from 0 to 1 s (21 entries).
  it('takes the first test step, the test step each judged mode was first seen fallen, and the last', () => {
    // XOR half-times: E00 27.7 ms → 50 ms, E10 83 ms → 100 ms, E01 104 ms → 150 ms, E11 208 ms → 250 ms.
    const choice = chooseSnapshots(syntheticXorRun());
    expect(choice.rule).toBe('half-times');
    expect(choice.indices).toEqual([0, 1, 2, 3, 5, 20]);
    expect(choice.why).toMatch(/^chosen from the run: the first test step \(0 s\), the half-time of each mode the order rule judges — E00 \(27\.7 ms\), E10/);
    expect(choice.why).toContain('the last test step (1 s)');
  });

  it('leaves out modes the order rule does not judge (E3 of a one-input task)', () => {
    // Regression: E0 20.8 ms → 50 ms, E1 83 ms → 100 ms, E2 333 ms → 350 ms; E3 (1.33 s) is after the first three.
    const run = withHalfTimes(syntheticRegressionRun(), { E3: 0.6 });
    expect(snapshotIndices(run)).toEqual([0, 1, 2, 7, 20]);
  });

  it('shares one snapshot between half-times within ×1.1 and says so', () => {
    const xor = syntheticXorRun();
    const at = (k: number): number => xor.log[k].t_s;
    // 750 ms is within ×1.1 of 700 ms; 900 ms is not.
    const choice = chooseSnapshots(withHalfTimes(xor, { E00: at(1), E10: at(14), E01: at(15), E11: at(18) }));
    expect(choice.indices).toEqual([0, 1, 14, 18, 20]);
    expect(choice.why).toContain('E10 and E01 (700 ms, 750 ms: one snapshot at 700 ms, within ×1.1)');
  });

  it('names a judged mode that never fell, and falls back to log spacing when none fell', () => {
    const someFell = chooseSnapshots(withHalfTimes(syntheticXorRun(), { E11: null }));
    expect(someFell.why).toContain('E11 never fell to half its start');
    const noneFell = chooseSnapshots(withHalfTimes(syntheticXorRun(), { E00: null, E01: null, E10: null, E11: null }));
    expect(noneFell.rule).toBe('no-half-times');
    // The lowest MSE is the last step (already shown), so the widest log-time gaps are split: √(0.05·1) s → 200 ms, √(0.2·1) s → 450 ms.
    expect(noneFell.indices).toEqual([0, 4, 9, 20]);
    expect(noneFell.why).toBe(
      'chosen from the run, where no mode the order rule judges fell to half its start: the first test step (0 s) and the last test step (1 s); ' +
        'to show as many moments as the paper (4), added the middle in log time of the widest gaps between snapshots (200 ms, 450 ms)',
    );
  });

  it('adds the lowest-MSE test step first when too few modes fell for the paper’s count', () => {
    const xor = withHalfTimes(syntheticXorRun(), { E01: null, E10: null, E11: null });
    const log = xor.log.map((e, k) => (k === 8 ? { ...e, mse: 1e-9 } : e));
    const choice = chooseSnapshots({ ...xor, log });
    expect(choice.indices).toEqual([0, 1, 8, 20]);
    expect(choice.why).toContain('E01, E10 and E11 never fell to half their start; to show as many moments as the paper (4), added the lowest MSE (400 ms)');
  });

  it('uses the experiment’s report.snapshots_s, each at its nearest test step, merging two that share one', () => {
    const choice = chooseSnapshots(withSnapshots(syntheticXorRun(), [0.12, 0.5, 0.52, 0.97]));
    expect(choice.rule).toBe('experiment');
    expect(choice.indices).toEqual([2, 10, 19]);
    expect(choice.why).toContain('set by the experiment (report.snapshots_s: 120 ms, 500 ms, 520 ms, 970 ms)');
    expect(choice.why).toContain('1 requested time shares a test step with another, so there are 3 snapshots');
  });

  it('bounds the network spans by the snapshots, adding the first and last test steps around a single one', () => {
    const one = withSnapshots(syntheticXorRun(), [0.5]);
    expect(snapshotIndices(one)).toEqual([10]);
    expect(spanBoundaries(one)).toEqual([0, 10, 20]);
    expect(gateSpans(one).map((s) => s.title)).toEqual(['start → 1: 0 s → 500 ms', '1 → end: 500 ms → 1 s']);
  });

  it('finds nearest and first-at-or-after log entries', () => {
    const log = [{ t_s: 0 }, { t_s: 1 }, { t_s: 2 }];
    expect(nearestLogIndex(log, 1.4)).toBe(1);
    expect(nearestLogIndex(log, 1.5)).toBe(1);
    expect(firstLogIndexFrom(log, 1.01)).toBe(2);
    expect(firstLogIndexFrom(log, 9)).toBe(2);
  });
});

describe('figures 1–3 share their time boundaries', () => {
  it.each([
    ['xor (half-times)', syntheticXorRun()],
    ['regression (experiment)', withSnapshots(syntheticRegressionRun(), [0.1, 0.3, 0.6])],
  ])('%s: figure 1’s numbered bars are figure 2’s panels and figure 3’s span boundaries, inside figure 1’s time axis', (_name, run) => {
    const marks_s = dataset(mseModesSpec(run), 'snapshots').map((r) => r.t_s as number);
    const spans = gateSpans(run);
    expect([spans[0].from_s, ...spans.map((s) => s.to_s)]).toEqual(marks_s);
    expect(dataset(mseModesSpec(run), 'snapshots').map((r) => r.snapshot)).toEqual(marks_s.map((_, k) => String(k + 1)));
    const [t0, t1] = learningTimeDomain_s(run.log);
    for (const t of marks_s) expect(t >= t0 && t <= t1).toBe(true);
    const figures = runFigures(run);
    const figure2 = figures[1];
    const panelTimes = [...new Set(dataset(figure2.spec, figure2.name === 'truth-table' ? 'cells' : 'curves').map((c) => c.t_s))];
    expect(panelTimes).toEqual(marks_s);
    // Figure 1 gives the rule in full; figures 2 and 3 name it and refer to figure 1.
    const choice = chooseSnapshots(run);
    expect(figures[0].caption).toContain(choice.why);
    for (const f of figures.slice(1, 3)) expect(f.caption).toContain(`Snapshots numbered as figure 1's grey bars, ${choice.summary} (details under figure 1).`);
  });
});
