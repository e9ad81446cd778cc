/**
 * `metatwin study run|status|cancel|report` and `metatwin worker`: scaling studies. Embedded
 * (the default) runs the jobs on a pool of worker threads on this machine; with --nats the jobs
 * go onto a JetStream work queue that `metatwin worker` processes on any machine pull. Either
 * way the results table is studies/<id>/results.jsonl and .csv, and running a study again runs
 * only the jobs it lacks.
 */
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ExperimentError, fileReader, parseExperimentText, readInputFile } from '@metatwin/experiments';
import { writeStudyReport } from '@metatwin/report';
import { failedRow, expandStudy, parseStudy, sortRows, type ExpandedStudy, type StudyRow } from '@metatwin/studies';
import { isRole } from '@metatwin/nats-auth';
import { BUILD, LocalStudy, StudyQueue, defaultThreads, queueOptionsFrom, runPool, workerName } from '@metatwin/study-runner';
import { openStudyWriter, type StudyWriter } from '@metatwin/influx';
import { UnavailableError, UsageError } from '../usage';
import { influxTargetArg } from './influx';

type Write = (s: string) => void;
const err: Write = (s) => void process.stderr.write(s);

export async function studyCommand(argv: string[], write: Write): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'run':
      return studyRun(rest, write);
    case 'status':
      return studyStatus(rest, write);
    case 'cancel':
      return studyCancel(rest, write);
    case 'report':
      return studyReport(rest, write);
    default:
      throw new UsageError('study takes run <file>, status <id>, cancel <id> or report <id>');
  }
}

