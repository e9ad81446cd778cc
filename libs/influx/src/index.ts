// InfluxDB 1.x adapter: the target from flags/environment, a batched sink with bounded memory,
// and the projector that keeps InfluxDB a projection of the event log.
export { InfluxTargetError, influxTarget, type InfluxTarget } from './target';
export { InfluxSink, type SinkOptions, type SinkStats } from './sink';
export { LogProjector, type ProjectorOptions } from './projector';
export { openStudyWriter, type StudyWriter } from './study-writer';
