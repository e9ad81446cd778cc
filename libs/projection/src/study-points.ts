/**
 * A scaling study's results row as InfluxDB points (measurement `study`, schema.ts): one
 * point per finished job, stamped with the row's finishedAt, so the Studies dashboard can
 * count jobs, list the latest rows and plot metrics against edges per topology. The results
 * bucket, not InfluxDB, is the record: projecting a row again writes the same (tags, time),
 * which InfluxDB stores once.
 */
import type { StudyRow } from '@metatwin/studies';
import { MEASUREMENTS, type Point } from './schema';

/** Longest `error` field kept (characters): the reason is for a table cell; the row keeps it whole. */
export const STUDY_ERROR_MAX_CHARS = 1000;

/** Field holding the first time error mode `name` fell below half its start (s). */
export const modeHalfTimeField = (name: string): string => `modeHalfTime_${name}_s`;
/** Field holding a job's value of a numeric study axis `name`. */
export const paramField = (name: string): string => `param_${name}`;

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The row's points: one, in the `study` measurement. Throws RangeError when finishedAt is not a date. */
export function studyPoints(row: StudyRow): Point[] {
  const finished_ms = Date.parse(row.finishedAt);
  if (!Number.isFinite(finished_ms)) throw new RangeError(`study ${row.study} job ${row.job}: finishedAt is not an ISO 8601 time: ${JSON.stringify(row.finishedAt)}`);

  // InfluxDB refuses a tag with an empty value (and it could not be selected anyway): leave it out.
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries({ study: row.study, job: row.job, task: row.task, topology: row.topology, status: row.status, worker: row.worker }))
    if (value !== '') tags[key] = value;

  const fields: Record<string, number | string> = { failed: row.status === 'failed' ? 1 : 0 };
  for (const [key, value] of Object.entries({ nodes: row.nodes, edges: row.edges, seed: row.seed, wall_s: row.wall_s })) if (finite(value)) fields[key] = value;
  // Every numeric metric under its own name, so a metric added to StudyMetrics reaches InfluxDB
  // without a change here; null (not reached, not measured) is left out, as InfluxDB has no null.
  for (const [key, value] of Object.entries(row.metrics ?? {})) {
    if (finite(value)) fields[key] = value;
    else if (key === 'modeHalfTimes_s' && value !== null && typeof value === 'object')
      for (const [mode, t] of Object.entries(value as Record<string, unknown>)) if (finite(t)) fields[modeHalfTimeField(mode)] = t;
  }
  for (const [axis, value] of Object.entries(row.params)) if (finite(value)) fields[paramField(axis)] = value;
  if (row.status === 'failed' && row.error) fields.error = row.error.length > STUDY_ERROR_MAX_CHARS ? `${row.error.slice(0, STUDY_ERROR_MAX_CHARS - 1)}…` : row.error;

  return [{ measurement: MEASUREMENTS.study, tags, fields, time_us: finished_ms * 1000 }];
}
