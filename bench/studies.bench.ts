/**
 * Studies: the throughput of two workers against one (each job its own training run, so two
 * cores should give ≈ 2×), and what queueing costs per job — a study of one-step jobs, where
 * almost all of the wall time is the queue (publish, pull, heartbeat, row stored, ack).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StudyRow } from '@metatwin/studies';
import { killClis, startCli, startNats } from '@metatwin/test-support';

function studyFile(dir: string, name: string, steps: number, seeds: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\nbase: { preset: xor, schedule: { steps: ${steps}, testEvery: ${Math.max(1, Math.round(steps / 4))} } }\naxes: { seed: "${seeds}" }\n`);
  return file;
}

function rowsOf(dir: string, out: string): StudyRow[] {
  const id = /^study (\S+): \d+ jobs$/m.exec(out)?.[1];
  if (!id) throw new Error(`no study id in:\n${out}`);
  return readFileSync(join(dir, id, 'results.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as StudyRow);
}

async function waitUntil(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!ready()) {
    if (performance.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function benchStudies(out: (s: string) => void, quick: boolean): Promise<void> {
  const nats = await startNats();
  const dir = mkdtempSync(join(tmpdir(), 'metatwin-bench-studies-'));
  const env = { METATWIN_STUDIES_DIR: dir };
  try {
    const jobs = quick ? 4 : 12;
    // Jobs of a few seconds each: long beside a worker's start-up and the study's submission.
    const steps = quick ? 50_000 : 200_000;
    const timed = async (workers: number, name: string, seeds: string, jobSteps = steps, nodeArgs: readonly string[] = []): Promise<{ wall_s: number; rows: StudyRow[] }> => {
      const pool = Array.from({ length: workers }, (_, i) => startCli(['worker', '--nats', nats.url, '--name', `${name}-w${i}`], env, nodeArgs));
      // The clock starts once every worker pulls: their start-up is not the queue's throughput.
      await waitUntil(() => pool.every((w) => w.output().includes('pulling study jobs')), 60_000, `${name}'s workers to start`);
      const t0 = performance.now();
      const run = await startCli(['study', 'run', studyFile(dir, name, jobSteps, seeds), '--nats', nats.url], env).within(900_000);
      const wall_s = (performance.now() - t0) / 1000;
      for (const w of pool) w.child.kill('SIGTERM');
      await Promise.all(pool.map((w) => w.within(60_000)));
      if (run.code !== 0) throw new Error(`study run exited ${run.code}:\n${run.out}`);
      return { wall_s, rows: rowsOf(dir, run.out) };
    };
    // Throughput as the workers give it: jobs over the span from the first job's start to the
    // last one's end (the submitting CLI's own start-up and the row watch left out).
    const jobsPerSecond = (rows: StudyRow[]): number => {
      const end = rows.map((r) => Date.parse(r.finishedAt) / 1000);
      const start = rows.map((r, i) => end[i] - r.wall_s);
      return rows.length / (Math.max(...end) - Math.min(...start));
    };
    const meanJob = (rows: StudyRow[]): number => rows.reduce((a, r) => a + r.wall_s, 0) / rows.length;
    let first = 1;
    const compare = async (label: string, nodeArgs: readonly string[]): Promise<void> => {
      const seeds = (): string => `range(${first}, ${(first += jobs)})`;
      const one = await timed(1, `bench-one${nodeArgs.join('')}`, seeds(), steps, nodeArgs);
      const two = await timed(2, `bench-two${nodeArgs.join('')}`, seeds(), steps, nodeArgs);
      const speedup = jobsPerSecond(two.rows) / jobsPerSecond(one.rows);
      out(
        `${jobs} XOR jobs of ${steps.toLocaleString('en-US')} steps, ${label}: ${jobsPerSecond(one.rows).toFixed(3)} → ${jobsPerSecond(two.rows).toFixed(3)} jobs/s → ×${speedup.toFixed(2)}  goal ≥ ×1.8: ×${(speedup / 1.8).toFixed(2)}; study wall (with the submitting CLI's start-up) ${one.wall_s.toFixed(2)} s → ${two.wall_s.toFixed(2)} s (×${(one.wall_s / two.wall_s).toFixed(2)}); a job takes ${meanJob(one.rows).toFixed(2)} s alone, ${meanJob(two.rows).toFixed(2)} s beside another`,
      );
    };
    await compare('workers as `metatwin worker`', []);
    // V8's helper threads (parallel GC, concurrent compiling) use ≈ 15 % of a second core: a
    // lone worker gets it free, two workers on two cores take it from each other.
    await compare('workers as `node --single-threaded bin/metatwin.js worker`', ['--single-threaded']);
    const tiny = quick ? 40 : 200;
    const queued = await timed(1, 'bench-queue', `range(1, ${tiny + 1})`, 1);
    // One worker runs them one after another: between the first row and the last, what is not
    // a run is the queue (pull, heartbeat set-up, row stored, ack). Start-up is left out.
    const ordered = [...queued.rows].sort((a, b) => Date.parse(a.finishedAt) - Date.parse(b.finishedAt));
    const span_s = (Date.parse(ordered[ordered.length - 1].finishedAt) - Date.parse(ordered[0].finishedAt)) / 1000;
    const running_s = ordered.slice(1).reduce((a, r) => a + r.wall_s, 0);
    const perJob_ms = ((span_s - running_s) / (ordered.length - 1)) * 1000;
    out(
      `${tiny} one-step jobs on 1 worker: ${span_s.toFixed(2)} s from the first row to the last, ${running_s.toFixed(2)} s of it in the runs → queueing ${perJob_ms.toFixed(2)} ms per job  goal ≤ 5 ms: ×${(5 / perJob_ms).toFixed(2)}`,
    );
  } finally {
    killClis();
    await nats.stop();
  }
}
