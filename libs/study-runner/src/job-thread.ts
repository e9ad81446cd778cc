/**
 * A worker thread of the embedded pool: runs the jobs its parent posts, one at a time, and
 * posts each row back. Training is CPU-bound; a thread per core runs that many jobs at once.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Job, StudyMetricsSpec } from '@metatwin/studies';
import { runJob, workerName } from './run-job';

export interface JobMessage {
  readonly studyId: string;
  readonly job: Job;
  readonly spec: StudyMetricsSpec;
}

const port = parentPort;
if (port === null) throw new Error('job-thread.ts runs as a worker thread');
const worker = workerName((workerData as { thread: number }).thread);
port.on('message', (m: JobMessage) => {
  void runJob(m.studyId, m.job, m.spec, worker).then((row) => port.postMessage(row));
});
