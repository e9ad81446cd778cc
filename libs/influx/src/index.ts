// InfluxDB 1.x adapter: the target from flags/environment, a batched sink with bounded memory,
// and the projector that keeps InfluxDB a projection of the event log.
export { DEV_INFLUX_CREDENTIALS_DIR, InfluxTargetError, influxTarget, type InfluxTarget } from './target';
export { InfluxAuthError, InfluxSink, type SinkOptions, type SinkStats } from './sink';
export { INFLUX_USERS, addDatabase, influxPasswords, provisionInflux, type InfluxCredentials, type InfluxUser, type InfluxUsers } from './users';
export { LogProjector, type ProjectorOptions } from './projector';
export { openStudyWriter, type StudyWriter } from './study-writer';
