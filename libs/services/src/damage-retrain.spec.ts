/**
 * Damage and retraining on the real physics, no mocks. The ranking is checked against brute
 * force through the run path itself (a run per edge, each ending on a test step at the cut
 * time, which sees the damaged network: test/experiments/damage-time.spec.ts), and the relearn
 * time against the test log it was read from.
 */
import { planFromInput, presetInput, type Experiment } from '@metatwin/experiments';
import { RELEARNED_WITHIN, RESOLUTIONS_PER_TIME, damageAndRetrain, damageSchedule, type DamageRetrainResult } from './damage-retrain';
import { runEmbedded } from './embedded';

function preset(name: 'xor' | 'regression'): Experiment {
  const plan = planFromInput(presetInput(name), {}, { readText: () => '' });
  if (plan.kind !== 'run') throw new Error('not a run');
  return plan.experiment;
}

// The regression preset after 0.3 s (3,000 steps): past its first two error modes (E0 falls at
// 0.05 s, E1 at 0.2 s), learned enough to be hurt by a cut, and short enough for brute force.
const LEARN_S = 0.3;
const LEARN_STEPS = 3000;

describe('damageAndRetrain on the regression preset', () => {
  const regression = preset('regression');
  let result: DamageRetrainResult;

  beforeAll(async () => {
    // Tests every 0.1 s at first: too coarse for a relearning this fast, so the damaged run is refined.
    result = await damageAndRetrain(regression, { learn_s: LEARN_S, relearn_s: 0.4, testEvery: 1000 });
  }, 60_000);

  it('cuts the edge whose cut raises the MSE most, as every edge cut through the run path says', async () => {
    const edges = result.edgesTried;
    const bruteForce: number[] = [];
    for (let edge = 0; edge < edges; edge++) {
      const exp: Experiment = {
        ...regression,
        schedule: { ...regression.schedule, steps: LEARN_STEPS, testEvery: LEARN_STEPS },
        imperfections: { ...regression.imperfections, damage: [{ edge, kind: 'open', at_s: LEARN_S }] },
      };
      const run = await runEmbedded(exp, { runId: `brute-force-${edge}` });
      bruteForce.push(run.log[run.log.length - 1].mse);
    }
    const largest = Math.max(...bruteForce);
    // Exact ties are real here (the lattice is symmetric about the task's row): any of the largest will do.
    expect(bruteForce[result.cut.edge]).toBe(largest);
    expect(result.mse.afterCut_V2).toBe(largest);
    // The ranking's own read-out of each listed edge is what the run path read.
    for (const r of result.ranking) expect(r.mse_V2).toBeCloseTo(bruteForce[r.edge], 12);
    const ordered = [...result.ranking].map((r) => r.mse_V2 as number);
    expect(ordered).toEqual([...ordered].sort((a, b) => b - a));
    // Not a trivial ranking: most cuts hurt far less than the worst one.
    expect(bruteForce.filter((m) => m > largest / 2).length).toBeLessThan(edges / 4);
  }, 60_000);

  it('the MSE jumps at the cut, and the damaged run replays the undamaged one up to it', () => {
    expect(result.mse.afterCut_V2).toBeGreaterThan(3 * result.mse.preCut_V2);
    expect(result.cut.at_s).toBe(LEARN_S);
    const { damaged, undamaged } = result.trace;
    const atCut = damaged.t_s.indexOf(LEARN_S);
    expect(damaged.mse_V2[atCut]).toBe(result.mse.afterCut_V2);
    expect(undamaged.mse_V2[undamaged.t_s.indexOf(LEARN_S)]).toBe(result.mse.preCut_V2);
    // Every test before the cut the undamaged run made, the damaged one read alike.
    undamaged.t_s.forEach((t, i) => {
      if (t < LEARN_S) expect(damaged.mse_V2[damaged.t_s.indexOf(t)]).toBe(undamaged.mse_V2[i]);
    });
    expect(result.check.replayedTests).toBe(undamaged.t_s.filter((t) => t <= LEARN_S).length);
    expect(result.check.rankedUncut_V2).toBeCloseTo(result.mse.preCut_V2, 12);
  });

  it('the relearn time is the first test after the cut back within 1.25× of the pre-cut MSE, resolved finely', () => {
    const { t_s, mse_V2 } = result.trace.damaged;
    expect(result.mse.relearned_V2).toBeCloseTo(RELEARNED_WITHIN * result.mse.preCut_V2, 15);
    const time_s = result.relearn.time_s as number;
    expect(time_s).toBeGreaterThan(0);
    const back = t_s.findIndex((t) => Math.abs(t - (LEARN_S + time_s)) < 1e-9);
    expect(back).toBeGreaterThan(0);
    expect(mse_V2[back]).toBeLessThanOrEqual(result.mse.relearned_V2);
    for (let i = 0; i < back; i++) if (t_s[i] >= LEARN_S) expect(mse_V2[i]).toBeGreaterThan(result.mse.relearned_V2);
    // Tests were made often enough to resolve it: RESOLUTIONS_PER_TIME intervals at least.
    expect(time_s).toBeGreaterThanOrEqual(RESOLUTIONS_PER_TIME * result.resolution_s);
    expect(result.resolution_s).toBeLessThan(result.undamaged.resolution_s);
    // And the original learning to the same MSE is what the undamaged part of the log says.
    const first = t_s.findIndex((t, i) => t < LEARN_S && mse_V2[i] <= result.mse.relearned_V2);
    expect(result.original.toRelearned_s).toBe(t_s[first]);
    // A regression task has no truth table.
    expect(result.truthTable).toBeUndefined();
  });

  it('a window too short to relearn reports no time, and how much of the jump came back', async () => {
    const short = await damageAndRetrain(regression, { learn_s: LEARN_S, relearn_s: 0.001 });
    expect(short.cut.edge).toBe(result.cut.edge);
    expect(short.relearn.time_s).toBeNull();
    expect(short.relearn.heldAtEnd).toBe(false);
    const { t_s, mse_V2 } = short.trace.damaged;
    const after = mse_V2.filter((_, i) => t_s[i] >= LEARN_S);
    const best = Math.min(...after);
    expect(short.mse.best_V2).toBe(best);
    const fraction = Math.log(after[0] / best) / Math.log(after[0] / short.mse.preCut_V2);
    expect(short.relearn.recoveredFraction).toBeCloseTo(fraction, 12);
    expect(fraction).toBeGreaterThanOrEqual(0);
    expect(fraction).toBeLessThan(1);
  }, 60_000);
});

