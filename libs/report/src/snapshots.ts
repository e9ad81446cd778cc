/**
 * The snapshots of a run: the test steps figure 2 shows, figure 1 marks with grey bars and
 * figure 3 uses as the boundaries of its time spans, so the three figures read together as
 * the paper's Fig. 3 and 4 do. They follow the run rather than a fixed spacing: a fixed log
 * spacing lands wherever the clock says, while the paper's snapshots sit where something was
 * learned — where each error mode fell. An experiment may name its own times instead.
 */
import type { RunResult } from '@metatwin/experiments';
import { formatTime_s } from './format';
import { modeOrderRule } from './mode-order';
import { sampleLogIndices, type Timed } from './sampling';

/** At most this many snapshots, as `report.snapshots_s` allows (parse.ts): more would not fit one row of panels. */
export const MAX_SNAPSHOTS = 8;
/**
 * Half-times within this factor of the snapshot before them share it: two modes falling at
 * 3.0 s and 3.1 s would give two near-identical panels.
 */
export const SAME_SNAPSHOT_RATIO = 1.1;

/**
 * 'half-times': the run's first and last test steps and its modes' half-times; 'no-half-times':
 * no judged mode fell, so the first and last steps and the fill-ins; 'log-spaced': a task
 * without error modes; 'experiment': report.snapshots_s.
 */
export type SnapshotRule = 'experiment' | 'half-times' | 'no-half-times' | 'log-spaced';

export interface SnapshotChoice {
  /** Ascending, distinct indices into run.log. */
  readonly indices: number[];
  readonly rule: SnapshotRule;
  /** For captions: which rule chose the snapshots and what it gave, e.g. "chosen from the run: …". */
  readonly why: string;
  /** The rule in a few words, for the captions that refer to figure 1's full account. */
  readonly summary: string;
}

type SnapshotRun = Pick<RunResult, 'log' | 'inputs' | 'modeNames' | 'summary' | 'experiment'>;

/** The log entry nearest `t_s` in learning time (the earlier one on a tie). */
export function nearestLogIndex(log: ReadonlyArray<Timed>, t_s: number): number {
  let best = 0;
  for (let i = 1; i < log.length; i++) if (Math.abs(log[i].t_s - t_s) < Math.abs(log[best].t_s - t_s)) best = i;
  return best;
}

/** The first log entry at or after `t_s` (the last entry when none): where a half-time was seen. */
export function firstLogIndexFrom(log: ReadonlyArray<Timed>, t_s: number): number {
  const i = log.findIndex((e) => e.t_s >= t_s);
  return i < 0 ? log.length - 1 : i;
}

