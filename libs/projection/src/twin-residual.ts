/**
 * A twin comparison (`metatwin compare`) as InfluxDB points: per test step and measured
 * signal, the RMS residual and the noise floor, stamped like the run's own points (its start
 * plus the step's learning time), so the Hardware link dashboard shows them beside the run.
 */
import { MEASUREMENTS, pointTime_us, type Point } from './schema';
import { experimentTags } from './run-projection';

export interface ResidualRow {
  readonly step: number;
  readonly t_s: number;
  /** RMS residual (ADC codes) per measured signal; null where the step has none of it. */
  readonly rms: Readonly<Record<string, number | null>>;
}

/** `noiseFloor(signal)`: the floor of that signal's readings (codes). */
export function twinResidualPoints(
  run: string,
  experiment: string,
  start_ms: number,
  twin: string,
  rows: ReadonlyArray<ResidualRow>,
  noiseFloor: (signal: string) => number,
): Point[] {
  const base = { run, ...experimentTags(experiment), twin };
  const points: Point[] = [];
  for (const row of rows)
    for (const [signal, rms] of Object.entries(row.rms)) {
      if (rms === null) continue;
      points.push({
        measurement: MEASUREMENTS.twinResidual,
        tags: { ...base, signal },
        fields: { rms_codes: rms, noise_floor_codes: noiseFloor(signal), t_s: row.t_s, step: row.step },
        time_us: pointTime_us(start_ms, Math.round(row.t_s * 1e9)),
      });
    }
  return points;
}
