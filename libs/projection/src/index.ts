// The InfluxDB projection of a run's signals: schema and the pure fold (no I/O).
export * from './schema';
export { RunProjection, experimentTags, runStart_ms } from './run-projection';
