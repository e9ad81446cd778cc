/**
 * The report states the mode-order rule `summarise` applied and the modes it left out, with
 * their share of the initial error: for two inputs, for one, and for more than two.
 */
import type { LogEntry, RunResult } from '@metatwin/experiments';
import { runFigures } from './figures';
import { leftOutText, modeOrderRule } from './mode-order';
import { runSummaryRows } from './summary';
import { syntheticRegressionRun, syntheticXorRun } from './testing/synthetic-results';

const value = (run: RunResult, label: string): string | undefined => runSummaryRows(run).find((r) => r.label === label)?.value;

describe('modeOrderRule', () => {
  it('two inputs: E00 first and E11 last over every present mode, none left out', () => {
    const rule = modeOrderRule(syntheticXorRun());
    expect(rule?.judged).toEqual(['E00', 'E01', 'E10', 'E11']);
    expect(rule?.leftOut).toEqual([]);
    expect(rule?.text).toMatch(/^two inputs: E00 must fall first and E11 last/);
    expect(leftOutText(rule!)).toMatch(/^none/);
  });

  it('one input: the first three present modes in sequence; a mode under 5 % of the initial error norm is left out, with its share', () => {
    // Initial modes 0.3, −0.08, 0.03, 0.01 V: E3 is 0.01 / ‖(0.3, 0.08, 0.03, 0.01)‖ = 3.2 % of the error.
    const run = syntheticRegressionRun('r', 0.1, 0.31, 0.25, 21, [0.3, -0.08, 0.03]);
    const rule = modeOrderRule(run);
    const norm = Math.hypot(0.3, 0.08, 0.03, 0.01);
    expect(rule?.judged).toEqual(['E0', 'E1', 'E2']);
    expect(rule?.leftOut.map((m) => m.name)).toEqual(['E3']);
    expect(rule?.leftOut[0].share).toBeCloseTo(0.01 / norm, 12);
    expect(rule?.text).toContain('one input: the first 3 modes (E0, E1, E2) that are present must each fall, in that sequence');
    expect(value(run, 'Modes left out of the order')).toBe(
      'E3 (3.2 % of the initial error norm): below 5 % at the start, so there was almost nothing of it to learn and its half-time would only time noise',
    );
    expect(value(run, 'Mode-order rule')).toBe(rule?.text);
    expect(runFigures(run)[0].caption).toContain('Left out of the mode order (rule in the summary table): E3 (3.2 % of the initial error norm)');
  });

  it('more than two inputs: the first three modes in sequence, stated with the run’s mode names', () => {
    const modes = { E000: 0.1, E001: -0.08, E010: 0.06, E100: 0.002 };
    const log: LogEntry[] = [{ t_s: 0, step: 0, outputs: [], mse: 0.01, modes, gates_V: [] }];
    const rule = modeOrderRule({ log, modeNames: Object.keys(modes), inputs: [[0, 0, 0]] });
    expect(rule?.text).toMatch(
      /^3 inputs: the first 3 modes \(E000, E001, E010\) that are present must each fall, in that sequence \(half-times not decreasing\); modes after them are not judged/,
    );
    expect(rule?.judged).toEqual(['E000', 'E001', 'E010']);
    expect(rule?.leftOut.map((m) => m.name)).toEqual(['E100']);
  });

  it('has no rule for a task without modes', () => {
    expect(modeOrderRule({ log: [], modeNames: [], inputs: [[0, 0]] })).toBeNull();
  });
});
