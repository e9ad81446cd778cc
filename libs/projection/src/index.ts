// The InfluxDB projection of a run's signals: schema and the pure fold (no I/O).
export { DEFAULT_DATABASE, MEASUREMENTS, PRECISION, modeField, pointTime_us, projectEvery, type FieldSet, type MeasurementName, type Point, type TagSet } from './schema';
export { RunProjection, experimentTags, runStart_ms } from './run-projection';
export { twinResidualPoints, type ResidualRow } from './twin-residual';
export { STUDY_ERROR_MAX_CHARS, modeHalfTimeField, paramField, studyPoints } from './study-points';
