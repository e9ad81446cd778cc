/**
 * Reading a training trajectory: when each error mode "fell" (first test time at which its
 * magnitude is below half its initial magnitude) and whether modes fell in the expected
 * order. A mode whose initial magnitude is below `presentFraction` of the initial error
 * norm is counted as absent: there was nothing of it to learn.
 */

export interface TrajectoryPoint {
  readonly t_s: number;
  readonly modes: Readonly<Record<string, number>>;
}

export const DEFAULT_PRESENT_FRACTION = 0.05;

export function modeHalfTimes(points: ReadonlyArray<TrajectoryPoint>, names: readonly string[]): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  if (points.length === 0) return out;
  for (const name of names) {
    const initial = Math.abs(points[0].modes[name]);
    const hit = points.find((p) => Math.abs(p.modes[name]) < 0.5 * initial);
    out[name] = hit === undefined ? null : hit.t_s;
  }
  return out;
}

/** Names of modes present at the start (≥ presentFraction of the initial error norm). */
export function presentModes(points: ReadonlyArray<TrajectoryPoint>, names: readonly string[], presentFraction = DEFAULT_PRESENT_FRACTION): string[] {
  if (points.length === 0) return [];
  const first = points[0].modes;
  const norm = Math.sqrt(names.reduce((s, n) => s + first[n] ** 2, 0));
  return names.filter((n) => Math.abs(first[n]) >= presentFraction * norm);
}

/** Modes that fell, sorted by when (ties keep name order). */
export function fallOrder(halfTimes: Readonly<Record<string, number | null>>, names: readonly string[]): string[] {
  return names.filter((n) => halfTimes[n] !== null).sort((a, b) => (halfTimes[a] as number) - (halfTimes[b] as number));
}

/**
 * One input: every present mode among `sequence` fell, in that order (non-decreasing half-times).
 */
export function fellInSequence(halfTimes: Readonly<Record<string, number | null>>, sequence: readonly string[], present: readonly string[]): boolean {
  const wanted = sequence.filter((n) => present.includes(n));
  if (wanted.length === 0) return false;
  let last = -Infinity;
  for (const n of wanted) {
    const t = halfTimes[n];
    if (t === null || t === undefined || t < last) return false;
    last = t;
  }
  return true;
}

/**
 * First and last: `first` fell no later than any other present mode, and `last` fell and
 * no earlier than any other present mode (the XOR criterion: E00 first, E11 last).
 */
export function fellFirstAndLast(halfTimes: Readonly<Record<string, number | null>>, first: string, last: string, present: readonly string[]): boolean {
  const tf = halfTimes[first];
  const tl = halfTimes[last];
  if (tl === null || tl === undefined) return false;
  for (const n of present) {
    const t = halfTimes[n];
    if (n !== first && t !== null && t !== undefined && tf !== null && tf !== undefined && t < tf) return false;
    if (n !== last && (t === null || t === undefined || t > tl)) return false;
  }
  return present.includes(first) ? tf !== null && tf !== undefined : true;
}
