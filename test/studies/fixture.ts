/** Study files and results for the studies' system tests: real CLIs, real nats-server processes. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StudyRow } from '@metatwin/studies';

/** 2 sizes × 2 topologies × 3 seeds of XOR, `steps` training steps each. */
export function smallStudy(dir: string, steps: number, extra = ''): string {
  const file = join(dir, 'study.yaml');
  writeFileSync(
    file,
    `name: small
base: { schedule: { steps: ${steps}, testEvery: ${Math.max(1, Math.round(steps / 4))} } }
axes:
  task: xor
  topology: lattice, random-regular
  size: 4, 6
  seed: range(1, 4)
metrics: { targetFall: 2, opAmpPowerPerEdge_W: 0.1 }
${extra}`,
  );
  return file;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Every line of results.jsonl (not de-duplicated: a test counts what was written). */
export function resultLines(studiesDir: string, id: string): StudyRow[] {
  return readFileSync(join(studiesDir, id, 'results.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as StudyRow);
}

/** A row without what differs between runs of the same job: who ran it, when, and how long it took. */
export function comparable(row: StudyRow): unknown {
  return { ...row, worker: '', wall_s: 0, finishedAt: '' };
}

/** The study id `study run` printed. */
export function studyId(out: string): string {
  const m = /^study (\S+): \d+ jobs$/m.exec(out);
  if (!m) throw new Error(`no study id in:\n${out}`);
  return m[1];
}
