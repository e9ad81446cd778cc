/**
 * The run catalogue's entries, from what a run's signals say: written when a run starts and
 * when it ends (with the log's footprint then), so `runs` and a restarting service read the
 * catalogue instead of every run. Whoever ends a run writes its entry: the supervisor
 * service for distributed runs, the CLI for embedded ones.
 */
import { hostname } from 'node:os';
import type { Experiment } from '@metatwin/contracts';
import type { EventLog, RunEntry } from '@metatwin/eventlog';

export interface RunState {
  readonly experiment: Experiment;
  readonly mode: 'embedded' | 'distributed';
  readonly status: 'running' | 'finished' | 'aborted' | 'cancelled';
  readonly steps: number;
  readonly reason?: string | null;
}

/** The entry of a run in `state`; an embedded run's process is named so a dead one shows as interrupted. */
export function runEntry(runId: string, state: RunState, now_ms: number, embeddedPid?: number): RunEntry {
  return {
    run: runId,
    experiment: state.experiment.name,
    mode: state.mode,
    status: state.status,
    steps: state.steps,
    learningTime_s: state.steps * state.experiment.schedule.t_h_s,
    ...(state.reason ? { reason: state.reason } : {}),
    ...(embeddedPid === undefined ? {} : { host: hostname(), pid: embeddedPid }),
    updated_ms: now_ms,
  };
}

/**
 * Write the entry of a run that ended. A finished run's log is complete once RunFinished is
 * stored, so its footprint then is kept to find damage later; after a cancel or an abort,
 * steps already sent may still be stored, so no footprint is kept for those.
 */
export async function catalogueEnd(log: EventLog, runId: string, state: RunState, now_ms: number): Promise<void> {
  const footprint = state.status === 'finished' ? ((await log.footprints([runId])).get(runId) ?? {}) : undefined;
  await log.putEntry({ ...runEntry(runId, state, now_ms), ...(footprint ? { footprint } : {}) });
}

/** Whether the process an entry names is gone (same machine only; elsewhere it cannot be told). */
export function processGone(entry: RunEntry): boolean {
  if (entry.pid === undefined || entry.host !== hostname()) return false;
  try {
    process.kill(entry.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** What differs between the footprint a run ended with and the log's now ('' when nothing). */
export function damage(entry: RunEntry, now: Readonly<Record<string, number>> | undefined): string {
  const then = entry.footprint;
  if (then === undefined) return '';
  const keys = [...new Set([...Object.keys(then), ...Object.keys(now ?? {})])].sort();
  const diffs = keys.filter((k) => (then[k] ?? 0) !== (now?.[k] ?? 0)).map((k) => `${k} ${then[k] ?? 0} → ${now?.[k] ?? 0}`);
  return diffs.join(', ');
}