/** Parse and expand a study file: every job's experiment checked before anything runs or is queued. */
function loadStudy(file: string): { expanded: ExpandedStudy; input: unknown } {
  let text: string;
  try {
    text = readInputFile(file, 'study');
  } catch (e) {
    throw new UsageError(`cannot read study file "${file}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const baseDir = dirname(resolve(file));
  try {
    const input = parseExperimentText(text, file);
    return { input, expanded: expandStudy(parseStudy(input), { readText: fileReader(baseDir) }) };
  } catch (e) {
    if (e instanceof ExperimentError) throw new UsageError(`${file}: ${e.message}`);
    throw e;
  }
}

async function studyRun(argv: string[], write: Write): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { nats: { type: 'string' }, workers: { type: 'string' }, influx: { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError('study run takes one study file (YAML or JSON)');
  const threads = values.workers === undefined ? defaultThreads() : Number(values.workers);
  if (!Number.isInteger(threads) || threads < 1) throw new UsageError(`--workers must be an integer ≥ 1, got "${values.workers}"`);
  if (values.nats !== undefined && values.workers !== undefined) throw new UsageError('--workers sets the embedded pool; with --nats, start `metatwin worker` processes instead');
  const influx = openStudyWriter(influxTargetArg(values.influx));
  const { expanded, input } = loadStudy(positionals[0]);
  const local = new LocalStudy(expanded.id);
  local.define(expanded, input);
  local.uncancel();
  write(`study ${expanded.id}: ${expanded.jobs.length} jobs\n`);
  let rows: StudyRow[];
  try {
    rows = values.nats === undefined ? await runEmbeddedStudy(expanded, local, threads, write, influx) : await runDistributedStudy(expanded, local, values.nats, write, influx);
  } finally {
    if (!(await influx.close())) err(`warning: InfluxDB at ${influx.url} did not take every row; the results table has them all\n`);
  }
  const tables = local.writeTables(rows);
  const failed = rows.filter((r) => r.status === 'failed').length;
  const missing = expanded.jobs.length - rows.length;
  write(`results: ${tables.jsonl} and ${tables.csv} (${rows.length - failed} done, ${failed} failed${missing > 0 ? `, ${missing} not run` : ''})\n`);
  return failed > 0 || missing > 0 ? 1 : 0;
}

async function runEmbeddedStudy(expanded: ExpandedStudy, local: LocalStudy, threads: number, write: Write, influx: StudyWriter): Promise<StudyRow[]> {
  const have = new Map(local.rows().map((r) => [r.job, r]));
  const todo = expanded.jobs.filter((j) => have.get(j.id)?.status !== 'done');
  write(`embedded: ${expanded.jobs.length - todo.length} done before, ${todo.length} to run on ${Math.min(threads, todo.length)} threads\n`);
  const bar = new StudyProgress(expanded.jobs.length, expanded.jobs.length - todo.length, err);
  let stop = false;
  const onSignal = (): void => {
    stop = true;
    bar.note('interrupted: jobs running finish, no new one starts; run the study again to go on');
  };
  process.once('SIGINT', onSignal);
  try {
    await runPool(expanded.id, todo, expanded.study.metrics, {
      threads,
      stopRequested: () => stop || local.cancelled,
      onRow: (row) => {
        local.append(row);
        void influx.write(row);
        have.set(row.job, row);
        bar.job(row);
      },
    });
  } finally {
    process.off('SIGINT', onSignal);
    bar.done();
  }
  return sortRows(expanded.jobs.flatMap((j) => (have.has(j.id) ? [have.get(j.id) as StudyRow] : [])));
}

async function openQueue(nats: string, name: string, role: 'cli' | 'worker' = 'cli'): Promise<StudyQueue> {
  const forced = process.env.METATWIN_NATS_ROLE;
  try {
    return await StudyQueue.open(queueOptionsFrom(nats, process.env, name, forced && isRole(forced) ? forced : role));
  } catch (e) {
    throw new UnavailableError((e as Error).message);
  }
}

async function runDistributedStudy(expanded: ExpandedStudy, local: LocalStudy, nats: string, write: Write, influx: StudyWriter): Promise<StudyRow[]> {
  const queue = await openQueue(nats, `metatwin-study-${expanded.id}`);
  try {
    const stored = await queue.rows(
      expanded.id,
      expanded.jobs.map((j) => j.id),
    );
    // A failed job runs again; its new row replaces the failure.
    for (const row of stored.values()) if (row.status === 'failed') await queue.forgetRow(expanded.id, row.job);
    const todo = expanded.jobs.filter((j) => stored.get(j.id)?.status !== 'done');
    const byId = new Map(expanded.jobs.map((j) => [j.id, j]));
    const stopLost = queue.watchLost(expanded.id, (envelope, reason) =>
      failedRow(expanded.id, byId.get(envelope.job.id) ?? envelope.job, reason, { worker: 'nobody', wall_s: 0, ...BUILD, finishedAt_ms: Date.now() }),
    );
    await queue.submit(expanded.id, expanded.study.metrics, todo, `${Date.now().toString(36)}`);
    write(`distributed: ${expanded.jobs.length - todo.length} done before, ${todo.length} queued on ${nats} (start \`metatwin worker --nats ${nats}\` on any machine)\n`);
    const bar = new StudyProgress(expanded.jobs.length, expanded.jobs.length - todo.length, err);
    // The watcher hands over the rows stored before, too: each job's row is taken once.
    const rows = new Map<string, StudyRow>([...stored.values()].filter((r) => r.status === 'done').map((r) => [r.job, r]));
    const stopRows = await queue.watchRows(expanded.id, (row) => {
      if (!byId.has(row.job) || rows.has(row.job)) return;
      rows.set(row.job, row);
      local.append(row);
      void influx.write(row);
      bar.job(row);
    });
    for (;;) {
      if (expanded.jobs.every((j) => rows.has(j.id))) break;
      const cancelled = await queue.cancelled(expanded.id);
      if (cancelled !== null) {
        bar.note(`cancelled: ${cancelled}`);
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    stopRows();
    stopLost();
    bar.done();
    return sortRows(expanded.jobs.flatMap((j) => (rows.has(j.id) ? [rows.get(j.id) as StudyRow] : [])));
  } finally {
    await queue.close();
  }
}

/** done / failed out of all, with an ETA from the mean wall time of the jobs done here. */
class StudyProgress {
  private succeeded: number;
  private failed = 0;
  private timed = 0;
  private readonly started = performance.now();
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(
    private readonly total: number,
    before: number,
    private readonly out: Write,
  ) {
    this.succeeded = before;
  }

  job(row: StudyRow): void {
    if (row.status === 'failed') this.failed++;
    else this.succeeded++;
    this.timed++;
    const finished = this.succeeded + this.failed;
    const elapsed = (performance.now() - this.started) / 1000;
    const eta = this.timed > 0 ? ((this.total - finished) * elapsed) / this.timed : NaN;
    const line = `${bar(finished / this.total)} ${finished}/${this.total} (${this.failed} failed)  ETA ${Number.isFinite(eta) ? `${eta.toFixed(0)} s` : '—'}  last: ${row.task} ${row.topology} ${row.edges} edges seed ${row.seed} ${row.status}${row.error ? ` (${row.error.slice(0, 80)})` : ''}`;
    this.out(this.tty ? `\r${line}\x1b[K` : `${line}\n`);
  }

  note(text: string): void {
    this.out(this.tty ? `\r${text}\x1b[K\n` : `${text}\n`);
  }

  done(): void {
    if (this.tty) this.out('\n');
  }
}

function bar(fraction: number, width = 20): string {
  const filled = Math.round(Math.min(1, fraction) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

async function studyStatus(argv: string[], write: Write): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { nats: { type: 'string' }, json: { type: 'boolean' } } });
  if (positionals.length !== 1) throw new UsageError('study status takes the study id `study run` printed');
  const local = new LocalStudy(positionals[0]);
  const def = local.definition();
  let rows = local.rows();
  let inStream = 0;
  let running = 0;
  let cancelled: string | null = local.cancelled ? 'cancelled here' : null;
  const ids = def.jobs.map((j) => j.id);
  if (values.nats !== undefined) {
    const queue = await openQueue(values.nats, 'metatwin-study-status');
    try {
      const stored = await queue.rows(def.id, ids);
      rows = [...stored.values()];
      inStream = await queue.queued(def.id);
      running = await queue.running(
        def.id,
        ids.filter((j) => !stored.has(j)),
      );
      cancelled = await queue.cancelled(def.id);
    } finally {
      await queue.close();
    }
  }
  const mine = rows.filter((r) => ids.includes(r.job));
  const done = mine.filter((r) => r.status === 'done').length;
  const failed = mine.filter((r) => r.status === 'failed').length;
  const remaining = def.jobs.length - done - failed;
  // A job being run is still in the stream (work-queue messages leave on ack).
  const queued = values.nats === undefined ? remaining : Math.max(0, inStream - running);
  const meanWall = mine.length > 0 ? mine.reduce((a, r) => a + r.wall_s, 0) / mine.length : NaN;
  const status = { study: def.id, name: def.name, jobs: def.jobs.length, done, failed, running, queued, cancelled, meanWall_s: meanWall };
  if (values.json) write(JSON.stringify(status) + '\n');
  else {
    write(
      `${def.id} (${def.name}): ${bar((done + failed) / def.jobs.length)} ${done} done, ${failed} failed, ${status.running} running, ${status.queued} queued of ${def.jobs.length}${cancelled ? ` — cancelled (${cancelled})` : ''}\n`,
    );
    if (remaining > 0 && Number.isFinite(meanWall))
      write(
        `ETA ≈ ${((remaining * meanWall) / Math.max(1, status.running)).toFixed(0)} s of work left (${meanWall.toFixed(1)} s per job, ${Math.max(1, status.running)} at a time)\n`,
      );
  }
  return 0;
}

async function studyCancel(argv: string[], write: Write): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { nats: { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError('study cancel takes the study id `study run` printed');
  const local = new LocalStudy(positionals[0]);
  const def = local.definition();
  local.cancel('metatwin study cancel');
  if (values.nats !== undefined) {
    const queue = await openQueue(values.nats, 'metatwin-study-cancel');
    try {
      const purged = await queue.cancel(def.id, 'metatwin study cancel');
      write(`${def.id}: cancelled, ${purged} queued jobs removed; jobs already running finish\n`);
    } finally {
      await queue.close();
    }
  } else write(`${def.id}: cancelled; the embedded pool starts no new job (jobs running finish)\n`);
  return 0;
}

async function studyReport(argv: string[], write: Write): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { out: { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError('study report takes the study id `study run` printed');
  const local = new LocalStudy(positionals[0]);
  const def = local.definition();
  const rows = local.rows();
  if (rows.length === 0) throw new UsageError(`study ${def.id} has no results yet (run it: metatwin study run <file>)`);
  const out = resolve(values.out ?? local.dir);
  const report = await writeStudyReport(rows, out, { title: `Study ${def.name} (${def.id})` });
  for (const w of report.warnings) err(`warning: ${w}\n`);
  write(`report: ${report.html}\n`);
  return 0;
}

export async function workerCommand(argv: string[], write: Write): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { nats: { type: 'string' }, name: { type: 'string' }, jobs: { type: 'string' } } });
  if (values.nats === undefined) throw new UsageError('worker needs --nats nats://host:port[,nats://…] (the NATS where studies queue their jobs)');
  const limit = values.jobs === undefined ? Infinity : Number(values.jobs);
  if (!(limit >= 1)) throw new UsageError(`--jobs must be a number ≥ 1, got "${values.jobs}"`);
  const name = values.name ?? workerName();
  const queue = await openQueue(values.nats, `metatwin-worker-${name}`, 'worker');
  let stop = false;
  let ran = 0;
  const onSignal = (): void => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  write(`worker ${name}: pulling study jobs from ${values.nats}\n`);
  try {
    await queue.work(
      name,
      () => stop || ran >= limit,
      (row, stored) => {
        ran++;
        write(`${row.study} ${row.job} ${row.status}${stored ? '' : ' (ran before: not counted again)'} ${row.wall_s.toFixed(2)} s\n`);
      },
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await queue.close();
  }
  return 0;
}
