/**
 * Study rows into InfluxDB for the Studies dashboard: an InfluxSink fed with studyPoints(row),
 * or nothing at all when no InfluxDB is configured, so a worker or `metatwin study run` writes
 * each finished row without asking whether InfluxDB is there. The results bucket keeps every
 * row; InfluxDB is a projection, so rows left unwritten at close can be projected again.
 */
import { studyPoints } from '@metatwin/projection';
import type { StudyRow } from '@metatwin/studies';
import { InfluxSink, type SinkOptions, type SinkStats } from './sink';
import type { InfluxTarget } from './target';

export interface StudyWriter {
  /** Queues the row's points; waits only while the sink is full (InfluxDB away for long). */
  write(row: StudyRow): Promise<void>;
  /** Waits up to `wait_ms` (default 30 s) for InfluxDB to take every queued row, then stops; false when some were left. */
  close(wait_ms?: number): Promise<boolean>;
  /** Points written, pending and failed attempts (all 0 without InfluxDB). */
  readonly stats: SinkStats;
  /** Where rows go, without credentials; null: nowhere. */
  readonly url: string | null;
}

/**
 * A writer for `target` (from influxTarget(--influx) or METATWIN_INFLUX_URL), or a no-op one
 * when it is null. Rows arrive one per finished job, so a part-filled batch waits 250 ms, not
 * the projector's 1 s, before it is written.
 */
export function openStudyWriter(target: InfluxTarget | null, options: SinkOptions = {}): StudyWriter {
  if (target === null) {
    return { write: async () => undefined, close: async () => true, stats: { written: 0, pending: 0, failures: 0 }, url: null };
  }
  const sink = new InfluxSink(target, { linger_ms: 250, ...options });
  return {
    write: (row) => sink.write(studyPoints(row)),
    async close(wait_ms = 30_000) {
      const drained = await sink.flush(wait_ms);
      await sink.close();
      return drained;
    },
    get stats() {
      return sink.stats;
    },
    url: target.url,
  };
}
