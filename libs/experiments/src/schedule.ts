/**
 * The supervisor's schedule (paper Fig. 9C, Appendix E.3): which datapoint each training
 * step applies, and at which steps learning is frozen to test every datapoint.
 * Pure: a seeded generator and integers, no clocks.
 */
import type { Rng } from '@metatwin/physics';
import type { Schedule } from './experiment';

/**
 * Step indices (number of training steps done) at which a test happens: 0, a 1-2-5
 * logarithmic grid below `testEvery` (the first modes fall within a few hundred steps, and
 * a coarse grid would tie them), every `testEvery` steps, and the last step.
 */
export function testSteps(schedule: Schedule): number[] {
  const marks = new Set<number>([0, schedule.steps]);
  for (let decade = 1; decade < schedule.testEvery; decade *= 10) {
    for (const m of [1, 2, 5]) if (m * decade < schedule.testEvery && m * decade < schedule.steps) marks.add(m * decade);
  }
  for (let s = schedule.testEvery; s < schedule.steps; s += schedule.testEvery) marks.add(s);
  return [...marks].sort((a, b) => a - b);
}

/** The datapoint for training step `step` (0-based). */
export function datapointAt(schedule: Schedule, step: number, datapoints: number, rng: Rng): number {
  return schedule.order === 'ordered' ? step % datapoints : rng.integer(datapoints);
}
