/**
 * Log-time sampling, and how zeros are kept off log axes. Learning is fast at first and slow
 * later (the paper's Fig. 4 spans are 0–0.04 s, 0.04–0.4 s, 0.4–4 s), so when the run gives no
 * better moments (snapshots.ts) they are spaced evenly in log time rather than in step count:
 * evenly spaced snapshots would all land on the flat tail and miss the mode-by-mode story.
 */

/** Anything with a learning time; LogEntry satisfies it. */
export interface Timed {
  readonly t_s: number;
}

/**
 * Up to `count` distinct, increasing indices into `log`: always the first and the last
 * entry, the others nearest to times spaced geometrically between the first positive
 * time and the last time. Fewer come back when the log is shorter than `count`.
 */
export function sampleLogIndices(log: ReadonlyArray<Timed>, count: number): number[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
  const n = log.length;
  if (n === 0) return [];
  if (count === 1 || n === 1) return [n - 1];
  const last = n - 1;
  const firstPositive = log.findIndex((e) => e.t_s > 0);
  const tEnd_s = log[last].t_s;
  const picked = new Set<number>([0, last]);
  for (let k = 1; k < count - 1; k++) {
    const fraction = k / (count - 1);
    let best: number;
    if (firstPositive < 0 || firstPositive >= last || !(tEnd_s > log[firstPositive].t_s)) {
      // No usable time axis (all zeros or a single positive time): fall back to index spacing.
      best = Math.round(fraction * last);
    } else {
      const logStart = Math.log(log[firstPositive].t_s);
      const target = logStart + fraction * (Math.log(tEnd_s) - logStart);
      best = nearestInLogTime(log, target, firstPositive, last);
    }
    picked.add(best);
  }
  return [...picked].sort((a, b) => a - b);
}

function nearestInLogTime(log: ReadonlyArray<Timed>, targetLog: number, from: number, to: number): number {
  let best = from;
  let bestDistance = Infinity;
  for (let i = from; i <= to; i++) {
    const t = log[i].t_s;
    if (!(t > 0)) continue;
    const distance = Math.abs(Math.log(t) - targetLog);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = i;
    }
  }
  return best;
}

/**
 * A floor for values drawn on a log axis: a tenth of the smallest positive value, so an
 * exact zero (an ADC reading that hit the label) shows as a dip below everything else
 * instead of vanishing or stretching the axis down to 1e-300.
 */
export function logAxisFloor(values: Iterable<number>, fallback = 1e-12): number {
  let smallest = Infinity;
  for (const v of values) {
    const magnitude = Math.abs(v);
    if (magnitude > 0 && magnitude < smallest) smallest = magnitude;
  }
  return Number.isFinite(smallest) ? smallest / 10 : fallback;
}

/** The smallest positive learning time, the knee of a symlog time axis; null when none. */
export function firstPositiveTime_s(log: ReadonlyArray<Timed>): number | null {
  for (const e of log) if (e.t_s > 0) return e.t_s;
  return null;
}

/** Time axis for learning-time plots: log-like past the first test step, linear through 0. */
export function learningTimeScale(log: ReadonlyArray<Timed>): { type: 'symlog'; constant: number } | { type: 'linear' } {
  const knee_s = firstPositiveTime_s(log);
  return knee_s === null ? { type: 'linear' } : { type: 'symlog', constant: knee_s };
}