describe('damageAndRetrain on XOR', () => {
  it('reports the truth table around the cut', async () => {
    // 4 s: XOR's truth table is right from ≈ 3.6 s (README "Presets"); tests every 0.1 s keep it quick.
    const r = await damageAndRetrain(preset('xor'), { learn_s: 4, relearn_s: 1, testEvery: 1000 });
    expect(r.truthTable).toBeDefined();
    expect(r.truthTable?.preCut).toBe(true);
    // The most important edge breaks the truth table, or it would hardly be the most important.
    expect(r.truthTable?.afterCut).toBe(false);
    const again = r.truthTable?.rightAgain_s;
    if (again !== null && again !== undefined) expect(again).toBeLessThanOrEqual(r.relearn_s);
    expect(r.mse.afterCut_V2).toBeGreaterThan(10 * r.mse.preCut_V2);
  }, 60_000);
});

describe('damageSchedule', () => {
  const regression = preset('regression');
  it('names the bad option', () => {
    expect(() => damageSchedule(regression, { learn_s: 0, relearn_s: 1 })).toThrow(/^learn_s must be a learning time > 0 s, got 0/);
    expect(() => damageSchedule(regression, { learn_s: 1.005, relearn_s: 1 })).toThrow(/^learn_s must be a whole number of test intervals \(0\.01 s\), got 1\.005/);
    expect(() => damageSchedule(regression, { learn_s: 1, relearn_s: Number.NaN })).toThrow(/^relearn_s must be a learning time > 0 s, got NaN/);
    expect(() => damageSchedule(regression, { learn_s: 1, relearn_s: 0.00015 })).toThrow(/^relearn_s must be a whole number of steps/);
    expect(() => damageSchedule(regression, { learn_s: 1, relearn_s: 1, kind: 'cut' as 'open' })).toThrow(/^kind must be "open" or "short", got "cut"/);
    expect(() => damageSchedule(regression, { learn_s: 1, relearn_s: 1, testEvery: 0 })).toThrow(/^testEvery must be an integer ≥ 1/);
    expect(() => damageSchedule({ ...regression, rig: { ...regression.rig, measurement: 'mirror' } }, { learn_s: 1, relearn_s: 1 })).toThrow(/measurement: mirror/);
    expect(damageSchedule(regression, { learn_s: 1, relearn_s: 0.5, kind: 'short' })).toEqual({ learnSteps: 10_000, relearnSteps: 5000, testEvery: 100, kind: 'short' });
    expect(damageSchedule(regression, { learn_s: 12, relearn_s: 10 })).toEqual({ learnSteps: 120_000, relearnSteps: 100_000, testEvery: 100, kind: 'open' });
  });
});
