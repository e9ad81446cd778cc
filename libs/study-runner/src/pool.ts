/**
 * The embedded study runner: a pool of worker threads on this machine (no servers), each
 * taking the next job when it finishes one. Rows come back in completion order; the caller
 * stores each as it arrives, so an interrupted study keeps every job it finished.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Job, StudyMetricsSpec, StudyRow } from '@metatwin/studies';
import type { JobMessage } from './job-thread';

/**
 * The compiled thread, started through bin/thread.js (a thread does not inherit the parent's
 * @metatwin/* aliases), or under jest, from sources, the TypeScript one through tsx.
 */
function threadScript(): { file: string; execArgv: string[]; module?: string } {
  const js = join(__dirname, 'job-thread.js');
  const boot = resolve(__dirname, '..', '..', '..', '..', 'bin', 'thread.js');
  if (existsSync(js) && existsSync(boot)) return { file: boot, execArgv: [], module: 'libs/study-runner/src/job-thread.js' };
  return { file: join(__dirname, 'job-thread.ts'), execArgv: ['--require', 'tsx/cjs'] };
}

export interface PoolOptions {
  /** Threads (default: the machine's cores). */
  readonly threads?: number;
  /** Called with each row as its job ends. */
  readonly onRow: (row: StudyRow) => void;
  /** Polled before each job is handed out: true stops handing out (jobs running finish). */
  readonly stopRequested?: () => boolean;
}

export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

/** Run `jobs` on a pool of threads; resolves when every job handed out has a row. */
export async function runPool(studyId: string, jobs: ReadonlyArray<Job>, spec: StudyMetricsSpec, options: PoolOptions): Promise<void> {
  const threads = Math.min(options.threads ?? defaultThreads(), jobs.length);
  if (threads === 0) return;
  const { file, execArgv, module } = threadScript();
  let next = 0;
  await Promise.all(
    Array.from({ length: threads }, (_, thread) => {
      const worker = new Worker(file, { workerData: { thread, module }, execArgv });
      return new Promise<void>((done, fail) => {
        const handOut = (): void => {
          if (next >= jobs.length || options.stopRequested?.()) {
            void worker.terminate().then(() => done());
            return;
          }
          const message: JobMessage = { studyId, job: jobs[next++], spec };
          worker.postMessage(message);
        };
        worker.on('message', (row: StudyRow) => {
          options.onRow(row);
          handOut();
        });
        worker.on('error', (err) => fail(new Error(`study worker thread ${thread} failed: ${err.message}`)));
        handOut();
      });
    }),
  );
}
