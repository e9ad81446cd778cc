// Scaling studies: a study file, its jobs (one resolved experiment each), and the rows of its results table.
export type { AxisValue, StudyMetrics, StudyRow } from './row';
export { JOBS_MAX, NAMED_AXES, StudyError, TOPOLOGIES, parseStudy, parseStudyText, sweepValues, type Study, type StudyMetricsSpec, type TopologyName } from './study-file';
export { expandStudy, networkOf, type ExpandedStudy, type Job } from './jobs';
export { doneRow, failedRow, type JobOrigin } from './metrics';
export { fromJsonLines, sortRows, toCsv, toJsonLines } from './table';
