/**
 * `metatwin run regression` (paper Fig. 4) cuts MSE ≥ 10× with the modes falling
 * E0, then E1, then E2; `regression-family` (Fig. 5) reports how many of its 29 tasks
 * do so. Real runs through the CLI.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FamilyResult, RunResult } from '@metatwin/experiments';
import { runCli } from './cli-run';

function halfTime(r: RunResult, name: string): number | null {
  const initial = Math.abs(r.log[0].modes[name]);
  return r.log.find((e) => Math.abs(e.modes[name]) < initial / 2)?.t_s ?? null;
}

describe('metatwin run regression', () => {
  const run = runCli<RunResult>(['regression']);
  const r = run.result;

  it('cuts MSE at least 10×', () => {
    expect(r.log[0].mse / r.log[r.log.length - 1].mse).toBeGreaterThanOrEqual(10);
  });

  it('lowers E0, then E1, then E2', () => {
    const [t0, t1, t2] = ['E0', 'E1', 'E2'].map((n) => halfTime(r, n));
    expect(t0).not.toBeNull();
    expect(t1).not.toBeNull();
    expect(t2).not.toBeNull();
    expect(t0 as number).toBeLessThanOrEqual(t1 as number);
    expect(t1 as number).toBeLessThanOrEqual(t2 as number);
    expect(t0 as number).toBeLessThan(t2 as number);
    expect(r.summary.modesInOrder).toBe(true);
  });

  it('reports outputs against labels and draws output curves', () => {
    expect(run.stdout).toMatch(/input\s+output\s+label/);
    expect(existsSync(join(run.outDir, 'figures', 'outputs.svg'))).toBe(true);
  });
});

describe('metatwin run regression-family', () => {
  const run = runCli<FamilyResult>(['regression-family']);
  const f = run.result;

  it('runs the 29 tasks from the same initial state and reports how many fell in order', () => {
    expect(f.kind).toBe('family');
    expect(f.tasks).toHaveLength(29);
    const initial = JSON.stringify(f.tasks[0].experiment.initialGates_V);
    for (const t of f.tasks) expect(JSON.stringify(t.experiment.initialGates_V)).toBe(initial);
    const counted = f.tasks.filter((t) => {
      const present = t.modeNames.slice(0, 3).filter((n) => t.summary.modeHalfTimes_s[n] !== undefined);
      return present.length > 0 && t.summary.modesInOrder;
    }).length;
    expect(f.inOrder).toBe(counted);
    expect(run.stdout).toContain(`modes fell in order (E0 → E1 → E2) for ${f.inOrder} of 29 tasks`);
    // The paper: nearly all tasks lower E0 first. Here a clear majority must.
    expect(f.inOrder).toBeGreaterThanOrEqual(15);
  });

  it('draws the mode trajectories of every task (Fig. 5)', () => {
    const svg = readFileSync(join(run.outDir, 'figures', 'family-modes.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    const html = readFileSync(join(run.outDir, 'report.html'), 'utf8');
    expect(html).toContain('family-modes');
  });
});
