/**
 * One job, run: its experiment through the one run path every run takes (runEmbedded, the
 * four services on an in-process bus, nothing recorded — `metatwin run --bus direct`), then
 * its row. A run that fails becomes a 'failed' row naming why; nothing throws.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { runEmbedded } from '@metatwin/services';
import { doneRow, failedRow, type Job, type JobOrigin, type StudyMetricsSpec, type StudyRow } from '@metatwin/studies';

/** metatwin's version and git commit, found once (METATWIN_COMMIT overrides; "unknown" outside a checkout). */
export const BUILD: { readonly version: string; readonly commit: string } = ((): { version: string; commit: string } => {
  let dir = __dirname;
  let version = 'unknown';
  for (let up = 0; up < 6; up++, dir = join(dir, '..')) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'metatwin') {
        version = pkg.version ?? 'unknown';
        break;
      }
    } catch {
      // not here; look further up
    }
  }
  let commit = process.env.METATWIN_COMMIT ?? 'unknown';
  if (commit === 'unknown') {
    try {
      commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || 'unknown';
    } catch {
      // no git, or not a checkout: a deployed image says so with METATWIN_COMMIT
    }
  }
  return { version, commit };
})();

/** How a worker names itself in rows: host/pid, with a thread number in a pool. */
export function workerName(thread?: number): string {
  return `${hostname()}/${process.pid}${thread === undefined ? '' : `/${thread}`}`;
}

/**
 * @param cancelRequested polled every 1,000 steps (the run lets the event loop turn there, so a
 *   worker's heartbeat timers fire during long jobs); a reason ends the job as failed
 */
export async function runJob(studyId: string, job: Job, spec: StudyMetricsSpec, worker: string, cancelRequested: () => string | null = () => null): Promise<StudyRow> {
  const started = performance.now();
  const origin = (): JobOrigin => ({ worker, wall_s: (performance.now() - started) / 1000, ...BUILD, finishedAt_ms: Date.now() });
  try {
    const result = await runEmbedded(job.experiment, { runId: `study-${job.id}`, clock: () => performance.now() / 1000, cancelRequested });
    return doneRow(studyId, job, spec, result, origin());
  } catch (err) {
    return failedRow(studyId, job, (err as Error).message, origin());
  }
}