/** "E01, E10 and E11". */
function listText(names: string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

const times = (log: ReadonlyArray<Timed>, indices: number[]): string => indices.map((i) => formatTime_s(log[i].t_s)).join(', ');

/** Snapshots at the experiment's `report.snapshots_s`, each at its nearest test step. */
function requestedSnapshots(log: ReadonlyArray<Timed>, requested_s: ReadonlyArray<number>): SnapshotChoice {
  const picked = requested_s.slice(0, MAX_SNAPSHOTS).map((t) => nearestLogIndex(log, t));
  const indices = [...new Set(picked)].sort((a, b) => a - b);
  const shared = picked.length - indices.length;
  const merged = shared > 0 ? `; ${shared} requested time${shared === 1 ? ' shares' : 's share'} a test step with another, so there are ${indices.length} snapshots` : '';
  return {
    indices,
    rule: 'experiment',
    summary: 'set by the experiment (report.snapshots_s), each at the test step nearest it',
    why: `set by the experiment (report.snapshots_s: ${requested_s.map(formatTime_s).join(', ')}), each shown at the test step nearest it (${times(log, indices)})${merged}`,
  };
}

/** As many moments as the paper shows: four truth tables (Fig. 3B) or five output curves (Fig. 4A). */
export function paperSnapshotCount(run: Pick<RunResult, 'inputs'>): number {
  return (run.inputs[0]?.length ?? 0) === 2 ? 4 : 5;
}

/** For a task without error modes: the paper's count of snapshots evenly spaced in log time. */
function logSpacedSnapshots(run: SnapshotRun, reason: string): SnapshotChoice {
  const indices = sampleLogIndices(run.log, paperSnapshotCount(run));
  return {
    indices,
    rule: 'log-spaced',
    why: `spaced evenly in log time from the first test step to the last (${times(run.log, indices)}), because ${reason}`,
    summary: `spaced evenly in log time (${reason})`,
  };
}

/** Whether log entry `i` would show the same moment as one of `indices` (same entry, or within SAME_SNAPSHOT_RATIO). */
function nearSnapshot(log: ReadonlyArray<Timed>, indices: number[], i: number): boolean {
  const t = log[i].t_s;
  return indices.some((j) => j === i || (t > 0 && log[j].t_s > 0 && Math.max(t, log[j].t_s) <= SAME_SNAPSHOT_RATIO * Math.min(t, log[j].t_s)));
}

/**
 * When too few modes fell to give the paper's count of snapshots (a run that learns by 2 s
 * and then drifts would show only its start, one half-time and its end), add moments that
 * still say something: first the test step of lowest MSE (the run's best state), then the
 * middle, in log time, of the widest gap between snapshots. Sorts `indices` in place and
 * returns the caption's note, '' when nothing was added.
 */
function fillSnapshots(log: ReadonlyArray<Timed & { readonly mse: number }>, indices: number[], target: number): string {
  const added: string[] = [];
  let best = 0;
  for (let i = 1; i < log.length; i++) if (log[i].mse < log[best].mse) best = i;
  if (indices.length < target && !nearSnapshot(log, indices, best)) {
    indices.push(best);
    added.push(`the lowest MSE (${formatTime_s(log[best].t_s)})`);
  }
  const knee_s = log.find((e) => e.t_s > 0)?.t_s ?? 1;
  const logTime = (i: number): number => Math.log(Math.max(log[i].t_s, knee_s));
  const gaps: string[] = [];
  while (indices.length < target) {
    indices.sort((a, b) => a - b);
    let widest = -1;
    for (let k = 0; k + 1 < indices.length; k++) {
      if (indices[k + 1] - indices[k] < 2) continue;
      if (widest < 0 || logTime(indices[k + 1]) - logTime(indices[k]) > logTime(indices[widest + 1]) - logTime(indices[widest])) widest = k;
    }
    if (widest < 0) break;
    const [from, to] = [indices[widest], indices[widest + 1]];
    const middle = (logTime(from) + logTime(to)) / 2;
    let pick = from + 1;
    for (let i = from + 1; i < to; i++) if (Math.abs(logTime(i) - middle) < Math.abs(logTime(pick) - middle)) pick = i;
    indices.push(pick);
    gaps.push(formatTime_s(log[pick].t_s));
  }
  indices.sort((a, b) => a - b);
  if (gaps.length > 0) added.push(`the middle in log time of the widest gap${gaps.length === 1 ? '' : 's'} between snapshots (${gaps.join(', ')})`);
  return added.length === 0 ? '' : `; to show as many moments as the paper (${target}), added ${added.join(' and ')}`;
}

interface HalfTimeGroup {
  index: number;
  modes: Array<{ name: string; t_s: number }>;
}

/** Which rule picks the snapshots of `run`, and the log entries it picks. */
export function chooseSnapshots(run: SnapshotRun): SnapshotChoice {
  const log = run.log;
  if (log.length === 0) return { indices: [], rule: 'log-spaced', why: 'the log is empty', summary: 'none: the log is empty' };
  const requested = run.experiment.report?.snapshots_s;
  if (requested && requested.length > 0) return requestedSnapshots(log, requested);
  const rule = modeOrderRule(run);
  if (rule === null) return logSpacedSnapshots(run, 'the task has no error modes');
  const last = log.length - 1;
  const target = paperSnapshotCount(run);
  const fell = rule.judged
    .map((name) => ({ name, t_s: run.summary.modeHalfTimes_s[name] }))
    .filter((m): m is { name: string; t_s: number } => typeof m.t_s === 'number' && Number.isFinite(m.t_s))
    .sort((a, b) => a.t_s - b.t_s);
  const frame = `the first test step (${formatTime_s(log[0].t_s)})`;
  const end = `the last test step (${formatTime_s(log[last].t_s)})`;
  if (fell.length === 0) {
    const indices = [...new Set([0, last])];
    const filled = fillSnapshots(log, indices, target);
    return {
      indices,
      rule: 'no-half-times',
      why: `chosen from the run, where no mode the order rule judges fell to half its start: ${frame} and ${end}${filled}`,
      summary: 'chosen from the run: its first and last test steps, its lowest MSE and the middles of the widest log-time gaps (no judged mode fell to half its start)',
    };
  }
  const groups: HalfTimeGroup[] = [];
  for (const mode of fell) {
    // A half-time is the test step at which the mode was first seen below half its start.
    const index = firstLogIndexFrom(log, mode.t_s);
    const previous = groups[groups.length - 1];
    if (previous && (index === previous.index || log[index].t_s <= SAME_SNAPSHOT_RATIO * log[previous.index].t_s)) previous.modes.push(mode);
    else groups.push({ index, modes: [mode] });
  }
  // First and last test steps frame the half-times, as the paper's first and last panels do.
  const kept = groups.slice(0, MAX_SNAPSHOTS - 2);
  const indices = [...new Set([0, ...kept.map((g) => g.index), last])];
  const groupText = kept
    .map((g) =>
      g.modes.length === 1
        ? `${g.modes[0].name} (${formatTime_s(g.modes[0].t_s)})`
        : `${listText(g.modes.map((m) => m.name))} (${g.modes.map((m) => formatTime_s(m.t_s)).join(', ')}: one snapshot at ${formatTime_s(log[g.index].t_s)}, within ×${SAME_SNAPSHOT_RATIO})`,
    )
    .join(', ');
  const never = rule.judged.filter((n) => !fell.some((m) => m.name === n));
  const neverText = never.length === 0 ? '' : `; ${listText(never)} never fell to half ${never.length === 1 ? 'its' : 'their'} start`;
  const filled = fillSnapshots(log, indices, target);
  return {
    indices,
    rule: 'half-times',
    summary: `chosen from the run: its first test step, the half-times of the modes the order rule judges and its last test step${filled ? ', filled to the paper’s count' : ''}`,
    why: `chosen from the run: ${frame}, the half-time of each mode the order rule judges — ${groupText} — and ${end}${neverText}${filled}`,
  };
}

/** The log entries the figures share (see chooseSnapshots). */
export function snapshotIndices(run: SnapshotRun): number[] {
  return chooseSnapshots(run).indices;
}

/**
 * Boundaries of the network figure's time spans: the snapshots themselves, so its spans run
 * between the grey bars of figure 1; the first and last test steps are added when fewer than
 * two snapshots were asked for (one snapshot bounds no span).
 */
export function spanBoundaries(run: SnapshotRun): number[] {
  const indices = snapshotIndices(run);
  if (indices.length >= 2 || run.log.length < 2) return indices;
  return [...new Set([0, ...indices, run.log.length - 1])].sort((a, b) => a - b);
}
