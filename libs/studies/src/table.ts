/**
 * A study's results table: JSON Lines (one row per line, as written) and CSV (flattened:
 * params.<axis>, metrics.<name>, modeHalfTimes.<mode>). Reading keeps one row per job: a job
 * that ran twice (a worker lost mid-job, its job redelivered) counts once.
 */
import type { StudyRow } from './row';

export function toJsonLines(rows: ReadonlyArray<StudyRow>): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length > 0 ? '\n' : '');
}

/**
 * Rows of a JSON Lines text, one per job: the first 'done' row of a job, else its last
 * 'failed' one (a failed job is run again; its success replaces the failure). A line that
 * is not a row is named.
 */
export function fromJsonLines(text: string, where: string): StudyRow[] {
  const byJob = new Map<string, StudyRow>();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let row: StudyRow;
    try {
      row = JSON.parse(line) as StudyRow;
    } catch (err) {
      throw new Error(`${where} line ${i + 1}: not JSON (${(err as Error).message})`);
    }
    if (typeof row?.job !== 'string' || typeof row.study !== 'string') throw new Error(`${where} line ${i + 1}: not a study row (no study or job)`);
    if (byJob.get(row.job)?.status !== 'done') byJob.set(row.job, row);
  });
  return [...byJob.values()];
}

/** Rows in a stable order (by task, topology, edges, seed, job), so two runs of a study give the same table. */
export function sortRows(rows: ReadonlyArray<StudyRow>): StudyRow[] {
  return [...rows].sort((a, b) => a.task.localeCompare(b.task) || a.topology.localeCompare(b.topology) || a.edges - b.edges || a.seed - b.seed || a.job.localeCompare(b.job));
}

function flatten(row: StudyRow): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {
    study: row.study,
    job: row.job,
    task: row.task,
    topology: row.topology,
    seed: row.seed,
    nodes: row.nodes,
    edges: row.edges,
    status: row.status,
  };
  for (const [k, v] of Object.entries(row.params)) out[`params.${k}`] = v;
  if (row.metrics) {
    for (const [k, v] of Object.entries(row.metrics)) {
      if (k === 'modeHalfTimes_s') for (const [mode, t] of Object.entries(v as Record<string, number | null>)) out[`modeHalfTime_s.${mode}`] = t;
      else out[`metrics.${k}`] = v as number | null;
    }
  }
  out.error = row.error ?? null;
  out.worker = row.worker;
  out.wall_s = row.wall_s;
  out.version = row.version;
  out.commit = row.commit;
  out.finishedAt = row.finishedAt;
  return out;
}

/** RFC 4180 CSV: a header of every column any row has, one line per row, empty for absent values. */
export function toCsv(rows: ReadonlyArray<StudyRow>): string {
  const flat = rows.map(flatten);
  const columns: string[] = [];
  for (const r of flat) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
  const cell = (v: unknown): string => {
    if (v === null || v === undefined) return '';
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns.join(','), ...flat.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
}
