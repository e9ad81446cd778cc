/**
 * The supervisor's schedule (paper Fig. 9C, Appendix E.3): which datapoint each training
 * step applies, and at which steps learning is frozen to test every datapoint. Pure: a
 * seed, integers, no clocks, no generator state — step k's datapoint is a function of
 * (seed, k), so a step sent again after a restart applies the datapoint it applied before.
 */
import type { Schedule } from '@metatwin/contracts';
import { RNG_STREAM, counterUniform as counterUniform_ } from '@metatwin/physics';

// Bound once: compiled re-exports are getters, and this runs on every training step.
const counterUniform = counterUniform_;
const SCHEDULE_STREAM = RNG_STREAM.schedule;

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

/** The datapoint training step `step` (0-based) applies: in order, or a seeded uniform draw. */
export function datapointAt(schedule: Pick<Schedule, 'order'>, seed: number, step: number, datapoints: number): number {
  return schedule.order === 'ordered' ? step % datapoints : Math.floor(counterUniform(seed, SCHEDULE_STREAM, step) * datapoints);
}

/** Index of the first entry of sorted `values` that is ≥ x. */
export function lowerBound(values: ReadonlyArray<number>, x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
