/**
 * A study on this machine's disk, studies/<id>/: study.json (what it is: its file and job
 * list), results.jsonl (a row appended as each job ends, so an interrupted study keeps what
 * it finished), results.csv (written at the end), and `cancelled` (a marker `study cancel`
 * leaves; the pool starts no new job after it).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fromJsonLines, sortRows, toCsv, type ExpandedStudy, type StudyRow } from '@metatwin/studies';

export interface StudyDefinition {
  readonly id: string;
  readonly name: string;
  /** The study file's parsed content, as given. */
  readonly file: unknown;
  readonly jobs: ReadonlyArray<{ readonly id: string; readonly params: Readonly<Record<string, unknown>> }>;
  readonly createdAt: string;
}

export function studiesRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.METATWIN_STUDIES_DIR ?? 'studies');
}

export class LocalStudy {
  readonly dir: string;

  constructor(
    readonly id: string,
    root = studiesRoot(),
  ) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,80}$/.test(id)) throw new Error(`study id must be letters, digits, - and _ (as \`metatwin study run\` prints it), got ${JSON.stringify(id)}`);
    this.dir = join(root, id);
  }

  get exists(): boolean {
    return existsSync(join(this.dir, 'study.json'));
  }

  /** Write study.json (once; a study run again keeps its first). */
  define(expanded: ExpandedStudy, file: unknown): StudyDefinition {
    mkdirSync(this.dir, { recursive: true });
    const path = join(this.dir, 'study.json');
    if (existsSync(path)) return this.definition();
    const def: StudyDefinition = {
      id: expanded.id,
      name: expanded.study.name,
      file,
      jobs: expanded.jobs.map((j) => ({ id: j.id, params: j.params })),
      createdAt: new Date().toISOString(),
    };
    writeFileSync(path, JSON.stringify(def, null, 2) + '\n');
    return def;
  }

  definition(): StudyDefinition {
    const path = join(this.dir, 'study.json');
    if (!existsSync(path)) throw new Error(`no study "${this.id}" in ${resolve(this.dir, '..')} (see the id \`metatwin study run\` printed)`);
    return JSON.parse(readFileSync(path, 'utf8')) as StudyDefinition;
  }

  /** One row per job (a done row wins over a failed one). */
  rows(): StudyRow[] {
    const path = join(this.dir, 'results.jsonl');
    return existsSync(path) ? fromJsonLines(readFileSync(path, 'utf8'), path) : [];
  }

  append(row: StudyRow): void {
    mkdirSync(this.dir, { recursive: true });
    appendFileSync(join(this.dir, 'results.jsonl'), JSON.stringify(row) + '\n');
  }

  /** results.jsonl rewritten with one row per job, in table order, and results.csv beside it. */
  writeTables(rows: ReadonlyArray<StudyRow> = this.rows()): { jsonl: string; csv: string } {
    const sorted = sortRows(rows);
    const jsonl = join(this.dir, 'results.jsonl');
    const csv = join(this.dir, 'results.csv');
    writeFileSync(jsonl, sorted.map((r) => JSON.stringify(r)).join('\n') + (sorted.length ? '\n' : ''));
    writeFileSync(csv, toCsv(sorted));
    return { jsonl, csv };
  }

  get cancelled(): boolean {
    return existsSync(join(this.dir, 'cancelled'));
  }

  cancel(reason: string): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(join(this.dir, 'cancelled'), `${new Date().toISOString()} ${reason}\n`);
  }

  /** A study run again goes on: the marker of an earlier cancel is gone. */
  uncancel(): void {
    const path = join(this.dir, 'cancelled');
    if (existsSync(path)) rmSync(path);
  }
}
