/**
 * `metatwin run iris`: classification by differential outputs (issue 12). Three outputs, one
 * per species, trained on 120 flowers for 10 s of learning (a quarter of the preset's 40 s)
 * and tested on all 150; the run sorts well above chance, held-out flowers included, and its
 * result, summary and report say so. A real run through the CLI.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunResult } from '@metatwin/experiments';
import { runCli } from './cli-run';

describe('metatwin run iris --time 10', () => {
  const run = runCli<RunResult>(['iris', '--time', '10']);
  const r = run.result;

  it('reads every flower through three outputs and scores the trained-on and held-out ones apart', () => {
    expect(r.labels).toHaveLength(150 * 3);
    for (const e of r.log) {
      expect(e.outputs).toHaveLength(150 * 3);
      expect(e.modes).toEqual({});
      expect(e.accuracy).toBeGreaterThanOrEqual(0);
      expect(e.heldOutAccuracy).toBeGreaterThanOrEqual(0);
      expect(e.heldOutMse).toBeGreaterThan(0);
    }
    expect(r.modeNames).toEqual([]);
  });

  it('starts near chance and learns: at least 70 % of the flowers trained on and of those held out, MSE cut at least 3×', () => {
    const c = r.summary.classification;
    if (!c) throw new Error('no classification summary');
    expect(c.classes).toBe(3);
    expect(c.accuracyStart).toBeLessThan(0.45);
    expect(c.accuracyEnd).toBeGreaterThanOrEqual(0.7);
    expect(c.heldOutAccuracyEnd).toBeGreaterThanOrEqual(0.7);
    expect(r.summary.mseFall).toBeGreaterThanOrEqual(3);
  });

  it('prints the accuracy and both confusion matrices, and draws the classification figure', () => {
    expect(run.stdout).toMatch(/classification into 3 classes \(highest output wins\), 120 datapoints trained on, 30 held out/);
    expect(run.stdout).toMatch(/accuracy, trained on: \d+\.\d % → \d+\.\d %/);
    expect(run.stdout).toMatch(/final confusion, held out: rows the true class, columns the class read\n\s+setosa\s+versicolor\s+virginica/);
    expect(run.stdout).toContain("error modes: not defined for a multi-output task (they are of one output's error)");
    expect(existsSync(join(run.outDir, 'figures', 'classification.svg'))).toBe(true);
    expect(readFileSync(join(run.outDir, 'report.html'), 'utf8')).toContain('Held-out accuracy start → end');
  });
});
