// Running studies: an embedded pool of worker threads, or JetStream work queues and workers on any machine.
export { BUILD, runJob, workerName } from './run-job';
export { LocalStudy, studiesRoot, type StudyDefinition } from './local-study';
export { defaultThreads, runPool, type PoolOptions } from './pool';
export {
  JOBS_STREAM,
  MAX_DELIVER,
  RESULTS_BUCKET,
  StudyQueue,
  WORKERS_CONSUMER,
  deadSubject,
  jobsSubject,
  queueOptionsFrom,
  type JobEnvelope,
  type StudyQueueOptions,
} from './jetstream-study';
